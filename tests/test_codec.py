import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings, strategies as st

from aelib.compress import codec as C
from aelib.compress import fileformat as F
from aelib.runs import cached_run, run_path
from aelib.config import TrainConfig
from aelib.data import to_float

CONV = TrainConfig(model="conv", latent=8, channels=(4, 8), epochs=1, lr=1e-3, train_size=512, val_size=256)
RATE = CONV.replace(model="rate", rate_lambda=1e-3)


@pytest.fixture(scope="module")
def x(mnist):
    return to_float(mnist.test_images[:40])


@pytest.fixture(scope="module", params=[CONV, RATE], ids=["posthoc", "rate"])
def codec(request, mnist, cache_dir):
    spec = C.CodecSpec(request.param, 0.5 if request.param.model == "conv" else 1.0)
    return C.for_spec(spec, cached_run(spec.config, mnist, cache_dir), mnist, cache_dir)


def test_decode_of_encode_is_the_in_memory_reconstruction_exactly(codec, x):
    expected = codec.reconstruct(x)
    assert torch.equal(codec.decompress(codec.compress(x)), expected)  # all images, one stream
    files = codec.compress_each(x)
    for i in (0, 17, 39):  # one image per file: the same bits as inside the stream
        assert torch.equal(codec.decompress(files[i]), expected[i:i + 1])


def test_reconstruction_is_g_s_of_the_scaled_integers(codec, x):
    q = codec.quantize(codec.analysis(x))
    assert q.dtype == np.int32 and q.shape == (40, codec.table.dims)
    with torch.inference_mode():
        direct = codec.model.decode(torch.from_numpy(q).float() * codec.step)
    assert torch.allclose(codec.reconstruct(x), direct, atol=1e-6)


def test_header_is_eight_bytes_for_one_image_and_holds_the_count(codec, x):
    one, many = codec.compress(x[:1]), codec.compress(x)
    h1, h40 = F.read_header(one), F.read_header(many)
    assert one[:3] == b"AE\x01" and h1.size == 8 and h1.count == 1 and h1.key == codec.key
    assert h40.count == 40 and h40.size == 8
    q300 = np.repeat(codec.quantize(codec.analysis(x[:1])), 300, 0)
    assert F.read_header(codec.compress_symbols(q300)).size == 9  # 300 images: a 2-byte count


def test_stream_is_cheaper_than_files_and_near_the_entropy(codec, x):
    q = codec.quantize(codec.analysis(x))
    stream = len(codec.compress(x))
    files = sum(len(b) for b in codec.compress_each(x))
    bits = codec.table.bits(q).sum()
    assert stream < files and 8 * stream <= bits + 8 * 8 + 16


@pytest.mark.parametrize("blob, error, words", [
    (b"\x89PNG\r\n\x1a\n....", F.NotOurFile, "not an aelib file"),
    (b"A", F.NotOurFile, "not an aelib file"),
    (b"AE", F.TruncatedFile, "truncated"),
    (b"AE\x07abc\x01\x00", F.UnsupportedVersion, "version 7"),
    (b"AE\x01ab", F.TruncatedFile, "truncated"),
    (b"AE\x01abc\x00\x00", F.CorruptFile, "claims 0 images"),
    (b"AE\x01abc\xff\xff\xff\xff\x00", F.CorruptFile, "count"),
    (b"AE\x01abc\x01", F.TruncatedFile, "truncated"),
])
def test_bad_headers_name_the_problem(blob, error, words):
    with pytest.raises(error, match=words):
        F.read_header(blob)


def test_a_foreign_key_is_refused(codec, x):
    blob = bytearray(codec.compress(x[:1]))
    blob[3] ^= 0xFF
    with pytest.raises(F.MissingModel, match="model key"):
        codec.decompress(bytes(blob))


def test_a_truncated_payload_is_detected(codec, x):
    blob = codec.compress(x)
    failures = 0
    for cut in range(1, 30):
        try:
            codec.decompress(blob[:-cut])
        except F.CorruptFile:
            failures += 1
    assert failures >= 27  # the check byte misses one damaged file in 256


