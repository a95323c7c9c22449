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
    """Measure and noise factor (rows) by the noisy input and each model (columns): the noisy
    input's mean, and each model's value (the main seed) with its band [lo, hi] across seeds and
    test-set intervals; three columns of values, so that the table fits the page's column.
    `bands[measure][model]` = {"value", "lo", "hi"} lists, as `findings.bands` gives them."""
    import pandas as pd
    noisy = result.scores("noisy input")
    digits = {"psnr": 2, "ssim": 3, "noise_gain": 2}
    label = {"psnr": "PSNR (dB)", "ssim": "SSIM", "noise_gain": "noise gain"}
    rows = {}
    for measure, d in digits.items():
        for i, f in enumerate(result.noise):
            row = {"noisy input": f"{getattr(noisy, measure)[i]:.{d}f}" if measure != "noise_gain" else "–"}
            for m in models:
                b = bands[measure][m]
                row[m] = f"{b['value'][i]:.{d}f} [{b['lo'][i]:.{d}f}, {b['hi'][i]:.{d}f}]"
            rows[(label[measure], f"{f:g}")] = row
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis(["measure", "noise factor"])
