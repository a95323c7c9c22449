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
                          "SSIM": metrics.ssim(inputs, out), "explained": metrics.explained(inputs, out),
                          "object": object_share(inputs, out)}, index=names)
        t.loc["MNIST test digits (median)"] = [digits[label][m] for m in ("difference", "psnr", "ssim", "explained",
                                                                          "object")]
        frames[label] = t
    return pd.concat(frames, names=["model", "image"])


def digit_scores(test: torch.Tensor, out: torch.Tensor, low: float, floor: float) -> dict[str, float]:
    """The median measures of real test digits through a model, and the `low` and `floor`
    quantiles of their explained share (the yardstick of "recognisable")."""
    rec = metrics.explained(test, out)
    return {"difference": float(metrics.difference(test, out).median()), "psnr": float(metrics.psnr(test, out).median()),
            "ssim": float(metrics.ssim(test, out).median()), "explained": float(rec.median()),
            "object": float(object_share(test, out).median()),
            "low": float(torch.quantile(rec, low)), "floor": float(torch.quantile(rec, floor))}


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


SHIFTS = ((1, 0), (-1, 0), (0, 1), (0, -1))  # one pixel down, up, right, left
SHIFT_ORIGIN = ("the larger of the two images' changes in explained share when the input moves by one pixel, as "
                "far as the centring by centre of mass can misplace it")


def shift_spread(model, x: torch.Tensor) -> torch.Tensor:
    """Per image of x (K, 1, 28, 28), the largest change of its explained share when the input
    is moved by one pixel in each direction: MNIST's preparation centres an image by its centre
    of mass to the nearest whole pixel, so a gap between two images' shares smaller than this
    says nothing about the model (the margin of `claims.only_ai`)."""
    from aelib.metrics import reconstruct
    base = metrics.explained(x, reconstruct(model, x))
    moved = [metrics.explained(xs, reconstruct(model, xs)) for xs in
             (torch.roll(x, shifts=s, dims=(2, 3)) for s in SHIFTS)]
    return (torch.stack(moved) - base).abs().amax(0)


def object_share(x: torch.Tensor, x_hat: torch.Tensor) -> torch.Tensor:
    """Per image, the explained share inside the box around its non-black pixels: the object,
    without the black frame around it. For a photograph fitted into the box it is the picture;
    the share over the whole 28×28 also rewards the box's edge against the black."""
    out = []
    for a, b in zip(x[:, 0], x_hat[:, 0]):
        rows, cols = (a > 0).any(1).nonzero(), (a > 0).any(0).nonzero()
        if not len(rows):
            out.append(float("nan"))
            continue
        box = (slice(int(rows.min()), int(rows.max()) + 1), slice(int(cols.min()), int(cols.max()) + 1))
        out.append(float(metrics.explained(a[box][None, None], b[box][None, None])))
    return torch.tensor(out)


def notes(table: pd.DataFrame, only_ai: dict, two: dict, digits: dict) -> dict:
    """Section 4's glued sentences, one per model."""
    models = list(only_ai)
    main = next((m for m in models if m.endswith("-128")), models[0])
    per = lambda verdicts: " ".join(f"With {m}, {v.outcome}: {v.evidence}." for m, v in verdicts.items())
    return {"only_ai_text": per(only_ai), "two_text": per(two), "main": main, "frame_note": frame_note(table, models),
            "two_plain": table.loc[(main, "2, not inverted"), "explained"],
            "digits_median": digits[main]["explained"], "ai_explained": table.loc[(main, "Ai"), "explained"]}


def frame_note(table: pd.DataFrame, models: list[str]) -> str:
    """What the explained share rewards where the photograph outranks "Ai": the frame, not the picture."""
    above = [m for m in models if table.loc[(m, "photograph"), "explained"] > table.loc[(m, "Ai"), "explained"]]
    if not above:
        return ""
    inside = ", ".join(f"{table.loc[(m, 'photograph'), 'object']:.2f} through {m}" for m in above)
    from aelib.book.claims import _join
    return (f"Through {_join(above)} the photograph outranks \"Ai\". That says more about the measure than "
            f"about the picture: brought into MNIST's format, the photograph is a grey box on black, and most of its "
            f"variation is the box's edge against the black, which any blurred square gets right. Inside the box, "
            f"where the cat is, the explained share is {inside}.")


def to_json(table: pd.DataFrame, names: list[str], models) -> dict:
    """Section 4's per-image measures for the results file: {measure: {model: [per image]}}."""
    return {col.lower(): {m: [float(table.loc[(m, n), col]) for n in names] for m in models}
            for col in ("difference", "PSNR", "SSIM", "explained", "object")}
