"""Figures of the book's own pages: the landing page's headline panels and the Performance page's
bars and page times. Like aelib.plots, each returns a Figure and never saves or shows it."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from aelib import plots


LEGEND_ROOM = 0.12  # of a linear panel's data range added above it per legend entry


def headline_panels(panels: Sequence, ncols: int = 2):
    """Small axes in a grid, one per panel (objects with title, xlabel, ylabel, series, logx,
    logy, note, as aelib.headline.Panel): `series` maps a curve's name to (xs, ys, role); "ours"
    is solid, "baseline" dashed, "report" hollow squares, "reference" black and dotted. A panel's
    `note` (what this execution lacks) joins its legend, or stands alone on an empty axis."""
    nrows = -(-len(panels) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.1 * ncols, 3.0 * nrows), squeeze=False)
    styles = {"ours": {"ls": "-", "marker": "o"}, "baseline": {"ls": "--", "marker": "s"},
              "report": {"ls": "none", "marker": "s", "mfc": "none"}, "reference": {"ls": ":", "color": "k"}}
    for ax, panel in zip(axes.flat, panels):
        for name, (xs, ys, role) in panel.series.items():
            ys = np.asarray(ys, dtype=float)
            ok = np.isfinite(ys)
            ax.plot(np.asarray(xs, dtype=float)[ok], ys[ok], ms=3.5, lw=1.4, label=name, **styles[role])
        if panel.logx:
            ax.set_xscale("log", base=panel.logx)
            ax.xaxis.set_major_formatter(lambda v, _: f"{v:g}")
        if panel.logy:
            ax.set_yscale("log")
        ax.set_xlabel(panel.xlabel), ax.set_ylabel(panel.ylabel)
        ax.set_title(panel.title, loc="left", fontsize=10)
        if panel.series:  # a note joins the legend, where it cannot hide a curve
            if panel.note:
                ax.plot([], [], " ", label=panel.note)
            if not panel.logy:  # room above the curves for the legend's lines, so that it hides none of them
                lo, hi = ax.get_ylim()
                ax.set_ylim(lo, hi + (hi - lo) * LEGEND_ROOM * len(ax.get_legend_handles_labels()[1]))
            ax.legend(loc="upper right" if not panel.logy else "best", fontsize=7.5, frameon=True, framealpha=0.85,
                      edgecolor="none")
        elif panel.note:
            ax.text(0.5, 0.5, panel.note, transform=ax.transAxes, ha="center", va="center", fontsize=8, color="0.35")
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    plots.readable(fig)
    return fig


def grouped_bars(panels: Mapping[str, Mapping[str, Mapping[str, float]]],
                 lines: Mapping[str, tuple[float, str]] | None = None, formats: Mapping[str, str] | None = None):
    """Side-by-side axes of grouped vertical bars: `panels` maps each axis's y label to
    {group: {bar: value}} (e.g. images per second of each training loop, grouped by model), each
    bar annotated with its value (`formats` maps a y label to a format such as "{:.0%}");
    `lines` maps a y label to (value, label), a horizontal line (a target). One legend, above."""
    fig, axes = plt.subplots(1, len(panels), figsize=(4.4 * len(panels), 3.4), squeeze=False)
    for ax, (ylabel, groups) in zip(axes[0], panels.items()):
        bars = list(dict.fromkeys(b for g in groups.values() for b in g))
        width = 0.8 / len(bars)
        for j, bar in enumerate(bars):
            xs = [i + (j - (len(bars) - 1) / 2) * width for i in range(len(groups))]
            ys = [g.get(bar, np.nan) for g in groups.values()]
            shade = str(0.25 + 0.5 * j / max(len(bars) - 1, 1))
            rects = ax.bar(xs, ys, width, label=bar, color=shade)
            ax.bar_label(rects, fmt=(formats or {}).get(ylabel, "{:.3g}"), fontsize=7, padding=2)
        ax.set_xticks(range(len(groups)), list(groups))
        ax.set_ylabel(ylabel)
        ax.grid(axis="x", visible=False)
        ax.set_ylim(top=ax.get_ylim()[1] * 1.12)  # room for the labels
        if lines and ylabel in lines:
            value, text = lines[ylabel]
            ax.axhline(value, color="k", ls="--", lw=1, label=text)
    handles, labels = axes[0, -1].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(labels), fontsize=8)
    plots.readable(fig)
    return fig


def page_times(panels: Mapping[str, Mapping[str, Mapping[str, float]] | str],
               limits: Mapping[str, tuple[float, str]] | None = None):
    """Axes stacked on one log x axis of seconds, one per panel, each with horizontal bars per page
    (first page on top): `panels` maps a title (e.g. a profile) to {series: {page: seconds}}
    (e.g. cold and warm cache), or to a note when there is nothing to draw; `limits` maps a title
    to (seconds, label), a dotted vertical line (a target per page)."""
    pages = {t: list(dict.fromkeys(p for s in v.values() for p in s)) if not isinstance(v, str) else []
             for t, v in panels.items()}
    rows = [max(len(p), 1) for p in pages.values()]
    fig, axes = plt.subplots(len(panels), 1, figsize=(7.2, 0.24 * sum(rows) + 0.75 * len(panels) + 0.5),
                             squeeze=False, sharex=True, gridspec_kw={"height_ratios": rows})
    for ax, (title, series) in zip(axes[:, 0], panels.items()):
        ax.set_title(title, loc="left", fontsize=10)
        ax.grid(axis="y", visible=False)
        if isinstance(series, str):
            ax.set_yticks([])
            ax.text(0.5, 0.5, series, transform=ax.transAxes, ha="center", va="center", fontsize=8, color="0.35")
            continue
        height = 0.8 / len(series)
        for j, (name, times) in enumerate(series.items()):
            ys = [i + (j - (len(series) - 1) / 2) * height for i in range(len(pages[title]))]
            ax.barh(ys, [times.get(p, np.nan) for p in pages[title]], height, label=name,
                    color=str(0.25 + 0.45 * j / max(len(series) - 1, 1)))
        ax.set_yticks(range(len(pages[title])), pages[title], fontsize=8)
        ax.set_ylim(len(pages[title]) - 0.5, -0.5)  # the first page on top
        if limits and title in limits:
            ax.axvline(limits[title][0], color="k", ls=":", lw=1, label=limits[title][1])
        ax.legend(fontsize=7.5, loc="lower right", frameon=True, framealpha=0.9, edgecolor="none")
    plots.log_axis_plain(axes[-1, 0])
    axes[-1, 0].set_xlabel("seconds")
    plots.readable(fig)
    return fig
