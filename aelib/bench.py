"""Training throughput against the textbook loop and against the machine's matmul peak.

    python -m aelib.bench [--json PATH] [--images N] [--cache-dir DIR]

In one run it times, on the same data and the same models:
- ours: `train.train_epoch` (batches sliced from one in-memory uint8 tensor, fused Adam) for the
  MLP at latent 128 and the convolutional model at latent 128, at batch sizes 64 and 256;
- the textbook loop: a `DataLoader` over a `Dataset` that converts one uint8 image to float per
  item, batch 64, shuffle on, num_workers=0, plain Adam, the same models;
- the peak: a large fp32 matrix multiplication.
FLOPs are counted as 2 per multiply-add over the forward and backward passes (weight gradients
and input gradients, but no gradient for the network's input).
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset

from aelib.config import TrainConfig
from aelib.data import load_dataset
from aelib.zoo import build_model
from aelib.train import train_epoch


def matmul_peak_gflops(n: int = 2048, repeats: int = 10, device: str = "cpu") -> float:
    """GFLOP/s of an n x n fp32 matrix product on `device` (on a GPU: 4n, at the precision
    torch uses for fp32 products there)."""
    dev = torch.device(device)
    n = 4 * n if dev.type == "cuda" else n  # a 2048 product is over before a GPU is busy
    a, b = torch.randn(n, n, device=dev), torch.randn(n, n, device=dev)
    a @ b  # warm-up
    _sync(dev)
    t0 = time.perf_counter()
    for _ in range(repeats):
        a @ b
    _sync(dev)
    return 2 * n**3 * repeats / (time.perf_counter() - t0) / 1e9


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def train_flops_per_image(model: nn.Module) -> float:
    """2 x (forward MACs + weight-gradient MACs + input-gradient MACs of every layer but the first)."""
    macs = _layer_macs(model)
    forward = sum(macs)
    return 2.0 * (forward + forward + forward - macs[0])


def forward_flops_per_image(model: nn.Module) -> float:
    """2 x the forward MACs: what evaluating one image costs."""
    return 2.0 * sum(_layer_macs(model))


def _layer_macs(model: nn.Module) -> list[int]:
    """Multiply-adds of each linear and convolutional layer for one image, in the order they run."""
    macs: list[int] = []

    def hook(mod, inp, out):
        if isinstance(mod, nn.Linear):
            macs.append(mod.in_features * mod.out_features)
        elif isinstance(mod, nn.Conv2d):
            macs.append(out[0].numel() * mod.in_channels // mod.groups * mod.kernel_size[0] * mod.kernel_size[1])
        elif isinstance(mod, nn.ConvTranspose2d):
            macs.append(inp[0][0].numel() * mod.out_channels // mod.groups * mod.kernel_size[0] * mod.kernel_size[1])

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d))]
    was_training = model.training
    with torch.no_grad():
        inputs = 2 if getattr(model, "takes_level", False) else 1  # a denoiser told the noise level: 2 channels
        model.eval()(torch.zeros(1, inputs, 28, 28))  # eval: batch normalisation cannot train on one image
    model.train(was_training)
    for h in handles:
        h.remove()
    return macs


class _OneImageAtATime(Dataset):
    """The textbook Dataset: one uint8 image converted to a float tensor per __getitem__."""

    def __init__(self, images: torch.Tensor):
        self.images = images

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        return self.images[i].unsqueeze(0).float() / 255.0


def _textbook_images_per_second(model, images, batch_size=64) -> float:
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loader = DataLoader(_OneImageAtATime(images), batch_size=batch_size, shuffle=True, num_workers=0)
    model.train()
    t0 = time.perf_counter()
    for x in loader:
        loss = F.mse_loss(model(x), x)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return len(images) / (time.perf_counter() - t0)


def _ours_images_per_second(model, images, batch_size) -> float:
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True)
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(0))
    t0 = time.perf_counter()
    train_epoch(model, opt, images, order, batch_size)
    return len(images) / (time.perf_counter() - t0)


def run(images: torch.Tensor, warmup: int = 2048, repeats: int = 3) -> dict:
    """Every figure measured `repeats` times, the measurements taking turns (peak, then each loop
    of each model, then again), so that a slow spell of the machine spreads over all of them:
    each figure is the median, with its spread (min and max) beside it."""
    torch.manual_seed(0)
    loops = {"textbook_b64": lambda m, x: _textbook_images_per_second(m, x),
             "ours_b64": lambda m, x: _ours_images_per_second(m, x, 64),
             "ours_b256": lambda m, x: _ours_images_per_second(m, x, 256)}
    samples: dict = {"peak": []}
    for _ in range(repeats):
        samples["peak"].append(matmul_peak_gflops())
        for kind in ("mlp", "conv"):
            for key, loop in loops.items():
                model = build_model(TrainConfig(model=kind, latent=128))
                loop(model, images[:warmup])  # warm-up: the first batches pay for allocations
                samples.setdefault((kind, key), []).append(loop(model, images))
    med = lambda v: float(sorted(v)[len(v) // 2])  # noqa: E731 (the median of an odd count)
    peak = med(samples["peak"])
    out = {"machine": {"platform": platform.platform(), "processor": platform.processor(),
                       "threads": torch.get_num_threads(), "torch": torch.__version__},
           "peak_gflops": peak, "peak_gflops_spread": [min(samples["peak"]), max(samples["peak"])],
           "images": len(images), "repeats": repeats, "models": {}}
    for kind in ("mlp", "conv"):
        flops = train_flops_per_image(build_model(TrainConfig(model=kind, latent=128)))
        row = {"train_flops_per_image": flops}
        for key in loops:
            v = samples[(kind, key)]
            row[key], row[f"{key}_spread"] = med(v), [min(v), max(v)]
            row[f"{key}_gflops"] = row[key] * flops / 1e9
            row[f"{key}_fraction_of_peak"] = row[key] * flops / 1e9 / peak
        row["speedup_b64_vs_textbook"] = row["ours_b64"] / row["textbook_b64"]
        out["models"][kind] = row
    return out


def step_ms(configs: dict, x: torch.Tensor, rounds: int = 10) -> dict:
    """Milliseconds of one training step (forward, loss, backward, Adam update) on the batch x for
    each config's model, on one CPU thread (a busy machine slows a multithreaded step erratically,
    a single thread far less); the models take turns for `rounds` rounds and the best round is kept,
    so the comparison does not depend on when each model was trained."""
    import logging
    logging.getLogger("torch.utils.cpp_extension").setLevel(logging.ERROR)  # no CUDA toolkit: a harmless warning
    from torch.utils import benchmark
    timers = {}
    for name, cfg in configs.items():
        m = build_model(cfg).train()
        env = {"m": m, "opt": torch.optim.Adam(m.parameters(), lr=cfg.lr), "x": x[:cfg.batch_size]}
        timers[name] = benchmark.Timer("opt.zero_grad(); m.loss(x, x).backward(); opt.step()", globals=env,
                                       num_threads=1)
    best = [{name: t.timeit(5).median for name, t in timers.items()} for _ in range(rounds)]  # interleaved
    return {name: 1e3 * min(r[name] for r in best) for name in configs}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Training throughput benchmark.")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--images", type=int, default=20_000, help="training images timed per measurement")
    ap.add_argument("--repeats", type=int, default=3, help="measurements of each figure, taken in turns (odd)")
    ap.add_argument("--cache-dir", default=".cache", help="the book's cache (MNIST is read from <cache-dir>/datasets)")
    args = ap.parse_args(argv)
    images = load_dataset("mnist", root=Path(args.cache_dir) / "datasets").train_images[:args.images]
    res = run(images, repeats=args.repeats)
    lo, hi = res["peak_gflops_spread"]
    print(f"matmul peak: {res['peak_gflops']:.1f} GFLOP/s (median of {res['repeats']}, {lo:.0f}-{hi:.0f}) "
          f"on {res['machine']['threads']} threads")
    print(f"{'model':6} {'loop':14} {'images/s':>10} {'GFLOP/s':>9} {'of peak':>8}")
    for kind, row in res["models"].items():
        for key, label in (("textbook_b64", "textbook b64"), ("ours_b64", "ours b64"), ("ours_b256", "ours b256")):
            print(f"{kind:6} {label:14} {row[key]:10.0f} {row[key + '_gflops']:9.1f} "
                  f"{row[key + '_fraction_of_peak']:8.1%}")
        print(f"{kind:6} ours b64 / textbook b64 = {row['speedup_b64_vs_textbook']:.2f}x")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(res, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

