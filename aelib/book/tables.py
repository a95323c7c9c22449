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
    return ours[CONV_COLUMNS]


CONV_COLUMNS = ["parameters", "seconds", "s/epoch", "ms/step", "difference", "mse", "se_per_image", "psnr", "ssim"]


def pca_rows(seen: torch.Tensor, test: torch.Tensor, latents: list[int]) -> pd.DataFrame:
    """Section 6's linear baseline: PCA with as many components as each code size (at most 784),
    fitted once on the models' training images, measured like the models (no size or time)."""
    from aelib.pca import PCA
    ks = [k for k in latents if k <= N_PIXELS]
    if not ks:
        return pd.DataFrame(columns=CONV_COLUMNS)
    pca = PCA.fit(seen, k=max(ks))
    rows = {f"PCA-{k}": metrics.summary(test, pca.truncated(k).reconstruct(test)) for k in ks}
    return pd.DataFrame.from_dict(rows, orient="index").reindex(columns=CONV_COLUMNS)


def pca_note(ours: pd.DataFrame, baseline: pd.DataFrame) -> str:
    """Section 6's sentence on the linear baseline, at every code size both tables have."""
    parts = []
    for name in baseline.index:
        k = int(name.split("-")[1])
        pca, models = baseline.loc[name, "se_per_image"], {m: ours.loc[f"{m}-{k}", "se_per_image"] for m in ("conv", "mlp")}
        beaten = [m for m, v in models.items() if pca < v]
        verb = ("beats both autoencoders" if len(beaten) == 2 else f"beats {beaten[0]}-{k} only" if beaten else
                "beats neither autoencoder")
        parts.append(f"at a code of {k:,}, PCA's squared error per image is {pca:.2f} against {models['conv']:.2f} "
                     f"(conv-{k}) and {models['mlp']:.2f} (mlp-{k}): the linear code {verb}")
    if not parts:
        return "No code size of the page is at most 784, so PCA does not apply."
    return ("The linear baseline, PCA fitted on the same training images (as on the code-size page): "
            + "; ".join(parts) + ".")


def epochs_intro(epochs: list[int]) -> dict:
    """Section 1's opening, from the epoch counts this run has: the list and what one run means."""
    es = sorted(set(epochs))
    listed = es[0] if len(es) == 1 else ", ".join(f"{e:,}" for e in es[:-1]) + f" and {es[-1]:,}"
    inner = [e for e in es if 0 < e < es[-1]]
    snap = (f"the {inner[-1]:,}-epoch model is exactly the {es[-1]:,}-epoch run after {inner[-1]:,} "
            f"epoch{'s' * (inner[-1] != 1)}" if inner else f"every count shown is a state of that one run")
    return {"epochs_list": str(listed), "snapshot_text": snap}


def epochs_summary(ours: pd.DataFrame, seconds: list[float], test: torch.Tensor, untrained: torch.Tensor,
                   report_epochs: dict | None, n_train: int) -> dict:
    """Section 1's glued values: the fall of the difference, the report's zero-epoch figure
    against an all-black guess, and our time per training image against the report's."""
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
           "within_first": "the first epoch" if first == 1 else f"the first {first:,} epochs",
           "early_share": (d[zero] - d[first]) / fall if fall else math.nan,
           "untrained_output": float(untrained.mean()), "sec_per_epoch": median, "black_difference": black}
    if report_epochs is None:
        out["zero_note"] = "The zero-epoch row compares starting points, not learning."
        out["speed_note"] = (f"One epoch of {n_train:,} images takes {median:.2f} s here (the median after the first), "
                             f"{1e3 * median / n_train:.3f} ms per image.")
        return out
    rep_rate = report_epochs["seconds"][-1] / report_epochs["epochs"][-1]
    rep0 = report_epochs["difference"][0]
    out["zero_note"] = ((f"The report's {rep0:.3f} at zero epochs is close to what an all-black guess scores on these "
                         f"digits ({black:.3f}): its untrained model most likely output near-zero pixels. "
                         if abs(rep0 - black) <= 0.25 * black else
                         f"The report's {rep0:.3f} at zero epochs is far from what an all-black guess scores on these "
                         f"digits ({black:.3f}). ") + "The zero-epoch row compares starting points, not learning.")
    out["speed_note"] = speed_note(median, n_train, rep_rate, REPORT_TRAIN_IMAGES)
    return out


