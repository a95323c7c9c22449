"""Execute section notebooks with papermill into the book, with one profile's parameters.

    python tools/execute.py 01_epochs 02_learning_rate --profile quick [--out book] [-p name value]

Each page of the book has a file profiles/<page>.yaml with its parameters per profile (keys:
full, quick, tiny; `full` is usually the notebook's own defaults, the report's settings) and,
when the page is not notebooks/<page>.ipynb itself, `source: <notebook>`: one notebook executed
with other parameters makes another page. Values may be overridden with -p. Unknown parameter names are
refused before anything runs. The executed copy is stripped of run-to-run noise (timings,
execution counts' metadata) so that the book's sources change only when results do. The wall
time of each notebook goes to <out>/timings/<stem>.json, with a digest of everything the
execution read (`inputs_key`): a page whose inputs have not changed since it was executed into
<out> is kept as it is, not executed again (--force executes it all the same).
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import os
import sys
import time
from pathlib import Path

import nbformat
import papermill as pm
import yaml

from aelib.book.page import declared_parameters
from aelib.config import parse_value

ROOT = Path(__file__).resolve().parent.parent
PROFILES = ("full", "quick", "tiny")


def pages() -> list[str]:
    """Every page of the book in execution order (profiles/pages.txt, which `make notebooks` reads)."""
    lines = (ROOT / "profiles" / "pages.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def page_profile(page: str, profile: str) -> tuple[str, dict]:
    """The page's source notebook and its parameters in `profile`."""
    path = ROOT / "profiles" / f"{page}.yaml"
    table = (yaml.safe_load(path.read_text()) if path.exists() else None) or {}
    if profile not in PROFILES:
        raise SystemExit(f"unknown profile {profile!r}; choose one of {list(PROFILES)}")
    return table.get("source", page), dict(table.get(profile) or {})


def clean(path: Path) -> None:
    """Drop what differs between two executions with the same results; hide the injected cell."""
    nb = nbformat.read(path, as_version=4)
    nb.metadata.pop("papermill", None)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags:
            cell.id = "injected-parameters"
            if "remove-cell" not in tags:
                tags.append("remove-cell")
    nbformat.write(nb, path)


def relative(path: str | Path) -> str:
    """A folder as the page receives it and prints it (in its parameter box and re-run command):
    relative to the repository, the kernel's working directory, so that no page shows a path of
    the machine that built it and the command works in a reader's own clone."""
    return os.path.relpath(os.path.abspath(path), ROOT)


READERS = ("index", "performance", "reproducibility")  # pages that read the others' results: run after them, in order


def inputs_key(stem: str, src: Path, params: dict, out: Path) -> str:
    """A digest of what executing page `stem` reads: its notebook, its parameters, the library's
    code, the recorded measurements, the software's versions, and, for a page that reads the
    other pages' results, the result and timing files of the pages executed before it. The
    models it reads are named by its parameters and the code (their cache keys); the data by
    its checksum, checked on every load."""
    h = hashlib.sha256(json.dumps({"page": stem, "params": params, "python": sys.version,
                                   "torch": importlib.metadata.version("torch")}, sort_keys=True, default=str).encode())
    files = [src, *sorted((ROOT / "aelib").rglob("*.py")), *sorted((ROOT / "measurements").glob("*.json"))]
    if stem in READERS:
        before = set(READERS[:READERS.index(stem)])
        files += [p for p in sorted((out / "results").rglob("*.json")) + sorted((out / "timings").glob("*.json"))
                  if p.stem not in READERS or p.stem in before]
    for f in files:
        h.update(f.name.encode() + f.read_bytes())
    return h.hexdigest()


