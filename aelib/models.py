"""The two autoencoders of the report. Both map (N, 1, 28, 28) images in [0, 1] to a code of
`latent` floats (`encode`) and back (`decode`), and say what they are trained to minimise
(`loss`); they know nothing of the training loop.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from aelib.config import TrainConfig
from aelib.optim import adam


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

    channels_last = True  # the trainer stores its activations channels-last on the CPU (faster there)

    def __init__(self, latent: int, channels: tuple[int, ...] = (16, 32, 32), in_channels: int = 1):
        super().__init__()
        enc, dec = [], []
        c_in = 1
        for i, c in enumerate(channels):
            stride = 2 if i < 2 else 1
            enc += [nn.Conv2d(in_channels if i == 0 else c_in, c, 3, stride=stride, padding=1), nn.LeakyReLU(0.1)]
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
        return self.g_a(x)  # (N, in_channels, 28, 28) -> (N, C, 7, 7) -> (N, C*49) -> (N, latent)

    def decode(self, y: torch.Tensor) -> torch.Tensor:
        h = self.g_s_linear(y).reshape(-1, *self.code_shape)  # (N, C*49) -> (N, C, 7, 7)
        return torch.sigmoid(self.g_s(h))  # -> (N, 1, 28, 28)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))

    loss = MLPAutoencoder.loss


class DeepAutoencoder(nn.Module):
    """A deep MLP: 784 -> h -> h/2 -> h/4 -> latent, mirrored, with h = `hidden`. With h = 1000
    and a code of 30 it has the layer widths of Hinton and Salakhutdinov's 2006 MNIST
    autoencoder (784-1000-500-250-30), which needed layer-wise pretraining; here a modern recipe
    trains it from scratch: batch normalisation before each ReLU, and Adam whose learning rate
    falls along a cosine from `lr` to zero over the run (`optimizer`). Without the normalisation
    this depth trained slowly: 21.1 against 7.0 squared error per test image after 2 epochs."""

    def __init__(self, latent: int, hidden: int = 1000):
        super().__init__()
        widths = [784, hidden, max(hidden // 2, 1), max(hidden // 4, 1)]

        def stack(sizes, out):  # Linear -> BatchNorm -> ReLU for each hidden width, then Linear to `out`
            layers = []
            for a, b in zip(sizes, sizes[1:]):
                layers += [nn.Linear(a, b), nn.BatchNorm1d(b), nn.ReLU()]
            return nn.Sequential(*layers, nn.Linear(sizes[-1], out))
        self.g_a = stack(widths, latent)
        self.g_s = stack([latent, *widths[:0:-1]], 784)

    @classmethod
    def from_config(cls, cfg: TrainConfig) -> "DeepAutoencoder":
        return cls(cfg.latent, cfg.hidden)

    @staticmethod
    def optimizer(params, cfg: TrainConfig, steps: int):
        """Adam with a cosine decay of the learning rate to 0 over `steps` optimisation steps."""
        return adam(params, cfg.lr, steps, cosine=True)

    encode, decode, forward, loss = (MLPAutoencoder.encode, MLPAutoencoder.decode, MLPAutoencoder.forward,
                                     MLPAutoencoder.loss)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def update_digest(h, model: nn.Module, prefix: str = "") -> None:
    """Feed a hash object the names and bytes of `model`'s tensors whose names start with
    `prefix`, in name order: what identifies exactly these weights."""
    for name, t in sorted(model.state_dict().items()):
        if name.startswith(prefix):
            h.update(name.encode() + t.detach().cpu().contiguous().numpy().tobytes())
