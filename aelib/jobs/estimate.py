"""How much work a training is and how long it takes on this machine, measured in seconds.

The work is counted, not guessed: training FLOPs per image (aelib.bench.train_flops_per_image)
times the images the training passes over. The time comes from a few timed training steps of
each architecture on the machine that will train it (`measure`), one short measurement at
the start of a build instead of a table from another day's machine: the same code ran 1.8 times
slower on one developer machine than on another.
"""
from __future__ import annotations

import math
import statistics
import time
from collections.abc import Iterable
from functools import lru_cache

import torch

from aelib.config import TrainConfig
from aelib.train import train_epoch

TRAIN_IMAGES = 60_000  # every MNIST-format set's training split (config.py checks sizes against it)


def speed_key(cfg: TrainConfig) -> TrainConfig:
    """The config with every field that does not change the cost of a step set to one value:
    configs with the same key train at the same speed."""
    return cfg.replace(dataset="mnist", seed=0, epochs=1, lr=1e-3, train_size=None, val_size=10_000,
                       train_noise=0.5 if cfg.train_noise else 0.0)


def images(cfg: TrainConfig) -> tuple[int, int]:
    """(training images per epoch, validation images per evaluation)."""
    return cfg.train_size or TRAIN_IMAGES - cfg.val_size, cfg.val_size


@lru_cache(maxsize=256)
def flops_per_image(key: TrainConfig) -> tuple[float, float]:
    """(training, forward-only) FLOPs per image of `key`'s model."""
    from aelib.bench import forward_flops_per_image, train_flops_per_image
    from aelib.zoo import build_model
    model = build_model(key)
    return train_flops_per_image(model), forward_flops_per_image(model)


def train_flops(cfg: TrainConfig) -> float:
    """Training FLOPs of `cfg`: its training passes (validation, forward only, not counted)."""
    n_train, _ = images(cfg)
    return flops_per_image(speed_key(cfg))[0] * cfg.epochs * n_train


def validation_flops(cfg: TrainConfig) -> float:
    """FLOPs of `cfg`'s validation passes: forward only, before training and after each epoch."""
    _, n_val = images(cfg)
    return flops_per_image(speed_key(cfg))[1] * (cfg.epochs + 1) * n_val


def estimate_seconds(cfg: TrainConfig, speed: tuple[float, float]) -> float:
    """Training plus validation time of `cfg` from its measured `speed`: (seconds of one
    training step, seconds of validation per image)."""
    step, per_val_image = speed
    n_train, n_val = images(cfg)
    return step * cfg.epochs * math.ceil(n_train / cfg.batch_size) + per_val_image * (cfg.epochs + 1) * n_val


def _typical_time(fn, budget: float) -> float:
    """fn twice to warm up, then timed until `budget` seconds have passed (at least three times):
    the median, which a moment's disturbance by another process does not inflate. Not the
    fastest: an epoch's steps take the typical time, not the best (one-thread MLP-128 and conv
    steps beside a second training, 2-core AMD EPYC: an epoch's mean step 1.11-1.18 times the
    fastest repeat, the median 1.09-1.14; estimates from the fastest fell 10-25% short)."""
    fn(), fn()
    times, t_end = [], time.perf_counter() + budget
    while len(times) < 3 or time.perf_counter() < t_end:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def speed(key: TrainConfig, images_u8: torch.Tensor, device: str = "cpu", budget: float = 0.2) -> tuple[float, float]:
    """(seconds of one training step, seconds of validation per image) of `key`'s model on
    `device`, each the median of the repeats that fit in `budget` seconds."""
    from aelib.zoo import build_model
    from aelib.train import EVAL_BATCH, _optimizer, _val_loss, memory_layout
    model, _ = memory_layout(build_model(key).to(device), torch.device(device))  # as aelib.train.train runs it
    opt, schedule = _optimizer(model, key, 10_000)
    x = images_u8[:key.batch_size].to(device)
    order = torch.arange(len(x), device=device)
    gen = torch.Generator(device=device).manual_seed(0)
    step = lambda: train_epoch(model, opt, x, order, key.batch_size, key.train_noise, gen,  # noqa: E731
                               key.noise_kind, key.noise_range, schedule)
    val = images_u8[:min(EVAL_BATCH, len(images_u8))].to(device)
    evaluate = lambda: _val_loss(model.eval(), val, key.train_noise, 0, key.noise_kind, key.noise_range)  # noqa: E731
    return _typical_time(step, budget), _typical_time(evaluate, budget / 2) / len(val)


def measure(keys: Iterable[TrainConfig], images_u8: torch.Tensor, device: str = "cpu") -> dict:
    """The speed of each speed key, in this process as it is set up (its threads)."""
    return {k: speed(k, images_u8, device) for k in keys}
