"""The tables of the report's sections (1 to 4 and 6): our measurements per row, the report's
figures beside them where they apply. Each returns a pandas DataFrame (or a Styler, `styled`)
that the page prints; the numbers also go to the section's JSON.
"""
from __future__ import annotations

import math

import pandas as pd
import torch

from aelib import metrics
from aelib.pca import N_PIXELS

FAST = ("difference", "mse", "se_per_image", "psnr")  # SSIM costs more than all of these together


def measures(x: torch.Tensor, x_hat: torch.Tensor, names=FAST) -> dict[str, float]:
    """Means over the images of the named measures of aelib.metrics."""
    return {m: float(getattr(metrics, m)(x, x_hat).mean()) for m in names}


def with_report(ours: pd.DataFrame, theirs: dict | None, index: str) -> pd.DataFrame:
    """`ours` joined with the report's table (columns suffixed " (report)"); `theirs` None (another
    dataset than the report's) leaves ours alone."""
    if theirs is None:
        return ours
    return ours.join(pd.DataFrame(theirs).set_index(index).add_suffix(" (report)"), how="outer")


# The measures' names as a reader meets them in a table (aelib.metrics' names are for code).
READER_NAMES = {"difference": "difference", "mse": "MSE", "se_per_image": "SE per image", "psnr": "PSNR (dB)",
                "ssim": "SSIM"}


def for_readers(table: pd.DataFrame) -> pd.DataFrame:
    """`table` with each measure's column named for a reader ("se_per_image test" -> "SE per image
    test", "psnr (report)" -> "PSNR (dB) (report)")."""
    def name(c: str) -> str:
        head, _, rest = str(c).partition(" ")
        return f"{READER_NAMES[head]} {rest}".strip() if head in READER_NAMES else c
    return table.rename(columns=name)


def styled(table: pd.DataFrame, formats: dict[str, str], index: str | None = None):
    """A Styler of `table` with its measures named for readers (`for_readers`) and `formats`
    (column prefix, in the table's own names -> format) applied to every column starting with it.
    Every numeric column needs a format (176.78380453543045 printed raw reads as noise) and every
    column a reader's name (no snake_case): either missing raises, naming the columns."""
    fmt = {c: next((f for p, f in formats.items() if str(c).startswith(p)), None) for c in table.columns}
    raw = [c for c, f in fmt.items() if f is None and pd.api.types.is_numeric_dtype(table[c])]
    if raw:
        raise ValueError(f"no format for the numeric column(s) {raw}; formats are given for {list(formats)}")
    shown = for_readers(table)
    code = [c for c in [*shown.columns, shown.index.name] if c is not None and "_" in str(c)]
    if code:
        raise ValueError(f"column(s) {code} are named for code: give them a reader's name")
    s = shown.style.format({new: fmt[old] for old, new in zip(table.columns, shown.columns) if fmt[old]}, na_rep="–")
    return s.format_index(index) if index else s


def epochs_table(test, recon: dict[int, torch.Tensor], history) -> pd.DataFrame:
    """Section 1: per epoch count, the measures on the test set and the cumulative training time."""
    rows = [{"epochs": e, **metrics.summary(test, recon[e]), "seconds": history.seconds_until(e)} for e in recon]
    return pd.DataFrame(rows).set_index("epochs")[["difference", "mse", "psnr", "ssim", "seconds"]]


def rates_table(test, recon: dict[float, torch.Tensor], runs: dict, shown: dict[float, int]) -> pd.DataFrame:
    """Section 2: per learning rate, the measures, the final validation loss and whether it diverged."""
    rows = [{"lr": lr, **measures(test, recon[lr], ("difference", "mse", "psnr")),
             "final val. MSE": runs[lr].history.val_loss[shown[lr]],
             "epoch shown": shown[lr], "diverged": "yes" if runs[lr].history.diverged else "no"} for lr in recon]
    return pd.DataFrame(rows).set_index("lr")


