"""Train every model a build needs as one planned job, before any page runs.

A Job is one TrainConfig and the snapshot epochs wanted from it. `plan` merges duplicate jobs,
drops those the run store already serves and counts the work of the rest (`Plan.timed` adds the
time, from training steps measured on the machine); `run_plan` trains them on an executor
(worker processes here, aelib.jobs.local, or a Dask cluster, aelib.jobs.cluster) and stores each
finished run atomically, with one progress line over the whole job.
"""
from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from aelib.config import TrainConfig
from aelib.data import load_dataset
from aelib.jobs.estimate import estimate_seconds, speed_key, train_flops
from aelib.jobs.progress import Progress, clock, describe
from aelib.runs import holds, load_run, run_path, save_run  # the run store: plan.py's only link to it
from aelib.stack import stack_key
from aelib.store import as_store
from aelib.train import Run


@dataclass(frozen=True)
class Job:
    config: TrainConfig
    snapshots: tuple[int, ...] = ()  # epochs whose weights are kept besides the last one

    def __post_init__(self) -> None:
        snaps = tuple(sorted(set(self.snapshots)))
        bad = [e for e in snaps if isinstance(e, bool) or not isinstance(e, int) or not 0 <= e <= self.config.epochs]
        if bad:
            raise ValueError(f"snapshot epochs {bad} lie outside [0, epochs={self.config.epochs}] for {self.config}")
        object.__setattr__(self, "snapshots", snaps)


def load_data(name: str, cache_dir: str | Path):
    """The dataset `name` (its tensors and `.sha256`), kept under <cache_dir>/datasets as the pages keep it."""
    return load_dataset(name, root=Path(cache_dir) / "datasets")


@dataclass(frozen=True)
class Plan:
    todo: tuple[Job, ...]  # to train, longest first; snapshots include those of an older stored run
    flops: tuple[float, ...]  # training FLOPs of each (aelib.jobs.estimate.train_flops)
    cached: tuple[Job, ...]  # already stored with every wanted snapshot
    cache_dir: Path
    datasets: dict  # dataset name -> dataset, for every config in the plan
    seconds: tuple[float, ...] | None = None  # estimated seconds of each, once measured (`timed`)

    def sha256(self, job: Job) -> str:
        return self.datasets[job.config.dataset].sha256

    def path(self, job: Job) -> Path:
        return run_path(self.cache_dir, job.config, self.sha256(job))

    @property
    def weights(self) -> tuple[float, ...]:
        """Each job's share of the work: its estimated seconds, or its FLOPs before any measurement."""
        return self.seconds if self.seconds is not None else self.flops

    def speed_keys(self) -> list:
        return sorted({speed_key(j.config) for j in self.todo}, key=describe)

    def timed(self, speeds: dict) -> "Plan":
        """This plan with each job's time estimated from `speeds` (speed key -> seconds of one
        training step and of validation per image, measured on the machine that trains it),
        longest first."""
        seconds = [estimate_seconds(j.config, speeds[speed_key(j.config)]) for j in self.todo]
        order = sorted(range(len(self.todo)), key=lambda i: -seconds[i])
        return replace(self, todo=tuple(self.todo[i] for i in order), flops=tuple(self.flops[i] for i in order),
                       seconds=tuple(seconds[i] for i in order))

    def units(self, stack: int = 1) -> list[tuple[int, ...]]:
        """The indices of plan.todo in the groups that train as one: up to `stack` jobs of one
        architecture and recipe (aelib.stack.stack_key) together, in the plan's order; every
        other job alone."""
        if stack < 1:
            raise ValueError(f"stack must be >= 1, got {stack}")
        units, open_ = [], {}  # stack key -> the unit still filling
        for i, job in enumerate(self.todo):
            key = stack_key(job.config) if stack > 1 else None
            if key is None:
                units.append((i,))
                continue
            if key not in open_ or len(units[open_[key]]) == stack:
                open_[key] = len(units)
                units.append(())
            units[open_[key]] += (i,)
        return units

    def wall_seconds(self, slots: int = 1) -> float:
        """Estimated wall time with `slots` trainings at once, each job to the slot that frees
        first in the plan's order (longest first)."""
        if not self.seconds:
            return 0.0
        free = [0.0] * max(slots, 1)
        for s in self.seconds:
            heapq.heappush(free, heapq.heappop(free) + s)
        return max(free)

    def summary(self, slots: int = 1) -> str:
        """How many models, how many to train, the work and the estimated time; one line per model."""
        head = f"{len(self.todo) + len(self.cached)} models needed, {len(self.cached)} already in {self.cache_dir}"
        if not self.todo:
            return head + ", none to train"
        at_once = f", {slots} at once" if slots > 1 else ""
        head += f", {len(self.todo)} to train ({sum(self.flops) / 1e12:.1f} TFLOP)"
        if self.seconds is not None:
            head += f": about {clock(self.wall_seconds(slots))}{at_once} (from training steps timed on this machine)"
        cost = self.seconds if self.seconds is not None else [f / 1e12 for f in self.flops]
        unit = clock if self.seconds is not None else (lambda t: f"{t:.2f} TF")
        return "\n".join([head, *(f"  {unit(c):>8}  {describe(j.config)}" for j, c in zip(self.todo, cost))])


