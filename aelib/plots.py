"""Figures. Each function takes data, returns a matplotlib Figure, and never saves or shows it;
captions belong to the page (cell metadata), not to the figure."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch


# A figure is shown at most COLUMN_PX pixels wide in a 1280-pixel window (measured there in
# Chromium: tools/check_site.py); a wider figure is scaled down to it, its text with it. Every
# figure keeps its smallest text at MIN_TEXT_PX or more once shown (tests/test_plots.py checks each
# figure function at this width; the browser check measures every figure of the built site).
COLUMN_PX = 672
MIN_TEXT_PX = 9.0


def text_scale(fig) -> float:
    """Rendered pixels per point of text for `fig` shown in the book's column."""
    dpi = plt.rcParams["savefig.dpi"] if plt.rcParams["savefig.dpi"] != "figure" else fig.dpi
    return min(dpi / 72, COLUMN_PX / (72 * fig.get_figwidth()))


def smallest_text_pt(fig) -> float:
    """The size in points of the smallest visible text of `fig`."""
    from matplotlib.text import Text
    fig.draw_without_rendering()  # tick labels exist only once drawn
    sizes = [t.get_fontsize() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    return min(sizes, default=float("inf"))


def smallest_text_px(fig) -> float:
    """The size in pixels of the smallest visible text of `fig` as the book's column shows it."""
    return smallest_text_pt(fig) * text_scale(fig)


def readable(fig, relayout: bool = True):
    """Enlarge any text of `fig` that would show below MIN_TEXT_PX in the book's column, then lay
    the figure out again (`relayout`); returns the figure."""
    from matplotlib.text import Text
    least = MIN_TEXT_PX / text_scale(fig)
    for ax in fig.axes:  # tick labels are made at drawing time: set their size, not only today's labels'
        for axis in (ax.xaxis, ax.yaxis):
            for which in ("major", "minor"):
                ticks = axis.get_major_ticks() if which == "major" else axis.get_minor_ticks()
                size = ticks[0].label1.get_fontsize() if ticks else plt.rcParams["xtick.labelsize"]
                if isinstance(size, (int, float)) and size < least:
                    axis.set_tick_params(which=which, labelsize=least)
    fig.draw_without_rendering()
    for t in fig.findobj(Text):
        if t.get_visible() and t.get_text().strip() and t.get_fontsize() < least:
            t.set_fontsize(least)
    if relayout:
        fig.tight_layout()
    return fig


def set_style() -> None:
    """The book's one plotting style; inside IPython, figures are shown as PNGs that record the
    size of their smallest text (`show_text_size`)."""
    plt.rcParams.update({
        "figure.dpi": 110, "savefig.dpi": 110, "font.size": 10, "axes.grid": True,
        "grid.alpha": 0.3, "axes.spines.top": False, "axes.spines.right": False,
        "legend.frameon": False, "image.cmap": "gray",
    })
    show_text_size()


# The PNG text chunk that holds the height in image pixels of a figure's smallest text: a browser
# that knows how far the page scaled the image knows how large that text is on screen.
PNG_TEXT_KEY = "aelib smallest text px"


def smallest_text_image_px(fig) -> float:
    """The size of the smallest visible text of `fig`, in pixels of the image IPython shows (at
    the figure's dpi, as IPython.core.pylabtools.print_figure saves it)."""
    return smallest_text_pt(fig) * fig.dpi / 72


def png_with_text_size(fig) -> bytes | None:
    """`fig` as the PNG IPython would show, with its smallest text's size under PNG_TEXT_KEY."""
    from IPython.core.pylabtools import print_figure
    return print_figure(fig, "png", bbox_inches="tight", metadata={PNG_TEXT_KEY: f"{smallest_text_image_px(fig):.2f}"})


def show_text_size() -> None:
    """Inside IPython, show every figure through `png_with_text_size` (tools/check_site.py reads
    the record back in the browser); elsewhere, nothing."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    from matplotlib.figure import Figure
    plt.switch_backend(plt.get_backend())  # the inline backend registers its own formatter on loading: first
    shell.display_formatter.formatters["image/png"].for_type(Figure, png_with_text_size)


def image_rows(rows: Sequence[torch.Tensor], labels: Sequence[str], scale: float = 0.9):
    """One row of images per entry of `rows` (each (N, 1, H, W) or (N, H, W) in [0, 1]),
    labelled on the left: originals above their reconstructions."""
    n = max(len(r) for r in rows)
    fig, ax = plt.subplots(figsize=(scale * n + 1.2, scale * len(rows)))
    tiles = [_batch(images) for images in rows]
    blank = torch.full_like(tiles[0][:1], float("nan"))  # fills a row shorter than the longest
    tiles = [torch.cat([t, blank.expand(n - len(t), -1, -1, -1)]) for t in tiles]
    grid = _grid(torch.cat(tiles), nrow=n)
    ax.imshow(grid, vmin=0, vmax=1, cmap="gray", interpolation="nearest")
    _bare(ax)
    h = tiles[0].shape[-2]
    ax.set_yticks([r * (h + GAP) + (h - 1) / 2 for r in range(len(rows))], labels, fontsize=9)
    fig.subplots_adjust(left=0.16)
    return readable(fig, relayout=False)


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


def curve_panels(panels: Mapping[str, Mapping[str, Sequence[float]]], xlabel: str, x: Sequence):
    """Axes stacked on one shared x at the column's width; `panels` maps each axis's y label to
    its named curves (e.g. PSNR and SSIM against the noise factor). One legend, below."""
    fig, axes = _stacked(len(panels), height=2.2)
    for ax, (ylabel, series) in zip(axes, panels.items()):
        curves(series, xlabel="", ylabel=ylabel, x=x, ax=ax)
        ax.get_legend().remove()
    axes[-1].set_xlabel(xlabel)
    return _legend_below(fig, axes)


GAP = 2  # blank pixels between the images of a grid


def _batch(images) -> torch.Tensor:
    """Images as a CPU float batch (N, 1, H, W); (N, H, W) gains its channel axis."""
    if isinstance(images, (list, tuple)):  # a list of (1, H, W) images
        images = torch.stack([torch.as_tensor(im) for im in images])
    t = torch.as_tensor(images).detach().to("cpu", torch.float32)
    return t.unsqueeze(1) if t.dim() == 3 else t  # (N, H, W) -> (N, 1, H, W)


def _grid(images: torch.Tensor, nrow: int) -> np.ndarray:
    """(k, 1, H, W) -> one (H, W) array of the images in rows of `nrow`, GAP pixels apart; the
    gaps are NaN and render blank. (torchvision's make_grid, less its frame: importing
    torchvision costs a page 2.5 s.)"""
    k, _, h, w = images.shape
    cols = min(nrow, k)
    rows = -(-k // cols)
    grid = np.full((rows * (h + GAP) - GAP, cols * (w + GAP) - GAP), np.nan, dtype=np.float32)
    for i, image in enumerate(images[:, 0].numpy()):
        r, c = divmod(i, cols)
        grid[r * (h + GAP):r * (h + GAP) + h, c * (w + GAP):c * (w + GAP) + w] = image
    return grid


def _bare(ax) -> None:
    ax.set_xticks([]), ax.set_yticks([]), ax.grid(False)
    ax.tick_params(length=0)
    for s in ax.spines.values():
        s.set_visible(False)


def image_blocks(rows: Sequence[Sequence[torch.Tensor]], row_labels: Sequence[str],
                 column_labels: Sequence[str], scale: float = 0.5):
    """A compact grid of image strips: rows[r][c] is a (k, 1, H, W) batch shown as one strip of k
    images; columns titled above the top row, rows labelled on the left (e.g. one row per noise
    factor and one block each for the noisy input and every model's output)."""
    k = max(len(b) for row in rows for b in row)
    fig, axes = plt.subplots(len(rows), len(column_labels), squeeze=False,
                             figsize=(scale * k * len(column_labels) + 1.0, scale * len(rows) + 0.4))
    for r, (row, label) in enumerate(zip(rows, row_labels)):
        for c, images in enumerate(row):
            ax = axes[r, c]
            ax.imshow(_grid(_batch(images), nrow=len(images)), vmin=0, vmax=1, cmap="gray", interpolation="nearest")
            _bare(ax)
            if r == 0:
                ax.set_title(column_labels[c], fontsize=9)
        axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
    fig.subplots_adjust(wspace=0.04, hspace=0.06, left=0.08, right=0.99, top=0.92, bottom=0.01)
    readable(fig, relayout=False)
    return fig


def against_latent(latents: Sequence[int], series: Mapping[str, Sequence[float]], ylabel: str,
                   logy: bool = True, ax=None, spans: Mapping[str, tuple[Sequence[float], Sequence[float]]] | None = None):
    """Named curves against the code size on a log2 axis ticked at each size (error per image of
    the autoencoder on training and test images, of PCA, ...); NaN entries are left out. `spans`
    gives some curves a bar from a low to a high value at each size (the range over seeds)."""
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6, 3.6))
    for (name, ys), marker in zip(series.items(), "osD^v<>"):
        ys = np.asarray(ys, dtype=float)
        ok = np.isfinite(ys)
        xs = np.asarray(latents)[ok]
        line, = ax.plot(xs, ys[ok], marker=marker, ms=4, label=name)
        if spans and name in spans:
            lo, hi = (np.asarray(v, dtype=float)[ok] for v in spans[name])
            ax.errorbar(xs, ys[ok], yerr=[ys[ok] - lo, hi - ys[ok]], fmt="none", ecolor=line.get_color(), capsize=3)
    ax.set_xscale("log", base=2)
    ax.set_xticks(list(latents), [f"{n:,}" for n in latents])
    ax.minorticks_off()
    ax.set_xlabel("latent size (floats per image)"), ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    ax.legend()
    return fig