def latent_table(train, test, recon_train: dict, recon_test: dict, recon_pca: dict, runs: dict,
                 pca_clipped: dict | None = None) -> pd.DataFrame:
    """Section 3: per code size, the measures on training and on test images, the train-test gap
    of the squared error per image, PCA's test error, the model's size and its time per epoch."""
    rows = []
    for k in recon_test:
        tr, te = measures(train, recon_train[k]), measures(test, recon_test[k])
        run = runs[k]
        rows.append({"latent": k, "ratio": N_PIXELS / k, **{f"{m} train": v for m, v in tr.items()},
                     **{f"{m} test": v for m, v in te.items()}, "gap": te["se_per_image"] - tr["se_per_image"],
                     "PCA se_per_image test": measures(test, recon_pca[k])["se_per_image"] if k in recon_pca else math.nan,
                     "parameters": sum(p.numel() for p in run.model().parameters()),
                     "s per epoch": sum(run.history.seconds) / max(len(run.history.seconds), 1)})
    return pd.DataFrame(rows).set_index("latent")


def conv_table(test, runs: dict, recon: dict, step_ms: dict, epochs: int) -> pd.DataFrame:
    """Section 6: per model, its size, training time, time per step and the measures."""
    rows = {name: {"parameters": sum(p.numel() for p in run.model().parameters()), "seconds": sum(run.history.seconds),
                   "ms/step": step_ms[name], **metrics.summary(test, recon[name])} for name, run in runs.items()}
    ours = pd.DataFrame.from_dict(rows, orient="index")
    ours["s/epoch"] = ours["seconds"] / max(epochs, 1)
    return ours[["parameters", "seconds", "s/epoch", "ms/step", "difference", "mse", "psnr", "ssim"]]


def epochs_summary(ours: pd.DataFrame, seconds: list[float], test: torch.Tensor, untrained: torch.Tensor,
                   report_epochs: dict | None, bench: dict | None) -> dict:
    """Section 1's glued values: the fall of the difference, the report's zero-epoch figure
    against an all-black guess, and our time per epoch against the report's and the textbook loop's."""
    from aelib.book.page import plural
    es = list(ours.index)
    first = min((e for e in es if e > 0), default=es[0])
    last, zero = es[-1], es[0]
    d = ours["difference"]
    fall = d[zero] - d[last]
    median = float(pd.Series(seconds[1:] or seconds).median()) if seconds else math.nan
    black = float(metrics.difference(test, torch.zeros_like(test)).mean())
    out = {"diff_zero": d[zero], "diff_first": d[first], "diff_last": d[last], "psnr_last": ours["psnr"][last],
           "min_epochs": plural(zero, "epoch"), "first_epochs": plural(first, "epoch"), "last_epochs": plural(last, "epoch"),
           "early_share": (d[zero] - d[first]) / fall if fall else math.nan,
           "untrained_output": float(untrained.mean()), "sec_per_epoch": median, "black_difference": black}
    if report_epochs is None:
        out["zero_note"] = "The zero-epoch row compares starting points, not learning."
        out["speed_note"] = f"One epoch takes {median:.2f} s here (median after the first)."
        return out
    rep_rate = report_epochs["seconds"][-1] / report_epochs["epochs"][-1]
    rep0 = report_epochs["difference"][0]
    out["zero_note"] = ((f"The report's {rep0:.3f} at zero epochs is close to what an all-black guess scores on these "
                         f"digits ({black:.3f}): its untrained model most likely output near-zero pixels. "
                         if abs(rep0 - black) <= 0.25 * black else
                         f"The report's {rep0:.3f} at zero epochs is far from what an all-black guess scores on these "
                         f"digits ({black:.3f}). ") + "The zero-epoch row compares starting points, not learning.")
    loop = ((bench or {}).get("models", {}).get("mlp", {}) or {}).get("speedup_b64_vs_textbook")
    out["speed_note"] = (f"Speed: one epoch takes {median:.2f} s here (median after the first) against the report's "
                         f"{rep_rate:.1f} s, "
                         + (f"{rep_rate / median:.1f} times faster. " if median < rep_rate else
                            f"{median / rep_rate:.1f} times slower. ")
                         + (f"On this machine, slicing batches from one in-memory tensor makes the loop {loop:.2f} times "
                            f"as fast as the textbook loop that assembles batches image by image (Performance page); "
                            f"the rest of the gap is the hardware." if loop else
                            "The Performance page has no recorded loop comparison, so the gap cannot be split between "
                            "the loop and the hardware."))
    return out


