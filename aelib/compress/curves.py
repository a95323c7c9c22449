"""Rate-distortion curves from measured points: the frontier of a codec's points, the bits it
needs at a given quality, where one curve lies below another, and the page's target verdict.
A point is a dict with at least "codec", "bpp", "psnr" and "ssim" (aelib.compress.rd measures them).
"""
from __future__ import annotations

import numpy as np

PIXELS = 784
OURS = ("ours-mlp", "ours-conv", "ours-rate")  # the codec names of our points (aelib.compress.rd)
HOLDS, FAILS, CANNOT = "holds", "does not hold", "cannot tell"  # as in aelib.book.claims


def frontier(points: list[dict], x: str = "bpp", y: str = "psnr") -> list[dict]:
    """The points no other point beats (fewer bits and higher quality), by increasing bits."""
    out = []
    for p in sorted(points, key=lambda p: (p[x], -p[y])):
        if not out or p[y] > out[-1][y]:
            out.append(p)
    return out


def bpp_at(points: list[dict], quality: float, x: str = "bpp", y: str = "psnr") -> float | None:
    """Bits per pixel the codec needs for `quality`, on its frontier, interpolating log(bpp)
    linearly between the two points around it; None outside the range it reaches."""
    f = frontier(points, x, y)
    qs, bs = np.array([p[y] for p in f]), np.array([p[x] for p in f])
    if len(f) == 0 or quality < qs[0] or quality > qs[-1]:
        return None
    return float(np.exp(np.interp(quality, qs, np.log(bs))))


def cheapest_at(points: list[dict], quality: float, y: str = "psnr") -> dict | None:
    """The fewest bytes per image any of `points`' codecs needs for at least `quality`: on a
    codec's frontier where it reaches that quality (interpolated as `bpp_at`), or the smallest
    file of a setting at or above it where the quality lies below its frontier's lowest point
    (a setting that gives more than asked still gives at least it). {"codec", "bytes", "psnr",
    "interpolated"} (the quality of the setting read, or `quality` where interpolated: then no file
    of that size was made, and "interpolated" is True), None when no codec reaches `quality`."""
    best = None
    for codec in sorted({p["codec"] for p in points}):
        pts = [p for p in points if p["codec"] == codec]
        b = bpp_at(pts, quality, y=y)
        cand = ({"codec": codec, "bytes": b * PIXELS / 8, y: quality,
                 "interpolated": all(p[y] != quality for p in pts)} if b is not None else
                min(({"codec": codec, "bytes": p["bpp"] * PIXELS / 8, y: p[y], "interpolated": False}
                     for p in pts if p[y] >= quality), key=lambda c: c["bytes"], default=None))
        if cand is not None and (best is None or cand["bytes"] < best["bytes"]):
            best = cand
    return best


MIN_OVERLAP_DB = 0.1  # PSNR, as the pages print it, to 0.1 dB: two curves that share less compare nothing


def compare(ours: list[dict], theirs: list[dict], x: str = "bpp", y: str = "psnr", grid: int = 200) -> dict:
    """Where both curves reach, is ours below (fewer bits at equal quality) everywhere?
    Returns the overlap [lo, hi] of qualities, the largest ratio ours/theirs of bits found on it,
    and the sub-ranges where ours needs more bits."""
    fo, ft = frontier(ours, x, y), frontier(theirs, x, y)
    if not fo or not ft:
        return {"overlap": None, "below": None, "worst_ratio": None, "not_below": []}
    lo, hi = max(fo[0][y], ft[0][y]), min(fo[-1][y], ft[-1][y])
    if lo > hi:
        return {"overlap": None, "below": None, "worst_ratio": None, "not_below": []}
    qs = np.linspace(lo, hi, grid)
    ratio = np.array([bpp_at(fo, q, x, y) / bpp_at(ft, q, x, y) for q in qs])
    bad, ranges, start = ratio >= 1, [], None
    for q, b in zip(qs, bad):
        if b and start is None:
            start = q
        if not b and start is not None:
            ranges.append([float(start), float(q)])
            start = None
    if start is not None:
        ranges.append([float(start), float(qs[-1])])
    return {"overlap": [float(lo), float(hi)], "below": bool(not bad.any()),
            "worst_ratio": float(ratio.max()), "not_below": ranges}


