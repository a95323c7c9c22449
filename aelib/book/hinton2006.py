"""The table every machine-learning reader knows: Hinton and Salakhutdinov (2006), "Reducing the
dimensionality of data with neural networks", Science 313:504-507, Fig. 2B. For a code of 30
numbers it gives the squared error per MNIST test image, summed over the 784 pixels in [0, 1],
of three methods: a deep autoencoder (784-1000-500-250-30, pretrained layer by layer as
restricted Boltzmann machines, then fine-tuned), logistic PCA and PCA.

Their PCA is the plain projection: its reconstructions are not clipped to [0, 1], which our
other pages do (a clipped pixel can only move closer to its true value in [0, 1], so clipping
lowers the error). `pca_errors` gives both, and `reproduces` checks the unclipped one against the
paper's figure.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from aelib.book.claims import CANNOT, FAILS, HOLDS, NOISE, Verdict
from aelib.metrics import se_per_image
from aelib.pca import PCA

LATENT = 30
PAPER = {"deep autoencoder": 3.00, "logistic PCA": 8.01, "PCA": 13.87}  # Fig. 2B, squared error per test image
PCA_TOLERANCE = 0.15  # how close our unclipped PCA must come to the paper's 13.87 to count as the same method
PAPER_TEST = 10_000  # the paper's test set: all of MNIST's test digits
FIT_AT_LEAST = 50_000  # our whole training split (MNIST's 60,000 less 10,000 for validation): the paper fit on all


def errors(x: torch.Tensor, x_hat: torch.Tensor) -> np.ndarray:
    """Squared error per image (summed over its pixels), one value per image."""
    return se_per_image(x, x_hat).double().numpy()


def pca_errors(pca: PCA, test: torch.Tensor) -> dict[str, np.ndarray]:
    """A fitted PCA measured on `test`: as the paper computes it (unclipped) and as our other
    pages do (clipped to [0, 1])."""
    return {clip_name: errors(test, pca.reconstruct(test, clip=clip))
            for clip_name, clip in (("PCA, as in the paper (unclipped)", False), ("PCA, clipped to [0, 1]", True))}


def mean_ci(values: np.ndarray) -> tuple[float, float]:
    """The mean and the half-width of its 95% interval (normal approximation)."""
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        raise ValueError("no values to average")
    half = 1.96 * float(v.std(ddof=1)) / np.sqrt(v.size) if v.size > 1 else float("nan")
    return float(v.mean()), half


def reproduces(ours: float, paper: float = PAPER["PCA"], tolerance: float = PCA_TOLERANCE) -> Verdict:
    """Whether our PCA is the paper's: within `tolerance` of its figure."""
    claim = f"PCA with {LATENT} components leaves {paper:.2f} squared error per test image"
    gap = ours - paper
    outcome = HOLDS if abs(gap) <= tolerance else FAILS
    return Verdict(claim, outcome, f"our unclipped PCA gives {ours:.2f} ({round(gap, 2) + 0.0:+.2f}; tolerance "
                                   f"±{tolerance:.2f})")


def beats(name: str, per_image: np.ndarray, paper: float = PAPER["deep autoencoder"]) -> Verdict:
    """Whether model `name`, with these per-image errors on the test set, beats the paper's deep
    autoencoder: HOLDS when the 95% interval of our mean lies wholly below the paper's figure,
    FAILS when wholly above, NOISE when it straddles it. (The paper's own figure carries no
    interval; its test set is the same 10,000 digits, so the interval here is ours alone.)"""
    claim = f"{name} beats the 2006 deep autoencoder's {paper:.2f} squared error per test image"
    if len(per_image) < 2:
        return Verdict(claim, CANNOT, f"{len(per_image)} test image: too few for an interval")
    mean, half = mean_ci(per_image)
    gap = paper - mean
    evidence = (f"{mean:.2f} ± {half:.2f} on {len(per_image):,} test images, {abs(gap):.2f} ({abs(gap) / paper:.0%}) "
                f"{'below' if gap > 0 else 'above'} the paper's {paper:.2f}")
    if mean + half < paper:
        return Verdict(claim, HOLDS, evidence)
    if mean - half > paper:
        return Verdict(claim, FAILS, evidence)
    return Verdict(claim, NOISE, evidence)


# Our comparison with the paper's figure is no claim of anyone's: its outcome reads as a verb.
BEATS = {HOLDS: "beats", FAILS: "falls short of", NOISE: "cannot be told apart from", CANNOT: "is not compared with"}


def table(ours: dict[str, np.ndarray]) -> pd.DataFrame:
    """The paper's three rows beside ours: one row per method, the squared error per test image
    (mean and 95% half-width for ours)."""
    rows = [{"method": f"{name} (2006)", "squared error per image": value, "±": np.nan, "source": "paper"}
            for name, value in PAPER.items()]
    for name, per_image in ours.items():
        mean, half = mean_ci(per_image)
        rows.append({"method": name, "squared error per image": mean, "±": half, "source": "measured here"})
    return pd.DataFrame(rows).set_index("method")


def findings(ours: dict[str, np.ndarray], pca_name: str, applies: bool, n_fit: int) -> dict:
    """The page's verdicts: our unclipped PCA (fitted on `n_fit` training images) against the
    paper's, and each autoencoder of ours against the paper's deep autoencoder. Off MNIST
    (`applies` False) the paper's figures say nothing, and every verdict is CANNOT; a PCA fitted
    on fewer images than the whole training split, or measured on fewer than all 10,000 test
    digits, is not the paper's measurement, and its verdict is CANNOT with its figure given."""
    autoencoders = [n for n in ours if not n.startswith("PCA")]
    if not applies:
        why = "the paper measured MNIST; this execution used another image set"
        return {"pca": Verdict("our PCA is the paper's", CANNOT, why),
                **{n: Verdict(f"{n} beats the 2006 deep autoencoder", CANNOT, why) for n in autoencoders}}
    pca = reproduces(float(np.mean(ours[pca_name])))
    n_test = len(ours[pca_name])
    if n_fit < FIT_AT_LEAST or n_test < PAPER_TEST:
        pca = Verdict(pca.claim, CANNOT, f"fitted on {n_fit:,} training images and measured on {n_test:,} test "
                                         f"digits, where the paper used all of MNIST's training images and all "
                                         f"{PAPER_TEST:,} test digits: {pca.evidence}")
    return {"pca": pca, **{n: beats(n, ours[n]) for n in autoencoders}}


def pretraining_text(verdict: Verdict) -> str:
    """What our recipe's outcome says about the 2006 paper's layer-wise pretraining."""
    if verdict.outcome == HOLDS:
        return ("No pretraining was needed: batch normalisation, Adam and a decaying learning rate train the "
                "paper's layer widths from scratch past its figure.")
    if verdict.outcome == CANNOT:
        return "The paper's figure does not apply here, so this says nothing about its pretraining."
    return ("Trained from scratch with this budget, the paper's layer widths do not get past its figure here: more "
            "epochs or another recipe would be needed.")
