"""Train every model the pages of one profile need, before any page runs; the pages then run warm.

    python tools/models.py --profile tiny [--scheduler tcp://HOST:PORT] [--cache .cache] [--dry-run]
                           [--workers N] [--threads T] [--stack K] [--record PATH]

The jobs of each page come from aelib.book.sections.page_jobs (the function the notebooks call),
with the page's parameters in that profile (profiles/<page>.yaml, read by tools/execute.py) over
its notebook's declared defaults. Models already in the cache are dropped; the plan (how many
models, their FLOPs, the time estimated from training steps timed here first) goes to stdout,
progress to stderr. Without --scheduler the models train here: on the CPU in one worker process
per core with one thread each (--workers and --threads override), one per GPU where there are
GPUs; with it each is a task on that Dask cluster. --stack K trains up to K models that differ
only in seed, noise factor or learning rate as one stacked model (aelib.stack; off by default:
on a 2-core CPU it was slower; try it on a GPU, where one small model leaves the device idle).
--record writes the run's figures as JSON: the plan's FLOPs, the wall time, the matmul peak
measured before and after, and the efficiency.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from execute import PROFILES, ROOT, page_profile, pages  # tools/ is sys.path[0] when run as a script

from aelib.book.page import declared_parameters, literal
from aelib.jobs.estimate import validation_flops
from aelib.jobs.local import default_executor
from aelib.jobs.plan import TrainingError, plan, run_plan


def page_params(page: str, profile: str) -> tuple[str, dict]:
    """The page's source notebook and its parameters in `profile` over the notebook's defaults."""
    source, params = page_profile(page, profile)
    defaults = {name: literal(p["default"])
                for name, p in declared_parameters(ROOT / "notebooks" / f"{source}.ipynb").items()}
    return source, {**defaults, **params}


def profile_jobs(profile: str) -> list:
    from aelib.book.sections import page_jobs  # imported late: it pulls in the pages' own modules

    jobs = []
    for page in pages():
        source, params = page_params(page, profile)
        jobs += page_jobs(source, params)
    return jobs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", default="full", choices=PROFILES)
    ap.add_argument("--scheduler", help="a Dask scheduler's address, tcp://HOST:PORT (default: train here)")
    ap.add_argument("--cache", type=Path, default=ROOT / ".cache", help="the model cache (the notebooks' cache_dir)")
    ap.add_argument("--dry-run", action="store_true", help="print the plan, train nothing")
    ap.add_argument("--workers", type=positive, help="trainings at once on the CPU (default: one per core)")
    ap.add_argument("--threads", type=positive, help="torch threads per training (default: the cores shared out)")
    ap.add_argument("--stack", type=positive, default=1,
                    help="the most models of one architecture trained as one stacked model (default 1: each alone)")
    ap.add_argument("--record", type=Path, help="write the run's FLOPs, wall time, peaks and efficiency here (JSON)")
    args = ap.parse_args(argv)
    if args.scheduler and args.stack > 1:
        ap.error("--stack applies to training here; a Dask cluster trains each model as one task")

    todo = plan(profile_jobs(args.profile), args.cache)
    if args.scheduler and todo.todo and not args.dry_run:
        from aelib.jobs.cluster import DaskExecutor  # distributed is imported only when a cluster is used
        try:
            executor = DaskExecutor(args.scheduler)
        except OSError as e:
            print(f"no Dask scheduler answers at {args.scheduler} ({e}); start one with `dask scheduler` "
                  f"and workers with `dask worker {args.scheduler}`", file=sys.stderr)
            return 2
    else:
        executor = default_executor(len(todo.todo), args.workers, args.threads, args.stack)
    try:
        return _train(args, todo, executor)
    finally:
        getattr(executor, "close", lambda: None)()  # the worker processes, a Dask client's connection


def positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}")
    return int(text)


def peak_gflops(tries: int = 3) -> float:
    """The matmul peak now of the device that trains (the first GPU, or the CPU): the best of a
    few measurements, so that a moment's disturbance (another process waking up) does not halve it."""
    from aelib.bench import matmul_peak_gflops
    from aelib.runtime import pick_device
    return max(matmul_peak_gflops(device=str(pick_device())) for _ in range(tries))


def _train(args, todo, executor) -> int:
    peak_before = peak_gflops() if args.record and todo.todo and not args.dry_run else None
    t0 = time.perf_counter()
    if todo.todo and hasattr(executor, "measure"):
        todo = todo.timed(executor.measure(todo))  # a few seconds of training steps on this machine
    measured = time.perf_counter() - t0
    print(f"profile {args.profile}: {todo.summary(executor.slots)}\ntraining {executor.describe()}", flush=True)
    if args.dry_run or not todo.todo:
        return 0
    try:
        run_plan(todo, executor, out=sys.stderr)
    except TrainingError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    wall = time.perf_counter() - t0
    if args.record:
        getattr(executor, "close", lambda: None)()  # the workers' memory back before the peak is measured
        record = efficiency_record(sum(todo.flops), wall, peak_before, peak_gflops())
        val = sum(validation_flops(j.config) for j in todo.todo)
        record.update(validation_flops=val, efficiency_with_validation=(record["flops"] + val) / (
            record["peak_gflops"] * 1e9) / wall)
        record.update(models=len(todo.todo), workers=executor.slots, measure_seconds=measured, estimated_seconds=todo.wall_seconds(
            executor.slots), executor=executor.describe())
        args.record.parent.mkdir(parents=True, exist_ok=True)
        args.record.write_text(json.dumps(record, indent=1) + "\n")
        print(f"{record['flops'] / 1e12:.1f} TFLOP in {wall:.0f} s: {record['efficiency']:.0%} of the matmul peak "
              f"({record['peak_gflops']:.0f} GFLOP/s, the mean of {peak_before:.0f} before and "
              f"{record['peak_after_gflops']:.0f} after)", file=sys.stderr)
    return 0


def efficiency_record(flops: float, wall: float, peak_before: float, peak_after: float) -> dict:
    """FLOP-weighted efficiency of a training job against the matmul peak of the same run (the
    mean of the peaks measured before and after it: a machine that slows or speeds up during
    the job is judged by its average)."""
    peak = (peak_before + peak_after) / 2
    return {"flops": flops, "wall_seconds": wall, "peak_before_gflops": peak_before, "peak_after_gflops": peak_after,
            "peak_gflops": peak, "arithmetic_seconds": flops / (peak * 1e9),
            "efficiency": flops / (peak * 1e9) / wall}


if __name__ == "__main__":
    sys.exit(main())
