"""Train every model a build needs as one planned job, before any page runs.

A Job is one TrainConfig and the snapshot epochs wanted from it. `plan` merges duplicate jobs,
drops those the run store already serves and estimates the rest from measured throughput;
`run_plan` trains them on an executor (here, or on a Dask cluster: aelib.jobs.cluster) and stores
each finished run atomically, with one progress line over the whole job.
"""
from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Protocol

import numpy as np
import torch

from aelib.config import TrainConfig
from aelib.data import load_dataset
from aelib.runs import holds, load_run, run_path, save_run  # the run store: plan.py's only link to it
from aelib.store import as_store
from aelib.train import Run, train

# Training images per second at batch 64 on the book's 2-core CPU (torch 2.14.1, 2 threads), by
# model kind and code size. Source: the full profile's cold build of 2026-11-28 and the models
# added to it that day (measurements/build_times.json, "cold_training" and "added_training": each
# run's summed epoch times, 50,000 images per epoch; where a size was trained several times, the
# median); mlp 1024 and 2048 from the quick profile's build of 2026-11-24 (torch 2.13.0, 10,000
# images), the only measurements of those sizes. "deep" is its own page's batch of 128. Batch 256
# runs faster (measurements/bench.json), so larger batches are estimated pessimistically; so is a
# GPU, and the ETA shown while training corrects itself from the measured progress.
THROUGHPUT = {
    "mlp": {1: 12_300, 2: 12_500, 16: 19_000, 30: 11_600, 32: 11_600, 128: 13_800, 512: 10_600, 1024: 11_700,
            2048: 7_300, 16384: 470},
    "conv": {16: 7_100, 30: 6_800, 32: 6_300, 64: 6_200, 128: 5_400, 512: 3_500},
    "deep": {30: 6_200},  # hidden 1000, batch 128: the 2006 paper's widths (03b_thirty_numbers)
    "cond": {512: 3_750},
    "rate": {32: 5_700, 64: 4_800},
}
TRAIN_IMAGES = 60_000  # every MNIST-format set's training split (config.py checks sizes against it)
EVAL_COST = 1 / 3  # a validation image (forward only) costs about a third of a training image


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


def describe(cfg: TrainConfig) -> str:
    """A short name for progress lines: kind-latent and the fields that differ from the defaults."""
    default = TrainConfig()
    diff = [f"{f.name}={getattr(cfg, f.name)}" for f in fields(cfg)
            if f.name not in ("model", "latent") and getattr(cfg, f.name) != getattr(default, f.name)]
    return " ".join([f"{cfg.model}-{cfg.latent}", *diff])


def images_per_second(model: str, latent: int, table: dict = THROUGHPUT) -> float:
    """Measured training throughput, interpolated log-log between the code sizes in `table`.
    Below the smallest size: its figure; above the largest: inversely proportional to the size
    (the code's own layers dominate the cost there)."""
    sizes, rates = zip(*sorted(table[model].items()))
    if latent > sizes[-1]:
        return rates[-1] * sizes[-1] / latent
    return float(np.exp(np.interp(np.log(latent), np.log(sizes), np.log(rates))))


def estimate_seconds(cfg: TrainConfig, table: dict = THROUGHPUT) -> float:
    """Training plus validation time of `cfg` on the machine the table was measured on."""
    rate = images_per_second(cfg.model, cfg.latent, table)
    n_train = cfg.train_size or TRAIN_IMAGES - cfg.val_size
    return (cfg.epochs * n_train + (cfg.epochs + 1) * cfg.val_size * EVAL_COST) / rate


def load_data(name: str, cache_dir: str | Path):
    """The dataset `name` (its tensors and `.sha256`), kept under <cache_dir>/datasets as the pages keep it."""
    return load_dataset(name, root=Path(cache_dir) / "datasets")