def preprocessing(names: Sequence[str], originals: Sequence, greys: Sequence, results: Sequence[torch.Tensor],
                  scale: float = 1.5):
    """One row per image, three columns: the original (a PIL image, any size and mode), its
    greyscale version and the 28x28 input the model receives (each a (1, 28, 28) tensor)."""
    fig, axes = plt.subplots(len(names), 3, figsize=(3 * scale + 1.4, scale * len(names)), squeeze=False)
    for r, (name, orig, grey, res) in enumerate(zip(names, originals, greys, results)):
        for c, (img, kw) in enumerate([(orig, {}), (grey, {"vmin": 0, "vmax": 255}),
                                       (np.asarray(res).squeeze(), {"vmin": 0, "vmax": 1})]):
            ax = axes[r, c]
            ax.imshow(np.asarray(img), cmap="gray", interpolation="nearest" if c == 2 else "antialiased", **kw)
            ax.set_xticks([]), ax.set_yticks([]), ax.grid(False)
            for side in ax.spines.values():  # a thin frame, so that a white image shows its edges
                side.set(visible=True, color="0.7", linewidth=0.6)
            if r == 0:
                ax.set_title(["original", "greyscale", "28×28 input"][c], fontsize=9)
        axes[r, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
    fig.subplots_adjust(wspace=0.08, hspace=0.08, left=0.22)
    readable(fig, relayout=False)
    return fig


def rate_quality(points: Mapping[str, tuple[Sequence[float], Sequence[float]]], labels: Sequence[str],
                 marks: Mapping[str, float], ax=None):
    """Quality against bytes per image on a log x axis: `points` maps a series name (e.g.
    "float32 latents") to (bytes, PSNR) lists, each point annotated with its `labels` entry;
    `marks` draws a labelled vertical line at each reference size (e.g. the raw image)."""
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6.4, 3.8))
    for name, (xs, ys) in points.items():
        ax.plot(xs, ys, marker="o", ms=4, label=name)
        for x, y, text in zip(xs, ys, labels):
            ax.annotate(text, (x, y), textcoords="offset points", xytext=(4, -10), fontsize=8)
    for (name, x), style in zip(marks.items(), ["--", ":", "-."] * len(marks)):
        ax.axvline(x, color="k", ls=style, lw=1, label=name)
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:g}")  # 4, 16, 64 bytes rather than 2^n
    ax.set_xlabel("bytes per image"), ax.set_ylabel("PSNR on the test set (dB)")
    ax.legend(loc="lower right", fontsize=8)
    return fig


