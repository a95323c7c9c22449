"""Training: Adam on the mean squared error, batches sliced from one in-memory uint8 tensor.

Deterministic for a given config: the seed fixes the initial weights, the shuffling order and
any input noise. Snapshots at requested epochs let one run serve a whole epoch sweep.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from aelib.config import TrainConfig
from aelib.data import Dataset, split
from aelib.noise import add_noise, with_noise_level
from aelib.optim import adam
from aelib.zoo import build_model
from aelib.runtime import pick_device

EVAL_BATCH = 2048


@dataclass
class History:
    train_loss: list[float] = field(default_factory=list)  # mean over each epoch's batches, epochs 1..E
    val_loss: list[float] = field(default_factory=list)  # validation MSE after epochs 0..E
    seconds: list[float] = field(default_factory=list)  # training wall time of epochs 1..E
    nonfinite: bool = False  # a loss turned NaN/inf; training stopped at that epoch

    @property
    def epochs_done(self) -> int:
        return len(self.seconds)

    @property
    def diverged(self) -> bool:
        """Stopped on a non-finite loss, or ended with a higher validation loss than it began."""
        rose = len(self.val_loss) > 1 and self.val_loss[-1] > self.val_loss[0]
        return self.nonfinite or rose

    def seconds_until(self, epoch: int) -> float:
        return float(sum(self.seconds[:epoch]))

    def to_dict(self) -> dict:
        return {"train_loss": self.train_loss, "val_loss": self.val_loss,
                "seconds": self.seconds, "nonfinite": self.nonfinite}


@dataclass
class Run:
    config: TrainConfig
    history: History
    snapshots: dict[int, dict[str, torch.Tensor]]  # epoch -> state_dict (on CPU)
    how: dict = field(default_factory=dict)  # how it was trained: device, threads, trainings at once, torch

    def model(self, epoch: int | None = None, device: torch.device | str = "cpu") -> nn.Module:
        """The model after `epoch` epochs (default: the last snapshot), in eval mode."""
        if self.history.nonfinite and (not self.snapshots if epoch is None else epoch not in self.snapshots):
            raise ValueError(f"no weights after epoch {epoch if epoch is not None else self.config.epochs}: the "
                             f"loss became non-finite in epoch {self.history.epochs_done} (lr={self.config.lr:g}), "
                             f"kept epochs {sorted(self.snapshots)}; try a smaller learning rate")
        epoch = max(self.snapshots) if epoch is None else epoch
        if epoch not in self.snapshots:
            raise KeyError(f"no snapshot at epoch {epoch}; have {sorted(self.snapshots)}")
        model = build_model(self.config)
        model.load_state_dict(self.snapshots[epoch])
        return model.to(device).eval()


def _noisy_input(x: torch.Tensor, noise: float, noise_range: bool, generator: torch.Generator | None,
                 kind: str, with_level: bool = False) -> torch.Tensor:
    """The network's input for clean targets x: x itself, x with noise `noise`, or (noise_range) x
    with each image's factor drawn uniformly from [0, noise]. `with_level`: for a model told the
    noise level (`takes_level`), each image's factor joins it as a second, constant channel."""
    if noise == 0:
        return x
    if noise_range:
        noise = torch.rand(len(x), generator=generator, device=x.device) * noise
    inp = add_noise(x, noise, generator, kind)
    return with_noise_level(inp, noise) if with_level else inp


@torch.inference_mode()
def _val_loss(model: nn.Module, val: torch.Tensor, noise: float, seed: int, kind: str,
              noise_range: bool = False) -> float:
    with_level = getattr(model, "takes_level", False)
    gen = torch.Generator(device=val.device).manual_seed(seed + 1)
    total = 0.0
    for i in range(0, len(val), EVAL_BATCH):
        x = val[i:i + EVAL_BATCH].unsqueeze(1).float().div_(255.0)  # (B, 28, 28) u8 -> (B, 1, 28, 28)
        inp = _noisy_input(x, noise, noise_range, gen, kind, with_level)
        total += F.mse_loss(model(inp), x, reduction="sum").item()
    return total / val.numel()


def train_epoch(model: nn.Module, opt: torch.optim.Optimizer, images: torch.Tensor, order: torch.Tensor,
                batch_size: int, noise: float = 0.0, generator: torch.Generator | None = None,
                noise_kind: str = "gaussian", noise_range: bool = False,
                schedule: torch.optim.lr_scheduler.LRScheduler | None = None) -> float:
    """One pass over uint8 `images` in the given order; returns the mean training loss.

    Batches are slices of one in-memory tensor, converted to float on the fly: no DataLoader,
    no per-image Python work. The loss is the model's own (`model.loss`): the MSE, or for the
    rate-aware model MSE + lambda * bits per image, its rounding noise drawn from `generator`."""
    model.train()
    with_level = getattr(model, "takes_level", False)
    loss_sum = torch.zeros((), device=images.device)
    for i in range(0, len(order), batch_size):
        x = images[order[i:i + batch_size]].unsqueeze(1).float().div_(255.0)  # (B, 28, 28) -> (B, 1, 28, 28)
        inp = _noisy_input(x, noise, noise_range, generator, noise_kind, with_level)
        loss = model.loss(inp, x, generator)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if schedule is not None:
            schedule.step()
        loss_sum += loss.detach() * len(x)
    return loss_sum.item() / len(order)  # one device sync per epoch, not per batch


