"""Rate-distortion points from real bytes, for our codecs and the standard ones (the curves they
make are compared in aelib.compress.curves).

A point is a dict {codec, setting, bpp, psnr, ssim, ...}: bpp is bits per pixel of whole files,
one file per image (8 * mean bytes / 784); psnr and ssim are means over the test images of
what the decoder gives back, as 8-bit pixels (what a PNG of the output holds). Beside them:
- bpp_payload: the same without headers and containers (aelib.compress.stdcodecs says what each drops;
  for ours, the file's header, fileformat.ONE_IMAGE_HEADER bytes);
- bpp_stream: the whole test set as one file (ours: one header, one range-coded stream; gzip and
  xz: the raw pixels of all images as one stream);
- bpp_entropy (ours): the probability model's own estimate, -log2 p(q) averaged over images.
"""
from __future__ import annotations

import time

import numpy as np
import PIL
import torch

from aelib import metrics
from aelib.compress import stdcodecs
from aelib.compress.codec import Codec
from aelib.compress.fileformat import VERSION, read_header
from aelib.data import to_float
from aelib.runtime import page_cores, worker_pool
from aelib.store import as_store, cached

PIXELS = 784


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

def standard_points(images: np.ndarray, settings: dict | None = None, cache_dir=None,
                    options: dict | None = None, workers: int | None = None) -> list[dict]:
    """Every standard codec at every setting on `images` (N, 28, 28) uint8, one file per image,
    each encoder with its fixed `options` (default: stdcodecs.OPTIONS), the settings shared out
    among `workers` processes (default: this process's cores, aelib.runtime.page_cores; the
    points are the same whatever their number, but for their `seconds`).
    With `cache_dir`, the points are kept in <cache_dir>/stdcodecs/ keyed on the images, the
    settings, the encoders' fixed options and the Pillow version, so a second execution does not
    spend the minutes again."""
    settings = stdcodecs.DEFAULT_SETTINGS if settings is None else settings
    options = {c: stdcodecs.OPTIONS.get(c) for c in settings} if options is None else options
    images = np.ascontiguousarray(images, dtype=np.uint8)
    parts = {"settings": settings, "options": options, "pil": PIL.__version__}
    return cached(as_store(cache_dir), "stdcodecs", parts,
                  lambda: _standard_points(images, settings, options, workers or page_cores()),
                  tensors=(torch.from_numpy(images),))


def _standard_points(images: np.ndarray, settings: dict, options: dict, workers: int) -> list[dict]:
    tasks = [(codec, value, options.get(codec)) for codec, values in settings.items() for value in values]
    with worker_pool(min(workers, len(tasks)) or 1) as pool:
        if pool is None:
            return [_standard_point(*t, images) for t in tasks]
        return list(pool.map(_standard_point, *zip(*tasks), [images] * len(tasks)))


def _standard_point(codec: str, value, option: dict | None, images: np.ndarray) -> dict:
    """One codec at one setting on every image (a pool's task: its arguments are pickled)."""
    c = stdcodecs.run_codec(codec, images, value, option)
    p = {"codec": codec, "setting": c.setting, "value": value, "bpp": 8 * c.file_bytes.mean() / PIXELS,
         "bytes": float(c.file_bytes.mean()), "bpp_payload": 8 * c.payload_bytes.mean() / PIXELS,
         "bytes_payload": float(c.payload_bytes.mean()),
         **_quality(to_float(torch.from_numpy(images)), torch.from_numpy(c.decoded)),
         "lossless": codec in stdcodecs.LOSSLESS, "seconds": c.seconds}
    if codec in ("gzip", "xz"):
        whole, _ = stdcodecs.whole_set_bytes(codec, images)
        p["bpp_stream"] = 8 * whole / len(images) / PIXELS
        p["bytes_stream"] = whole / len(images)
    return p


# --- our codecs on a test set -------------------------------------------------------------------

def evaluate_ours(specs: list, data, x: torch.Tensor, cache_dir, device=None, runs: dict | None = None
                  ) -> tuple[list[dict], dict]:
    """Fit each spec's codec (cached) from its trained network and measure it on x. The networks
    come from `runs` ({TrainConfig: Run}) when given, else from the cache (trained there if
    missing). Returns the points and {spec name: Codec}. A point already measured on exactly
    these images with exactly this codec is read from <cache_dir>/rdpoints/."""
    from aelib.compress import codec as C
    from aelib.runs import cached_run
    points, codecs, latents = [], {}, {}
    store = as_store(cache_dir)
    for spec in specs:
        run = (runs or {}).get(spec.config) or cached_run(spec.config, data, cache_dir, device=device)
        key = spec.config
        if spec.config.model != "rate" and key not in latents and not C.is_cached(spec, data.sha256, cache_dir):
            latents[key] = C.training_latents(run.model(device="cpu"), data, spec.config)  # one pass per model
        codec = C.for_spec(spec, run, data, cache_dir, latents.get(key))
        codecs[spec.name] = codec
        # the file format too: a point's bytes are files' bytes, and change with it
        parts = {"spec": spec.spec_id(data.sha256), "codec": codec.key.hex(), "file_format": VERSION}
        points.append(cached(store, "rdpoints", parts, lambda: ours_point(codec, x), tensors=(x,)))
    return points, codecs