def curves_ci(panels: Mapping[str, Mapping[str, tuple[Sequence[float], Sequence[float]]]], xlabel: str,
              x: Sequence, dashed: Sequence[str] = (), reference: str | None = None):
    """Axes on one shared x, each curve with its 95% interval as error bars: `panels`
    maps each axis's y label to {name: (means, half-widths)}; names in `dashed` are drawn dashed
    (e.g. the classical methods beside the networks), the `reference` curve (e.g. the noisy
    input) black and dotted. One legend, below the axes, which are stacked at the column's width."""
    fig, axes = _stacked(len(panels))
    markers = "osD^v<>phX*"
    for ax, (ylabel, series) in zip(axes, panels.items()):
        colors = iter(plt.rcParams["axes.prop_cycle"].by_key()["color"] * 2)
        for (name, (ys, half)), marker in zip(series.items(), markers * 2):
            style = {"color": "k", "ls": ":"} if name == reference else \
                {"color": next(colors), "ls": "--" if name in dashed else "-"}
            ax.errorbar(list(x)[:len(ys)], ys, yerr=np.nan_to_num(np.asarray(half, dtype=float)), marker=marker,
                        ms=3.5, capsize=2, lw=1.2, label=name, **style)
        ax.set_ylabel(ylabel)
    axes[-1].set_xlabel(xlabel)
    return _legend_below(fig, axes)


