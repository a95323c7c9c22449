import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from aelib.compress import entropy
from aelib.compress.entropy import EntropyError, fit_histogram, make_table, table_from_cdf


def _laplace_ints(n, d, seed=0):
    rng = np.random.default_rng(seed)
    return np.round(rng.laplace(size=(n, d)) * rng.uniform(0.5, 5, d)).astype(np.int64)


@pytest.fixture(scope="module")
def table():
    return fit_histogram(_laplace_ints(20_000, 12))


def test_histogram_covers_the_data_with_a_margin_and_normalises():
    q = _laplace_ints(5000, 6)
    t = fit_histogram(q, margin=2)
    assert t.dims == 6 and (t.lo == q.min(0) - 2).all() and (t.hi >= q.max(0) + 2).all()
    assert np.allclose(t.probs.sum(1), 1, atol=1e-6) and (t.probs >= 0).all()
    assert (t.probs[np.arange(6), q.max(0) + 2 - t.lo] > 0).all()  # smoothing: unseen values cost finite bits


def test_a_step_too_fine_is_refused():
    with pytest.raises(ValueError, match="coarser quantization step"):
        fit_histogram(np.array([[0], [10_000]]))


def test_table_survives_float32_storage(table):
    again = make_table(table.lo, table.probs.astype(np.float32))
    assert np.array_equal(again.probs, table.probs) and again.digest() == table.digest()


@pytest.mark.parametrize("n", [1, 7, 3000])  # 3000 x 12 symbols takes the per-dimension path
def test_round_trip_is_exact_and_close_to_the_entropy(table, n):
    q = table.clip(_laplace_ints(n, 12, seed=n))
    blob = entropy.encode(q, table)
    assert np.array_equal(entropy.decode(blob, table, n), q)
    assert 8 * len(blob) <= table.bits(q).sum() + 16  # ending the stream costs < 2 bytes


def test_both_code_paths_write_the_same_bits(table):
    q = table.clip(_laplace_ints(50, 12, seed=3))
    idx = (q - table.lo).astype(np.int32)
    small = entropy._encode_words(idx, table.probs)
    import constriction
    enc = constriction.stream.queue.RangeEncoder()
    for j in range(12):
        enc.encode(np.ascontiguousarray(idx[:, j]), entropy._Categorical(table.probs[j], perfect=False))
    assert np.array_equal(small, enc.get_compressed())


def test_one_image_costs_about_its_information(table):
    qs = table.clip(_laplace_ints(300, 12, seed=9))
    extra = [8 * len(entropy.encode(q[None], table)) - table.bits(q[None])[0] for q in qs]
    assert np.mean(extra) < 8  # byte-granular end of stream instead of whole 32-bit words


def test_out_of_range_and_bad_shapes_are_refused(table):
    with pytest.raises(ValueError, match="clip them first"):
        entropy.encode(table.hi[None] + 1, table)
    with pytest.raises(ValueError, match="shape"):
        entropy.encode(np.zeros((2, 3), dtype=np.int64), table)


def test_discretized_cdf():
    lo, hi = np.array([-5, -3]), np.array([5, 2])
    scale = np.array([[1.0], [0.5]])
    t = table_from_cdf(lambda v: 1 / (1 + np.exp(-v / scale)), lo, hi)
    assert t.symbols == 11 and np.allclose(t.probs.sum(1), 1)
    assert t.probs[1, 6:].sum() == 0  # beyond dimension 1's range
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    assert np.isclose(t.probs[0, 5], sig(0.5) - sig(-0.5), rtol=1e-6)  # p(0) = F(1/2) - F(-1/2)
    assert np.isclose(t.probs[0, 0], sig(-4.5), rtol=1e-6)  # the lower tail folded into the first bin


@settings(max_examples=200, deadline=2000)
@given(st.binary(max_size=64), st.integers(1, 40))
def test_any_bytes_decode_in_range_or_raise(blob, n):
    t = fit_histogram(_laplace_ints(2000, 5))
    try:
        q = entropy.decode(blob, t, n)
    except EntropyError:
        return
    assert q.shape == (n, 5) and (q >= t.lo).all() and (q <= t.hi).all()