def finite(values) -> list[float]:
    """NaN in place of infinite values: a plotted curve simply skips them."""
    return [v if math.isfinite(v) else math.nan for v in values]


def model_name(cfg) -> str:
    """"mlp-16", "conv-128": a model's kind and code size."""
    return f"{cfg.model}-{cfg.latent}"


def by_setting(runs: dict, key, seed: int) -> dict:
    """{config: run} -> {key(config) (or the config field named `key`): {seed: run}}, keeping the
    order of `runs` and the page's own seed first within each."""
    get = key if callable(key) else (lambda cfg: getattr(cfg, key))
    out: dict = {}
    for cfg, run in sorted(runs.items(), key=lambda kv: kv[0].seed != seed):
        out.setdefault(get(cfg), {})[cfg.seed] = run
    return out


def seed_range(by_seed: dict, test: torch.Tensor) -> dict:
    """{setting: {seed: run}} -> {setting: largest minus smallest mean difference over the seeds}
    (0 with one seed). A run without finite weights does not count."""
    out = {}
    for key, seeds in by_seed.items():
        d = [float(metrics.difference(test, metrics.reconstruct(r.model(max(r.snapshots)), test)).mean())
             for r in seeds.values() if r.snapshots]
        out[key] = max(d) - min(d) if d else math.nan
    return out


def run_labels(runs: dict, shown: dict, recon: dict) -> dict:
    """Row labels of section 2: "lr 0.1 (diverged)", "lr 1e-06 (constant output)", ..."""
    out = {}
    for lr, run in runs.items():
        h = run.history
        state = [f"non-finite, epoch {shown[lr]} shown" if h.nonfinite else "diverged" if h.diverged else "",
                 "constant output" if recon[lr].std(0).max().item() < 1e-4 else ""]
        out[lr] = f"lr {lr:g}" + "".join(f" ({s})" for s in state if s)
    return out


def rates_summary(ours: pd.DataFrame, runs: dict, shown: dict, test: torch.Tensor, epochs: int) -> dict:
    """Section 2's glued values."""
    from aelib.book.page import plural
    lrs = list(ours.index)
    finals = {lr: runs[lr].history.val_loss[shown[lr]] for lr in lrs}
    lowest = min(finals, key=finals.get)
    best = list(ours["difference"].sort_values().index)
    second = best[1] if len(best) > 1 else best[0]
    drop = {lr: 1 - finals[lr] / runs[lr].history.val_loss[0] for lr in lrs}
    bad = [lr for lr in lrs if runs[lr].history.nonfinite]
    note = ("No run produced a non-finite loss, so every row shows the weights after the last epoch." if not bad else
            " ".join(f"The run at lr {lr:g} produced a non-finite loss in epoch {runs[lr].history.epochs_done}; its "
                     f"row and reconstructions show its last finite weights, after epoch {shown[lr]}." for lr in bad))
    return {"small_lr": f"{lrs[0]:g}", "small_drop": drop[lrs[0]], "lowest_lr": f"{lowest:g}", "lowest_drop": drop[lowest],
            "black_diff": float(test.mean()), "small_diff": ours.loc[lrs[0], "difference"], "best_lr": f"{best[0]:g}",
            "best_diff": ours.loc[best[0], "difference"], "best_psnr": ours.loc[best[0], "psnr"],
            "second_lr": f"{second:g}", "second_diff": ours.loc[second, "difference"],
            "epochs_text": plural(epochs, "epoch"), "nonfinite_note": note,
            "diverged_text": ", ".join(f"{lr:g}" for lr in lrs if runs[lr].history.diverged) or "none"}


def column(table: pd.DataFrame, name: str) -> list:
    """One column as JSON-ready floats (None for NaN)."""
    return [None if pd.isna(v) else float(v) for v in table[name]]


def latent_seeds(runs: dict, train: torch.Tensor, test: torch.Tensor) -> pd.DataFrame:
    """Section 3, per code size ({latent: [run at each seed]}): the squared error per image on
    training and on test images, mean over the seeds and its lowest and highest (equal with one
    seed)."""
    rows = []
    for k, seeds in runs.items():
        se = {name: [float(metrics.se_per_image(x, metrics.reconstruct(r.model(), x)).mean()) for r in seeds]
              for name, x in (("train", train), ("test", test))}
        rows.append({"latent": k, "seeds": len(seeds),
                     **{f"se {n} {stat}": f(v) for n, v in se.items()
                        for stat, f in (("mean", lambda v: sum(v) / len(v)), ("lo", min), ("hi", max))}})
    return pd.DataFrame(rows).set_index("latent")


