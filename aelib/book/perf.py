"""The Performance page's numbers: recorded measurements (measurements/bench.json from
`python -m aelib.bench`, measurements/build_times.json from tools/measure_build.py) and the
wall times tools/execute.py wrote for this execution, each set against the book's speed targets."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from aelib.book.page import plural
from aelib.book.results import read_json

# The speed targets, each a ratio within one run (machines here differ by 2x from day to day), but
# the warm rebuild's, which is mostly start-up and reading.
TRAIN_EFFICIENCY = 0.60  # make models: the plan's training FLOPs / (wall time x the same run's matmul peak)
COLD_TO_ARITHMETIC = 2.0  # a cold build (set-up excluded) against its arithmetic: the FLOPs at that peak
WARM_S = 60  # a warm rebuild, with zero trainings
GPU_BOOK_S = 300  # the full book (models, pages, site) on a GPU machine: tools/gpu_book.sh
GPU_STEPS = ("models", "pages", "site")  # what that build is made of

LOOPS = {"textbook_b64": "textbook loop, batch 64", "ours_b64": "ours, batch 64", "ours_b256": "ours, batch 256"}
MODELS = {"mlp": "MLP", "conv": "conv"}
PROFILES = ("full", "quick")  # the profiles whose builds are measured
MEASURE = "python tools/measure_build.py --profile {}"
NOT_MEASURED = "not measured yet"


def verdict(ok: bool) -> str:
    return "holds" if ok else "does not hold"


def _need(table: dict, keys, where: str) -> None:
    missing = [k for k in keys if k not in table]
    if missing:
        raise ValueError(f"{where} lacks {', '.join(missing)}: record it again")


# --- training throughput (bench.json) ------------------------------------------------------------

def check_bench(bench: dict) -> dict:
    _need(bench, ("peak_gflops", "models"), "bench.json")
    for kind in MODELS:
        _need(bench["models"], (kind,), "bench.json's models")
        _need(bench["models"][kind], [*LOOPS, *(f"{k}_gflops" for k in LOOPS),
                                      *(f"{k}_fraction_of_peak" for k in LOOPS), "speedup_b64_vs_textbook"],
              f"bench.json's {kind} entry")
    return bench


def bench_table(bench: dict) -> pd.DataFrame:
    """One row per (model, training loop): images per second, GFLOP/s and fraction of the peak."""
    check_bench(bench)
    rows = [{"model": MODELS[kind], "training loop": label, "images/s": row[key],
             "GFLOP/s": row[f"{key}_gflops"], "fraction of peak": row[f"{key}_fraction_of_peak"]}
            for kind, row in bench["models"].items() if kind in MODELS for key, label in LOOPS.items()]
    return pd.DataFrame(rows).set_index(["model", "training loop"])


# --- the book's build time (build_times.json) -------------------------------------------------

def check_build(times: dict) -> dict:
    for profile, entry in times.items():
        if not isinstance(entry, dict):
            raise ValueError(f"build_times.json's {profile!r} should be an object")
        _need(entry, ("cold", "warm", "cold_site", "warm_site", "cold_total", "warm_total",
                      "models_trained_when_warm"), f"build_times.json's {profile!r} entry")
        if not entry["cold"] or not entry["warm"]:
            raise ValueError(f"build_times.json's {profile!r} entry has no page: record it again")
    return times


def measured_profiles(times: dict | None) -> list[str]:
    return [p for p in PROFILES if times and p in times]


def build_table(times: dict, profile: str) -> pd.DataFrame:
    """One row per page, then the site build and the total: seconds from a cold and a warm cache.
    The rows are every page measured in any profile, in the book's order (sections first), so
    that the tables of two profiles line up; a page this profile did not measure is NaN."""
    times = check_build(times)
    entry = times[profile]
    pages = sorted({page for e in times.values() for page in (*e["cold"], *e["warm"])})
    table = pd.DataFrame({"cold cache (s)": [entry["cold"].get(p) for p in pages],
                          "warm cache (s)": [entry["warm"].get(p) for p in pages]}, index=pages, dtype=float)
    table.loc["site (jupyter-book)"] = [entry["cold_site"], entry["warm_site"]]
    table.loc["total"] = [entry["cold_total"], entry["warm_total"]]
    return table.rename_axis("page")


def build_targets(times: dict | None, gpu: dict | None = None) -> list[dict]:
    """The build's three targets for each profile (training efficiency, cold build against its
    arithmetic, warm rebuild), each with its measurement and a computed verdict, then the full
    book on a GPU machine (`gpu`: the record tools/gpu_book.sh writes); a profile or a figure
    not measured yet says so."""
    rows = _profile_targets(check_build(times or {}))
    return rows + [gpu_target(gpu)]


def gpu_target(record: dict | None) -> dict:
    """The full book on a GPU machine within GPU_BOOK_S: the models, pages and site steps of a
    tools/gpu_book.sh record, each of which must have succeeded."""
    target = f"full book on a GPU machine (models, pages, site): within {GPU_BOOK_S // 60} minutes"
    if not record:
        return {"target": target, "measured": "–", "verdict": NOT_MEASURED + " (tools/gpu_book.sh measures it)"}
    _need(record, ("device", "date", "steps"), "gpu_book.json")
    steps = record["steps"]
    missing = [n for n in GPU_STEPS if n not in steps]
    if missing:
        raise ValueError(f"gpu_book.json has no {', '.join(missing)} step: run tools/gpu_book.sh with them")
    total = sum(steps[n]["seconds"] for n in GPU_STEPS)
    failed = [n for n in GPU_STEPS if steps[n]["rc"] != 0]
    measured = (f"{total:,.0f} s on {record['device']}, {record['date']} ("
                + ", ".join(f"{n} {steps[n]['seconds']:,.0f} s" for n in GPU_STEPS) + ")")
    if failed:
        return {"target": target, "measured": measured, "verdict": f"does not hold: {', '.join(failed)} failed"}
    return {"target": target, "measured": measured, "verdict": verdict(total <= GPU_BOOK_S)}


def _profile_targets(times: dict) -> list[dict]:
    rows = []
    for name in PROFILES:
        entry = times.get(name) or {}
        t = entry.get("training")
        rows.append({"target": f"make models, {name} profile: at least {TRAIN_EFFICIENCY:.0%} of the same run's "
                               "matmul peak", "measured": efficiency_measured(t) if t else "–",
                     "verdict": verdict(t["efficiency"] >= TRAIN_EFFICIENCY) if t else NOT_MEASURED})
        ratio = entry.get("cold_to_arithmetic")
        rows.append({"target": f"cold build, {name} profile: within {COLD_TO_ARITHMETIC:g}× its arithmetic",
                     "measured": f"{ratio:.1f}× ({entry['cold_total']:,.0f} s against {t['arithmetic_seconds']:,.0f} s)"
                     if ratio else "–", "verdict": verdict(ratio <= COLD_TO_ARITHMETIC) if ratio else NOT_MEASURED})
        trained = len(entry.get("models_trained_when_warm", []))
        rows.append({"target": f"warm rebuild, {name} profile: within {WARM_S} s, no training",
                     "measured": f"{entry['warm_total']:.0f} s, {plural(trained, 'model')} trained" if entry else "–",
                     "verdict": verdict(entry["warm_total"] <= WARM_S and trained == 0) if entry else NOT_MEASURED})
    return rows


def efficiency_measured(t: dict) -> str:
    """One make-models record in a line: its efficiency and the figures it is made of."""
    return (f"{t['efficiency']:.0%}: {t['flops'] / 1e12:,.1f} TFLOP in {t['wall_seconds']:,.0f} s at "
            f"{t['peak_gflops']:.0f} GFLOP/s ({t['peak_before_gflops']:.0f} before, {t['peak_after_gflops']:.0f} after)")


def engine_table(times: dict | None) -> pd.DataFrame:
    """One row per profile whose make-models run is recorded: how it trained, the same-run peak,
    the plan's FLOPs, the wall time, the efficiency, and the cold build against its arithmetic."""
    rows = []
    for name in PROFILES:
        entry = (times or {}).get(name) or {}
        t = entry.get("training")
        if not t:
            continue
        rows.append({"profile": name, "trained by": t["executor"], "models": t["models"],
                     "TFLOP": t["flops"] / 1e12, "peak (GFLOP/s)": t["peak_gflops"],
                     "at the peak (s)": t["arithmetic_seconds"], "make models (s)": t["wall_seconds"],
                     "efficiency": t["efficiency"], "cold build (s)": entry["cold_total"],
                     "cold / arithmetic": entry["cold_to_arithmetic"]})
    return pd.DataFrame(rows).set_index("profile") if rows else pd.DataFrame()


