"""Noise models for the denoising experiments. Both keep values in [0, 1]."""
from __future__ import annotations

import torch

NOISE_KINDS = ("gaussian", "salt-pepper")


def add_noise(x: torch.Tensor, factor: float, generator: torch.Generator | None = None,
              kind: str = "gaussian") -> torch.Tensor:
    """gaussian: x + factor * N(0, 1), clipped to [0, 1] (the report's noise model).
    salt-pepper: each pixel independently becomes 0 or 1 (equally likely) with probability `factor`."""
    if kind == "gaussian":
        noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        return (x + factor * noise).clamp_(0.0, 1.0)
    if kind == "salt-pepper":
        u = torch.rand(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        salt = torch.rand(x.shape, generator=generator, device=x.device, dtype=x.dtype) < 0.5
        return torch.where(u < factor, salt.to(x.dtype), x)
    raise ValueError(f"noise kind must be one of {list(NOISE_KINDS)}, got {kind!r}")