REPORT_TRAIN_IMAGES = 50_000  # the report trained on MNIST's 60,000 less a validation split of 10,000


def speed_note(seconds: float, n_train: int, report_seconds: float, report_images: int) -> str:
    """Our epoch against the report's, per training image: an epoch of 10,000 images against one
    of 50,000 compares nothing. The report names no hardware, so the gap is not split further."""
    ours, theirs = 1e3 * seconds / n_train, 1e3 * report_seconds / report_images
    ratio = theirs / ours
    pace = f"{ratio:.1f} times faster" if ratio >= 1 else f"{1 / ratio:.1f} times slower"
    return (f"Speed: one epoch of {n_train:,} images takes {seconds:.2f} s here (the median after the first), "
            f"{ours:.3f} ms per image, against the report's {report_seconds:.1f} s for {report_images:,} images, "
            f"{theirs:.3f} ms per image: per image this run is {pace}. The report does not name its hardware, so "
            f"the gap cannot be split between the machine and the training loop.")


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


def seed_values(by_seed: dict, test: torch.Tensor) -> dict:
    """{setting: {seed: run}} -> {setting: [mean difference at each seed]}, the page's seed first.
    A run without finite weights does not count."""
    return {key: [float(metrics.difference(test, metrics.reconstruct(r.model(max(r.snapshots)), test)).mean())
                  for r in seeds.values() if r.snapshots] for key, seeds in by_seed.items()}


def seed_range(values: dict) -> dict:
    """{setting: [value per seed]} -> {setting: largest minus smallest} (0 with one seed, NaN with none)."""
    return {key: max(v) - min(v) if v else math.nan for key, v in values.items()}


def is_constant(recon: torch.Tensor) -> bool:
    """Whether a model's outputs are the same image whatever the input (no pixel varies by 1e-4)."""
    return bool(recon.std(0).max().item() < 1e-4)


REPORT_RATE_EPOCHS = 5  # the report's learning-rate sweep: five epochs of its 50,000 training images


def adam_steps(epochs: int, n_images: int, batch_size: int) -> int:
    """Optimisation steps of a training: one per batch, the last batch possibly short."""
    return epochs * math.ceil(n_images / batch_size)


def rates_verdicts(ours: pd.DataFrame, runs: dict, seeds: dict, recon: dict, epochs: int, n_train: int,
                   batch_size: int) -> dict:
    """Section 2's two verdicts: {"best": ..., "large": ...}. The best rates are judged against the
    seed margin of `seeds` ({lr: [difference per seed]}); a sweep with fewer Adam steps per rate
    than the report's (five epochs of 50,000 images at this batch size) cannot test which rates
    work best, since a small rate needs the steps it lacks."""
    from aelib.book import claims
    best = claims.best_rates(dict(ours["difference"]), seeds)
    steps = adam_steps(epochs, n_train, batch_size)
    theirs = adam_steps(REPORT_RATE_EPOCHS, REPORT_TRAIN_IMAGES, batch_size)
    if steps < theirs:
        best = claims.short_budget(best, f"{steps:,} Adam steps per rate ({epochs:,} epochs of {n_train:,} images)",
                                   f"about {theirs:,} (five epochs of {REPORT_TRAIN_IMAGES:,} at the same batch size)")
    large = claims.large_rates_rise({lr: r.history.val_loss for lr, r in runs.items()},
                                    {lr: r.history.nonfinite for lr, r in runs.items()},
                                    {lr: is_constant(recon[lr]) for lr in runs})
    return {"best": best, "large": large}


