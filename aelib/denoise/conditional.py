"""A denoiser told the noise level: the convolutional autoencoder with the level as a second input
channel, a constant image holding the noise factor (the noise-level map of FFDNet: Zhang, Zuo and
Zhang 2018, "FFDNet: Toward a fast and flexible solution for CNN-based image denoising").

One model is trained across levels (TrainConfig `model="cond"`, `noise_range=True`: each training
image's factor drawn from [0, train_noise], and given to the network with the image), where a
denoising autoencoder per factor needs one training per level, and a blind one must guess the
level from the image. At test time `at_level(f)` fixes the level: the result is an ordinary
one-input denoiser for the evaluation.
"""
from __future__ import annotations

import torch
from torch import nn

from aelib.config import TrainConfig
from aelib.models import ConvAutoencoder
from aelib.noise import with_noise_level


class ConditionalDenoiser(ConvAutoencoder):
    """Input (N, 2, 28, 28): the noisy images and their noise-level map; output (N, 1, 28, 28)."""

    takes_level = True  # aelib.train appends the level map to every training and validation input

    def __init__(self, latent: int, channels: tuple[int, ...] = (16, 32, 32)):
        super().__init__(latent, channels, in_channels=2)

    @classmethod
    def from_config(cls, cfg: TrainConfig) -> "ConditionalDenoiser":
        return cls(cfg.latent, cfg.channels)

    def at_level(self, level: float) -> "AtLevel":
        return AtLevel(self, level)


class AtLevel(nn.Module):
    """A conditional denoiser with its level fixed: (N, 1, 28, 28) -> (N, 1, 28, 28). The level is
    a buffer, so that two levels of one model are two sets of weights to the evaluation's cache."""

    def __init__(self, model: ConditionalDenoiser, level: float):
        super().__init__()
        self.model = model
        self.register_buffer("level", torch.tensor(float(level)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(with_noise_level(x, self.level))
