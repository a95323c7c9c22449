"""The two autoencoders of the report. Both map (N, 1, 28, 28) images in [0, 1] to a code of
`latent` floats (`encode`) and back (`decode`), and say what they are trained to minimise
(`loss`); they know nothing of the training loop.
"""
from __future__ import annotations

import importlib

import torch
import torch.nn.functional as F
from torch import nn

from aelib.config import TrainConfig


class MLPAutoencoder(nn.Module):
    """The report's "linear" model: 784 -> hidden -> latent -> hidden -> 784, ReLU between."""

    def __init__(self, latent: int, hidden: int = 512):
        super().__init__()
        self.g_a = nn.Sequential(nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, latent))
        self.g_s = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, 784))

    @classmethod
    def from_config(cls, cfg: TrainConfig) -> "MLPAutoencoder":
        return cls(cfg.latent, cfg.hidden)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.g_a(x.reshape(x.shape[0], 784))  # (N, 1, 28, 28) -> (N, 784) -> (N, latent)

    def decode(self, y: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.g_s(y)).reshape(-1, 1, 28, 28)  # (N, 784) -> (N, 1, 28, 28)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))

    def loss(self, inp: torch.Tensor, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """The training loss for input `inp` and target `x`: the mean squared error per pixel."""
        return F.mse_loss(self(inp), x)


class ConvAutoencoder(nn.Module):
    """Convolutional -> linear: 3x3 convolutions (the first two with stride 2, 28 -> 14 -> 7, the
    rest keep 7x7), then one linear layer to the code; the decoder mirrors it with transposed
    convolutions.

    Hazard: with plain ReLUs and a zero output bias this model often collapsed into one all-black
    image for every input (validation MSE stuck at 0.110, the error of an all-black guess): the
    first steps push every pixel dark and kill the ReLUs. Leaky ReLUs and an output bias that
    starts at the data's mean darkness (sigmoid(-2) = 0.12) let it learn at every seed tried."""

    def __init__(self, latent: int, channels: tuple[int, ...] = (16, 32, 32)):
        super().__init__()
        enc, dec = [], []
        c_in = 1
        for i, c in enumerate(channels):
            stride = 2 if i < 2 else 1
            enc += [nn.Conv2d(c_in, c, 3, stride=stride, padding=1), nn.LeakyReLU(0.1)]
            # the mirror image, built back to front: c -> c_in
            last = i == 0
            dec = [nn.ConvTranspose2d(c, c_in, 3, stride=stride, padding=1, output_padding=stride - 1)] \
                + ([] if last else [nn.LeakyReLU(0.1)]) + dec
            c_in = c
        side = 7 if len(channels) >= 2 else 14
        self.code_shape = (channels[-1], side, side)
        flat = channels[-1] * side * side
        self.g_a = nn.Sequential(*enc, nn.Flatten(), nn.Linear(flat, latent))
        self.g_s_linear = nn.Sequential(nn.Linear(latent, flat), nn.LeakyReLU(0.1))
        self.g_s = nn.Sequential(*dec)
        nn.init.constant_(self.g_s[-1].bias, -2.0)  # start near MNIST's mean pixel, not at grey 0.5

    @classmethod
    def from_config(cls, cfg: TrainConfig) -> "ConvAutoencoder":
        return cls(cfg.latent, cfg.channels)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.g_a(x)  # (N, 1, 28, 28) -> (N, C, 7, 7) -> (N, C*49) -> (N, latent)

    def decode(self, y: torch.Tensor) -> torch.Tensor:
        h = self.g_s_linear(y).reshape(-1, *self.code_shape)  # (N, C*49) -> (N, C, 7, 7)
        return torch.sigmoid(self.g_s(h))  # -> (N, 1, 28, 28)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))

    loss = MLPAutoencoder.loss


# Where each model kind of TrainConfig.model lives. The rate-aware model belongs to the compression
# story (aelib.compress.rate) and builds on ConvAutoencoder, so it is named here, not imported.
MODELS = {"mlp": "aelib.models:MLPAutoencoder", "conv": "aelib.models:ConvAutoencoder",
          "rate": "aelib.compress.rate:RateAutoencoder"}


def build_model(cfg: TrainConfig) -> nn.Module:
    """A freshly initialised model for `cfg` (each class takes its settings from the config)."""
    module, name = MODELS[cfg.model].split(":")
    return getattr(importlib.import_module(module), name).from_config(cfg)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def update_digest(h, model: nn.Module, prefix: str = "") -> None:
    """Feed a hash object the names and bytes of `model`'s tensors whose names start with
    `prefix`, in name order: what identifies exactly these weights."""
    for name, t in sorted(model.state_dict().items()):
        if name.startswith(prefix):
            h.update(name.encode() + t.detach().cpu().contiguous().numpy().tobytes())