def seconds_per_image(seconds: Mapping[str, float], counts: Mapping[str, int] | None = None, ax=None):
    """Horizontal bars of seconds per image on a log axis, one per method, fastest on top;
    optionally each bar annotated with the number of images it was measured on."""
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6, 0.32 * len(seconds) + 0.9))
    names = sorted(seconds, key=seconds.get, reverse=True)
    ax.barh(names, [seconds[n] for n in names], color="0.45")
    ax.set_xscale("log")
    ax.set_xlabel("seconds per image")
    ax.grid(axis="y", visible=False)
    for i, n in enumerate(names):
        text = f"{seconds[n]:.2g} s" + (f"  ({counts[n]:,} images)" if counts else "")
        ax.annotate(text, (seconds[n], i), xytext=(4, 0), textcoords="offset points", va="center", fontsize=8)
    ax.set_xlim(right=ax.get_xlim()[1] * 30)  # room for the annotations
    return fig


def error_bars(values: Mapping[str, tuple[float, float]], xlabel: str, shaded: Sequence[str] = ()):
    """Horizontal bars, one per row of `values` (label -> (value, 95% half-width or NaN)), in the
    given order from the top, each annotated with its value; rows named in `shaded` are drawn
    light (figures quoted from elsewhere) and the others dark (measured here)."""
    names = list(values)
    fig, ax = plt.subplots(figsize=(6.5, 0.36 * len(names) + 0.9))
    ys = range(len(names) - 1, -1, -1)
    means = [values[n][0] for n in names]
    halves = [0 if np.isnan(values[n][1]) else values[n][1] for n in names]
    ax.barh(list(ys), means, xerr=halves, color=["0.75" if n in shaded else "0.35" for n in names], capsize=3)
    ax.set_yticks(list(ys), names)
    ax.set_xlabel(xlabel)
    ax.grid(axis="y", visible=False)
    for y, n in zip(ys, names):
        ax.annotate(f"{values[n][0]:.2f}", (values[n][0], y), xytext=(6, 0), textcoords="offset points",
                    va="center", fontsize=8)
    ax.set_xlim(right=max(means) * 1.15)
    return readable(fig)


def _stacked(n: int, height: float = 2.7):
    """n axes stacked on one shared x, as wide as the book's column (a figure this wide is shown
    at its own size, its text unscaled): (fig, the axes top to bottom)."""
    fig, axes = plt.subplots(n, 1, figsize=(COLUMN_PX / plt.rcParams["figure.dpi"], height * n), sharex=True,
                             squeeze=False)
    return fig, list(axes[:, 0])


def _legend_below(fig, axes, ncol: int = 3):
    """One legend for all `axes` (the first one's entries) in `ncol` columns below them: beside
    the axes, a dozen entries squeeze the plot; above a legend this wide, they keep the width."""
    readable(fig)  # lays the axes out first; the legend below is outside them
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=ncol,
               fontsize=plt.rcParams["font.size"] * 0.9)
    return fig


