"""Crash-safe file writes: write to a temporary file beside the target, then rename over it."""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_write(path: str | Path):
    """Yield a temporary path; on success it replaces `path` in one rename, on error it vanishes.

    A reader therefore sees the old file or the complete new one, never a partial write, even
    if the process is killed halfway.
    """
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


def cached(path: str | Path | None, compute, read, write,
           damaged: tuple[type[BaseException], ...] = (OSError, ValueError)):
    """read(path) when `path` holds a readable value, else compute(), stored there atomically with
    write(value, tmp). A missing file, or one whose read raises one of `damaged`, is computed anew;
    with path None nothing is read or stored."""
    if path is not None:
        try:
            return read(Path(path))
        except damaged:
            pass  # not there yet, or damaged: compute
    value = compute()
    if path is not None:
        with atomic_write(path) as tmp:
            write(value, tmp)
    return value