@dataclass(frozen=True)
class Plan:
    todo: tuple[Job, ...]  # to train, longest first; snapshots include those of an older stored run
    seconds: tuple[float, ...]  # estimated seconds of each, from THROUGHPUT
    cached: tuple[Job, ...]  # already stored with every wanted snapshot
    cache_dir: Path
    datasets: dict  # dataset name -> dataset, for every config in the plan

    def sha256(self, job: Job) -> str:
        return self.datasets[job.config.dataset].sha256

    def path(self, job: Job) -> Path:
        return run_path(self.cache_dir, job.config, self.sha256(job))

    def wall_seconds(self, slots: int = 1) -> float:
        """Estimated wall time with `slots` trainings at once (longest first: at least the longest)."""
        return max([sum(self.seconds) / max(slots, 1), *self.seconds[:1]], default=0.0)

    def summary(self, slots: int = 1) -> str:
        """How many models, how many to train, the estimated time; then one line per model."""
        head = f"{len(self.todo) + len(self.cached)} models needed, {len(self.cached)} already in {self.cache_dir}"
        if not self.todo:
            return head + ", none to train"
        at_once = f", {slots} at once" if slots > 1 else ""
        head += (f", {len(self.todo)} to train: about {clock(self.wall_seconds(slots))}{at_once}"
                 f" (from the CPU throughput measured in aelib.jobs.plan.THROUGHPUT)")
        return "\n".join([head, *(f"  {clock(s):>8}  {describe(j.config)}" for j, s in zip(self.todo, self.seconds))])


def plan(jobs: Iterable[Job], cache_dir: str | Path, data=None, table: dict = THROUGHPUT) -> Plan:
    """What training `jobs` still takes: duplicates merged (the union of their snapshots), jobs
    the store already serves dropped. `data`: a dataset, several, or None; any dataset the jobs
    name and `data` lacks is loaded from `cache_dir`."""
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
    todo.sort(key=lambda j: -estimate_seconds(j.config, table))  # longest first: parallel executors end sooner
    return Plan(tuple(todo), tuple(estimate_seconds(j.config, table) for j in todo), tuple(cached),
                Path(cache_dir), datasets)


class TrainingError(RuntimeError):
    """One or more trainings of a plan failed; the message names each config."""


OnEpoch = Callable[[int, int], None]  # (index of the job in plan.todo, epochs done); from any thread


class Executor(Protocol):
    slots: int  # trainings at once

    def run(self, plan: Plan, on_epoch: OnEpoch) -> Iterator[tuple[int, Run | Exception]]:
        """Train plan.todo; yield (index, run or the exception it raised) as each one finishes."""


def default_devices() -> list[str]:
    n = torch.cuda.device_count()
    return [f"cuda:{k}" for k in range(n)] if n else ["cpu"]


class LocalExecutor:
    """Trains in this process: one model at a time on the CPU or the one GPU; with several GPUs,
    one model per GPU at a time (a thread each: torch releases the GIL inside its kernels)."""

    def __init__(self, devices: Iterable[str] | None = None):
        self.devices = list(devices) if devices is not None else default_devices()
        self.slots = len(self.devices)

    def run(self, plan: Plan, on_epoch: OnEpoch) -> Iterator[tuple[int, Run | Exception]]:
        if self.slots == 1:
            for i in range(len(plan.todo)):
                yield i, _train_here(plan, i, self.devices[0], on_epoch)
            return
        mine, devices = threading.local(), iter(self.devices)  # each pool thread keeps one device for life
        pool = ThreadPoolExecutor(self.slots, "aelib-train", initializer=lambda: setattr(mine, "device", next(devices)))
        try:
            futures = {pool.submit(lambda i: _train_here(plan, i, mine.device, on_epoch), i): i
                       for i in range(len(plan.todo))}
            for fut in as_completed(futures):
                yield futures[fut], fut.result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def _train_here(plan: Plan, i: int, device: str, on_epoch: OnEpoch) -> Run | Exception:
    job = plan.todo[i]
    on_epoch(i, 0)
    try:
        return train(job.config, plan.datasets[job.config.dataset], job.snapshots, device,
                     on_epoch=lambda epoch, history: on_epoch(i, epoch))
    except Exception as e:  # noqa: BLE001 (reported with its config by run_plan; the others go on)
        return e


def run_plan(plan: Plan, executor: Executor | None = None, out=None) -> list[Path]:
    """Train plan.todo on `executor` (default: LocalExecutor), storing each run atomically as it
    arrives; progress goes to `out` (None: silent, as inside a notebook). Returns the files
    written. If any training fails, the others still finish and are stored, then TrainingError
    names every failed config."""
    executor = executor or LocalExecutor()
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