def seed_margin(seeds: pd.DataFrame, fallback: float) -> tuple[float, str]:
    """The relative gap below which two code sizes count as within noise: the largest relative
    seed range of test error among the sizes trained at several seeds, or `fallback` where none
    was; with a sentence saying which."""
    several = seeds[seeds["seeds"] > 1]
    if several.empty:
        return fallback, f"with one training per code size, gaps under {fallback:.0%} of the error count as within noise"
    rel = (several["se test hi"] - several["se test lo"]) / several["se test mean"]
    n = int(several["seeds"].min())
    return float(rel.max()), (f"each code size up to {several.index.max():,} was trained with {n} seeds; gaps smaller "
                              f"than the largest seed-to-seed range, {rel.max():.1%} of the error (at code "
                              f"{rel.idxmax():,}), count as within noise")


def latent_columns(table: pd.DataFrame) -> pd.DataFrame:
    """Section 3's printed columns: few enough to fit the text column, named for a reader."""
    names = {"ratio": "ratio", "ratio (report)": "ratio (report)", "se_per_image train": "SE train",
             "se_per_image test": "SE test", "seed range": "seed range", "gap": "gap",
             "PCA se_per_image test": "PCA SE test", "difference test": "difference test"}
    return table[[c for c in names if c in table.columns]].rename(columns=names)


def latent_sizes(ours: pd.DataFrame, hidden: int) -> dict:
    """Section 3's glued sizes and times of the smallest and the largest model."""
    small, big = ours.index[0], ours.index[-1]
    return {"small": f"{small:,}", "big": f"{big:,}", "small_params": f"{int(ours.loc[small, 'parameters']):,}",
            "big_params": f"{int(ours.loc[big, 'parameters']):,}", "small_sec": ours.loc[small, "s per epoch"],
            "big_sec": ours.loc[big, "s per epoch"],
            "big_ratio_time": ours.loc[big, "s per epoch"] / ours.loc[small, "s per epoch"]}


def latent_notes(ours: pd.DataFrame, hidden: int, epochs: int) -> dict:
    """Section 3's glued sentences: the giant code's bottleneck, the step from 128 to 512 against
    PCA's, and the autoencoder against PCA at every size both have."""
    ks, se = list(ours.index), ours["se_per_image test"]
    big = ks[-1]
    note = (f"A code of {big:,} numbers sits between two linear layers with no nonlinearity in between "
            f"({hidden} → {big:,} → {hidden}), so it can carry at most {hidden} independent numbers: it is no wider "
            f"than a code of {hidden}, only harder to train." if big > hidden else "")
    pca = ours["PCA se_per_image test"].dropna()
    if {128, 512} <= set(ks):
        fall = 1 - se[512] / se[128]
        gain = (f"From 128 to 512 floats the test error of the autoencoder falls by {fall:.0%}"
                f" (PSNR {ours.loc[512, 'psnr test'] - ours.loc[128, 'psnr test']:+.1f} dB)")
        if {128, 512} <= set(pca.index):
            gain += (f", where PCA's falls by {1 - pca[512] / pca[128]:.0%}: at 512 PCA's error is "
                     f"{se[512] / pca[512]:,.0f} times lower than the autoencoder's. The small return is a property "
                     f"of this architecture and recipe (one hidden layer of {hidden}, {epochs} epochs), not of "
                     f"code size as such.")
        else:
            gain += "."
    else:
        gain = "The sweep lacks code size 128 or 512, so the step between them is not measured here."
    times = se[pca.index] / pca
    if len(pca):
        pca_text = (f"the autoencoder has the lower test error at code sizes {_ks(times.index[times < 1])} and PCA at "
                    f"{_ks(times.index[times >= 1])}; the autoencoder's error is "
                    + ", ".join((f"{t:.2f}" if t < 10 else f"{t:,.0f}") + f" times PCA's at {k:,}" for k, t in times.items())
                    + ".")
    else:
        pca_text = "no code size of at most 784 is in the sweep, so PCA does not apply."
    return {"bottleneck_note": note, "gain_text": gain, "pca_text": pca_text}


