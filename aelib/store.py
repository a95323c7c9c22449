"""One store for everything the book computes once and reads back: trained runs, fitted codecs,
rate-distortion points, standard-codec points, tuned classical denoisers and denoising scores.

Every entry lives at <root>/<kind>/<prefix>-<key>.<suffix>, where the key hashes the kind, the
kind's version and every input that determines the value (configs, parameters, checksums of
images and weights). Writes are atomic (a temporary file renamed over the target), a file lock
makes two processes that need the same entry compute it once, and an entry that cannot be read
back (truncated, damaged, of another format) is computed again: it never stops the book.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from filelock import FileLock

# Bump a kind's version when the code that computes its entries changes what they hold: every
# entry of that kind is then computed again. "runs" has one version per model kind (aelib.runs).
VERSIONS = {
    "runs": 1,  # trained models (aelib.runs); the models' own versions are in runs.CODE_VERSIONS
    "codecs": 1,  # fitted post-hoc codecs: quantization step and probability table (compress.codec)
    "rdpoints": 1,  # one codec's rate-distortion point on a test set (compress.rd)
    "stdcodecs": 1,  # standard codecs' points at their settings (compress.rd)
    "tuning": 1,  # a classical denoiser's parameter chosen on validation images (denoise.classical)
    "denoised": 1,  # one denoiser's per-image scores at one noise factor (denoise.evaluate)
}


@contextmanager
def atomic_write(path: str | Path):
    """Yield a temporary path; on success it replaces `path` in one rename, on error it vanishes.

    A reader therefore sees the old file or the complete new one, never a partial write, even
    if the process is killed halfway."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@dataclass(frozen=True)
class Format:
    """How a value is written to and read from one file, and which errors mean "damaged"."""
    suffix: str
    read: Callable[[Path], object]
    write: Callable[[object, Path], None]
    damaged: tuple[type[BaseException], ...]


def _write_json(value, tmp: Path) -> None:
    tmp.write_text(json.dumps(value))


def _write_npz(value: dict, tmp: Path) -> None:
    with open(tmp, "wb") as f:
        np.savez(f, **value)


def _read_npz(path: Path) -> dict:
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


JSON = Format(".json", lambda p: json.loads(p.read_text()), _write_json, (OSError, ValueError, TypeError))
NPZ = Format(".npz", _read_npz, _write_npz, (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile))
# torch's weights-only unpickler meets damaged bytes with almost any exception (even AssertionError):
# whatever it raises, the entry is damaged.
TORCH = Format(".pt", lambda p: torch.load(p, map_location="cpu", weights_only=True), lambda v, tmp: torch.save(v, tmp),
               (Exception,))


def key(kind: str, parts: dict, tensors: tuple[torch.Tensor, ...] = ()) -> str:
    """The sha256 (hex) of the kind, its version, the JSON of `parts` and the bytes of `tensors`."""
    if kind not in VERSIONS:
        raise ValueError(f"unknown store kind {kind!r}; known: {sorted(VERSIONS)}")
    h = hashlib.sha256(json.dumps({"kind": kind, "version": VERSIONS[kind], **parts}, sort_keys=True).encode())
    for t in tensors:
        h.update(str(tuple(t.shape)).encode() + str(t.dtype).encode())
        h.update(t.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


class Store:
    """The entries under one folder (the book's `cache_dir`)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def path(self, kind: str, key_hex: str, suffix: str, prefix: str = "") -> Path:
        return self.root / kind / f"{prefix + '-' if prefix else ''}{key_hex[:24]}{suffix}"

    @contextmanager
    def locked(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(path) + ".lock"):
            yield

    def cached(self, kind: str, parts: dict, compute: Callable[[], object], fmt: Format = JSON,
               tensors: tuple[torch.Tensor, ...] = (), prefix: str = ""):
        """The stored value for these inputs, or compute() stored atomically; a damaged entry is
        computed again."""
        path = self.path(kind, key(kind, parts, tensors), fmt.suffix, prefix)
        with self.locked(path):
            if path.is_file():
                try:
                    return fmt.read(path)
                except fmt.damaged:
                    pass  # damaged: compute it again below
            value = compute()
            with atomic_write(path) as tmp:
                fmt.write(value, tmp)
            return value


def cached(store: Store | None, kind: str, parts: dict, compute: Callable[[], object], fmt: Format = JSON,
           tensors: tuple[torch.Tensor, ...] = (), prefix: str = ""):
    """`store.cached(...)`, or plain compute() when there is no store (a run without a cache)."""
    if store is None:
        return compute()
    return store.cached(kind, parts, compute, fmt, tensors, prefix)


def as_store(cache_dir: str | Path | Store | None) -> Store | None:
    """A Store for a cache folder (None: no caching)."""
    if cache_dir is None or isinstance(cache_dir, Store):
        return cache_dir
    return Store(cache_dir)
