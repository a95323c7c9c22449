"""Executors on this machine: worker processes on the CPU's cores, or threads on the GPUs.

On the CPU, trainings run in worker processes with one thread each, as many at once as there
are cores: two one-thread trainings side by side trained 1.49 (MLP-128) and 1.39 (conv-128)
times as many images per second as one two-thread training on a 2-core AMD EPYC (Zen 4), and
1.20 and 1.68 times on a 2-core Zen 3 (each measured within one run). A single training, or an
explicit `threads`, keeps more threads per worker. On GPUs, GPU_AT_ONCE worker processes share
each GPU: one small model's steps leave the device idle while Python launches its kernels.
`stack` > 1 trains up to that many models that differ only in seed, noise or learning rate as
one stacked model (aelib.stack); it is off by default, since on the CPU it was slower.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing as mp
import os
import queue
import signal
import threading
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, ThreadPoolExecutor, as_completed, wait

import torch

from aelib.jobs.plan import Job, OnEpoch, Plan
from aelib.jobs.worker import prepare, train_unit
from aelib.runtime import page_cores
from aelib.store import as_store
from aelib.train import Run

_PR_SET_PDEATHSIG = 1  # prctl option (linux/prctl.h): a signal to receive when the parent dies


GPU_AT_ONCE = 4  # trainings sharing one GPU by default


def default_devices() -> list[str]:
    n = torch.cuda.device_count()
    return [f"cuda:{k}" for k in range(n)] if n else ["cpu"]


def default_executor(n_jobs: int, workers: int | None = None, threads: int | None = None, stack: int = 1):
    """Where a plan of `n_jobs` trainings runs. With GPUs: `workers` trainings at once in all
    (default GPU_AT_ONCE per GPU, no more than there are jobs), each in its own process with
    `threads` CPU threads (default 1), the GPUs dealt out among them in turn; one training per
    GPU, or a lone one, runs in this process. On the CPU, `workers` processes (default: one per
    core this process may use, no more than there are jobs) of `threads` threads each (default:
    those cores shared among them). A process given fewer torch threads than cores
    (OMP_NUM_THREADS, a page among others) keeps to them. `stack`: the most models trained as one
    stacked model (1: each alone)."""
    if torch.cuda.is_available():
        gpus = default_devices()
        workers = workers or max(min(GPU_AT_ONCE * len(gpus), n_jobs), 1)
        if workers <= len(gpus):
            return LocalExecutor(gpus[:workers], threads=threads, stack=stack)
        return ProcessExecutor(workers, threads or 1, stack, devices=gpus)
    cores = page_cores()
    workers = workers or max(min(cores, n_jobs), 1)
    threads = threads or max(cores // workers, 1)
    if workers == 1:
        return LocalExecutor(["cpu"], threads=threads, stack=stack)
    return ProcessExecutor(workers, threads, stack)


class LocalExecutor:
    """Trains in this process: one model at a time on the CPU or the one GPU; with several
    devices, one model per device at a time (a thread each: torch releases the GIL inside its
    kernels). `threads`: the CPU threads torch uses here (None: as set); `stack`: the most models
    trained as one stacked model."""

    def __init__(self, devices: Iterable[str] | None = None, threads: int | None = None, stack: int = 1):
        self.devices = list(devices) if devices is not None else default_devices()
        self.slots, self.threads, self.stack = len(self.devices), threads, _checked_stack(stack)

    def describe(self) -> str:
        where = f"{self.slots} at once on {', '.join(self.devices)}" if self.slots > 1 else f"on {self.devices[0]}"
        return where + _stacked(self.stack)

    def measure(self, plan: Plan) -> dict:
        from aelib.jobs.estimate import measure
        prepare(self.threads)
        return measure(plan.speed_keys(), _timing_images(plan.datasets), self.devices[0])

    def run(self, plan: Plan, on_epoch: OnEpoch) -> Iterator[tuple[int, Run | Exception]]:
        prepare(self.threads)
        units = [_members(plan, u) for u in plan.units(self.stack)]
        if self.slots == 1:
            store = as_store(plan.cache_dir)
            for unit in units:
                # held while it trains, as a lone training holds it: a page training the same run waits
                with ExitStack() as held:
                    for _, job in unit:
                        held.enter_context(store.locked(plan.path(job)))
                    results = _guarded(unit, plan.datasets, self.devices[0], on_epoch, 1)
                yield from results  # released first: run_plan takes it again to store the run
            return
        mine, devices = threading.local(), iter(self.devices)  # each pool thread keeps one device for life
        pool = ThreadPoolExecutor(self.slots, "aelib-train", initializer=lambda: setattr(mine, "device", next(devices)))
        try:
            futures = [pool.submit(lambda u: _guarded(u, plan.datasets, mine.device, on_epoch, self.slots), u)
                       for u in units]
            for fut in as_completed(futures):
                yield from fut.result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def _timing_images(datasets: dict) -> torch.Tensor:
    """A few training images for timing steps (the first dataset's; the speed is the same)."""
    return next(iter(datasets.values())).train_images[:2048]


def _checked_stack(stack: int) -> int:
    if isinstance(stack, bool) or not isinstance(stack, int) or stack < 1:
        raise ValueError(f"stack must be a whole number >= 1, got {stack!r}")
    return stack


def _stacked(stack: int) -> str:
    return f", up to {stack} models stacked as one" if stack > 1 else ""


Unit = list[tuple[int, Job]]  # jobs that train as one, with their indices in plan.todo


def _members(plan: Plan, unit: tuple[int, ...]) -> Unit:
    return [(i, plan.todo[i]) for i in unit]


def _guarded(unit: Unit, datasets: dict, device: str, on_epoch: OnEpoch, at_once: int
             ) -> list[tuple[int, Run | Exception]]:
    """Each job's index and its run, or the exception the unit's training raised."""
    for i, _ in unit:
        on_epoch(i, 0)
    jobs = [job for _, job in unit]
    try:
        runs = train_unit(jobs, datasets[jobs[0].config.dataset], device,
                          lambda k, epoch: on_epoch(unit[k][0], epoch), at_once)
    except Exception as e:  # noqa: BLE001 (reported with its config by run_plan; the others go on)
        return [(i, e) for i, _ in unit]
    return [(i, run) for (i, _), run in zip(unit, runs)]


# --- worker processes ----------------------------------------------------------------------------

_worker: dict = {}  # inside a worker process: its datasets and the queue its progress goes to


def _init(threads: int, datasets: dict, events, at_once: int, parent: int, devices: list[str], started) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the workers
    try:  # die with the parent, even when it is killed (no orphan trains on for nothing)
        ctypes.CDLL(ctypes.util.find_library("c")).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died while this worker started, before the signal was asked for
        os._exit(1)
    prepare(threads)
    with started.get_lock():  # the k-th worker to start takes the k-th device, in turn
        device = devices[started.value % len(devices)]
        started.value += 1
    _worker.update(datasets=datasets, events=events, at_once=at_once, device=device)


def _work(unit: Unit) -> list[tuple[int, Run | Exception]]:
    events = _worker["events"]
    return _guarded(unit, _worker["datasets"], _worker["device"], lambda i, e: events.put((i, e)), _worker["at_once"])


def _measure(keys: list) -> dict:
    from aelib.jobs.estimate import measure
    return measure(keys, _timing_images(_worker["datasets"]), _worker["device"])


class ProcessExecutor:
    """`workers` processes with `threads` torch threads each, started once per plan (spawned, so
    that no thread pool is inherited half-initialised); each receives the plan's datasets once.
    Jobs go out in the plan's order (longest first) to whichever worker is free; progress comes
    back on a queue. A worker that dies fails the jobs it had and those still queued. `stack`: the
    most models a worker trains as one stacked model. `devices`: where the workers train, dealt
    out in turn (several workers may share a GPU)."""

    def __init__(self, workers: int, threads: int = 1, stack: int = 1, devices: Iterable[str] = ("cpu",)):
        if workers < 1 or threads < 1:
            raise ValueError(f"workers and threads must be >= 1, got workers={workers}, threads={threads}")
        self.workers, self.threads, self.slots, self.stack = workers, threads, workers, _checked_stack(stack)
        self.devices = list(devices)
        if not self.devices:
            raise ValueError("devices must name at least one device")
        self._pool, self._events = None, None

    def describe(self) -> str:
        threads = f"{self.threads} thread{'s' if self.threads > 1 else ''}"
        where = "" if self.devices == ["cpu"] else f" on {', '.join(self.devices)}"
        return f"{self.workers} worker processes of {threads} each{where}" + _stacked(self.stack)

    def _start(self, plan: Plan) -> ProcessPoolExecutor:
        if self._pool is None:
            ctx = mp.get_context("spawn")
            self._events = ctx.Queue()
            self._pool = ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=_init,
                                             initargs=(self.threads, plan.datasets, self._events, self.workers,
                                                       os.getpid(), self.devices, ctx.Value("i", 0)))
        return self._pool

    def measure(self, plan: Plan) -> dict:
        """Seconds of one training step of each of the plan's architectures, timed in the
        workers, all busy at once, as they will be when they train."""
        keys = plan.speed_keys()
        pool = self._start(plan)
        parts = [pool.submit(_measure, keys[k::self.workers]) for k in range(self.workers)]
        return {k: v for f in parts for k, v in f.result().items()}

    def run(self, plan: Plan, on_epoch: OnEpoch) -> Iterator[tuple[int, Run | Exception]]:
        pool = self._start(plan)
        stop = threading.Event()

        def relay():  # the workers' per-epoch events, to the caller's progress
            while not stop.is_set():
                try:
                    on_epoch(*self._events.get(timeout=0.2))
                except queue.Empty:
                    continue
        relay_thread = threading.Thread(target=relay, name="aelib-progress", daemon=True)
        relay_thread.start()
        futures = {pool.submit(_work, unit): unit for unit in (_members(plan, u) for u in plan.units(self.stack))}
        pending = set(futures)
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    try:
                        yield from fut.result()
                    except Exception as e:  # noqa: BLE001 (a worker died: BrokenProcessPool)
                        yield from ((i, e) for i, _ in futures[fut])
        finally:
            stop.set()
            relay_thread.join()
            self.close(now=bool(pending))

    def close(self, now: bool = False) -> None:
        """Stop the workers; `now`: without waiting for the trainings they run (an interruption)."""
        if self._pool is None:
            return
        if now:
            for p in list(getattr(self._pool, "_processes", {}).values()):  # the pool's own workers
                p.terminate()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool = None
