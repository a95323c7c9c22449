"""The landing page's headline: one row of key numbers per section and four small panels, all
read from the JSON files the sections wrote (book/results/<page>.json).

A section that has not been executed, or whose file lacks a key that a newer version of the
section writes (`rd` of the compression section, `methods` of the denoising section), gives a
row or a panel that says so instead of failing.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from aelib.book import report
from aelib.book.results import read_json
from aelib.compress.curves import OURS, bpp_at, frontier

# The sections in the book's order: (page, the question it answers, as its title asks it).
SECTIONS = (
    ("01_epochs", "How many epochs does the autoencoder need?"),
    ("02_learning_rate", "Which learning rate trains it best?"),
    ("03_latent_size", "How small can the code be?"),
    ("04_foreign_images", "Does the MLP work on images that are not digits?"),
    ("05_compression_ratio", "How much does the autoencoder really compress?"),
    ("06_conv_vs_linear", "Does a convolutional encoder beat the MLP?"),
    ("04_foreign_images_conv", "Does the convolutional model work on images that are not digits?"),
    ("07_denoising", "How well do the models remove noise?"),
)
PROFILES = {  # what each profile of profiles/<page>.yaml means for the numbers a reader sees
    "full": "full (the lab report's settings on all of MNIST)",
    "quick": "quick (a subset of MNIST and fewer epochs: fast, but not the report's settings)",
    "tiny": "tiny (a test run on a few hundred images: its numbers mean little)",
}


def read_sections(results_dir: str | Path, stems=None) -> dict[str, dict | None]:
    """{page: its results, or None when the page has not written them yet}."""
    return {stem: read_json(Path(results_dir) / f"{stem}.json") for stem in stems or [s for s, _ in SECTIONS]}


# --- the table: one row per section --------------------------------------------------------------

def _near(values, want):
    """The entry of `values` equal to `want`, else the middle one (a sweep with other values)."""
    return want if want in values else values[len(values) // 2]


def _epochs(r: dict) -> tuple[str, str]:
    last = max(r["epochs"])
    d = r["difference"][r["epochs"].index(last)]
    ours = f"difference {d:.3f} after {last} epochs; {r['sec_per_epoch']:.1f} s per epoch"
    rep = report.EPOCHS
    at = last if last in rep["epochs"] else rep["epochs"][-1]
    theirs = (f"difference {rep['difference'][rep['epochs'].index(at)]:.3f} after {at} epochs; "
              f"{rep['seconds'][-1] / rep['epochs'][-1]:.1f} s per epoch")
    return ours, theirs


def _learning_rate(r: dict) -> tuple[str, str]:
    i = min(range(len(r["lr"])), key=lambda j: r["difference"][j])
    rep = report.LEARNING_RATE
    k = min(range(len(rep["lr"])), key=lambda j: rep["difference"][j])
    return (f"best rate {r['lr'][i]:g} (difference {r['difference'][i]:.3f} after {r['epochs']} epochs)",
            f"best rate {rep['lr'][k]:g} (difference {rep['difference'][k]:.3f})")


def _latent_size(r: dict) -> tuple[str, str]:
    lat, diff = r["latent"], r["difference_test"]
    shown = [k for k in (16, 128) if k in lat] or [lat[0], lat[-1]]
    parts = [f"{diff[lat.index(k)]:.3f} at a code of {k:,}" for k in shown if diff[lat.index(k)] is not None]
    return (f"test difference {', '.join(parts)}; largest code overfits: {r['verdict_largest_overfits']['outcome']}",
            "no number; “the largest code overfits”")


def _foreign(r: dict) -> tuple[str, str]:
    i = r["images"].index("Ai") if "Ai" in r["images"] else None
    shares = "; ".join(f"{m} {v[i]:.2f}" for m, v in r["explained"].items()) if i is not None else "–"
    only = "; ".join(f"{m} {v['outcome']}" for m, v in r["verdicts"]["only_ai"].items())
    return (f"explained share of “Ai”: {shares}; only “Ai” recognisable: {only}",
            "no number; “only Ai comes back recognisably”")


def _compression(r: dict) -> tuple[str, str]:
    at = _near(r["latent"], 128)
    i = r["latent"].index(at)
    ours = f"ratio {r['ratio_floats'][i]:.1f} counting values, {r['ratio_bytes'][i]:.2f} counting bytes (code of {at})"
    rd = rd_summary(r)
    if rd is None:
        ours += "; real files against standard codecs not in this execution"
    else:
        ours += (f"; as real files, our codec nearest {rd['target_psnr']:.0f} dB: {rd['ours_bytes']:.0f} B per "
                 f"image at {rd['ours_psnr']:.1f} dB" + (f"; WebP at {rd['target_psnr']:.0f} dB: "
                                                         f"{rd['reference_bytes']:.0f} B"
                                                         if rd["reference_bytes"] is not None else ""))
    rep = dict(zip(report.COMPRESSION_RATIO["latent"], report.COMPRESSION_RATIO["ratio"]))
    return ours, (f"ratio {rep[at]:g} at a code of {at}" if at in rep else "no number at this code size")


def _conv_vs_linear(r: dict) -> tuple[str, str]:
    at = _near(sorted(set(r["latent"])), 128)
    pick = {m: i for i, (m, k) in enumerate(zip(r["model"], r["latent"])) if k == at}
    c, m = pick["conv"], pick["mlp"]
    rep = dict(zip(report.CONV_VS_LINEAR["model"], zip(report.CONV_VS_LINEAR["difference"],
                                                        report.CONV_VS_LINEAR["seconds"])))
    return (f"difference {r['difference'][c]:.3f} (conv) against {r['difference'][m]:.3f} (MLP) at a code of "
            f"{at}; training {r['seconds'][c]:.0f} s against {r['seconds'][m]:.0f} s",
            f"difference {rep['convolutional'][0]:.3f} against {rep['linear'][0]:.3f}; training "
            f"{rep['convolutional'][1]:.0f} s against {rep['linear'][1]:.0f} s")


def _denoising(r: dict) -> tuple[str, str]:
    f = _near(r["noise"], 0.5)
    i = r["noise"].index(f)
    conv = next((n for n in r["psnr"] if n.startswith("conv")), next(iter(r["psnr"])))
    ours = (f"at noise factor {f:g}: noisy input {r['psnr_noisy'][i]:.1f} dB, clean-trained {conv} "
            f"{r['psnr'][conv][i]:.1f} dB")
    bench = denoise_summary(r)
    if bench is None:
        ours += "; benchmark against classical denoisers not in this execution"
    else:
        j = bench["noise"].index(f) if f in bench["noise"] else len(bench["noise"]) // 2
        ours += (f"; denoising autoencoder {bench['dae'][j]:.1f} dB against the best classical denoiser's "
                 f"{bench['best_classical'][j]:.1f} dB")
    return ours, "no number (pictures only); “the convolutional model removes most of the noise”"


ROWS = {"01_epochs": _epochs, "02_learning_rate": _learning_rate, "03_latent_size": _latent_size,
        "04_foreign_images": _foreign, "04_foreign_images_conv": _foreign, "05_compression_ratio": _compression,
        "06_conv_vs_linear": _conv_vs_linear, "07_denoising": _denoising}


def report_numbers(table: list[dict]) -> int:
    """How many rows of `rows()` have a number of the report's beside ours."""
    return sum(1 for r in table if r["report"] != "–" and not r["report"].startswith("no number"))


