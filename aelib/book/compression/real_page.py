"""The real-compression page (notebooks/05b_real_compression.ipynb): our codecs and the standard
ones measured on the same test digits, the figures and tables it shows, and its results.

`jobs` lists the page's trainings (aelib.book.sections.JOBS names it), so the planner and the
page train the same models. The sentences the prose glues in are in
aelib.book.compression.real_prose.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from aelib import plots
from aelib.bench import train_flops_per_image
from aelib.book.common import recipe, training_cost
from aelib.compress import curves, defaults, rd, stdcodecs
from aelib.compress.codec import Codec, CodecSpec
from aelib.config import MAX_LATENT, check_float_list, check_int_list
from aelib.data import to_float
from aelib.jobs.plan import Job

STEM = "05b_real_compression"
TARGET_FACTOR = 6.0  # our engineering target: at most a sixth of the reference codec's bytes
REFERENCE = "webp"
AVIF_PROBE = 500  # test images on which AVIF with libavif's own tuning is measured, for comparison
N_SHOW = 10  # test digits in the examples figure


def codec_specs(p: dict) -> list[CodecSpec]:
    """Every codec of the page, its parameters checked: each MLP and conv code size at each step
    (quantized after training) with the page's shared recipe, and the rate-aware model at each
    lambda with its own: `rate_epochs` epochs, the learning rate decaying along a cosine from
    `rate_lr` to 0."""
    mlp = check_int_list("mlp_latents", p["mlp_latents"], lo=1, hi=MAX_LATENT)
    conv = check_int_list("conv_latents", p["conv_latents"], lo=1, hi=MAX_LATENT)
    steps = check_float_list("steps", p["steps"], 0, 100, positive=True)
    (rate_latent,) = check_int_list("rate_latent", [p["rate_latent"]], lo=1, hi=MAX_LATENT)
    (rate_epochs,) = check_int_list("rate_epochs", [p["rate_epochs"]], lo=1, hi=10_000)
    (rate_lr,) = check_float_list("rate_lr", [p["rate_lr"]], 0, 1, positive=True)
    lambdas = check_float_list("lambdas", p["lambdas"], 0, 1, positive=True)
    check_float_list("target_psnr", [p["target_psnr"]], 5, 99)
    post_hoc = [CodecSpec(recipe(p, model=m, latent=k), step)
                for m, ks in (("mlp", mlp), ("conv", conv)) for k in ks for step in steps]
    return post_hoc + [CodecSpec(recipe(p, model="rate", latent=rate_latent, rate_lambda=lam, epochs=rate_epochs,
                                        lr=rate_lr, lr_schedule="cosine"))
                       for lam in lambdas]


def jobs(p: dict) -> list[Job]:
    """The networks behind the page's codecs (several steps share one network)."""
    return [Job(spec.config) for spec in codec_specs(p)]


@dataclass
class RealPage:
    """Everything the page shows, measured once."""
    specs: list[CodecSpec]
    ours: list[dict]  # one rate-distortion point per spec, in the same order (aelib.compress.rd)
    theirs: list[dict]  # the standard codecs' points
    avif_libavif: dict  # AVIF at its lowest quality with libavif's own tuning, on AVIF_PROBE images
    codecs: dict[str, Codec]  # by spec name
    target: dict  # aelib.compress.curves.target
    near: dict[str, dict | None]  # per lossy codec ("ours": all of ours), the point nearest the target PSNR
    x: torch.Tensor  # (N, 1, 28, 28) the test images measured
    images: np.ndarray  # (N, 28, 28) uint8, the same images as stored
    ours_seconds: float  # our codecs: training the cache lacked, fitting and measuring
    cache_keys: dict[str, str]
    rate_cost: dict  # the rate-aware models' training, summed: models, seconds (as trained) and TFLOP

    @property
    def chosen(self) -> CodecSpec:
        """Our codec nearest the target PSNR: the command line's default."""
        return next(s for s in self.specs if s.name == self.near["ours"]["setting"])


def measure(s) -> RealPage:
    """Train or load every network of the page (`s` is its aelib.book.common.Section), fit the
    codecs, and measure ours and the standard codecs on the page's test images."""
    specs, target_psnr = codec_specs(s.params), float(s.params["target_psnr"])
    t0 = time.perf_counter()
    runs = s.train()
    x = s.test()
    ours, codecs = rd.evaluate_ours(specs, s.data, x, s.cache_dir, device=s.device, runs=runs)
    seconds = time.perf_counter() - t0
    images = s.data.test_images[:len(x)].numpy()
    theirs = rd.standard_points(images, cache_dir=s.cache_dir)
    (avif,) = rd.standard_points(images[:AVIF_PROBE], {"avif": [0]}, s.cache_dir,
                                 options={"avif": stdcodecs.AVIF_LIBAVIF_TUNING})
    near = {c: curves.nearest(ours + theirs, c, target_psnr) for c in ["ours", *stdcodecs.LOSSY]}
    rate = [training_cost(runs[spec.config].history.seconds, train_flops_per_image(codecs[spec.name].model),
                          s.train_images(spec.config)) for spec in specs if spec.config.model == "rate"]
    return RealPage(specs, ours, theirs, {**avif, "n_images": min(AVIF_PROBE, len(images))}, codecs,
                    curves.target(ours, theirs, target_psnr, TARGET_FACTOR, REFERENCE), near, x, images, seconds,
                    {spec.name: s.cache_key(spec.config) for spec in specs},
                    {"models": len(rate), "seconds": sum(c["seconds"] for c in rate),
                     "tflop": sum(c["tflop"] for c in rate)})


