"""Rate-distortion points from real bytes, for our codecs and the standard ones, and the
comparisons the page makes between the curves.

A point is a dict {codec, setting, bpp, psnr, ssim, ...}: bpp is bits per pixel of whole files,
one file per image (8 * mean bytes / 784); psnr and ssim are means over the test images of
what the decoder gives back, as 8-bit pixels (what a PNG of the output holds). Beside them:
- bpp_payload: the same without headers and containers (aelib.stdcodecs says what each drops;
  for ours, the 8-byte header);
- bpp_stream: the whole test set as one file (ours: one header, one range-coded stream; gzip and
  xz: the raw pixels of all images as one stream);
- bpp_entropy (ours): the probability model's own estimate, -log2 p(q) averaged over images.
"""
from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import numpy as np
import PIL
import torch

from . import metrics, stdcodecs
from .atomic import cached
from .codec import Codec, read_header
from .data import to_float

PIXELS = 784
OURS = ("ours-mlp", "ours-conv", "ours-rate")
STD_VERSION = 1  # bump when stdcodecs changes what it measures (invalidates the cached points)
OURS_VERSION = 1  # bump when ours_point changes what it measures (invalidates <cache_dir>/rdpoints)


def _quality(x: torch.Tensor, x_hat_u8: torch.Tensor) -> dict[str, float]:
    x_hat = to_float(x_hat_u8)
    return {"psnr": float(metrics.psnr(x, x_hat).mean()), "ssim": float(metrics.ssim(x, x_hat).mean())}


def to_uint8(x_hat: torch.Tensor) -> torch.Tensor:
    """(N, 1, 28, 28) floats in [0, 1] -> (N, 28, 28) uint8, as a decoder writes them to a PNG."""
    return (x_hat[:, 0] * 255).round().clamp(0, 255).to(torch.uint8)


def label(codec: Codec) -> str:
    return {"mlp": "ours-mlp", "conv": "ours-conv", "rate": "ours-rate"}[codec.spec.config.model]


def ours_point(codec: Codec, x: torch.Tensor) -> dict:
    """Our codec on test images x (N, 1, 28, 28): every image compressed to its own file and all
    of them to one stream, every file decoded again (the point fails loudly if one does not give
    back its integers); quality from g_s of those integers, as 8-bit pixels."""
    t0 = time.perf_counter()
    y = codec.analysis(x)
    q = codec.quantize(y)
    files = [codec.compress_symbols(q[i:i + 1]) for i in range(len(q))]
    stream = codec.compress_symbols(q)
    t1 = time.perf_counter()
    for i, blob in enumerate(files):
        if not np.array_equal(codec.decompress_symbols(blob), q[i:i + 1]):
            raise AssertionError(f"{codec.spec.name}: file {i} did not decode to its integers")
    if not np.array_equal(codec.decompress_symbols(stream), q):
        raise AssertionError(f"{codec.spec.name}: the stream did not decode to its integers")
    x_hat = codec.synthesis(q)  # what decompress() returns for any of those files (tested)
    t2 = time.perf_counter()
    sizes = np.array([len(b) for b in files])
    bits = codec.table.bits(q)  # the probability model's estimate, per image
    header = np.array([read_header(b).size for b in files])
    cfg = codec.spec.config
    return {
        "codec": label(codec), "setting": codec.spec.name, "latent": cfg.latent,
        "step": codec.spec.step if cfg.model != "rate" else None,
        "rate_lambda": cfg.rate_lambda if cfg.model == "rate" else None,
        "bpp": 8 * sizes.mean() / PIXELS, "bytes": float(sizes.mean()),
        "bpp_payload": 8 * (sizes - header).mean() / PIXELS, "bytes_payload": float((sizes - header).mean()),
        "bpp_stream": 8 * len(stream) / len(q) / PIXELS, "bytes_stream": len(stream) / len(q),
        "bpp_entropy": float(bits.mean()) / PIXELS, "bytes_entropy": float(bits.mean()) / 8,
        **_quality(x, to_uint8(x_hat)),
        "lossless": False, "symbols": codec.table.symbols,
        "clipped": float((torch.round(y / codec.step).numpy() != q).mean()),  # outside the table's range
        "model_bytes": codec.model_bytes()["total"],
        "seconds_encode": t1 - t0, "seconds_decode": t2 - t1,
    }


# --- the standard codecs -----------------------------------------------------------------------

def standard_points(images: np.ndarray, settings: dict | None = None, cache_dir=None) -> list[dict]:
    """Every standard codec at every setting on `images` (N, 28, 28) uint8, one file per image.
    With `cache_dir`, the points are kept in <cache_dir>/stdcodecs/ keyed on the images, the
    settings and the Pillow version, so a second execution does not spend the minutes again."""
    settings = stdcodecs.DEFAULT_SETTINGS if settings is None else settings
    images = np.ascontiguousarray(images, dtype=np.uint8)
    key = hashlib.sha256(images.tobytes() + json.dumps(
        {"settings": settings, "pil": PIL.__version__, "version": STD_VERSION}, sort_keys=True).encode()).hexdigest()
    path = Path(cache_dir) / "stdcodecs" / f"{key[:24]}.json" if cache_dir is not None else None
    return _cached_json(path, lambda: _standard_points(images, settings))


def _cached_json(path: Path | None, compute):
    """What `path` holds, or compute() written there (atomically) when it holds nothing readable."""
    return cached(path, compute, lambda p: json.loads(p.read_text()), lambda v, tmp: tmp.write_text(json.dumps(v)))