def run_labels(runs: dict, shown: dict, recon: dict) -> dict:
    """Row labels of section 2: "lr 0.1 (diverged)", "lr 1e-06 (constant output)", ..."""
    out = {}
    for lr, run in runs.items():
        h = run.history
        state = [f"non-finite, epoch {shown[lr]} shown" if h.nonfinite else "diverged" if h.diverged else "",
                 "constant output" if is_constant(recon[lr]) else ""]
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
    training and on test images, mean over the seeds, its lowest and highest (equal with one
    seed) and the test error's standard deviation over the seeds (NaN with one)."""
    import statistics
    rows = []
    for k, seeds in runs.items():
        se = {name: [float(metrics.se_per_image(x, metrics.reconstruct(r.model(), x)).mean()) for r in seeds]
              for name, x in (("train", train), ("test", test))}
        rows.append({"latent": k, "seeds": len(seeds),
                     **{f"se {n} {stat}": f(v) for n, v in se.items()
                        for stat, f in (("mean", lambda v: sum(v) / len(v)), ("lo", min), ("hi", max))},
                     "se test sd": statistics.stdev(se["test"]) if len(seeds) > 1 else math.nan})
    return pd.DataFrame(rows).set_index("latent")


def seed_margin(seeds: pd.DataFrame) -> tuple[float | None, str]:
    """The relative gap below which two code sizes count as within noise, and a sentence saying
    where it comes from: the half-width of a 95% prediction interval for the gap between two
    trainings, t(df) * s * sqrt(2), with s the seed-to-seed standard deviation of the test error
    relative to its mean, pooled over the code sizes trained at several seeds (df: their seeds
    less one each). (None, why) where no code size has several seeds."""
    from scipy.stats import t as student
    several = seeds[seeds["seeds"] > 1]
    if several.empty:
        return None, "each code size was trained once, so nothing measures how far the error moves between trainings"
    df = int((several["seeds"] - 1).sum())
    rel = math.sqrt(float(((several["seeds"] - 1) * (several["se test sd"] / several["se test mean"]) ** 2).sum()) / df)
    q = float(student.ppf(0.975, df))
    margin = q * rel * math.sqrt(2)
    return margin, (f"gaps under {margin:.1%} of the error count as within noise: the half-width of a 95% prediction "
                    f"interval for the gap between two trainings (t with {df} degree{'s' * (df != 1)} of freedom, "
                    f"{q:.2f}, times the seed-to-seed standard deviation, {rel:.1%} of the error, pooled over the "
                    f"code sizes up to {several.index.max():,} trained at {_ks(sorted(set(several['seeds'])))} seeds, "
                    f"times √2)")


REPORT_LARGEST_CODE = 16_384  # the report's "massive latent space", whose overfitting it claims


def latent_verdicts(se_train: dict, se_test: dict, margin: float | None, margin_text: str) -> dict:
    """Section 3's two verdicts, {"better": ..., "overfit": ...}, from the mean errors over each
    size's seeds. With no margin (one training per size) neither can be told; a sweep whose
    largest code is not the report's 16,384 cannot test that code's overfitting."""
    from aelib.book import claims
    if margin is None:
        return {key: claims.Verdict(claim, claims.CANNOT, "nothing in this profile measures the noise between "
                                                          "trainings (see the margin)") for key, claim in
                (("better", "a larger code reconstructs better"), ("overfit", "the largest code overfits"))}
    better = claims.larger_code_better(se_test, margin)
    overfit = claims.largest_code_overfits(se_train, se_test, margin)
    big = max(se_test)
    if big != REPORT_LARGEST_CODE:
        overfit = claims.short_budget(overfit, f"a largest code of {big:,}", f"{REPORT_LARGEST_CODE:,}")
    return {"better": better, "overfit": overfit}


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
    """Which models answer every input with the same image ("" when every one learned)."""
    if not dead:
        return ""
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


