"""Train every model the pages of one profile need, before any page runs; the pages then run warm.

    python tools/models.py --profile tiny [--scheduler tcp://HOST:PORT] [--cache .cache] [--dry-run]

The jobs of each page come from aelib.book.sections.page_jobs (the function the notebooks call),
with the page's parameters in that profile (profiles/<page>.yaml, read by tools/execute.py) over
its notebook's declared defaults. Models already in the cache are dropped; the plan (how many
models, estimated time) goes to stdout, progress to stderr. Without --scheduler the models train
here (one per GPU when there are several); with it each is a task on that Dask cluster.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from execute import PROFILES, ROOT, page_profile, pages  # tools/ is sys.path[0] when run as a script

from aelib.book.page import declared_parameters, literal
from aelib.jobs.plan import LocalExecutor, TrainingError, plan, run_plan


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
    args = ap.parse_args(argv)

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
        executor = LocalExecutor()
    print(f"profile {args.profile}: {todo.summary(executor.slots)}", flush=True)
    if args.dry_run or not todo.todo:
        return 0
    try:
        run_plan(todo, executor, out=sys.stderr)
    except TrainingError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        getattr(executor, "close", lambda: None)()  # a Dask client's connection
    return 0


if __name__ == "__main__":
    sys.exit(main())