@settings(max_examples=150, deadline=3000, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzzed_files_decode_cleanly_or_fail_cleanly(codec, x, data):
    good = codec.compress(x[:3])
    kind = data.draw(st.sampled_from(["random", "truncate", "flip", "splice"]))
    if kind == "random":
        blob = data.draw(st.binary(max_size=80))
    elif kind == "truncate":
        blob = good[:data.draw(st.integers(0, len(good) - 1))]
    elif kind == "flip":
        bit = data.draw(st.integers(0, 8 * len(good) - 1))
        blob = bytearray(good)
        blob[bit // 8] ^= 1 << (bit % 8)
        blob = bytes(blob)
    else:
        blob = good[:8] + data.draw(st.binary(max_size=40))
    try:
        out = codec.decompress(blob)
    except F.CodecError:
        return
    assert out.ndim == 4 and out.shape[1:] == (1, 28, 28) and torch.isfinite(out).all()


def test_codec_files_are_cached_and_found_by_key(codec, mnist, cache_dir, x):
    again = C.for_spec(codec.spec, None, mnist, cache_dir)  # no run needed: the table is on disk
    assert again.key == codec.key and np.array_equal(again.table.probs, codec.table.probs)
    by_key = C.for_key(codec.key, cache_dir)
    assert torch.equal(by_key.decompress(codec.compress(x[:2])), codec.reconstruct(x[:2]))
    with pytest.raises(F.MissingModel, match="no codec with model key"):
        C.for_key(b"\x00\x00\x00", cache_dir / "elsewhere")


def test_a_codec_whose_network_left_the_cache_is_missing(mnist, tmp_path):
    cfg = CONV.replace(seed=7)
    run = cached_run(cfg, mnist, tmp_path)
    codec = C.for_spec(C.CodecSpec(cfg, 1.0), run, mnist, tmp_path)
    run_path(tmp_path, cfg, mnist.sha256).unlink()
    with pytest.raises(F.MissingModel, match="not in the cache"):
        C.for_key(codec.key, tmp_path)


def test_model_bytes_count_the_decoder_and_the_table(codec):
    b = codec.model_bytes()
    dec = sum(p.numel() for n, p in codec.model.named_parameters() if n.startswith("g_s")) * 4
    assert b["decoder"] == dec and b["table"] == codec.table.probs.size * 4 + codec.table.dims * 4
    assert b["total"] == b["decoder"] + b["table"]


def test_spec_checks():
    with pytest.raises(ValueError, match="step"):
        C.CodecSpec(CONV, 0.0)
    with pytest.raises(ValueError, match="step must be 1"):
        C.CodecSpec(RATE, 0.5)
    assert C.CodecSpec(RATE).name == "rate-8 lambda 0.001" and C.CodecSpec(CONV, 0.25).name == "conv-8 step 0.25"


def test_a_count_the_payload_cannot_hold_is_refused_at_once(codec, x):
    blob = codec.compress(x[:2])
    h = F.read_header(blob)
    forged = F.Header(h.key, 90_000, 0, 0).prefix()
    forged += bytes([F.check_byte(forged, np.zeros((0,), np.int32))]) + blob[h.size:]
    assert codec.table.min_bits() * 90_000 > 8 * (len(blob) - h.size) + F.SLACK_BITS
    with pytest.raises(F.CorruptFile, match="cannot fit"):
        codec.decompress(forged)


@pytest.mark.parametrize("step", [0.1, 0.2, 0.4, 0.8, 1.0, 1.6])
def test_a_reloaded_codec_is_the_fitted_one_bit_for_bit(mnist, cache_dir, step):
    spec = C.CodecSpec(CONV, step)
    fitted = C.fit(spec, cached_run(CONV, mnist, cache_dir), mnist)
    path = C.save(fitted, cache_dir / f"reload-{step}")
    again = C._load_file(path, cache_dir)  # the network from the shared cache, the table from the file
    assert again.key == fitted.key and again.table.digest() == fitted.table.digest() and again.step == fitted.step
