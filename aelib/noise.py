"""Noise models for the denoising experiments (both keep values in [0, 1]), the reproducible
noisy copy every denoising page scores on, and the checks of one noise kind, factor and seed.
aelib.config imports the kinds from here; a list of factors is checked there (check_float_list)."""
from __future__ import annotations

import math
from numbers import Real

import torch

NOISE_KINDS = ("gaussian", "salt-pepper")
MAX_SEED = 2**63 - 1  # torch.Generator.manual_seed takes a 64-bit seed


def check_noise_kind(kind) -> str:
    if kind not in NOISE_KINDS:
        raise ValueError(f"noise kind must be one of {list(NOISE_KINDS)}, got {kind!r}")
    return kind


def check_noise_factor(factor) -> float:
    """A noise factor: a finite number in [0, 1] (a standard deviation, or a rate for salt-pepper)."""
    if isinstance(factor, bool) or not isinstance(factor, Real):
        raise TypeError(f"noise factor must be a number, got {type(factor).__name__} {factor!r}")
    if not (math.isfinite(factor) and 0.0 <= factor <= 1.0):
        raise ValueError(f"noise factor must be a finite number in [0, 1], got {factor!r}")
    return float(factor)


def check_seed(name: str, value) -> int:
    """A seed parameter: an int in [0, 2**63 - 1]."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if not 0 <= value <= MAX_SEED:
        raise ValueError(f"{name} must be in [0, 2**63 - 1], got {value}")
    return value


def add_noise(x: torch.Tensor, factor: float | torch.Tensor, generator: torch.Generator | None = None,
              kind: str = "gaussian") -> torch.Tensor:
    """gaussian: x + factor * N(0, 1), clipped to [0, 1] (the report's noise model).
    salt-pepper: each pixel independently becomes 0 or 1 (equally likely) with probability `factor`.
    `factor` is one number, or a tensor of one factor per image of the batch x (N, 1, H, W)."""
    if isinstance(factor, torch.Tensor):
        if factor.shape != (len(x),) or not bool(((factor >= 0) & (factor <= 1)).all()):
            raise ValueError(f"per-image noise factors must be a tensor of shape ({len(x)},) with values in "
                             f"[0, 1], got shape {tuple(factor.shape)}")
        factor = factor.to(x.dtype).reshape(-1, *([1] * (x.dim() - 1)))
    else:
        factor = check_noise_factor(factor)
    if kind == "gaussian":
        noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        return (x + factor * noise).clamp_(0.0, 1.0)
    if kind == "salt-pepper":
        u = torch.rand(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        salt = torch.rand(x.shape, generator=generator, device=x.device, dtype=x.dtype) < 0.5
        return torch.where(u < factor, salt.to(x.dtype), x)
    check_noise_kind(kind)  # raises, naming the kind
    raise AssertionError("unreachable")


def noisy_copy(x: torch.Tensor, factor: float, seed: int, kind: str = "gaussian") -> torch.Tensor:
    """A reproducible noisy copy of x: `add_noise` with a generator freshly seeded with `seed`.

    Every factor reuses the same random draws, so the noisy sets of one seed differ only in the
    noise's strength (Gaussian: one fixed pattern z scaled by f; salt-pepper: the pixels hit at
    rate f are a subset of those hit at any higher rate)."""
    check_noise_kind(kind)
    gen = torch.Generator(device=x.device).manual_seed(check_seed("noise seed", seed))
    return add_noise(x, factor, gen, kind)


def background_mean(clean: torch.Tensor, noisy: torch.Tensor) -> float:
    """The mean of the added noise (noisy - clean) over the background pixels (those exactly 0 in
    `clean`); NaN when there are none.

    Clipping to [0, 1] makes Gaussian noise one-sided on a black background: a pixel at 0 can only
    brighten, so there the noise has the mean f * E[max(0, z)] = 0.40 f instead of 0. Denoisers
    built for zero-mean noise (BM3D, non-local means) leave that bias in place."""
    if clean.shape != noisy.shape:
        raise ValueError(f"shapes differ: clean {tuple(clean.shape)}, noisy {tuple(noisy.shape)}")
    background = clean == 0
    if not bool(background.any()):
        return math.nan
    return float((noisy.double() - clean.double())[background].mean())


def with_noise_level(x: torch.Tensor, level: float | torch.Tensor) -> torch.Tensor:
    """(N, 1, H, W) images -> (N, 2, H, W): the images and a channel holding each one's noise
    factor (one number for all, or one per image) in every pixel."""
    level = torch.as_tensor(level, dtype=x.dtype, device=x.device).reshape(-1, 1, 1, 1)
    return torch.cat([x, level.expand(len(x), 1, *x.shape[2:])], dim=1)