def _ks(ks) -> str:
    return ", ".join(f"{k:,}" for k in ks) or "none"


# --- section 6 ---------------------------------------------------------------------------------------

def health_note(test: torch.Tensor, recon: dict, dead: list[str]) -> str:
    """Whether every model learned, or which ones answer every input with the same image."""
    if not dead:
        return "All four models learned: each output follows its input."
    black = float(metrics.mse(test, torch.zeros_like(test)).mean())  # the error of an all-black guess
    return (f"Training failed for {' and '.join(dead)}: the output is the same image whatever the input "
            f"(mean pixel value {max(float(recon[n].mean()) for n in dead):.3f}, mean squared error "
            f"{max(float(metrics.mse(test, recon[n]).mean()) for n in dead):.4f}, where an all-black guess scores "
            f"{black:.4f}). The numbers below describe that failure, not what the architecture can do.")


def conv_with_report(ours: pd.DataFrame, theirs: dict | None, large: int) -> pd.DataFrame:
    """Section 6's printed table, the report's time and difference beside the rows of code size
    `large`; without s/epoch (the seconds over the epoch count), so that it fits the page's column."""
    ours = ours.drop(columns=["s/epoch"])
    if theirs is None:
        return ours
    rep = pd.DataFrame({"seconds (report)": theirs["seconds"], "difference (report)": theirs["difference"]},
                       index=[f"mlp-{large}", f"conv-{large}"])
    return ours.join(rep)


def conv_verdicts(ours: pd.DataFrame, small: int, large: int, dead: list[str], time_margin: float = 0.1) -> dict:
    """Section 6's four verdicts. Accuracy gaps are judged against the seed range of the two models;
    times against `time_margin` (relative): timings on a shared machine move by about that much."""
    from aelib.book import claims
    out = {}
    for key, k, claim in (("accurate", large, "the convolutional model reconstructs more accurately than the MLP"),
                          ("small", small, "at a small code the convolutional model is clearly better")):
        conv, mlp = ours.loc[f"conv-{k}"], ours.loc[f"mlp-{k}"]
        margin = max(conv["seed range"], mlp["seed range"])
        out[key] = claims.conv_better(conv["difference"], mlp["difference"], margin, claim)
    conv, mlp = ours.loc[f"conv-{large}"], ours.loc[f"mlp-{large}"]
    for key, col, unit in (("faster", "seconds", "s of training"), ("step", "ms/step", "ms per step")):
        a, b = conv[col], mlp[col]
        out[key] = claims.Verdict("the convolutional model trains faster", claims.compare(a, b, time_margin * min(a, b)),
                                  f"{a:.2f} {unit} against {b:.2f} for the MLP; gaps within {time_margin:.0%} count as "
                                  f"noise")
    for key, v in out.items():
        names = [f"conv-{small if key == 'small' else large}", f"mlp-{small if key == 'small' else large}"]
        if any(n in dead for n in names):
            out[key] = claims.Verdict(v.claim, claims.CANNOT, f"{' and '.join(n for n in names if n in dead)} did not learn")
    return out


def conv_notes(ours: pd.DataFrame, large: int, theirs: dict, epochs_table: dict, applies: bool) -> dict:
    """Section 6's note on the report's own table: its two time entries may be swapped."""
    if not applies:
        return {"report_note": "The report measured MNIST: its numbers are not compared on this dataset."}
    at10 = epochs_table["epochs"].index(10) if 10 in epochs_table["epochs"] else None
    swapped = (at10 is not None and theirs["seconds"][1] == epochs_table["seconds"][at10]
               and theirs["difference"][0] == epochs_table["difference"][at10])
    note = ("The report's own table may have its entries mixed up: the convolutional model's "
            f"{theirs['seconds'][1]} s equals the report's 10-epoch time of the MLP in its epoch experiment, and the "
            f"MLP's difference of {theirs['difference'][0]:.3f} equals that same run's. Its timings are not ours to "
            "reproduce: the verdicts compare the two models with each other, trained under one recipe on one machine." if swapped else
            "The report's timings come from other hardware: the verdicts compare the two models with each other, "
            "trained under one recipe on one machine.")
    return {"report_note": note}