def clock(seconds: float) -> str:
    """4.2 s, 42 s, 4:02, 1:04:02."""
    if seconds < 59.5:
        return f"{max(seconds, 0):.1f} s" if seconds < 9.95 else f"{seconds:.0f} s"
    s = round(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


class Progress:
    """One bar over the whole plan, weighted by the estimates, with each running model's epochs
    and an ETA calibrated by the progress so far. On a terminal it redraws one line with \\r;
    elsewhere (a log, CI) it writes one line per finished model. Safe to call from any thread."""

    def __init__(self, plan: Plan, out=None, slots: int = 1, tty: bool | None = None,
                 clock_fn: Callable[[], float] = time.monotonic):
        self.plan, self.out, self.slots, self.now = plan, out, slots, clock_fn
        self.tty = tty if tty is not None else bool(out is not None and getattr(out, "isatty", lambda: False)())
        self.running: dict[int, int] = {}  # index -> epochs done
        self.finished: set[int] = set()
        self.lock = threading.Lock()
        self.t0 = clock_fn()
        self.started: float | None = None  # the first model's start: the pace is measured from there
        self.total = sum(plan.seconds)

    def epoch(self, i: int, epoch: int) -> None:
        with self.lock:
            if i not in self.finished:  # a worker's last event may arrive after its result
                self.running[i] = epoch
                self.started = self.now() if self.started is None else self.started
                self._draw()

    def done(self, i: int, seconds: float) -> None:
        job = self.plan.todo[i]
        epochs = f"{job.config.epochs} epoch{'s' if job.config.epochs != 1 else ''}"
        self._finish(i, f"trained {describe(job.config)} ({epochs}) in {clock(seconds)}"
                        f", estimated {clock(self.plan.seconds[i])}")

    def failed(self, i: int, error: BaseException) -> None:
        self._finish(i, f"FAILED {describe(self.plan.todo[i].config)}: {type(error).__name__}: {error}")

    def close(self) -> None:
        if self.out is None:
            return
        with self.lock:
            elapsed = self.now() - self.t0
            if self.tty and self.plan.todo:
                self._draw()
                self.out.write("\n")
            if self.plan.todo:
                self.out.write(f"{len(self.finished)} of {len(self.plan.todo)} models done in {clock(elapsed)}"
                               f" (estimated {clock(self.plan.wall_seconds(self.slots))})\n")
            else:
                self.out.write(f"nothing to train: all {len(self.plan.cached)} models are in {self.plan.cache_dir}\n")
            self.out.flush()

    def fraction(self) -> float:
        if not self.plan.todo:
            return 1.0
        part = sum(self.plan.seconds[i] for i in self.finished)
        part += sum(self.plan.seconds[i] * e / max(self.plan.todo[i].config.epochs, 1)
                    for i, e in self.running.items())
        return min(part / self.total, 1.0)

    def eta(self) -> float:
        """Seconds left: the estimate until some work is done, then the pace since the first
        model started (set-up such as the workers' data loading is not work)."""
        f = self.fraction()
        if f == 0 or self.started is None:
            return self.plan.wall_seconds(self.slots) * (1 - f)
        return (self.now() - self.started) * (1 - f) / f

    def _finish(self, i: int, message: str) -> None:
        with self.lock:
            self.finished.add(i)
            self.running.pop(i, None)
            if self.out is None:
                return
            if self.tty:
                self.out.write("\r\x1b[K" + message + "\n")
                self._draw()
            else:
                self.out.write(f"[{len(self.finished)}/{len(self.plan.todo)}] {message}; ETA {clock(self.eta())}\n")
                self.out.flush()

    def _draw(self) -> None:
        if self.out is None or not self.tty:
            return
        f = self.fraction()
        bar = "#" * round(20 * f) + "." * (20 - round(20 * f))
        cfgs = [(self.plan.todo[i].config, e) for i, e in list(self.running.items())[:2]]
        running = ", ".join(f"{cfg.model}-{cfg.latent} epoch {e}/{cfg.epochs}" for cfg, e in cfgs) \
            + (f" +{len(self.running) - 2}" if len(self.running) > 2 else "")
        line = (f"[{bar}] {f:4.0%}  {len(self.finished)}/{len(self.plan.todo)} models  "
                f"{clock(self.now() - self.t0)} elapsed, ETA {clock(self.eta())}  {running}").rstrip()
        width = shutil.get_terminal_size((100, 24)).columns - 1
        self.out.write("\r\x1b[K" + line[:width])
        self.out.flush()
