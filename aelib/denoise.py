"""Noise removal (the report's "Application of our models for noise removal"): a reproducible
noisy copy of a test set per noise factor, each model's output on it, and PSNR / SSIM / MSE of
inputs and outputs against the clean images.

The models are trained on clean images, as in the report; denoising is what they do, unasked,
to inputs unlike anything they were trained on.
"""
from __future__ import annotations

import hashlib
import json
import pickle
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from .atomic import cached
from .config import check_float_list
from .metrics import mse, psnr, reconstruct, ssim, summary
from .models import update_digest
from .noise import add_noise

EVALUATION_VERSION = 1  # bump when evaluate's measures change (invalidates cache_dir/denoising)

MAX_SEED = 2**63 - 1  # torch.Generator.manual_seed takes a 64-bit seed


def check_noise_factors(values) -> list[float]:
    """The notebook parameter `noise_factors`: a non-empty list of numbers in [0, 1], in order."""
    return check_float_list("noise_factors", values, 0.0, 1.0)


def check_seed(name: str, value) -> int:
    """A seed parameter: an int in [0, 2**63 - 1]."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if not 0 <= value <= MAX_SEED:
        raise ValueError(f"{name} must be in [0, 2**63 - 1], got {value}")
    return value


def noisy(x: torch.Tensor, factor: float, seed: int) -> torch.Tensor:
    """x + factor * z clipped to [0, 1], with z ~ N(0, 1) drawn from `seed`.

    Every factor reuses the same draw z: the noisy sets then differ only in the noise's strength,
    not in its pattern, so a curve over the factors is not blurred by resampling.
    """
    gen = torch.Generator(device=x.device).manual_seed(seed)
    return add_noise(x, factor, gen)


@dataclass
class Denoising:
    """Mean scores over the test set, one entry per noise factor (dicts: one list per model)."""
    noise: list[float]
    psnr_noisy: list[float] = field(default_factory=list)  # the noisy input against the clean image
    ssim_noisy: list[float] = field(default_factory=list)
    mse_noisy: list[float] = field(default_factory=list)
    psnr: dict[str, list[float]] = field(default_factory=dict)  # a model's output against the clean image
    ssim: dict[str, list[float]] = field(default_factory=dict)
    mse: dict[str, list[float]] = field(default_factory=dict)
    sensitivity: dict[str, list[float]] = field(default_factory=dict)  # see sensitivity()
    clean: dict[str, dict[str, float]] = field(default_factory=dict)  # model -> summary on clean inputs + spread
    # f -> {"noisy": inputs, model name: outputs}, each (keep, 1, 28, 28); f = 0.0 holds the clean inputs
    examples: dict[float, dict[str, torch.Tensor]] = field(default_factory=dict)

    def scores(self) -> dict:
        """Everything but the example images, as plain lists and dicts (for JSON)."""
        return {"noise": self.noise, "psnr_noisy": self.psnr_noisy, "ssim_noisy": self.ssim_noisy,
                "mse_noisy": self.mse_noisy, "psnr": self.psnr, "ssim": self.ssim, "mse": self.mse,
                "sensitivity": self.sensitivity, "clean": self.clean}


def sensitivity(out_noisy: torch.Tensor, out_clean: torch.Tensor, x_noisy: torch.Tensor,
                x: torch.Tensor) -> float:
    """How far the output moves when noise is added, relative to how far the input moved: the mean
    squared change of the output (noisy against clean input) over the mean squared noise of the
    input. 0: the model ignores the noise; 1: the output moves as much as the input did; above 1:
    the model magnifies the disturbance (e.g. draws another digit).

    Measured against the model's own output on the clean image, so that its reconstruction
    error, which is there with or without noise, does not count.
    """
    moved = mse(out_clean, out_noisy).mean()
    return float(moved / mse(x, x_noisy).mean().clamp_min(1e-12))


def evaluate(models: Mapping[str, nn.Module], clean: torch.Tensor, factors: Sequence[float], seed: int,
             keep: int = 8, cache_dir: str | Path | None = None) -> Denoising:
    """Score the noisy inputs and each model's outputs against `clean` (N, 1, 28, 28) at every
    factor; keep the first `keep` images of each set for figures. With `cache_dir`, the result is
    kept in cache_dir/denoising, keyed on the models' weights, the images and the arguments."""
    if not models:
        raise ValueError("evaluate needs at least one model")
    factors = [float(f) for f in factors]
    path = None
    if cache_dir is not None:
        h = hashlib.sha256(json.dumps({"models": list(models), "factors": factors, "seed": seed, "keep": keep,
                                       "version": EVALUATION_VERSION}).encode())
        for model in models.values():
            update_digest(h, model)
        h.update(clean.contiguous().numpy().tobytes())
        path = Path(cache_dir) / "denoising" / f"{h.hexdigest()[:24]}.pt"

    def read(p: Path) -> Denoising:
        stored = torch.load(p, weights_only=True)
        return Denoising(**stored["scores"], examples=stored["examples"])

    return cached(path, lambda: _evaluate(models, clean, factors, seed, keep), read,
                  lambda r, tmp: torch.save({"scores": r.scores(), "examples": r.examples}, tmp),
                  (OSError, RuntimeError, KeyError, TypeError, EOFError, pickle.UnpicklingError))


def _evaluate(models: Mapping[str, nn.Module], clean: torch.Tensor, factors: list[float], seed: int,
              keep: int) -> Denoising:
    result = Denoising(noise=factors)
    base = {name: reconstruct(model, clean) for name, model in models.items()}  # outputs on clean inputs
    # spread: per-pixel std of the outputs across images, averaged; ~0 for a model that learned
    # nothing and returns one image whatever the input
    result.clean = {name: {**summary(clean, out), "spread": float(out.std(0).mean())} for name, out in base.items()}
    result.examples[0.0] = {"noisy": clean[:keep].clone(), **{n: out[:keep].clone() for n, out in base.items()}}
    for f in result.noise:
        x_noisy = noisy(clean, f, seed)
        result.psnr_noisy.append(float(psnr(clean, x_noisy).mean()))
        result.ssim_noisy.append(float(ssim(clean, x_noisy).mean()))
        result.mse_noisy.append(float(mse(clean, x_noisy).mean()))
        examples = {"noisy": x_noisy[:keep].clone()}
        for name, model in models.items():
            out = reconstruct(model, x_noisy)
            result.psnr.setdefault(name, []).append(float(psnr(clean, out).mean()))
            result.ssim.setdefault(name, []).append(float(ssim(clean, out).mean()))
            result.mse.setdefault(name, []).append(float(mse(clean, out).mean()))
            result.sensitivity.setdefault(name, []).append(sensitivity(out, base[name], x_noisy, clean))
            examples[name] = out[:keep].clone()
        result.examples[f] = examples
    return result


def onset(noise: Sequence[float], flags: Sequence[bool]) -> float | None:
    """The smallest noise factor from which on every flag is true (at it and at every larger
    factor), or None if the flag at the largest factor is false: where a failure sets in and
    stays."""
    if len(noise) != len(flags):
        raise ValueError(f"lengths differ: noise {len(noise)}, flags {len(flags)}")
    start = None
    for f, flag in sorted(zip(noise, flags)):
        if not flag:
            start = None
        elif start is None:
            start = float(f)
    return start