def _optimizer(model: nn.Module, cfg: TrainConfig, steps: int):
    """Adam at cfg.lr, constant (the report's recipe) or decaying along a cosine to 0 over
    `steps` (cfg.lr_schedule), unless the model brings its own optimiser and learning-rate
    schedule (`model.optimizer(params, cfg, steps)`)."""
    if hasattr(model, "optimizer"):
        return model.optimizer(model.parameters(), cfg, steps)
    return adam(model.parameters(), cfg.lr, steps, cosine=cfg.lr_schedule == "cosine")


def _snapshot(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().to("cpu", memory_format=torch.contiguous_format, copy=True)
            for k, v in model.state_dict().items()}


def memory_layout(model: nn.Module, device: torch.device) -> tuple[nn.Module, bool]:
    """The model in the memory order it trains fastest in, and whether that is channels-last.
    Convolutions in channels-last order run 1.1-1.2 times faster on the CPU (oneDNN's native
    layout; measured in alternation, one thread, conv-128); the weights stay the same numbers."""
    channels_last = device.type == "cpu" and getattr(model, "channels_last", False)
    return (model.to(memory_format=torch.channels_last) if channels_last else model), channels_last


def trained_how(device: torch.device, channels_last: bool) -> dict:
    """What besides the config decides the trained weights' last bits: the device, the CPU's
    thread count (a matrix product splits its sums by thread), the memory format, the torch build."""
    return {"device": str(device), "threads": torch.get_num_threads() if device.type == "cpu" else None,
            "memory_format": "channels_last" if channels_last else "contiguous", "torch": str(torch.__version__)}


def train(cfg: TrainConfig, data: Dataset, snapshots: tuple[int, ...] = (),
          device: torch.device | str | None = None,
          on_epoch: Callable[[int, History], None] | None = None) -> Run:
    """Train `cfg` on the training split of `data` (the dataset cfg.dataset names); keep the
    weights after each epoch in `snapshots` and after the last epoch. `on_epoch(epoch, history)`,
    if given, is called after each completed epoch (progress reports; it must not touch the model)."""
    if data.name != cfg.dataset:
        raise ValueError(f"the config trains on {cfg.dataset!r}, but the data given is {data.name!r}")
    device = torch.device(device) if device is not None else pick_device()
    bad = [e for e in snapshots if not 0 <= e <= cfg.epochs]
    if bad:
        raise ValueError(f"snapshot epochs {bad} lie outside [0, epochs={cfg.epochs}]")
    keep = set(snapshots) | {cfg.epochs}
    parts = split(data, cfg.val_size, cfg.train_size)
    train_x, val_x = parts.train.to(device), parts.val.to(device)

    with torch.random.fork_rng(devices=[]):  # seed the initial weights without touching global state
        torch.manual_seed(cfg.seed)
        model = build_model(cfg).to(device)
    model, channels_last = memory_layout(model, device)
    n = len(train_x)
    opt, schedule = _optimizer(model, cfg, cfg.epochs * math.ceil(n / cfg.batch_size))
    order_gen = torch.Generator().manual_seed(cfg.seed)
    noise_gen = torch.Generator(device=device).manual_seed(cfg.seed)

    history = History(val_loss=[_val_loss(model.eval(), val_x, cfg.train_noise, cfg.seed, cfg.noise_kind,
                                          cfg.noise_range)])
    kept = {0: _snapshot(model)} if 0 in keep else {}
    for epoch in range(1, cfg.epochs + 1):
        t0 = time.perf_counter()
        perm = torch.randperm(n, generator=order_gen).to(device)
        train_loss = train_epoch(model, opt, train_x, perm, cfg.batch_size, cfg.train_noise, noise_gen,
                                 cfg.noise_kind, cfg.noise_range, schedule)
        history.seconds.append(time.perf_counter() - t0)
        history.train_loss.append(train_loss)
        val = _val_loss(model.eval(), val_x, cfg.train_noise, cfg.seed, cfg.noise_kind, cfg.noise_range)
        history.val_loss.append(val)
        if not (math.isfinite(train_loss) and math.isfinite(val)):
            history.nonfinite = True  # the weights are now unusable: keep nothing from this epoch on
            break
        if epoch in keep:
            kept[epoch] = _snapshot(model)
        if on_epoch is not None:
            on_epoch(epoch, history)
    return Run(config=cfg, history=history, snapshots=kept, how=trained_how(device, channels_last))
