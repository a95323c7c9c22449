"""What every executor's worker does with one job: one code path for worker processes here,
threads on GPUs and Dask workers, so that a config trains the same way whichever runs it."""
from __future__ import annotations

import torch

from aelib.jobs.plan import Job
from aelib.runtime import keep_freed_memory
from aelib.stack import train_stacked
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


def train_unit(jobs: list[Job], data, device=None, on_epoch=None, at_once: int = 1) -> list[Run]:
    """Train one job, or several of one stack key as one stacked model (aelib.stack); one run
    per job. `on_epoch(k, epoch)` after job k's epoch. A stacked member's record counts its
    stack among the trainings at once: they shared each of its steps."""
    report = on_epoch or (lambda k, epoch: None)
    if len(jobs) == 1:
        return [train_job(jobs[0], data, device, lambda epoch, _: report(0, epoch), at_once)]
    runs = train_stacked([j.config for j in jobs], data, [j.snapshots for j in jobs], device,
                         on_epoch=lambda k, epoch, _: report(k, epoch))
    for run in runs:
        run.how["at_once"] = at_once * len(jobs)
    return runs
