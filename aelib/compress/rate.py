"""An autoencoder trained for rate as well as distortion (Ballé, Laparra and Simoncelli 2017,
"End-to-end optimized image compression", ICLR).

The encoder g_a and decoder g_s are the convolutional model's. During training, rounding (which
has no useful gradient) is replaced by additive uniform noise, y_tilde = y + U(-1/2, 1/2), and
a learned density p per latent dimension (a factorized prior) gives the rate: the bits
-log2 P(y_tilde) where P is p convolved with the unit box, i.e. CDF(y + 1/2) - CDF(y - 1/2).
The loss is D + lambda R: mean squared error per pixel plus lambda times bits per image.
At test time y is rounded, y_hat = round(y), and coded with the discretized prior.

The density is the univariate non-parametric model of Ballé et al. 2018 ("Variational image
compression with a scale hyperprior", appendix 6.1), the one CompressAI's EntropyBottleneck
uses: a small monotone network per dimension whose output, through a sigmoid, is the CDF.

Naming follows CompressAI: `forward` is the real thing (rounded latents), the differentiable
training pass is `noisy_forward`, returning x_hat and the likelihoods.
"""
from __future__ import annotations

import copy
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from aelib.models import ConvAutoencoder

LIKELIHOOD_BOUND = 1e-9  # no latent costs more than -log2(1e-9) ~ 30 bits: keeps the loss finite
TAIL_MASS = 1e-9  # the coding table covers the integers outside of which the prior leaves this much
MAX_RANGE = 2048  # integers searched on each side of 0 for that range


class FactorizedPrior(nn.Module):
    """One learned density per latent dimension; its CDF is sigmoid(logits_cumulative(v))."""

    def __init__(self, dims: int, filters: tuple[int, ...] = (3, 3, 3), init_scale: float = 10.0):
        super().__init__()
        widths = (1, *filters, 1)
        scale = init_scale ** (1 / (len(filters) + 1))
        self.matrices, self.biases, self.factors = nn.ParameterList(), nn.ParameterList(), nn.ParameterList()
        for i in range(len(filters) + 1):
            init = math.log(math.expm1(1 / scale / widths[i + 1]))  # softplus(init) = 1 / scale / width
            self.matrices.append(nn.Parameter(torch.full((dims, widths[i + 1], widths[i]), init)))
            self.biases.append(nn.Parameter(torch.rand(dims, widths[i + 1], 1) - 0.5))
            if i < len(filters):
                self.factors.append(nn.Parameter(torch.zeros(dims, widths[i + 1], 1)))

    def logits_cumulative(self, v: torch.Tensor) -> torch.Tensor:
        """v (D, 1, M) -> (D, 1, M); increasing in v (softplus keeps every matrix positive)."""
        for i, matrix in enumerate(self.matrices):
            v = torch.matmul(F.softplus(matrix), v) + self.biases[i]
            if i < len(self.factors):
                v = v + torch.tanh(self.factors[i]) * torch.tanh(v)
        return v

    def likelihood(self, y: torch.Tensor) -> torch.Tensor:
        """P(y - 1/2 < Y < y + 1/2) for y (N, D), per element, bounded below by LIKELIHOOD_BOUND."""
        v = y.t().unsqueeze(1)  # (N, D) -> (D, 1, N)
        lower, upper = self.logits_cumulative(v - 0.5), self.logits_cumulative(v + 0.5)
        # Subtract on the side of the sigmoid where it is flat, for precision in the tails.
        sign = -torch.sign(lower + upper).detach()
        p = (torch.sigmoid(sign * upper) - torch.sigmoid(sign * lower)).abs()
        return p.squeeze(1).t().clamp_min(LIKELIHOOD_BOUND)  # (D, 1, N) -> (N, D)

    @torch.no_grad()
    def cdf(self, v: np.ndarray) -> np.ndarray:
        """The CDF at points v (D, M), in float64 (for the coding table)."""
        t = torch.as_tensor(v, dtype=torch.float64).unsqueeze(1)  # (D, M) -> (D, 1, M)
        logits = _double(self).logits_cumulative(t)
        return torch.sigmoid(logits).squeeze(1).numpy()

    @torch.no_grad()
    def support(self) -> tuple[np.ndarray, np.ndarray]:
        """Per dimension, the integer range outside of which the prior leaves < TAIL_MASS."""
        grid = np.arange(-MAX_RANGE, MAX_RANGE + 1, dtype=np.float64)
        f = self.cdf(np.tile(grid, (len(self.matrices[0]), 1)))
        lo = grid[np.argmax(f > TAIL_MASS, axis=1)] - 1
        hi = grid[len(grid) - 1 - np.argmax((f < 1 - TAIL_MASS)[:, ::-1], axis=1)] + 1
        return lo.astype(np.int64), hi.astype(np.int64)


def _double(module: nn.Module) -> nn.Module:
    """A float64 copy, so that the coding table is computed once, precisely, off the graph."""
    return copy.deepcopy(module).double().cpu()


class RateAutoencoder(ConvAutoencoder):
    """The convolutional autoencoder with a learned factorized prior on its code."""

    def __init__(self, latent: int, channels: tuple[int, ...] = (16, 32, 32), rate_lambda: float = 0.0):
        super().__init__(latent, channels)
        self.entropy_bottleneck = FactorizedPrior(latent)
        self.rate_lambda = rate_lambda  # lambda of the training loss D + lambda R

    @classmethod
    def from_config(cls, cfg) -> "RateAutoencoder":
        return cls(cfg.latent, cfg.channels, cfg.rate_lambda)

    def loss(self, inp: torch.Tensor, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """D + lambda R: MSE per pixel plus lambda times bits per image, with uniform noise in
        place of rounding (drawn from `generator`)."""
        out = self.noisy_forward(inp, generator)
        return F.mse_loss(out["x_hat"], x) + self.rate_lambda * bits_per_image(out["likelihoods"]["y"])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x_hat from the rounded code: what a receiver of the real bytes gets (before clipping
        to the coding table's range, which a test-set code almost never reaches)."""
        return self.decode(torch.round(self.encode(x)))

    def noisy_forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> dict:
        """The training pass: {"x_hat", "likelihoods": {"y"}} with uniform noise for rounding."""
        y = self.encode(x)  # (N, 1, 28, 28) -> (N, latent)
        u = torch.rand(y.shape, generator=generator, device=y.device, dtype=y.dtype) - 0.5
        y_tilde = y + u
        return {"x_hat": self.decode(y_tilde), "likelihoods": {"y": self.entropy_bottleneck.likelihood(y_tilde)}}


def bits_per_image(likelihoods: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of -log2 of each image's likelihood: the rate R."""
    return -torch.log2(likelihoods).sum(1).mean()

