"""The landing page's headline: one row of key numbers per page and four small panels, all read
from the JSON files the pages wrote (book/results/<page>.json). Every number is one the page
itself shows, from the same test set and the same measured point (never an interpolation where
the page shows a measurement). A page that has not been executed gives a row or a panel that
says so instead of failing.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from aelib.book import report
from aelib.book.results import read_json

# The pages in the book's order: (page, the question it answers, as its title asks it).
SECTIONS = (
    ("01_epochs", "How many epochs does the autoencoder need?"),
    ("02_learning_rate", "Which learning rate trains it best?"),
    ("03_latent_size", "How small can the code be?"),
    ("04_foreign_images", "Does the autoencoder work on images that are not digits?"),
    ("05_compression_ratio", "How much does the autoencoder really compress?"),
    ("06_conv_vs_linear", "Does a convolutional encoder beat the MLP?"),
    ("07_denoising", "Can autoencoders trained on clean digits remove noise?"),
    ("03b_thirty_numbers", "How does a code of 30 numbers compare with the 2006 table?"),
    ("05b_real_compression", "How many bytes does a real file of ours take, against standard codecs?"),
    ("07b_denoising_benchmark", "Do denoising autoencoders beat classical denoisers?"),
)
PROFILES = {  # what each profile of profiles/<page>.yaml means for the numbers a reader sees
    "full": "full (the lab report's settings on all of MNIST)",
    "quick": "quick (a subset of MNIST and fewer epochs: fast, but not the report's settings)",
    "tiny": "tiny (a test run on a few hundred images: its numbers mean little)",
}
NO_REPORT = "–"


@dataclass
class Row:
    ours: str
    report: str = NO_REPORT
    values: dict = field(default_factory=dict)  # the numbers `ours` quotes, for tests and other pages


def read_sections(results_dir: str | Path, stems=None) -> dict[str, dict | None]:
    """{page: its results, or None when the page has not written them yet}."""
    return {stem: read_json(Path(results_dir) / f"{stem}.json") for stem in stems or [s for s, _ in SECTIONS]}


def _mnist(r: dict) -> bool:
    return r.get("dataset", "mnist") == "mnist"


def _near(values, want):
    """The entry of `values` equal to `want`, else the middle one (a sweep with other values)."""
    return want if want in values else values[len(values) // 2]


def _epochs(r: dict) -> Row:
    last = max(r["epochs"])
    v = {"epochs": last, "difference": r["difference"][r["epochs"].index(last)], "sec_per_epoch": r["sec_per_epoch"]}
    rep = report.EPOCHS
    at = last if last in rep["epochs"] else rep["epochs"][-1]
    return Row(f"difference {v['difference']:.3f} after {last} epochs; {v['sec_per_epoch']:.1f} s per epoch",
               f"difference {rep['difference'][rep['epochs'].index(at)]:.3f} after {at} epochs; "
               f"{rep['seconds'][-1] / rep['epochs'][-1]:.1f} s per epoch", v)


def _learning_rate(r: dict) -> Row:
    i = min(range(len(r["lr"])), key=lambda j: r["difference"][j])
    v = {"lr": r["lr"][i], "difference": r["difference"][i], "verdict": r["verdict_best_rates"]["outcome"]}
    rep = report.LEARNING_RATE
    k = min(range(len(rep["lr"])), key=lambda j: rep["difference"][j])
    return Row(f"best rate {v['lr']:g} (difference {v['difference']:.3f} after {r['epochs']} epochs); "
               f"whether 0.001 and 0.0001 work best: {v['verdict']}",
               f"best rate {rep['lr'][k]:g} (difference {rep['difference'][k]:.3f})", v)


def _latent_size(r: dict) -> Row:
    lat, diff = r["latent"], r["difference_test"]
    shown = [k for k in (16, 128) if k in lat] or [lat[0], lat[-1]]
    v = {"difference": {k: diff[lat.index(k)] for k in shown}, "verdict": r["verdict_largest_overfits"]["outcome"]}
    parts = [f"{d:.3f} at a code of {k:,}" for k, d in v["difference"].items() if d is not None]
    return Row(f"test difference {', '.join(parts)}; whether the largest code overfits: {v['verdict']}",
               "no number; the largest code overfits", v)


def _thirty_numbers(r: dict) -> Row:
    m = r["methods"]
    ours = [n for n in m if "our recipe" in n]  # each recipe of ours, in the page's order
    pca = next(n for n in m if n.startswith("PCA") and "unclipped" in n)
    v = {"ours": {n: m[n]["mean"] for n in ours}, "verdicts": {n: r["verdicts"][n]["outcome"] for n in ours},
         "pca": m[pca]["mean"], "paper_deep": r["paper"]["deep autoencoder"], "paper_pca": r["paper"]["PCA"]}
    from aelib.book.hinton2006 import BEATS
    each = "; ".join(f"{n.split(' (')[0]}, {v['ours'][n]:.2f}, {BEATS[v['verdicts'][n]]} it" for n in ours)
    return Row(f"squared error per image at a code of 30 ({r['n_test']:,} test digits) against the 2006 deep "
               f"autoencoder's {v['paper_deep']:.2f}: {each}; PCA {v['pca']:.2f} against the paper's "
               f"{v['paper_pca']:.2f}", "no such comparison in the report", v)


def _foreign(r: dict) -> Row:
    i = r["images"].index("Ai") if "Ai" in r["images"] else None
    v = {"ai_explained": {m: vals[i] for m, vals in r["explained"].items()} if i is not None else {},
         "only_ai": {m: x["outcome"] for m, x in r["verdicts"]["only_ai"].items()}}
    shares = "; ".join(f"{m} {x:.2f}" for m, x in v["ai_explained"].items()) or "–"
    only = "; ".join(f"{m} {o}" for m, o in v["only_ai"].items())
    return Row(f"explained share of “Ai”: {shares}; whether only “Ai” comes back recognisable: {only}",
               "no number; only “Ai” comes back recognisable", v)


def _compression(r: dict) -> Row:
    at = _near(r["latent"], 128)
    i = r["latent"].index(at)
    v = {"latent": at, "ratio_floats": r["ratio_floats"][i], "ratio_bytes": r["ratio_bytes"][i],
         "verdict": r["verdict_decoder_not_a_factor"]["outcome"]}
    rep = dict(zip(report.COMPRESSION_RATIO["latent"], report.COMPRESSION_RATIO["ratio"]))
    return Row(f"ratio {v['ratio_floats']:.1f} counting values, {v['ratio_bytes']:.2f} counting bytes (code of {at}); "
               f"“the size of the encoder and decoder are not a factor in the compression ratio”: {v['verdict']}",
               f"ratio {rep[at]:g} at a code of {at}" if at in rep else "no number at this code size", v)


def _conv_vs_linear(r: dict) -> Row:
    at = _near(sorted(set(r["latent"])), 128)
    pick = {m: i for i, (m, k) in enumerate(zip(r["model"], r["latent"])) if k == at}
    c, m = pick["conv"], pick["mlp"]
    v = {"latent": at, "conv": r["difference"][c], "mlp": r["difference"][m], "conv_s": r["seconds"][c],
         "mlp_s": r["seconds"][m], "verdict": r["verdicts"]["accurate"]["outcome"]}
    rep = dict(zip(report.CONV_VS_LINEAR["model"], zip(report.CONV_VS_LINEAR["difference"],
                                                        report.CONV_VS_LINEAR["seconds"])))
    return Row(f"difference {v['conv']:.3f} (conv) against {v['mlp']:.3f} (MLP) at a code of {at}: {v['verdict']}; "
               f"training {v['conv_s']:.0f} s against {v['mlp_s']:.0f} s",
               f"difference {rep['convolutional'][0]:.3f} against {rep['linear'][0]:.3f}; training "
               f"{rep['convolutional'][1]:.0f} s against {rep['linear'][1]:.0f} s", v)


def _denoising(r: dict) -> Row:
    f = _near(r["noise"], 0.5)
    i = r["noise"].index(f)
    conv = next((n for n in r["psnr"] if n.startswith("conv")), next(iter(r["psnr"])))
    v = {"noise": f, "noisy": r["psnr_noisy"][i], "model": conv, "psnr": r["psnr"][conv][i],
         "verdict": r["verdicts"]["most"]["outcome"]}
    return Row(f"at noise factor {f:g} ({r['n_test']:,} test digits): noisy input {v['noisy']:.1f} dB, "
               f"{conv} trained on clean digits {v['psnr']:.1f} dB; whether it “does away with most of the noise”: "
               f"{v['verdict']}", "no number (pictures only); the convolutional model “does away with most of the "
                                  "noise”", v)


def _real_compression(r: dict) -> Row:
    """Ours nearest the target PSNR against the fewest bytes a standard lossy codec needs at that
    PSNR or above (`curves.cheapest_at`: read off its curve, or the file of its lowest setting):
    two codecs compared at equal quality, or, where the cheapest one's lowest setting lies above
    ours, with that said and the gap in dB given."""
    from aelib.compress.curves import cheapest_at
    from aelib.book.compression.real_prose import cheapest_words
    ours = r["near"].get("ours")
    theirs = ours and cheapest_at([p for p in r["points"] if not p["lossless"] and not p["codec"].startswith("ours")],
                                  ours["psnr"])
    v = {"target_psnr": r["target_psnr"], "ours_bytes": ours and ours["bytes"], "ours_psnr": ours and ours["psnr"],
         "theirs_codec": theirs and theirs["codec"], "theirs_bytes": theirs and theirs["bytes"],
         "theirs_psnr": theirs and theirs["psnr"]}
    if not ours:
        return Row("no codec of ours measured", "no number (the report counts floats)", v)
    text = (f"our codec nearest {v['target_psnr']:.0f} dB, on {r['n_test']:,} test digits, whole files: "
            f"{v['ours_bytes']:.1f} B at {v['ours_psnr']:.2f} dB; "
            + (f"the fewest bytes a standard lossy codec needs at that PSNR or above: {v['theirs_bytes']:.1f} B, "
               f"{cheapest_words(theirs)}" + _above(v['theirs_psnr'] - v['ours_psnr'])
               if theirs else "no standard lossy codec reaches that PSNR"))
    return Row(text, "no number (the report counts floats)", v)


def _above(gap_db: float) -> str:
    """Said of a standard file that gives more quality than ours (its codec goes no lower)."""
    return f" (its lowest setting, {gap_db:.2f} dB above ours: it goes no lower)" if gap_db >= 0.005 else ""


def _denoising_benchmark(r: dict) -> Row:
    rows = r["versus_classical"]
    f = _near([x["noise"] for x in rows], 0.5)
    x = next(x for x in rows if x["noise"] == f)
    c = x["comparisons"][0]  # the best classical method scored on every test digit
    v = {"noise": f, "dae": c["psnr_dae-conv"], "classical": c["psnr_other"], "best": c["name"],
         "n_test": c["n_images"], "background_mean": r["background_mean"][[y["noise"] for y in rows].index(f)]}
    return Row(f"at noise factor {f:g}, on {v['n_test']:,} test digits: denoising autoencoder {v['dae']:.1f} dB "
               f"against the best classical denoiser ({v['best']}) {v['classical']:.1f} dB; clipped noise raises the "
               f"black background to {v['background_mean']:.2f} on average, which only the threshold, median and "
               f"bias-corrected methods allow for", "no benchmark in the report", v)


ROWS = {"01_epochs": _epochs, "02_learning_rate": _learning_rate, "03_latent_size": _latent_size,
        "04_foreign_images": _foreign, "05_compression_ratio": _compression,
        "06_conv_vs_linear": _conv_vs_linear, "07_denoising": _denoising,
        "03b_thirty_numbers": _thirty_numbers, "05b_real_compression": _real_compression, "07b_denoising_benchmark": _denoising_benchmark}


def rows(sections: dict[str, dict | None]) -> list[dict]:
    """One row per page, in the book's order: {page, question, ours, report, values}. A page not
    executed yet says so; on another dataset than MNIST the report's column stays empty."""
    out = []
    for stem, question in SECTIONS:
        if stem not in sections:
            continue
        r = sections[stem]
        if r is None:
            row = Row(f"not executed yet (no results/{stem}.json)")
        else:
            try:
                row = ROWS[stem](r)
            except (KeyError, ValueError, IndexError, TypeError, StopIteration) as e:
                raise ValueError(f"results of {stem} lack what the landing page reads ({e!r}): "
                                 f"execute the page {stem} again") from e
            if not _mnist(r):
                row.report = f"{NO_REPORT} (the report measured MNIST; this page shows {r['dataset']})"
        out.append({"page": stem, "question": question, "ours": row.ours, "report": row.report, "values": row.values})
    return out