def model_label(cfg: dict) -> str:
    """A short name for a trained config: kind and code size, then what sets it apart."""
    parts = [f"{cfg['model']}-{cfg['latent']}", f"{cfg['epochs']} epochs", f"lr {cfg['lr']:g}"]
    if cfg.get("train_size"):
        parts.append(f"{cfg['train_size']:,} images")
    if cfg.get("train_noise"):
        parts.append(f"{'noise up to' if cfg.get('noise_range') else 'noise'} {cfg['train_noise']:g}")
    if cfg.get("rate_lambda"):
        parts.append(f"λ {cfg['rate_lambda']:g}")
    return ", ".join(parts)


def record_text(times: dict | None, profile: str = "full") -> str:
    """Which code a profile's recorded build measured: the cold build's commit and models, the
    models the plan gained since (trained on the same cache, timed apart) and the warm rebuild's
    commit, so that a reader knows what the figures cover."""
    entry = (times or {}).get(profile)
    if not entry:
        return f"No {profile} build is recorded yet."
    n = len(entry.get("cold_training", [])) or entry.get("models", 0)
    text = (f"The {profile} profile's cold build was measured at commit {entry.get('commit', 'unrecorded')} on "
            f"{entry.get('date', 'an unrecorded date')}: {plural(n, 'model')} trained in {entry['cold_models']:,.0f} s, then "
            f"every page.")
    if entry.get("added_training"):
        added = entry["added_training"]
        at = entry.get("added_commit", "unrecorded")
        text += (f" The plan has since gained {plural(len(added), 'model')}; trained on that build's cache at "
                 f"commit{'s' if ',' in at else ''} {at}, they took {entry['added_models']:,.0f} s more, so a cold "
                 f"build of the current plan needs about {entry['cold_total'] + entry['added_models']:,.0f} s "
                 f"({(entry['cold_total'] + entry['added_models']) / 60:.0f} min), leaving aside what its new pages "
                 f"add besides training.")
        if entry.get("dropped_training"):
            dropped = entry["dropped_training"]
            text += (f" That estimate still counts the {plural(len(dropped), 'recorded model')} the plan no longer "
                     f"trains ({sum(r['seconds'] for r in dropped):,.0f} s of training).")
    if entry.get("warm_commit"):
        jobs = entry.get("warm_jobs", 1)
        text += (f" The warm rebuild was measured again at commit {entry['warm_commit']}, on every current page"
                 + (f", {jobs} section pages at a time (make notebooks JOBS={jobs})." if jobs > 1 else "."))
    return text


