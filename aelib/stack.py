"""Several trainings as one: models of one architecture and recipe that differ only in seed,
noise factor or learning rate, trained side by side as one vectorised model (torch.func.vmap
over the members' stacked weights).

Each member keeps what makes it itself: its initial weights (built under its own seed), its data
order and its noise (its own generators, drawn exactly as a lone training draws them), its
learning rate (its own Adam parameter group), its validation, history and snapshots. The stacked
products sum in another order than a lone training's, so a member's weights equal its lone
training's to rounding (within 1e-5 after a step), not to the bit; its run records `stacked`.

Stacking pays where one model leaves the device idle between small kernels (a GPU); on a 2-core
CPU it was slower (three MLP-128s or three conv-128s on one thread: 0.78-0.98 times the images per
second of training them one after another, measured in alternation), so executors stack only
when asked (`stack=`).
"""
from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import fields

import torch
from torch.func import functional_call, vmap

from aelib.config import TrainConfig
from aelib.data import Dataset, split
from aelib.models import MLPAutoencoder
from aelib.runtime import pick_device
from aelib.optim import adam
from aelib.train import History, Run, _noisy_input, _snapshot, _val_loss, trained_how
from aelib.zoo import MODELS, build_model

MEMBER_FIELDS = ("seed", "lr", "train_noise")  # what may differ between the members of one stack


def stack_key(cfg: TrainConfig) -> tuple | None:
    """What members of one stack share (the config less MEMBER_FIELDS), or None for a kind that
    cannot stack: one with its own loss (the rate-aware model) or its own optimiser and
    normalisation statistics (the deep model)."""
    cls = MODELS[cfg.model]
    if cls.loss is not MLPAutoencoder.loss or hasattr(cls, "optimizer"):
        return None
    return tuple((f.name, getattr(cfg, f.name)) for f in fields(cfg) if f.name not in MEMBER_FIELDS)


def train_stacked(configs: Sequence[TrainConfig], data: Dataset, snapshots: Sequence[tuple[int, ...]] = (),
                  device: torch.device | str | None = None,
                  on_epoch: Callable[[int, int, History], None] | None = None) -> list[Run]:
    """Train `configs` (one stack_key) together; returns one Run per config, as `train` would.
    `snapshots[k]`: the epochs member k keeps besides its last; `on_epoch(k, epoch, history)`
    after each epoch member k completes. A member whose loss turns non-finite stops keeping
    anything from that epoch on, as a lone training stops; the others go on."""
    configs = list(configs)
    if not configs:
        raise ValueError("no configs to train")
    keys = {stack_key(c) for c in configs}
    if None in keys or len(keys) > 1:
        raise ValueError(f"these configs cannot train as one stack (they must be of one stackable kind and differ "
                         f"only in {', '.join(MEMBER_FIELDS)}): {configs}")
    first = configs[0]
    if data.name != first.dataset:
        raise ValueError(f"the configs train on {first.dataset!r}, but the data given is {data.name!r}")
    snapshots = list(snapshots) or [()] * len(configs)
    if len(snapshots) != len(configs):
        raise ValueError(f"{len(snapshots)} snapshot lists for {len(configs)} configs")
    bad = [e for s in snapshots for e in s if not 0 <= e <= first.epochs]
    if bad:
        raise ValueError(f"snapshot epochs {bad} lie outside [0, epochs={first.epochs}]")
    device = torch.device(device) if device is not None else pick_device()
    parts = split(data, first.val_size, first.train_size)
    train_x, val_x = parts.train.to(device), parts.val.to(device)
    n, batch = len(train_x), first.batch_size

    models = []
    for cfg in configs:
        with torch.random.fork_rng(devices=[]):  # each member's initial weights, as its lone training draws them
            torch.manual_seed(cfg.seed)
            models.append(build_model(cfg).to(device))
    leaves = [list(m.parameters()) for m in models]  # each member's own tensors: its Adam group, its snapshots
    names = [name for name, _ in models[0].named_parameters()]
    opt, schedule = adam([{"params": p, "lr": c.lr} for p, c in zip(leaves, configs)], first.lr,
                         first.epochs * math.ceil(n / batch), cosine=first.lr_schedule == "cosine")
    shape = copy.deepcopy(models[0]).to("meta")  # the architecture, without weights of its own; what trains
    forward = vmap(lambda params, inp: functional_call(shape, params, (inp,)))
    with_level = getattr(shape, "takes_level", False)
    order_gens = [torch.Generator().manual_seed(c.seed) for c in configs]
    noise_gens = [torch.Generator(device=device).manual_seed(c.seed) for c in configs]

    def val_loss(k: int) -> float:  # member k's validation, as its lone training computes it
        c = configs[k]
        return _val_loss(models[k].eval(), val_x, c.train_noise, c.seed, c.noise_kind, c.noise_range)

    histories = [History(val_loss=[val_loss(k)]) for k in range(len(configs))]
    keep = [set(s) | {first.epochs} for s in snapshots]
    kept = [{0: _snapshot(m)} if 0 in k else {} for m, k in zip(models, keep)]
    for epoch in range(1, first.epochs + 1):
        live = [k for k, h in enumerate(histories) if not h.nonfinite]
        if not live:
            break
        t0 = time.perf_counter()
        perms = [torch.randperm(n, generator=g).to(device) for g in order_gens]
        loss_sum = torch.zeros(len(configs), device=device)
        for i in range(0, n, batch):
            xs = [train_x[p[i:i + batch]].unsqueeze(1).float().div_(255.0) for p in perms]  # (B, 1, 28, 28) each
            inp = torch.stack([_noisy_input(x, c.train_noise, c.noise_range, g, c.noise_kind, with_level)
                               for x, c, g in zip(xs, configs, noise_gens)])
            x = torch.stack(xs)
            params = {name: torch.stack([p[j] for p in leaves]) for j, name in enumerate(names)}
            losses = (forward(params, inp) - x).pow(2).flatten(1).mean(1)  # each member's MSE
            opt.zero_grad(set_to_none=True)
            losses.sum().backward()  # member k's gradient is that of its own loss alone
            opt.step()
            if schedule is not None:
                schedule.step()
            loss_sum += losses.detach() * x.shape[1]
        seconds = time.perf_counter() - t0
        train_loss = (loss_sum / n).tolist()
        for k in live:
            h = histories[k]
            h.seconds.append(seconds)
            h.train_loss.append(train_loss[k])
            h.val_loss.append(val_loss(k))
            if not (math.isfinite(h.train_loss[-1]) and math.isfinite(h.val_loss[-1])):
                h.nonfinite = True
                continue
            if epoch in keep[k]:
                kept[k][epoch] = _snapshot(models[k])
            if on_epoch is not None:
                on_epoch(k, epoch, h)
    how = {**trained_how(device, False), "stacked": len(configs)}
    return [Run(config=c, history=h, snapshots=s, how=dict(how)) for c, h, s in zip(configs, histories, kept)]