def rate_distortion(series: Mapping[str, Sequence[Mapping]], lossless: Mapping[str, float] | None = None,
                    qualities: Sequence[str] = ("psnr", "ssim"), x: str = "bpp"):
    """Quality against bits per pixel (log axis), one panel per measure in `qualities`: `series`
    maps a curve's name to its points (dicts with `x` and each quality; drawn in order of bits).
    Names starting with "ours" are solid, the others dashed; `lossless` maps a lossless codec to
    its bits per pixel, drawn as a dotted vertical line. One legend, below the panels, which are
    stacked at the column's width."""
    labels = {"psnr": "PSNR (dB)", "ssim": "SSIM", "bpp": "bits per pixel (whole files)",
              "bpp_payload": "bits per pixel (payload only)", "bpp_stream": "bits per pixel (one stream)"}
    fig, axes = _stacked(len(qualities))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k, (ax, quality) in enumerate(zip(axes, qualities)):
        for i, (name, points) in enumerate(series.items()):
            pts = sorted((p for p in points if p.get(x) is not None), key=lambda p: p[x])
            ours = name.startswith("ours")
            ax.plot([p[x] for p in pts], [p[quality] for p in pts], color=colors[i % len(colors)],
                    ls="-" if ours else "--", lw=1.8 if ours else 1.1, marker="o" if ours else "s",
                    ms=3.5, label=name)
        for j, (name, bpp) in enumerate((lossless or {}).items()):
            ax.axvline(bpp, color=str(0.2 + 0.15 * j), ls=":", lw=1, label=f"{name} (lossless)")
        log_axis_plain(ax)
        ax.set_ylabel(labels.get(quality, quality))
        if k == 0:  # the bytes scale once, above the top panel
            top = ax.secondary_xaxis("top", functions=(lambda b: b * 98.0, lambda n: n / 98.0))  # 784 / 8
            log_axis_plain(top, scale=False)
            top.set_xlabel("bytes per image", fontsize=9)
    axes[-1].set_xlabel(labels.get(x, x))
    return _legend_below(fig, axes)


def byte_budget(rows: Mapping[str, tuple[float, float]], ax=None):
    """Horizontal stacked bars of bytes per image: `rows` maps a label to (payload, the rest:
    headers, tables and containers); the smallest file on top, each bar annotated with its total."""
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6.4, 0.36 * len(rows) + 1.0))
    names = sorted(rows, key=lambda n: sum(rows[n]), reverse=True)
    payload = [rows[n][0] for n in names]
    rest = [rows[n][1] for n in names]
    ax.barh(names, payload, color="0.3", label="payload (entropy-coded data)")
    ax.barh(names, rest, left=payload, color="0.75", label="headers, tables, container")
    for i, n in enumerate(names):
        ax.annotate(f"{sum(rows[n]):.0f} B", (sum(rows[n]), i), xytext=(4, 0), textcoords="offset points",
                    va="center", fontsize=8)
    ax.set_xlabel("bytes per image (mean over the test set)")
    ax.grid(axis="y", visible=False)
    ax.set_xlim(right=ax.get_xlim()[1] * 1.12)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, fontsize=8)
    return fig


def log_axis_plain(ax, scale: bool = True) -> None:
    """A log x axis ticked at 1, 2, 5 times powers of ten, labelled as plain numbers."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
    if scale:
        ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())


def epoch_times(seconds: Sequence[float], reference: Mapping | None = None, ax=None):
    """Wall time of each training epoch (bars) and their median after the first (line); with
    `reference` (the report's {"epochs": [...], "seconds": [...]}), its time per epoch as a dashed line."""
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6.4, 3.2))
    epochs = np.arange(1, len(seconds) + 1)
    ax.bar(epochs, seconds, color="C0", label="this book, per epoch")
    if len(seconds) > 1:
        ax.axhline(float(np.median(seconds[1:])), color="C1", label="median after the first epoch")
    if reference is not None:
        ax.axhline(reference["seconds"][-1] / reference["epochs"][-1], color="C2", ls="--", label="the report, per epoch")
    from matplotlib.ticker import MaxNLocator
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(xlabel="epoch", ylabel="seconds")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3)  # above the bars, not on them
    return readable(fig)