def timing_margin(epoch_seconds: dict[str, list[float]]) -> tuple[float, str]:
    """The relative gap below which two timings count as noise, measured: the larger relative
    interquartile range of the named runs' epoch times after the first (how far one epoch's time
    moves from the next on the machine that trained it), with a sentence saying so."""
    import numpy as np
    spread = {}
    for name, sec in epoch_seconds.items():
        steady = np.asarray(sec[1:] if len(sec) > 2 else sec, dtype=float)
        q1, q3 = np.percentile(steady, [25, 75])
        spread[name] = float(q3 - q1) / float(np.median(steady))
    worst = max(spread, key=spread.get)
    return spread[worst], (f"timings count as different beyond {spread[worst]:.0%}, the larger spread of the epoch "
                           f"times within one training (the interquartile range over the median, {worst}'s)")


def conv_verdicts(ours: pd.DataFrame, small: int, large: int, dead: list[str], seeds: dict[str, list[float]],
                  epoch_seconds: dict[str, list[float]]) -> dict:
    """Section 6's four verdicts. Accuracy gaps are judged against `claims.seed_margin` of the two
    models' differences at every seed (`seeds`); times against `timing_margin` of the two models'
    epoch times (`epoch_seconds`), whose sentence is `time_margin_text` of `conv_notes`."""
    from aelib.book import claims
    out = {}
    for key, k, claim in (("accurate", large, "the convolutional model reconstructs more accurately than the MLP"),
                          ("small", small, "at a small code the convolutional model is clearly better")):
        conv, mlp = ours.loc[f"conv-{k}"], ours.loc[f"mlp-{k}"]
        out[key] = claims.conv_better(conv["difference"], mlp["difference"], (seeds[f"conv-{k}"], seeds[f"mlp-{k}"]),
                                      claim)
    conv, mlp = ours.loc[f"conv-{large}"], ours.loc[f"mlp-{large}"]
    rel, _ = timing_margin({n: epoch_seconds[n] for n in (f"conv-{large}", f"mlp-{large}")})
    for key, col, unit in (("faster", "seconds", "s of training"), ("step", "ms/step", "ms per step")):
        a, b = conv[col], mlp[col]
        out[key] = claims.Verdict("the convolutional model trains faster", claims.compare(a, b, rel * min(a, b)),
                                  f"{a:.2f} {unit} against {b:.2f} for the MLP")
    for key, v in out.items():
        names = [f"conv-{small if key == 'small' else large}", f"mlp-{small if key == 'small' else large}"]
        if any(n in dead for n in names):
            out[key] = claims.Verdict(v.claim, claims.CANNOT, f"{' and '.join(n for n in names if n in dead)} did not learn")
    return out


def conv_notes(ours: pd.DataFrame, large: int, theirs: dict, epochs_table: dict, applies: bool,
               epoch_seconds: dict[str, list[float]]) -> dict:
    """Section 6's note on the report's own table (its two time entries may be swapped) and the
    origin of the timing margin."""
    _, margin_text = timing_margin({n: epoch_seconds[n] for n in (f"conv-{large}", f"mlp-{large}")})
    if not applies:
        return {"report_note": "The report measured MNIST: its numbers are not compared on this dataset.",
                "time_margin_text": margin_text}
    at10 = epochs_table["epochs"].index(10) if 10 in epochs_table["epochs"] else None
    swapped = (at10 is not None and theirs["seconds"][1] == epochs_table["seconds"][at10]
               and theirs["difference"][0] == epochs_table["difference"][at10])
    note = ("The report's own table may have its entries mixed up: the convolutional model's "
            f"{theirs['seconds'][1]} s equals the report's 10-epoch time of the MLP in its epoch experiment, and the "
            f"MLP's difference of {theirs['difference'][0]:.3f} equals that same run's. Its timings are not ours to "
            "reproduce: the verdicts compare the two models with each other, trained under one recipe on one machine." if swapped else
            "The report's timings come from other hardware: the verdicts compare the two models with each other, "
            "trained under one recipe on one machine.")
    return {"report_note": note, "time_margin_text": margin_text}