# --- figures and tables --------------------------------------------------------------------------

def rd_figure(m: RealPage, x: str = "bpp"):
    """Quality against bits per pixel for every lossy curve; whole files (with the lossless codecs
    as lines and SSIM beside PSNR) or, with x="bpp_payload", payload only."""
    series = curves.curves(m.ours + m.theirs)
    if x == "bpp":
        return plots.rate_distortion(series, lossless=curves.lossless_bpp(m.theirs))
    return plots.rate_distortion(series, qualities=("psnr",), x=x)


def counting_figure(m: RealPage):
    """Our rate-aware curve and WebP's, each counted every way it can be."""
    ways = {**curves.counted_ways(m.ours, "ours-rate"), **curves.counted_ways(m.theirs, "webp")}
    return plots.rate_distortion(ways, qualities=("psnr",))


def budget_figure(m: RealPage):
    """Where the bytes of one file go, for each lossy codec at its setting nearest the target."""
    rows = {f"{_label(c, p)} ({p['psnr']:.1f} dB)": (p["bytes_payload"], p["bytes"] - p["bytes_payload"])
            for c, p in m.near.items() if p}
    return plots.byte_budget(rows)


def examples_figure(m: RealPage):
    """Test digits, then what our codec and each standard lossy codec nearest the target give back."""
    n, show = min(N_SHOW, len(m.x)), [c for c in stdcodecs.LOSSY if m.near.get(c)]
    ours = m.near["ours"]
    decoded = [to_float(torch.from_numpy(stdcodecs.run_codec(c, m.images[:n], m.near[c]["value"]).decoded))
               for c in show]
    labels = ["original", f"ours\n{ours['bytes']:.0f} B"] + [f"{c}\n{m.near[c]['bytes']:.0f} B" for c in show]
    return plots.image_rows([m.x[:n], m.codecs[ours["setting"]].reconstruct(m.x[:n]), *decoded], labels)


def near_table(m: RealPage):
    """Each lossy codec at its setting nearest the target PSNR, its bytes counted every way."""
    rows = [{"codec": c, "setting": p["setting"], "bytes (file)": p["bytes"], "bytes (payload)": p["bytes_payload"],
             "bytes (one stream)": p.get("bytes_stream"), "bytes (entropy estimate)": p.get("bytes_entropy"),
             "PSNR": p["psnr"], "SSIM": p["ssim"]} for c, p in m.near.items() if p]
    fmt = {c: "{:.1f}" for c in rows[0] if c.startswith("bytes")} | {"PSNR": "{:.2f}", "SSIM": "{:.3f}"}
    return pd.DataFrame(rows).set_index("codec").style.format(fmt, na_rep="–")


def ratio_table(m: RealPage):
    """Our codecs' ratios: the report's count of values, float32 code bytes, real files and one stream."""
    rows = [{"codec": p["setting"], "latent": p["latent"], "PSNR": p["psnr"],
             "ratio, values (report)": 784 / p["latent"], "ratio, float32 bytes": 196 / p["latent"],
             "ratio, file bytes": 784 / p["bytes"], "ratio, one stream": 784 / p["bytes_stream"]} for p in m.ours]
    return (pd.DataFrame(rows).set_index("codec").style.format("{:.1f}").format("{:.0f}", subset=["latent"])
            .format("{:.2f}", subset=["PSNR"]))


def _label(codec: str, p: dict) -> str:
    return p["setting"] if codec == "ours" else f"{codec} {p['setting']}"


# --- what the page leaves behind ------------------------------------------------------------------

def results(m: RealPage) -> dict:
    """The page's numbers for tests and other pages (book/results/05b_real_compression.json)."""
    from aelib.book.compression.real_prose import model_payoff
    best = m.near["ours"]
    chosen = {"name": m.chosen.name, "config": m.chosen.config.to_dict(), "step": m.chosen.step}
    return {"n_test": len(m.x), "target_psnr": m.target["psnr"], "points": m.ours + m.theirs,
            "target": m.target, "near": m.near, "chosen": chosen,
            "model_bytes": m.codecs[best["setting"]].model_bytes(), "images_to_pay_off": model_payoff(m)[1],
            "avif_libavif_tuning": m.avif_libavif,
            "seconds": {"standard_codecs": sum(p["seconds"] for p in m.theirs), "ours": m.ours_seconds},
            "rate_training": m.rate_cost,
            "configs": {s.name: s.config.to_dict() for s in m.specs}, "cache_keys": m.cache_keys}


def record_choice(m: RealPage, cache_dir) -> None:
    """Tell the command line which codecs this execution built and which it chose (aelib.compress.defaults)."""
    defaults.record(cache_dir, m.chosen, list(zip(m.specs, m.ours)), m.target["psnr"])