def report_numbers(table: list[dict]) -> int:
    """How many rows have a number of the report's beside ours."""
    return sum(1 for r in table if not r["report"].startswith((NO_REPORT, "no ")))


def pca_better(r: dict | None) -> list[int]:
    """The code sizes at which PCA's squared error per test image is below the autoencoder's."""
    if r is None:
        return []
    return [k for k, ae, pca in zip(r["latent"], r["se_per_image_test"], r["pca_se_per_image_test"])
            if ae is not None and pca is not None and pca < ae]


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
    series = {"this book": (r["epochs"], r["difference"], "ours")}
    if _mnist(r):
        series["lab report"] = (report.EPOCHS["epochs"], report.EPOCHS["difference"], "report")
    return Panel("(a) training", "epochs", "mean difference (test)", series)


def latent_panel(r: dict | None) -> Panel:
    if r is None:
        return _missing("(b) code size", "latent size", "squared error per image", "03_latent_size")
    nan = lambda ys: [math.nan if y is None else y for y in ys]
    return Panel("(b) code size", "latent size (floats per image)", "squared error per image (test)", {
        "autoencoder": (r["latent"], nan(r["se_per_image_test"]), "ours"),
        "PCA": (r["latent"], nan(r["pca_se_per_image_test"]), "baseline")}, logx=2, logy=True)