def training_share(times: dict, profile: str = "full", top: int = 6) -> tuple[pd.DataFrame, dict]:
    """Where the cold build's time went: the `top` longest trainings (seconds, share of the cold
    total) and a summary {models, training_s, cold_s, rest_s, top_s} of all of them."""
    entry = check_build(times)[profile]
    _need(entry, ("cold_training",), f"build_times.json's {profile!r} entry")
    rows, cold = entry["cold_training"], entry["cold_total"]
    table = pd.DataFrame([{"model": model_label(r["config"]), "training (s)": r["seconds"],
                           "share of the cold build": r["seconds"] / cold} for r in rows[:top]]).set_index("model")
    training = sum(r["seconds"] for r in rows)
    top = rows[0] if rows else {"config": None, "seconds": 0.0}
    return table, {"models": len(rows), "training_s": training, "cold_s": cold, "rest_s": cold - training,
                   "top_s": top["seconds"], "top": model_label(top["config"]) if rows else "–"}


def build_series(times: dict | None) -> dict[str, dict]:
    """For figures.page_times: {"<profile> profile": {"cold cache": {page: s}, "warm cache": ...}}
    for each measured profile."""
    times = check_build(times or {})
    return {f"{p} profile": {"cold cache": times[p]["cold"], "warm cache": times[p]["warm"]}
            for p in measured_profiles(times)}


# --- this execution's wall times (<book>/timings/*.json) -------------------------------------------

def read_timings(timings_dir: str | Path) -> pd.DataFrame:
    """One row per page executed into this book: its profile and wall time in seconds (empty when
    tools/execute.py has written none)."""
    rows = []
    for path in sorted(Path(timings_dir).glob("*.json")):
        entry = read_json(path)
        _need(entry, ("notebook", "profile", "seconds"), str(path))
        rows.append(entry)
    return pd.DataFrame(rows, columns=["notebook", "profile", "seconds"]).set_index("notebook")