def _standard_points(images: np.ndarray, settings: dict) -> list[dict]:
    x = to_float(torch.from_numpy(images))
    points = []
    for codec, values in settings.items():
        for value in values:
            c = stdcodecs.run_codec(codec, images, value)
            p = {"codec": codec, "setting": c.setting, "value": value, "bpp": 8 * c.file_bytes.mean() / PIXELS,
                 "bytes": float(c.file_bytes.mean()), "bpp_payload": 8 * c.payload_bytes.mean() / PIXELS,
                 "bytes_payload": float(c.payload_bytes.mean()),
                 **_quality(x, torch.from_numpy(c.decoded)), "lossless": codec in stdcodecs.LOSSLESS,
                 "seconds": c.seconds}
            if codec in ("gzip", "xz"):
                whole, _ = stdcodecs.whole_set_bytes(codec, images)
                p["bpp_stream"] = 8 * whole / len(images) / PIXELS
                p["bytes_stream"] = whole / len(images)
            points.append(p)
    return points


# --- comparing curves --------------------------------------------------------------------------

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


def images_to_pay_off(model_bytes: int, ours_bytes: float, theirs_bytes: float) -> int | None:
    """How many images must be sent before the model (sent once) plus our files cost less than
    their files: model / (theirs - ours) per image saved, rounded up; None if ours saves nothing."""
    saving = theirs_bytes - ours_bytes
    return int(np.ceil(model_bytes / saving)) if saving > 0 else None


def target(ours: list[dict], theirs: list[dict], psnr: float = 25.0, factor: float = 6.0,
           reference: str = "webp") -> dict:
    """The target, measured: our best curve (the frontier of all our points) below every
    standard lossy codec's wherever both reach, and at `psnr` at most 1/`factor` of the
    reference codec's bits. Verdicts are "holds", "does not hold" or "cannot be judged"; the
    first part "holds where the curves meet (not every codec)" when some codec's PSNR range
    does not meet ours at all, so that it is not compared."""
    lossy = sorted({p["codec"] for p in theirs if not p["lossless"]})
    per_codec = {c: compare(ours, [p for p in theirs if p["codec"] == c]) for c in lossy}
    judged = {c: r for c, r in per_codec.items() if r["overlap"] is not None}
    below = ("cannot be judged" if not judged else
             "does not hold" if not all(r["below"] for r in judged.values()) else
             "holds" if len(judged) == len(lossy) else "holds where the curves meet (not every codec)")
    b_ours = bpp_at(ours, psnr)
    b_ref = bpp_at([p for p in theirs if p["codec"] == reference], psnr)
    ratio = b_ref / b_ours if b_ours and b_ref else None
    sixth = "cannot be judged" if ratio is None else "holds" if ratio >= factor else "does not hold"
    return {"psnr": psnr, "factor": factor, "reference": reference, "bpp_ours": b_ours, "bpp_reference": b_ref,
            "bytes_ours": b_ours * PIXELS / 8 if b_ours else None,
            "bytes_reference": b_ref * PIXELS / 8 if b_ref else None,
            "ratio": ratio, "verdict_factor": sixth, "verdict_below": below, "per_codec": per_codec,
            "not_compared": sorted(set(lossy) - set(judged))}


# --- what the page calls -----------------------------------------------------------------------

def specs_for(mlp_latents, conv_latents, steps, rate_latent: int, lambdas, rate_epochs: int | None = None,
              **recipe) -> list:
    """Every codec of the page: each MLP and conv latent size at each step (post hoc), and the
    rate-aware model at each lambda; `recipe` is the shared training recipe (epochs, lr, ...),
    except that the rate-aware models train for `rate_epochs` (default: the recipe's epochs)."""
    from .codec import CodecSpec
    from .config import TrainConfig
    out = [CodecSpec(TrainConfig(model=m, latent=d, **recipe), s)
           for m, latents in (("mlp", mlp_latents), ("conv", conv_latents)) for d in latents for s in steps]
    rate = {**recipe, "epochs": recipe.get("epochs", 10) if rate_epochs is None else rate_epochs}
    return out + [CodecSpec(TrainConfig(model="rate", latent=rate_latent, rate_lambda=lam, **rate))
                  for lam in lambdas]


def evaluate_ours(specs: list, data, x: torch.Tensor, cache_dir, device=None) -> tuple[list[dict], dict]:
    """Train (or load) each spec's network through the cache, fit its codec (also cached), and
    measure it on x. Returns the points and {spec name: Codec}. A point already measured on
    exactly these images with exactly this codec is read from <cache_dir>/rdpoints/."""
    from . import codec as C
    from .cache import cached_run
    points, codecs, latents = [], {}, {}
    images = hashlib.sha256(x.contiguous().numpy().tobytes()).hexdigest()
    for spec in specs:
        run = cached_run(spec.config, data, cache_dir, device=device)
        key = spec.config
        if spec.config.model != "rate" and key not in latents and not C.is_cached(spec, data.sha256, cache_dir):
            latents[key] = C.training_latents(run.model(device="cpu"), data, spec.config)  # one pass per model
        codec = C.for_spec(spec, run, data, cache_dir, latents.get(key))
        codecs[spec.name] = codec
        ident = hashlib.sha256(json.dumps({"spec": spec.spec_id(data.sha256), "codec": codec.key.hex(),
                                           "images": images, "version": OURS_VERSION}, sort_keys=True).encode())
        path = Path(cache_dir) / "rdpoints" / f"{ident.hexdigest()[:32]}.json"
        points.append(_cached_json(path, lambda: ours_point(codec, x)))
    return points, codecs


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
