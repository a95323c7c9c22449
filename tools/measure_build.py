"""Measure the book's build time from a cold and from a warm model cache, per notebook.

    python tools/measure_build.py --profile quick [--out measurements/build_times.json] [--results DIR]

Cold, as `make book` runs it: a new, empty cache directory, every model the profile needs
trained first by the planned job (tools/models.py, timed apart), then every page. Warm: the
same notebooks again with that cache filled; a warm run must train nothing, which is checked by
comparing the cache's model files before and after. The site build (jupyter-book) is timed too,
and the training seconds of every model the cold run trained are read back from the cache.
Results are merged into the JSON file under the profile's name, with the commit measured; the
Performance page reads it.

    python tools/measure_build.py --profile full --cache DIR --added      # then, after changes:
    python tools/measure_build.py --profile full --cache DIR --warm-only

keep a recorded cold build's figures and add, on its cache, the training of the models the plan
has gained since (timed apart, with their commit), then a warm rebuild of the current pages.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aelib.runs import training_seconds
from execute import pages

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _models(cache: Path) -> dict[str, float]:
    return {p.name: p.stat().st_mtime for p in (cache / "runs").glob("*.pt")} if (cache / "runs").exists() else {}


def _train(profile: str, cache: Path) -> tuple[float, dict]:
    """The planned training job (`make models`) into `cache`: its wall seconds, and its record
    (the plan's FLOPs, the matmul peak before and after, the efficiency: tools/models.py --record)."""
    record = cache / "training-record.json"
    t0 = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "tools" / "models.py"), "--profile", profile, "--cache", str(cache),
                    "--record", str(record)], check=True, cwd=ROOT)
    seconds = time.perf_counter() - t0
    return seconds, json.loads(record.read_text()) if record.exists() else {}


def _execute(stems: list[str], profile: str, cache: Path, out: Path, jobs: int) -> dict:
    """The pages executed into `out`, `jobs` section pages at a time: {"pages": {page: seconds},
    "wall": seconds} (with jobs > 1 the pages overlap, so their times add up to more than the
    wall; a page whose inputs did not change is kept, at 0 s)."""
    times = out.parent / "page-times.json"
    t0 = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "tools" / "execute.py"), *stems, "--profile", profile,
                    "--out", str(out), "--cache-dir", str(cache), "--jobs", str(jobs), "--times", str(times)],
                   check=True, cwd=ROOT)
    return {"pages": json.loads(times.read_text()), "wall": time.perf_counter() - t0}


