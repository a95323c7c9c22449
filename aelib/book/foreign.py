"""Section 4, images unlike the training data: the table of each image's measures beside the
model's own real digits, the yardstick of "recognisable", and the page's glued sentences."""
from __future__ import annotations

import pandas as pd
import torch

from aelib import metrics


def table(inputs: torch.Tensor, names: list[str], recon: dict[str, torch.Tensor],
                  digits: dict[str, dict]) -> pd.DataFrame:
    """Section 4: per model and image, the difference, PSNR, SSIM and the explained share (see
    `metrics.explained`), then each model's real test digits (median) for comparison."""
    frames = {}
    for label, out in recon.items():
        t = pd.DataFrame({"difference": metrics.difference(inputs, out), "PSNR": metrics.psnr(inputs, out),
                          "SSIM": metrics.ssim(inputs, out), "explained": metrics.explained(inputs, out)}, index=names)
        t.loc["MNIST test digits (median)"] = [digits[label][m] for m in ("difference", "psnr", "ssim", "explained")]
        frames[label] = t
    return pd.concat(frames, names=["model", "image"])


def digit_scores(test: torch.Tensor, out: torch.Tensor, low: float, floor: float) -> dict[str, float]:
    """The median measures of real test digits through a model, and the `low` and `floor`
    quantiles of their explained share (the yardstick of "recognisable")."""
    rec = metrics.explained(test, out)
    return {"difference": float(metrics.difference(test, out).median()), "psnr": float(metrics.psnr(test, out).median()),
            "ssim": float(metrics.ssim(test, out).median()), "explained": float(rec.median()),
            "low": float(torch.quantile(rec, low)), "floor": float(torch.quantile(rec, floor))}


def page_note(model: str, latents: list[int]) -> str:
    """What this execution of the foreign-images page shows, and how it differs from the other."""
    sizes = " and ".join(f"{k:,}" for k in latents)
    if model == "mlp":
        return (f"This page runs the MLP at code size{'s' * (len(latents) > 1)} {sizes}, the report's first section; "
                f"a second page runs the same test through the convolutional model.")
    return (f"This page runs the same test as the MLP's page through the {model} model at code "
            f"size{'s' * (len(latents) > 1)} {sizes} (the report's later section); the method and the images are "
            f"those of the MLP's page, and only the models and their results differ.")


def own_note(own: dict) -> str:
    return (f"Your own images follow: {', '.join(own)}." if own else
            "No image of your own was added here: the parameter image_paths takes a list of files.")


def reference_two(data) -> torch.Tensor:
    """The first "2" of the test set as it is, (1, 1, 28, 28): the inverted "2"'s reference."""
    from aelib.data import to_float
    i = int((data.test_labels == 2).nonzero()[0])
    return to_float(data.test_images[i:i + 1])


def blank_ssim(x: torch.Tensor, names: list[str]) -> dict:
    """The SSIM an all-black answer scores on the skeleton and on "Ai": what SSIM gives for nothing."""
    s = metrics.ssim(x, torch.zeros_like(x))
    return {"blank_ssim_skeleton": float(s[names.index("skeleton")]), "blank_ssim_ai": float(s[names.index("Ai")])}


def check_yardstick(values) -> tuple[float, float]:
    """The two shares of real digits that bound "recognisable" and "not recognisable"."""
    from aelib.config import check_float_list
    v = check_float_list("yardstick", values, 0.0, 0.5)
    if len(v) != 2 or v[1] > v[0]:
        raise ValueError(f"yardstick must be two shares [low, floor] with floor <= low, e.g. [0.05, 0.01], got {values!r}")
    return v[0], v[1]


def notes(table: pd.DataFrame, only_ai: dict, two: dict, digits: dict) -> dict:
    """Section 4's glued sentences, one clause per model."""
    models = list(only_ai)
    main = next((m for m in models if m.endswith("-128")), models[0])
    per = lambda verdicts: " ".join(f"with {m}, {v.outcome} ({v.evidence})." for m, v in verdicts.items())
    return {"only_ai_text": per(only_ai), "two_text": per(two), "main": main,
            "two_plain": table.loc[(main, "2, not inverted"), "explained"],
            "digits_median": digits[main]["explained"], "ai_explained": table.loc[(main, "Ai"), "explained"]}


def to_json(table: pd.DataFrame, names: list[str], models) -> dict:
    """Section 4's per-image measures for the results file: {measure: {model: [per image]}}."""
    return {col.lower(): {m: [float(table.loc[(m, n), col]) for n in names] for m in models}
            for col in ("difference", "PSNR", "SSIM", "explained")}