def bytes_panel(r: dict | None) -> Panel:
    """Our codecs' frontier and WebP's, in bytes per whole file against PSNR, as on page 05b."""
    from aelib.compress.curves import OURS, frontier
    title, xl, yl = "(c) bytes", "bytes per image (whole files)", "PSNR (dB, test)"
    if r is None:
        return _missing(title, xl, yl, "05b_real_compression")
    ours = frontier([p for p in r["points"] if p["codec"] in OURS], x="bytes")
    webp = frontier([p for p in r["points"] if p["codec"] == "webp"], x="bytes")
    return Panel(title, xl, yl, {"our codecs (best)": ([p["bytes"] for p in ours], [p["psnr"] for p in ours], "ours"),
                                 "WebP": ([p["bytes"] for p in webp], [p["psnr"] for p in webp], "baseline")}, logx=2)


def denoise_panel(clean: dict | None, bench: dict | None) -> Panel:
    """The noisy input, the clean-trained convolutional model (page 07) and, from page 07b, the
    denoising autoencoder and the best classical denoiser scored on every test digit."""
    title, xl, yl = "(d) denoising", "noise factor", "PSNR (dB, test)"
    if clean is None and bench is None:
        return _missing(title, xl, yl, "07_denoising")
    series = {}
    if clean is not None:
        series["noisy input"] = (clean["noise"], clean["psnr_noisy"], "reference")
        conv = next((n for n in clean["psnr"] if n.startswith("conv")), None)
        if conv is not None:
            series[f"{conv}, trained clean"] = (clean["noise"], clean["psnr"][conv], "ours")
    if bench is not None:
        rows = bench["versus_classical"]
        fs = [x["noise"] for x in rows]
        series["denoising autoencoder"] = (fs, [x["comparisons"][0]["psnr_dae-conv"] for x in rows], "ours")
        series["best classical denoiser"] = (fs, [x["comparisons"][0]["psnr_other"] for x in rows], "baseline")
    return Panel(title, xl, yl, series, note=None if bench is not None else "07b_denoising_benchmark not executed yet")


def panels(sections: dict[str, dict | None]) -> list[Panel]:
    return [epochs_panel(sections.get("01_epochs")), latent_panel(sections.get("03_latent_size")),
            bytes_panel(sections.get("05b_real_compression")),
            denoise_panel(sections.get("07_denoising"), sections.get("07b_denoising_benchmark"))]