def execute(stem: str, profile: str, out: Path, overrides: dict, position: str, cache_dir: str | None = None,
            force: bool = False) -> float:
    """Execute page `stem` into `out` unless it is there already from the same inputs; the
    seconds this took."""
    source, params = page_profile(stem, profile)
    src = ROOT / "notebooks" / f"{source}.ipynb"
    if not src.exists():
        raise SystemExit(f"no notebook {src}")
    params = {**params, **overrides}
    declared = set(declared_parameters(src))
    if cache_dir is not None and "cache_dir" in declared:  # pages that only read results have none
        params["cache_dir"] = relative(cache_dir)
    params.setdefault("results_dir", relative(out / "results"))
    if "live_dir" in declared:  # the live demos' files: the site's live/ folder, beside the book's pages
        params.setdefault("live_dir", relative(out.parent / "demos" / "live"))
    unknown = set(params) - declared
    if unknown:
        raise SystemExit(f"{stem}: unknown parameter(s) {sorted(unknown)}; the notebook declares {sorted(declared)}")
    dest = out / f"{stem}.ipynb"
    timing = out / "timings" / f"{stem}.json"
    key = inputs_key(stem, src, params, out)
    if not force and dest.exists() and timing.exists() and json.loads(timing.read_text()).get("inputs") == key:
        print(f"[{position}] {stem} ({profile}): unchanged since it was executed, kept", flush=True)
        return 0.0
    out.mkdir(parents=True, exist_ok=True)
    print(f"[{position}] {stem} ({profile}) ...", flush=True)
    t0 = time.perf_counter()
    pm.execute_notebook(str(src), str(dest), parameters=params, cwd=str(ROOT), kernel_name="python3",
                        progress_bar=sys.stderr.isatty(), record_timing=False)
    seconds = time.perf_counter() - t0
    clean(dest)
    timing.parent.mkdir(parents=True, exist_ok=True)
    timing.write_text(json.dumps({"notebook": stem, "profile": profile, "seconds": seconds, "inputs": key}) + "\n")
    print(f"[{position}] {stem} done in {seconds:.1f} s", flush=True)
    return seconds


def last_seconds(out: Path, profile: str, record: Path = ROOT / "measurements" / "build_times.json") -> dict:
    """Each page's seconds at its last execution into `out` with `profile`; for a page not executed
    so there (a fresh clone), its seconds in the cold build of `profile` that `record` holds
    (tools/measure_build.py)."""
    seconds = json.loads(record.read_text()).get(profile, {}).get("cold", {}) if record.exists() else {}
    for path in (out / "timings").glob("*.json"):
        timing = json.loads(path.read_text())
        if timing.get("profile") == profile:
            seconds = {**seconds, path.stem: timing["seconds"]}
    return seconds


def execute_all(stems: list[str], profile: str, out: Path, overrides: dict, cache_dir: str | None,
                jobs: int = 1, force: bool = False) -> dict[str, float]:
    """Every page of `stems`; with jobs > 1 the section pages run that many at a time (each in its
    own kernel: with the models trained beforehand they only read the cache; two pages that need
    the same untrained model wait for each other at its lock), then the pages that read their
    results, one after another. Returns each page's seconds, in `stems` order."""
    from concurrent.futures import ThreadPoolExecutor
    pos = {stem: f"{i}/{len(stems)}" for i, stem in enumerate(stems, 1)}
    sections = [s for s in stems if s not in READERS]
    at_once = min(jobs, len(sections))
    if at_once > 1:  # the kernels share the cores out (a kernel inherits this environment); a user's setting stays
        os.environ.setdefault("OMP_NUM_THREADS", str(max((os.cpu_count() or 1) // at_once, 1)))
    before = last_seconds(out, profile)
    sections.sort(key=lambda s: -before.get(s, 0.0))  # the slowest first: the long pages do not finish last
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {s: pool.submit(execute, s, profile, out, overrides, pos[s], cache_dir, force) for s in sections}
        times = {s: f.result() for s, f in futures.items()}
    times.update({s: execute(s, profile, out, overrides, pos[s], cache_dir, force) for s in stems if s in READERS})
    return {s: times[s] for s in stems}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("stems", nargs="+", help="page names (profiles/<page>.yaml), e.g. 01_epochs")
    ap.add_argument("--profile", default="full", choices=PROFILES)
    ap.add_argument("--out", type=Path, default=ROOT / "book", help="where executed notebooks go")
    ap.add_argument("-p", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                    help="override one parameter (value parsed as YAML)")
    ap.add_argument("--cache-dir", help="the model cache of every page that has one (default: each notebook's own)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                    help="section pages executed at a time (default: one per core; each page's kernel then "
                         "trains on its share of the cores)")
    ap.add_argument("--force", action="store_true", help="execute every page, even one whose inputs have not changed")
    ap.add_argument("--times", type=Path, help="write {page: seconds this run spent on it} here (JSON; 0 for a kept page)")
    args = ap.parse_args(argv)
    overrides = {k: parse_value(v) for k, v in args.p}
    times = execute_all(args.stems, args.profile, args.out.resolve(), overrides, args.cache_dir, args.jobs,
                        args.force)
    if args.times:
        args.times.write_text(json.dumps(times, indent=1) + "\n")
    if len(times) > 1:
        print(f"\n{'notebook':28} {'seconds':>8}")
        for stem, seconds in times.items():
            print(f"{stem:28} {seconds:8.1f}")
        print(f"{'total (' + args.profile + ')':28} {sum(times.values()):8.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
