"""Seeds, devices and the process-wide settings a driver (a notebook, a worker) sets once."""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import random
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing import get_context

import numpy as np
import torch

_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4  # glibc's mallopt parameters (malloc.h)


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch's global generators (library code takes explicit seeds)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def pick_device() -> torch.device:
    """CUDA when present, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def usable_cores() -> int:
    """The CPU cores this process may run on (its affinity mask, which containers narrow)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def page_cores() -> int:
    """The cores this process's work may take: its share of the machine (OMP_NUM_THREADS, which
    a page among others is given) within the cores it may run on."""
    return max(min(usable_cores(), torch.get_num_threads()), 1)


@contextmanager
def worker_pool(workers: int):
    """A pool of `workers` spawned processes, or None for workers == 1 (work stays in this
    process). Spawned, not forked: a fork of a process running torch's threads can hang."""
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an int >= 1, got {workers!r}")
    if workers == 1:
        yield None
        return
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        yield pool


def keep_freed_memory() -> bool:
    """Ask glibc's malloc to keep freed memory for reuse instead of returning it to the system.

    Why: by default every buffer over a few MB (a gradient, a weight update) is a fresh mmap, and
    each of its pages faults and is zeroed again on every training step. For the MLP with a code
    of 16,384 (70 MB of weights) this cost about a fifth of each step on the book's 2-core CPU:
    one-thread steps ran 1.22-1.27 times faster with it, in alternation. The price is that the
    process keeps its peak memory until it exits. Returns False where the C library is not glibc."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        return bool(libc.mallopt(_M_MMAP_MAX, 0) and libc.mallopt(_M_TRIM_THRESHOLD, 2**31 - 1))
    except (OSError, AttributeError, TypeError):  # not glibc (musl, macOS): nothing to tune
        return False
