"""Every kind of model a TrainConfig names (`TrainConfig.model`), built from its config: the
report's two autoencoders and the deep one of 2006 (`aelib.models`), the noise-conditional
denoiser (`aelib.denoise.conditional`) and the rate-aware model (`aelib.compress.rate`). The
last two build on `ConvAutoencoder`, so this table lives above all three modules."""
from __future__ import annotations

from torch import nn

from aelib.compress.rate import RateAutoencoder
from aelib.config import TrainConfig
from aelib.denoise.conditional import ConditionalDenoiser
from aelib.models import ConvAutoencoder, DeepAutoencoder, MLPAutoencoder

MODELS = {"mlp": MLPAutoencoder, "conv": ConvAutoencoder, "deep": DeepAutoencoder,
          "cond": ConditionalDenoiser, "rate": RateAutoencoder}


def build_model(cfg: TrainConfig) -> nn.Module:
    """A freshly initialised model for `cfg` (each class takes its settings from the config)."""
    return MODELS[cfg.model].from_config(cfg)
