"""Figures. Each function takes data, returns a matplotlib Figure, and never saves or shows it;
captions belong to the page (cell metadata), not to the figure."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch


def set_style() -> None:
    """The book's one plotting style."""
    plt.rcParams.update({
        "figure.dpi": 110, "savefig.dpi": 110, "font.size": 10, "axes.grid": True,
        "grid.alpha": 0.3, "axes.spines.top": False, "axes.spines.right": False,
        "legend.frameon": False, "image.cmap": "gray",
    })


def image_rows(rows: Sequence[torch.Tensor], labels: Sequence[str], scale: float = 0.9):
    """One row of images per entry of `rows` (each (N, 1, H, W) or (N, H, W) in [0, 1]),
    labelled on the left: originals above their reconstructions."""
    n = max(len(r) for r in rows)
    fig, axes = plt.subplots(len(rows), n, figsize=(scale * n + 1.2, scale * len(rows)), squeeze=False)
    for r, (images, label) in enumerate(zip(rows, labels)):
        for c in range(n):
            ax = axes[r, c]
            ax.set_xticks([]), ax.set_yticks([]), ax.grid(False)
            for s in ax.spines.values():
                s.set_visible(False)
            if c < len(images):
                ax.imshow(np.asarray(images[c]).squeeze(), vmin=0, vmax=1, cmap="gray")
        axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
    fig.subplots_adjust(wspace=0.05, hspace=0.05, left=0.16)
    return fig


def curves(series: Mapping[str, Sequence[float]], xlabel: str, ylabel: str, x: Sequence | None = None,
           logy: bool = False, ax=None):
    """Several named curves on one axis (loss per epoch, metric per noise factor, ...)."""
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6, 3.6))
    for name, ys in series.items():
        xs = x if x is not None else range(len(ys))
        ax.plot(list(xs)[:len(ys)], ys, marker="o", ms=3, label=name)
    ax.set_xlabel(xlabel), ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    ax.legend()
    return fig


def time_vs_epochs(epochs: Sequence[int], seconds: Sequence[float], slope: float, intercept: float,
                   reference: Mapping[int, float] | None = None, ax=None):
    """Cumulative training time against epochs with its least-squares line; optionally the
    report's timings beside ours."""
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6, 3.6))
    ax.plot(epochs, seconds, "o", label="this book (measured)")
    xs = np.linspace(0, max(epochs), 50)
    ax.plot(xs, intercept + slope * xs, "-", alpha=0.6, label=f"fit: {slope:.2f} s per epoch")
    if reference:
        ax.plot(list(reference), list(reference.values()), "s", mfc="none", label="lab report")
    ax.set_xlabel("epochs"), ax.set_ylabel("training time (s)")
    ax.legend()
    return fig
