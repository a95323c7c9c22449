"""The denoising pages' tables (pandas is imported only when one is drawn)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from aelib.denoise.scores import Evaluation


def scores_table(result: Evaluation, metric: str, digits: int = 2):
    """Methods (rows) by noise factor (columns): "mean ± half-width of the 95% interval", with
    the number of test images each method was scored on."""
    import pandas as pd
    if metric not in ("psnr", "ssim"):
        raise ValueError(f"metric must be 'psnr' or 'ssim', got {metric!r}")
    rows = {name: result.scores(name) for name in ["noisy input", *result.methods]}
    cells = {name: [f"{m:.{digits}f} ± {h:.{digits}f}" for m, h in zip(getattr(s, metric), getattr(s, metric + "_ci"))]
             + [f"{s.n_images:,}"] for name, s in rows.items()}
    columns = [f"f = {f:g}" for f in result.noise] + ["images"]
    return pd.DataFrame.from_dict(cells, orient="index", columns=columns).rename_axis("method")


def tuned_table(tuned: Mapping[str, dict]):
    """The parameter each classical method was given at each factor, and how many validation
    images chose it."""
    import pandas as pd
    return pd.DataFrame({f"{name} ({t['param']})": {**{f"f = {f:g}": f"{v:g}" for f, v in t["values"].items()},
                                                    "validation images": f"{t['n_images']:,}"}
                         for name, t in tuned.items()}).T


def bands_table(result: Evaluation, models: Sequence[str], bands: Mapping[str, Mapping[str, dict]]):
    """Noise factors (rows) by measure and model (columns): the noisy input's mean, and each
    model's value (the main seed) with its band [lo, hi] across seeds and test-set intervals.
    `bands[measure][model]` = {"value", "lo", "hi"} lists, as `findings.bands` gives them."""
    import pandas as pd
    noisy = result.scores("noisy input")
    digits = {"psnr": 2, "ssim": 3, "noise_gain": 2}
    label = {"psnr": "PSNR", "ssim": "SSIM", "noise_gain": "noise gain"}
    columns = {}
    for measure in ("psnr", "ssim", "noise_gain"):
        d = digits[measure]
        if measure != "noise_gain":
            columns[f"{label[measure]} noisy"] = [f"{v:.{d}f}" for v in getattr(noisy, measure)]
        for m in models:
            b = bands[measure][m]
            columns[f"{label[measure]} {m}"] = [f"{v:.{d}f} [{lo:.{d}f}, {hi:.{d}f}]"
                                               for v, lo, hi in zip(b["value"], b["lo"], b["hi"])]
    return pd.DataFrame(columns, index=pd.Index([f"{f:g}" for f in result.noise], name="noise factor"))