def pca_better(r: dict | None) -> list[int]:
    """The code sizes at which PCA's squared error per test image is below the autoencoder's."""
    if r is None:
        return []
    return [k for k, ae, pca in zip(r["latent"], r["se_per_image_test"], r["pca_se_per_image_test"])
            if ae is not None and pca is not None and pca < ae]


def rows(sections: dict[str, dict | None]) -> list[dict]:
    """One row per section, in the book's order: {page, question, ours, report}; a section not
    executed yet says so in `ours`."""
    out = []
    for stem, question in SECTIONS:
        if stem not in sections:
            continue
        r = sections[stem]
        if r is None:
            ours, theirs = f"not executed yet (no results/{stem}.json)", "–"
        else:
            try:
                ours, theirs = ROWS[stem](r)
            except (KeyError, ValueError, IndexError, TypeError) as e:
                raise ValueError(f"results of {stem} lack what the landing page reads ({e!r}): "
                                 f"execute the page {stem} again") from e
        out.append({"page": stem, "question": question, "ours": ours, "report": theirs})
    return out


# --- the panels ----------------------------------------------------------------------------------

@dataclass
class Panel:
    """One small axis of the headline figure. `series` maps a curve's name to (xs, ys, role), role
    one of "ours", "baseline" (another method), "report" (the lab report's points) or "reference"
    (e.g. the noisy input); `note` is written on the axis when something is missing."""
    title: str
    xlabel: str
    ylabel: str
    series: dict[str, tuple[list, list, str]] = field(default_factory=dict)
    logx: int | None = None  # a log base for x, or None for a linear axis
    logy: bool = False
    note: str | None = None


def _missing(title: str, xlabel: str, ylabel: str, stem: str) -> Panel:
    return Panel(title, xlabel, ylabel, note=f"{stem} not executed yet")


def epochs_panel(r: dict | None) -> Panel:
    if r is None:
        return _missing("(a) training", "epochs", "mean difference", "01_epochs")
    rep = report.EPOCHS
    return Panel("(a) training", "epochs", "mean difference (test)", {
        "this book": (r["epochs"], r["difference"], "ours"),
        "lab report": (rep["epochs"], rep["difference"], "report")})


def latent_panel(r: dict | None) -> Panel:
    if r is None:
        return _missing("(b) code size", "latent size", "squared error per image", "03_latent_size")
    nan = lambda ys: [math.nan if y is None else y for y in ys]
    return Panel("(b) code size", "latent size (floats per image)", "squared error per image (test)", {
        "autoencoder": (r["latent"], nan(r["se_per_image_test"]), "ours"),
        "PCA": (r["latent"], nan(r["pca_se_per_image_test"]), "baseline")}, logx=2, logy=True)