def target(ours: list[dict], theirs: list[dict], psnr: float = 25.0, factor: float = 6.0,
           reference: str = "webp", min_overlap: float = MIN_OVERLAP_DB) -> dict:
    """Our engineering target, measured (not a claim of the report): our best curve (the frontier
    of all our points) below every standard lossy codec's wherever both reach, and at `psnr` at
    most 1/`factor` of the reference codec's bits. Each part's outcome is "holds", "does not
    hold" or "cannot tell" (aelib.book.claims' words). The first part judges each lossy codec
    apart: compared (below or not) where the two curves share a PSNR range of at least
    `min_overlap` dB, else not comparable (listed in `not_compared`, with the thin overlaps in
    `thin`); it holds only when every lossy codec is compared and ours is below each, fails when
    ours is not below one compared codec, and cannot be told otherwise."""
    lossy = sorted({p["codec"] for p in theirs if not p["lossless"]})
    per_codec = {c: compare(ours, [p for p in theirs if p["codec"] == c]) for c in lossy}
    judged = {c: r for c, r in per_codec.items()
              if r["overlap"] is not None and r["overlap"][1] - r["overlap"][0] >= min_overlap}
    thin = sorted(c for c, r in per_codec.items() if r["overlap"] is not None and c not in judged)
    below = (FAILS if any(not r["below"] for r in judged.values()) else
             HOLDS if judged and len(judged) == len(lossy) else CANNOT)
    b_ours = bpp_at(ours, psnr)
    b_ref = bpp_at([p for p in theirs if p["codec"] == reference], psnr)
    ratio = b_ref / b_ours if b_ours and b_ref else None
    sixth = CANNOT if ratio is None else HOLDS if ratio >= factor else FAILS
    return {"psnr": psnr, "factor": factor, "reference": reference, "bpp_ours": b_ours, "bpp_reference": b_ref,
            "bytes_ours": b_ours * PIXELS / 8 if b_ours else None,
            "bytes_reference": b_ref * PIXELS / 8 if b_ref else None,
            "ratio": ratio, "verdict_factor": sixth, "verdict_below": below, "per_codec": per_codec,
            "min_overlap": min_overlap, "thin": thin, "not_compared": sorted(set(lossy) - set(judged))}


def curves(points: list[dict]) -> dict[str, list[dict]]:
    """Lossy points grouped into curves: ours by model and code size ("ours-conv 32"), the
    standard codecs by codec."""
    out: dict[str, list[dict]] = {}
    for p in points:
        if p["lossless"]:
            continue
        name = f"{p['codec']} {p['latent']}" if p["codec"] in OURS else p["codec"]
        out.setdefault(name, []).append(p)
    return out


def lossless_bpp(points: list[dict]) -> dict[str, float]:
    return {p["codec"]: p["bpp"] for p in points if p["lossless"]}


def nearest(points: list[dict], codec: str, psnr: float) -> dict | None:
    """Among the frontier points of `codec` (a codec name, or "ours" for all of ours together),
    the one whose PSNR is nearest `psnr`."""
    pts = frontier([p for p in points if (p["codec"] in OURS if codec == "ours" else p["codec"] == codec)])
    return min(pts, key=lambda p: abs(p["psnr"] - psnr)) if pts else None


def counted_ways(points: list[dict], codec: str) -> dict[str, list[dict]]:
    """One codec's curve with its bits counted each way it has: whole files, payload only, one
    stream for the whole set, and (ours) the probability model's estimate; each as points whose
    `bpp` is that count, ready for plots.rate_distortion."""
    pts = [p for p in points if p["codec"] == codec]
    ways = {"whole files": "bpp", "payload only": "bpp_payload", "one stream": "bpp_stream",
            "entropy estimate": "bpp_entropy"}
    return {f"{codec}, {way}": [{**p, "bpp": p[key]} for p in pts]
            for way, key in ways.items() if pts and all(p.get(key) is not None for p in pts)}
