"""Image-quality measures. All take float images (N, 1, 28, 28) in [0, 1] and return one value
per image; a page reports their means over a set.

- difference: the report's "Original vs Decompressed difference", mean |x - x_hat| over pixels.
- mse: mean (x - x_hat)^2 over pixels; se_per_image: the same summed over the 784 pixels.
- psnr: 10 log10(1 / mse) in dB (peak value 1).
- ssim: structural similarity with skimage's defaults (7x7 uniform window, K1 = 0.01,
  K2 = 0.03, sample covariance, data range 1), averaged over the window positions that fit.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

EVAL_BATCH = 2048


@torch.inference_mode()
def reconstruct(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """model(x) in large batches on the model's device; returns a CPU tensor like x."""
    device = next(model.parameters()).device
    model.eval()
    out = [model(x[i:i + EVAL_BATCH].to(device)).cpu() for i in range(0, len(x), EVAL_BATCH)]
    return torch.cat(out) if out else x.clone()


def _flat(x: torch.Tensor) -> torch.Tensor:
    return x.reshape(x.shape[0], -1).double()  # (N, 1, H, W) -> (N, H*W)


def difference(x: torch.Tensor, x_hat: torch.Tensor) -> torch.Tensor:
    return (_flat(x) - _flat(x_hat)).abs().mean(1)


def mse(x: torch.Tensor, x_hat: torch.Tensor) -> torch.Tensor:
    return (_flat(x) - _flat(x_hat)).pow(2).mean(1)


def se_per_image(x: torch.Tensor, x_hat: torch.Tensor) -> torch.Tensor:
    return (_flat(x) - _flat(x_hat)).pow(2).sum(1)


def psnr(x: torch.Tensor, x_hat: torch.Tensor) -> torch.Tensor:
    # An exact copy would be infinite dB; 1e-10 caps it at 100 dB so that means stay finite.
    return 10 * torch.log10(1.0 / mse(x, x_hat).clamp_min(1e-10))


def ssim(x: torch.Tensor, x_hat: torch.Tensor, win: int = 7) -> torch.Tensor:
    x, y = x.double(), x_hat.double()

    def filt(t):  # window means over 'valid' positions only: skimage crops (win - 1) / 2 at each border
        return F.avg_pool2d(t, win, stride=1)

    n = win * win
    cov = n / (n - 1)  # sample covariance, as skimage's default
    ux, uy = filt(x), filt(y)
    vx = cov * (filt(x * x) - ux * ux)
    vy = cov * (filt(y * y) - uy * uy)
    vxy = cov * (filt(x * y) - ux * uy)
    c1, c2 = 0.01**2, 0.03**2
    s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux**2 + uy**2 + c1) * (vx + vy + c2))
    return s.reshape(s.shape[0], -1).mean(1)


def summary(x: torch.Tensor, x_hat: torch.Tensor) -> dict[str, float]:
    """Means over the set of every per-image measure, as plain floats."""
    return {
        "difference": float(difference(x, x_hat).mean()),
        "mse": float(mse(x, x_hat).mean()),
        "se_per_image": float(se_per_image(x, x_hat).mean()),
        "psnr": float(psnr(x, x_hat).mean()),
        "ssim": float(ssim(x, x_hat).mean()),
    }