def _site(out: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run([str(BIN / "jupyter-book"), "build", str(out.parent), "-W", "-n", "--keep-going", "-q"],
                   check=True, capture_output=True)
    subprocess.run([sys.executable, str(ROOT / "tools" / "trim_site.py"), str(out.parent / "_build" / "html")],
                   check=True, capture_output=True)
    return time.perf_counter() - t0


def _book_copy(tmp: Path) -> Path:
    """A book root in `tmp` with the configuration and the hand-written pages; returns its book/."""
    book = tmp / "root" / "book"
    book.mkdir(parents=True)
    for name in ("_config.yml", "_toc.yml"):
        (tmp / "root" / name).write_text((ROOT / name).read_text())
    for page in (ROOT / "book").glob("*.md"):
        (book / page.name).write_text(page.read_text())
    shutil.copytree(ROOT / "demos", tmp / "root" / "demos", ignore=shutil.ignore_patterns("data"))  # the live demos
    return book


def _stems(chosen: list[str] | None) -> list[str]:
    return chosen or pages()


def _warm(stems: list[str], profile: str, cache: Path, book: Path, jobs: int) -> dict:
    """The timed warm pass over a filled cache, and the models it retrained (there should be none).
    Its total is the pages' wall time plus the site's."""
    before = _models(cache)
    warm = _execute(stems, profile, cache, book, jobs)
    warm_site = _site(book)
    return {"warm": warm["pages"], "warm_site": warm_site, "warm_total": warm["wall"] + warm_site,
            "models_trained_when_warm": sorted(k for k, v in _models(cache).items() if before.get(k) != v)}


def measure(profile: str, cache: Path | None = None, chosen: list[str] | None = None,
            results: Path | None = None, jobs: int = 1) -> dict:
    """Cold then warm; `cache` (a directory that must not exist yet) keeps the trained models
    for later use, otherwise they go with a temporary directory; `results`, if given, receives
    the cold pass's result files."""
    stems = _stems(chosen)
    if cache is not None and cache.exists():
        raise SystemExit(f"{cache} exists: a cold measurement needs a cache directory that does not exist yet")
    with tempfile.TemporaryDirectory() as tmp:
        cache, book = cache.resolve() if cache else Path(tmp) / "cache", _book_copy(Path(tmp))
        cold_models, training = _train(profile, cache)
        cold = _execute(stems, profile, cache, book, jobs)
        cold_site = _site(book)
        if results is not None:
            shutil.copytree(book / "results", results, dirs_exist_ok=True)
        per_model, models = training_seconds(cache), len(_models(cache))
        warm = _warm(stems, profile, cache, book, jobs)
    cold_total = cold_models + cold["wall"] + cold_site
    return {"cold_models": cold_models, "cold": cold["pages"], "cold_site": cold_site, "cold_total": cold_total,
            "training": training, "cold_to_arithmetic": cold_total / training["arithmetic_seconds"]
            if training else None, "jobs": jobs, **warm, "models": models, "cold_training": per_model,
            "machine": {"platform": platform.platform(), "cpu_count": __import__("os").cpu_count()},
            "date": time.strftime("%Y-%m-%d"), "commit": commit()}


def commit() -> str:
    """The code measured: the commit, with "+changes" when the working tree differs from it."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                           text=True).stdout.strip()
    return head + ("+changes" if dirty else "") if head else "unknown"


def measure_added(profile: str, cache: Path, recorded: dict) -> dict:
    """On a cache that holds a recorded cold build's models, train what the profile's plan needs
    beyond them (models added to the book since that build), timed as `make models` runs it; and
    list the recorded build's models that the plan no longer trains (`dropped_training`). On a
    cache that also holds the models of an earlier --added pass, only the plan's newer models
    train: the earlier pass's figures are kept and this pass's are added to them (`added_runs`:
    one entry per pass), and an earlier-added model the plan has dropped since joins the dropped."""
    from models import profile_jobs  # tools/models.py

    if not (cache / "runs").is_dir():
        raise SystemExit(f"{cache} holds no models: --added needs the cache of a recorded cold build")
    before = set(_models(cache))
    seconds, _ = _train(profile, cache)
    new = training_seconds(cache, only=set(_models(cache)) - before)
    planned = [job.config.to_dict() for job in profile_jobs(profile)]
    earlier = recorded.get("added_training", [])
    runs = recorded.get("added_runs") or ([{"commit": recorded.get("added_commit", "unrecorded"),
                                            "date": recorded.get("added_date"), "seconds": recorded["added_models"],
                                            "models": len(earlier)}] if earlier else [])
    runs = [*runs, {"commit": commit(), "date": time.strftime("%Y-%m-%d"), "seconds": seconds, "models": len(new)}]
    return {"added_models": sum(r["seconds"] for r in runs), "added_training": [*earlier, *new], "added_runs": runs,
            "dropped_training": [r for r in [*recorded.get("cold_training", []), *earlier] if r["config"] not in planned],
            "added_commit": ", ".join(dict.fromkeys(r["commit"] for r in runs)), "added_date": time.strftime("%Y-%m-%d")}


def measure_warm(profile: str, cache: Path, chosen: list[str] | None = None, results: Path | None = None,
                 jobs: int = 1) -> dict:
    """Warm only, from an existing cache that already holds this profile's models: every page is
    executed once to fill what the cache may still lack, then again, timed; the second pass must
    train nothing."""
    stems = _stems(chosen)
    if not (cache / "runs").is_dir():
        raise SystemExit(f"{cache} holds no models: --warm-only needs a filled cache")
    with tempfile.TemporaryDirectory() as tmp:
        book = _book_copy(Path(tmp))
        _execute(stems, profile, cache.resolve(), book, jobs)
        warm = _warm(stems, profile, cache.resolve(), book, jobs)
        if results is not None:
            shutil.copytree(book / "results", results, dirs_exist_ok=True)
    return {**warm, "warm_date": time.strftime("%Y-%m-%d"), "warm_commit": commit(), "warm_jobs": jobs}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", default="quick", choices=("full", "quick", "tiny"))
    ap.add_argument("--out", type=Path, default=ROOT / "measurements" / "build_times.json")
    ap.add_argument("--cache", type=Path, help="keep the models in this new directory (default: a temporary one)")
    ap.add_argument("--pages", nargs="+", help="only these pages (default: every profiles/<page>.yaml)")
    ap.add_argument("--results", type=Path, help="copy the cold (or --warm-only) pass's result files here")
    ap.add_argument("--warm-only", action="store_true",
                    help="measure the warm rebuild alone with --cache (filled); keeps the recorded cold figures")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                    help="section pages executed at a time (make notebooks JOBS=N; default: one per core)")
    ap.add_argument("--added", action="store_true",
                    help="train, timed, what the plan adds to --cache (a recorded cold build's models); keeps the "
                         "recorded figures")
    args = ap.parse_args(argv)
    table = json.loads(args.out.read_text()) if args.out.exists() else {}
    if args.warm_only or args.added:
        if args.cache is None or args.profile not in table:
            raise SystemExit("--warm-only and --added need --cache and a cold measurement of the profile already "
                             "recorded")
        extra = measure_added(args.profile, args.cache, table[args.profile]) if args.added else measure_warm(args.profile, args.cache,
                                                                                         args.pages, args.results,
                                                                                         args.jobs)
        result = {**table[args.profile], **extra}
    else:
        result = measure(args.profile, args.cache, args.pages, args.results, args.jobs)
    table[args.profile] = result
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(table, indent=1) + "\n")
    print(f"{args.profile}: cold {result['cold_total']:.0f} s, warm {result['warm_total']:.0f} s, "
          f"models retrained when warm: {len(result['models_trained_when_warm'])}"
          + (f"; {len(result['added_training'])} models added in {result['added_models']:.0f} s" if args.added else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
