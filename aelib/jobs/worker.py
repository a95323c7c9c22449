"""What every executor's worker does with one job: one code path for worker processes here,
threads on GPUs and Dask workers, so that a config trains the same way whichever runs it."""
from __future__ import annotations

import torch

from aelib.jobs.plan import Job
from aelib.runtime import keep_freed_memory
from aelib.train import Run, train


def prepare(threads: int | None = None) -> None:
    """Once per worker process: its torch threads (None: leave them) and its allocator."""
    if threads is not None:
        torch.set_num_threads(threads)
    keep_freed_memory()


def train_job(job: Job, data, device=None, on_epoch=None, at_once: int = 1) -> Run:
    """Train one job; its record says how many trainings shared the machine with it."""
    run = train(job.config, data, job.snapshots, device, on_epoch=on_epoch)
    run.how["at_once"] = at_once
    return run