def rd_summary(r: dict) -> dict | None:
    """From the compression section's `rd` points: our frontier, the best standard lossy codec
    (the fewest bytes at the target PSNR; if none reaches it, the fewest bytes at its lowest
    setting) and its frontier, our point nearest the target; None when `rd` is absent."""
    points = r.get("rd")
    if not points:
        return None
    target = (r.get("rd_target") or {}).get("psnr", 25.0)
    ours = [p for p in points if p["codec"] in OURS]
    lossy = {}
    for p in points:
        if p["codec"] not in OURS and not p.get("lossless"):
            lossy.setdefault(p["codec"], []).append(p)
    if not ours or not lossy:
        return None
    at = {c: bpp_at(pts, target, x="bytes") for c, pts in lossy.items()}
    reached = {c: b for c, b in at.items() if b is not None}
    best = (min(reached, key=reached.get) if reached
            else min(lossy, key=lambda c: min(p["bytes"] for p in lossy[c])))
    near = min(frontier(ours, x="bytes"), key=lambda p: abs(p["psnr"] - target))
    ref = (r.get("rd_target") or {}).get("bytes_reference")
    return {"ours": frontier(ours, x="bytes"), "best_codec": best, "theirs": frontier(lossy[best], x="bytes"),
            "target_psnr": target, "ours_bytes": near["bytes"], "ours_psnr": near["psnr"],
            "ours_setting": near["setting"], "best_bytes_at_target": reached.get(best),
            "reference_bytes": ref, "verdict_below": (r.get("rd_target") or {}).get("verdict_below")}


def bytes_panel(r: dict | None) -> Panel:
    title, xl, yl = "(c) bytes", "bytes per image", "PSNR (dB, test)"
    if r is None:
        return _missing(title, xl, yl, "05_compression_ratio")
    rd = rd_summary(r)
    if rd is None:  # the float-count section only: the code's own bytes, no entropy coding
        return Panel(title, "bytes per image (float32 code)", yl, {
            "autoencoder code": ([4 * k for k in r["latent"]], r["psnr"], "ours")}, logx=2,
            note="standard codecs: not in this execution")
    return Panel(title, "bytes per image (whole files)", yl, {
        "our codecs (best)": ([p["bytes"] for p in rd["ours"]], [p["psnr"] for p in rd["ours"]], "ours"),
        f"{rd['best_codec']}, the best standard codec"
        + (f" at {rd['target_psnr']:.0f} dB" if rd["best_bytes_at_target"] is not None else ""):
            ([p["bytes"] for p in rd["theirs"]], [p["psnr"] for p in rd["theirs"]], "baseline")},
        logx=2)


def denoise_summary(r: dict) -> dict | None:
    """From the denoising section's `methods`: the convolutional denoising autoencoder's PSNR and
    the best classical denoiser's (the methods with a tuned `param`) at each factor (on the common subset of test images where
    BM3D was scored, when recorded); None when `methods` is absent."""
    methods = r.get("methods")
    if not methods or "dae-conv" not in methods:
        return None
    key = "psnr_subset" if all(m.get("psnr_subset") for m in methods.values()) else "psnr"
    classical = [m[key] for m in methods.values() if m.get("param")]  # a tuned parameter: a classical method
    if not classical:
        return None
    return {"noise": methods["dae-conv"]["noise"], "dae": methods["dae-conv"][key],
            "best_classical": [max(v) for v in zip(*classical)], "ae": (methods.get("ae-conv") or {}).get(key),
            "key": key}


def denoise_panel(r: dict | None) -> Panel:
    title, xl, yl = "(d) denoising", "noise factor", "PSNR (dB, test)"
    if r is None:
        return _missing(title, xl, yl, "07_denoising")
    series = {"noisy input": (r["noise"], r["psnr_noisy"], "reference")}
    bench = denoise_summary(r)
    if bench is None:
        series.update({f"{n}, trained clean": (r["noise"], v, "ours") for n, v in r["psnr"].items()})
        return Panel(title, xl, yl, series, note="classical denoisers: not in this execution")
    conv = next((n for n in r["psnr"] if n.startswith("conv")), None)
    if conv is not None:
        series[f"{conv}, trained clean"] = (r["noise"], r["psnr"][conv], "ours")
    series["denoising autoencoder"] = (bench["noise"], bench["dae"], "ours")
    series["best classical denoiser"] = (bench["noise"], bench["best_classical"], "baseline")
    return Panel(title, xl, yl, series)


def panels(sections: dict[str, dict | None]) -> list[Panel]:
    return [epochs_panel(sections.get("01_epochs")), latent_panel(sections.get("03_latent_size")),
            bytes_panel(sections.get("05_compression_ratio")), denoise_panel(sections.get("07_denoising"))]