def plan(jobs: Iterable[Job], cache_dir: str | Path, data=None) -> Plan:
    """What training `jobs` still takes: duplicates merged (the union of their snapshots), jobs
    the store already serves dropped, the rest longest first by FLOPs. `data`: a dataset,
    several, or None; any dataset the jobs name and `data` lacks is loaded from `cache_dir`."""
    wanted: dict[TrainConfig, set[int]] = {}
    for job in jobs:
        wanted.setdefault(job.config, set()).update(job.snapshots)
    given = [data] if hasattr(data, "sha256") else list(data or [])
    datasets = {d.name: d for d in given}
    for name in sorted({cfg.dataset for cfg in wanted} - set(datasets)):
        datasets[name] = load_data(name, cache_dir)
    todo, cached = [], []
    for cfg, snaps in wanted.items():
        sha = datasets[cfg.dataset].sha256
        run = load_run(run_path(cache_dir, cfg, sha), cfg, sha)
        if holds(run, tuple(snaps)):
            cached.append(Job(cfg, tuple(snaps)))
        else:  # keep what an older run of the same config stored too, as cached_run does
            todo.append(Job(cfg, tuple(snaps | set(run.snapshots if run else ()))))
    todo.sort(key=lambda j: -train_flops(j.config))  # longest first: parallel executors end sooner
    return Plan(tuple(todo), tuple(train_flops(j.config) for j in todo), tuple(cached), Path(cache_dir), datasets)


class TrainingError(RuntimeError):
    """One or more trainings of a plan failed; the message names each config."""


OnEpoch = Callable[[int, int], None]  # (index of the job in plan.todo, epochs done); from any thread


class Executor(Protocol):
    slots: int  # trainings at once

    def run(self, plan: Plan, on_epoch: OnEpoch) -> Iterator[tuple[int, Run | Exception]]:
        """Train plan.todo; yield (index, run or the exception it raised) as each one finishes."""


def run_plan(plan: Plan, executor: Executor, out=None) -> list[Path]:
    """Train plan.todo on `executor` (aelib.jobs.local.default_executor fits one to the machine),
    storing each run atomically as it arrives; progress goes to `out` (None: silent, as inside a
    notebook). Returns the files written. If any training fails, the others still finish and
    are stored, then TrainingError names every failed config."""
    progress = Progress(plan, out, slots=executor.slots)
    written, failed = [], []
    try:
        for i, result in executor.run(plan, progress.epoch):
            job = plan.todo[i]
            if isinstance(result, Run) and result.config != job.config:
                result = TrainingError(f"the executor returned a run of {result.config}")
            if isinstance(result, BaseException):
                failed.append((job, result))
                progress.failed(i, result)
                continue
            path = plan.path(job)
            with as_store(plan.cache_dir).locked(path):  # a page training the same run waits, then reads it
                save_run(path, result, plan.sha256(job))
            written.append(path)
            progress.done(i, sum(result.history.seconds))
    finally:
        progress.close()
    if failed:
        lines = [f"  {describe(j.config)}: {type(e).__name__}: {e}\n    config: {j.config!r}" for j, e in failed]
        raise TrainingError(f"{len(failed)} of {len(plan.todo)} trainings failed:\n" + "\n".join(lines)) \
            from failed[0][1]
    return written
