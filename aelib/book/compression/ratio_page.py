"""The report's compression-ratio section (notebooks/05_compression_ratio.ipynb): its tables,
the sentences its prose glues in, and its results.

The report counts 784 values in over k values out; here the same ratio is also counted in bytes
(8-bit pixels against float32 or float16 codes), the decoder a receiver must first hold is
priced, and its pay-off is counted against raw images and against zlib's lossless files.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from aelib import plots
from aelib.book import claims, report
from aelib.book.page import plural
from aelib.compress import ratio
from aelib.config import MAX_LATENT, TrainConfig, check_int_list
from aelib.metrics import difference, psnr, reconstruct
from aelib.models import count_parameters

STEM = "05_compression_ratio"
WIDTHS = {"float32": ratio.FLOAT32_BYTES, "float16": ratio.FLOAT16_BYTES}


@dataclass
class RatioPage:
    """Everything the page shows, measured once."""
    latents: list[int]  # largest first, as in the report's table
    ratios: pd.DataFrame  # per latent: ratios and code bytes
    cost: pd.DataFrame  # per latent: parameters, model and decoder bytes, images to pay off
    quality: pd.DataFrame  # per latent: difference and PSNR, float32 and float16 codes
    zlib_mean: float  # mean bytes of one test image compressed alone by zlib
    n_test: int
    report_applies: bool  # MNIST: the report's table sits beside ours
    configs: dict[int, TrainConfig] = field(default_factory=dict)
    cache_keys: dict[int, str] = field(default_factory=dict)

    @property
    def at(self) -> int:
        """The code size the prose quotes: 128 (the report's example) when swept, else the middle one."""
        return 128 if 128 in self.latents else self.latents[len(self.latents) // 2]

    def verdict(self) -> claims.Verdict:
        return claims.decoder_not_a_factor(self.cost.loc[self.at, "decoder bytes"], ratio.code_bytes(self.at),
                                           self.n_test, ratio.IMAGE_BYTES, self.zlib_mean)


def measure(s) -> RatioPage:
    """Train or load the page's MLPs (`s` is the page's aelib.book.common.Section) and measure
    the codes, the decoders and the quality on the test images."""
    latents = check_int_list("latents", s.params["latents"], lo=1, hi=MAX_LATENT)[::-1]
    runs = {cfg.latent: run for cfg, run in s.train().items()}
    models = {k: runs[k].model() for k in latents}
    test_u8 = s.data.test_images[:s.params["test_size"]]
    zlib_mean = float(np.mean(ratio.zlib_bytes(test_u8)))
    return RatioPage(latents=latents, ratios=ratio_rows(latents), cost=cost_rows(models, zlib_mean),
                     quality=quality_rows(models, s.test()), zlib_mean=zlib_mean, n_test=len(test_u8),
                     report_applies=s.report_applies, configs={k: runs[k].config for k in latents},
                     cache_keys={k: s.cache_key(runs[k].config) for k in latents})


# --- the tables ----------------------------------------------------------------------------------

def ratio_rows(latents: list[int]) -> pd.DataFrame:
    """Per code size: the report's ratio (values), code bytes and byte ratios for float32 and float16."""
    rows = {"ratio, values": {k: ratio.ratio_floats(k) for k in latents}}
    for name, width in WIDTHS.items():
        rows[f"code bytes, {name}"] = {k: ratio.code_bytes(k, width) for k in latents}
        rows[f"ratio, bytes, {name}"] = {k: ratio.ratio_bytes(k, width) for k in latents}
    return pd.DataFrame(rows).reindex(latents).rename_axis("latent")


def cost_rows(models: dict[int, torch.nn.Module], zlib_mean: float) -> pd.DataFrame:
    """Per code size: the model's parameters and bytes, the decoder's bytes, and the images after
    which the decoder has paid for itself against raw images and against zlib's files."""
    cost = pd.DataFrame({"model parameters": {k: count_parameters(m) for k, m in models.items()},
                         "model bytes": {k: ratio.parameter_bytes(m) for k, m in models.items()},
                         "decoder bytes": {k: ratio.decoder_bytes(m) for k, m in models.items()}})
    for theirs, size in (("raw", ratio.IMAGE_BYTES), ("zlib", zlib_mean)):
        for name, width in WIDTHS.items():
            cost[f"images to pay off, {name}, against {theirs}"] = [
                ratio.images_to_pay_off(cost.loc[k, "decoder bytes"], ratio.code_bytes(k, width), size)
                for k in cost.index]
    return cost.rename_axis("latent")


def quality_rows(models: dict[int, torch.nn.Module], test: torch.Tensor) -> pd.DataFrame:
    """Per code size: mean difference and PSNR on `test`, with float32 codes and with codes
    rounded to float16 and back."""
    out = {}
    for k, m in models.items():
        r32, r16 = reconstruct(m, test), ratio.reconstruct_stored(m, test, torch.float16)
        out[k] = {"difference": float(difference(test, r32).mean()), "PSNR": float(psnr(test, r32).mean()),
                  "difference, float16": float(difference(test, r16).mean()),
                  "PSNR, float16": float(psnr(test, r16).mean())}
    return pd.DataFrame(out).T.rename_axis("latent")


def ratio_table(p: RatioPage):
    table = p.ratios.copy()
    if p.report_applies:  # the report's own table, beside ours on MNIST only
        reported = dict(zip(report.COMPRESSION_RATIO["latent"], report.COMPRESSION_RATIO["ratio"]))
        table.insert(0, "ratio, values (report)", [reported.get(k, np.nan) for k in table.index])
    return (table.style.format("{:.2f}", na_rep="–")
            .format("{:g}", subset=[c for c in table.columns if c.endswith("(report)")], na_rep="–")
            .format("{:.0f}", subset=[f"code bytes, {w}" for w in WIDTHS]))


def cost_table(p: RatioPage):
    return p.cost.style.format("{:,.0f}", na_rep="never")


def quality_table(p: RatioPage):
    table = p.quality.join(p.ratios[[f"code bytes, {w}" for w in WIDTHS]])
    table = table[["code bytes, float32", "difference", "PSNR", "code bytes, float16", "difference, float16",
                   "PSNR, float16"]]
    return table.style.format({"code bytes, float32": "{:.0f}", "code bytes, float16": "{:.0f}",
                               "difference": "{:.4f}", "difference, float16": "{:.4f}", "PSNR": "{:.2f}",
                               "PSNR, float16": "{:.2f}"})


def quality_figure(p: RatioPage):
    return plots.rate_quality({f"{w} code": (p.ratios[f"code bytes, {w}"], p.quality["PSNR" + s])
                               for w, s in (("float32", ""), ("float16", ", float16"))},
                              labels=[f"k={k}" for k in p.latents],
                              marks={f"raw 8-bit image ({ratio.IMAGE_BYTES} B)": ratio.IMAGE_BYTES,
                                     f"zlib, lossless (mean {p.zlib_mean:.0f} B)": p.zlib_mean})


# --- the prose -----------------------------------------------------------------------------------

def summary(p: RatioPage) -> dict:
    """The values and sentences the page's prose glues in, each reading as written whatever the
    measurements (a code never smaller than zlib's files, a sweep without 128, another dataset)."""
    at, v = p.at, p.verdict()
    dec = p.cost.loc[at, "decoder bytes"]
    codes_mb = p.n_test * ratio.code_bytes(at) / 1e6
    return {"at": at, "n_test": f"{p.n_test:,}", "zlib_mean": p.zlib_mean, "dec_params_at": f"{dec // 4:,}",
            "values_at": ratio.ratio_floats(at), "bytes_at": ratio.ratio_bytes(at),
            "bytes16_at": ratio.ratio_bytes(at, ratio.FLOAT16_BYTES), "code_at": ratio.code_bytes(at),
            "dec_mb_at": dec / 1e6, "model_mb_at": p.cost.loc[at, "model bytes"] / 1e6, "codes_mb": codes_mb,
            "dec_share": dec / 1e6 / (codes_mb + dec / 1e6), "psnr_at": p.quality.loc[at, "PSNR"],
            "drop16_max": float((p.quality["PSNR"] - p.quality["PSNR, float16"]).abs().max()),
            "negligible": claims.NEGLIGIBLE_SHARE, "values_text": values_text(p), "bigger_text": bigger_text(p.latents),
            "payoff_text": payoff_text(p.cost, at), "zlib_text": zlib_text(p),
            "decoder_verdict": v.outcome, "decoder_evidence": v.evidence}


def values_text(p: RatioPage) -> str:
    at, ours = p.at, ratio.ratio_floats(p.at)
    if not p.report_applies:
        return f"Counting values, the ratio at latent {at} is {ours:.2f}."
    reported = dict(zip(report.COMPRESSION_RATIO["latent"], report.COMPRESSION_RATIO["ratio"]))
    same = all(round(ratio.ratio_floats(k), 1) == r for k, r in reported.items())  # to the report's precision
    return (f"Counting values, 784 / k {'reproduces' if same else 'does not reproduce'} the report's table: at "
            f"latent {at} the ratio is {ours:.2f}"
            + (f" (the report: {reported[at]:g})." if at in reported else f"; the report's table has no latent {at}."))


def bigger_text(latents: list[int]) -> str:
    """Which codes take at least as many bytes as the image (and so compress nothing)."""
    big = {w: [k for k in latents if ratio.code_bytes(k, width) >= ratio.IMAGE_BYTES] for w, width in WIDTHS.items()}
    if not any(big.values()):
        return "No code of this sweep takes as many bytes as the image itself, as float32 or as float16."
    return ("Codes that take at least as many bytes as the image itself, and so compress nothing: "
            + "; ".join(f"as {w}, {_latents(ks) if ks else 'none'}" for w, ks in big.items()) + ".")


def payoff_text(cost: pd.DataFrame, at: int) -> str:
    """After how many images a receiver that lacks the decoder is better off with our codes than
    with raw images, and than with zlib's files."""
    def phrase(theirs: str, ref: str) -> str:
        n32, n16 = (_count(cost.loc[at, f"images to pay off, {w}, against {theirs}"]) for w in WIDTHS)
        if n32 is None and n16 is None:
            return f"with {ref} for good, since neither the float32 nor the float16 code is smaller"
        if n32 is None:
            return f"with {ref} for good with float32 codes, and until {n16:,} images with float16 codes"
        sent = f"{plural(n32, 'image')} {'has' if n32 == 1 else 'have'} been sent"
        return f"with {ref} until {sent} ({n16:,} with float16 codes)"
    raw, zlib = phrase("raw", "raw images"), phrase("zlib", "zlib's lossless files")
    return f"A receiver that does not have the decoder yet is better off {raw}, and {zlib}."


def zlib_text(p: RatioPage) -> str:
    at, z = p.at, p.zlib_mean
    code = ratio.code_bytes(at)
    times = f", {code / z:.1f} times as many," if code > z else ","
    beats = [k for k in p.latents if ratio.code_bytes(k) < z]
    which = ("No float32 code of this sweep is" if not beats else "Every float32 code of this sweep is"
             if len(beats) == len(p.latents) else f"Only the float32 codes of {_latents(beats)} are")
    return (f"As a lossless yardstick, zlib stores each test image exactly in {z:.0f} bytes on average, while the "
            f"float32 code at latent {at} takes {code} bytes{times} and loses detail "
            f"({p.quality.loc[at, 'PSNR']:.1f} dB PSNR). {which} smaller than zlib's output.")


def _latents(ks: list[int]) -> str:
    """"latent 16", "latents 16 and 1", "latents 128, 16 and 1"."""
    names = [f"{k:,}" for k in ks]
    return f"latent {names[0]}" if len(names) == 1 else f"latents {', '.join(names[:-1])} and {names[-1]}"


def _count(v) -> int | None:
    return None if v is None or pd.isna(v) else int(v)


# --- the results file ----------------------------------------------------------------------------

def results(p: RatioPage) -> dict:
    """The page's numbers for tests and other pages (book/results/05_compression_ratio.json)."""
    def col(frame, name, cast=float):
        return [None if frame.loc[k, name] is None or pd.isna(frame.loc[k, name]) else cast(frame.loc[k, name])
                for k in p.latents]
    out = {"latent": p.latents, "n_test": p.n_test, "zlib_bytes_mean": p.zlib_mean,
           "ratio_floats": col(p.ratios, "ratio, values"), "ratio_bytes": col(p.ratios, "ratio, bytes, float32"),
           "ratio_bytes_fp16": col(p.ratios, "ratio, bytes, float16"),
           "code_bytes": col(p.ratios, "code bytes, float32", int),
           "code_bytes_fp16": col(p.ratios, "code bytes, float16", int),
           "model_parameters": col(p.cost, "model parameters", int), "model_bytes": col(p.cost, "model bytes", int),
           "decoder_bytes": col(p.cost, "decoder bytes", int),
           "difference": col(p.quality, "difference"), "psnr": col(p.quality, "PSNR"),
           "difference_fp16": col(p.quality, "difference, float16"), "psnr_fp16": col(p.quality, "PSNR, float16"),
           "verdict_decoder_not_a_factor": p.verdict().to_dict(),
           "configs": {k: c.to_dict() for k, c in p.configs.items()}, "cache_keys": p.cache_keys}
    for theirs, suffix in (("raw", ""), ("zlib", "_zlib")):
        for w, tag in (("float32", ""), ("float16", "_fp16")):
            out[f"images_to_pay_off{suffix}{tag}"] = col(p.cost, f"images to pay off, {w}, against {theirs}", int)
    if p.report_applies:
        reported = dict(zip(report.COMPRESSION_RATIO["latent"], report.COMPRESSION_RATIO["ratio"]))
        out["report_ratio"] = [reported.get(k) for k in p.latents]
    return out