def training_efficiency(times: dict, peak_gflops: float, profile: str = "full") -> tuple[pd.DataFrame, dict]:
    """How much of the matmul peak each training of the cold build used (and of the models added
    to the plan since, trained on its cache: `measure_build.py --added`): its floating-point work
    (aelib.jobs.estimate.train_flops: training images times epochs) over its seconds,
    over its share of the peak (the peak over the trainings that ran at once); the total is
    FLOP-weighted (all the work over all the seconds). Validation passes are not counted as
    work, so the figures are slightly low."""
    from aelib.config import TrainConfig
    from aelib.jobs.estimate import train_flops
    entry = check_build(times)[profile]
    _need(entry, ("cold_training",), f"build_times.json's {profile!r} entry")
    if "training" in entry:  # the peak measured around that very job, shared among its workers
        peak_gflops = entry["training"]["peak_gflops"] / entry["training"].get("workers", 1)
    rows = []
    for r in entry["cold_training"] + entry.get("added_training", []):
        flop = train_flops(TrainConfig.from_dict(r["config"]))
        rows.append({"model": model_label(r["config"]), "TFLOP": flop / 1e12, "training (s)": r["seconds"],
                     "fraction of peak": flop / max(r["seconds"], 1e-9) / (peak_gflops * 1e9)})
    table = pd.DataFrame(rows).set_index("model") if rows else pd.DataFrame()
    flop, seconds = sum(r["TFLOP"] for r in rows) * 1e12, sum(r["training (s)"] for r in rows)
    total = {"models": len(rows), "tflop": flop / 1e12, "seconds": seconds,
             "fraction": flop / seconds / (peak_gflops * 1e9) if seconds else float("nan"),
             "seconds_at_peak": flop / (peak_gflops * 1e9)}
    return table, total


def engineering_targets(results_dir) -> list[dict]:
    """Our own targets for the pages beyond the report, as those pages measured them: a codec at
    a sixth of WebP's bytes at 25 dB (05b_real_compression), and a denoising autoencoder ahead of
    every classical denoiser (07b_denoising_benchmark). A page not executed says so."""
    rows = []
    real = read_json(Path(results_dir) / "05b_real_compression.json")
    if real is None:
        rows.append({"target": "our codec at a sixth of WebP's bytes", "measured": "–", "verdict": NOT_MEASURED})
    else:
        t = real["target"]
        measured = (f"{t['bytes_ours']:.1f} B against WebP's {t['bytes_reference']:.1f} B at {t['psnr']:g} dB, "
                    f"{t['ratio']:.2f} times fewer (whole files, {real['n_test']:,} test digits)"
                    if t.get("ratio") else "our curve or WebP's does not reach that quality")
        rows.append({"target": f"our codec at 1/{t['factor']:g} of {t['reference']}'s bytes at {t['psnr']:g} dB",
                     "measured": measured, "verdict": t["verdict_factor"]})
    bench = read_json(Path(results_dir) / "07b_denoising_benchmark.json")
    if bench is None:
        rows.append({"target": "denoising autoencoder ahead of every classical denoiser", "measured": "–",
                     "verdict": NOT_MEASURED})
    else:
        v = bench["verdicts"]["target"]
        rows.append({"target": v["claim"].removeprefix("our target: "), "measured": v["evidence"], "verdict": v["outcome"]})
    return rows


def efficiency_text(total: dict | None) -> str:
    """The Performance page's sentence on the trainings' FLOP-weighted efficiency."""
    if not total:
        return ("No cold build of the full profile is recorded yet (python tools/measure_build.py --profile full), "
                "so the trainings' efficiency is not known.")
    return (f"All {total['tflop']:,.0f} TFLOP of training ran at {total['fraction']:.0%} of the peak: at the peak, "
            f"the same work would take {total['seconds_at_peak']:,.0f} s instead of {total['seconds']:,.0f} s.")


def detailed_profile(times: dict | None) -> str:
    """The profile whose cold build the page breaks down: the full one when its record comes from
    the planned job with its same-run peak, else the quick one if that does, else the full one."""
    times = times or {}
    for name in ("full", "quick"):
        if "training" in times.get(name, {}):
            return name
    return "full"


def share_text(train: dict | None, profile: str) -> str:
    """The sentence on where a cold build's time went (`training_share`'s summary)."""
    if not train:
        return f"No cold build of the {profile} profile with per-model training times is recorded yet."
    return (f"In the {profile} profile's cold build, the {train['models']} trainings' own epochs took "
            f"{train['training_s']:,.0f} s of training time, against {train['cold_s']:,.0f} s for the whole cold "
            f"build (trainings that run at once each count their own seconds); the longest, {train['top']}, took "
            f"{train['top_s']:,.0f} s.")


def engine_text(times: dict | None) -> str:
    """The sentence on the recorded make-models runs, or that there is none yet."""
    done = [name for name in PROFILES if "training" in ((times or {}).get(name) or {})]
    if not done:
        return ("No make-models run with its same-run peak is recorded yet: `python tools/measure_build.py "
                "--profile quick` records one.")
    return " ".join(f"In the {name} profile, {efficiency_measured(times[name]['training'])}, "
                    f"trained by {times[name]['training']['executor']}." for name in done)
