"""The denoising benchmark: autoencoders (trained on clean or on noisy inputs) against classical
denoisers, on the same reproducible noisy test images.

For each noise factor one noisy copy of the test set is drawn (`noise.noisy_copy`, seeded), and
every method denoises it: networks in batches, classical methods image by image with their
parameter tuned beforehand on the validation split (`denoisers.tune_all`). Slow methods (BM3D)
see only the first `slow_subset` test images; every method is also scored on those same images,
so that comparisons between methods are paired. Scores are mean PSNR and SSIM with 95%
intervals of the mean, and the seconds of computation per image.
"""
from __future__ import annotations

import hashlib
import json
import math
import time
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from . import denoisers
from .atomic import cached
from .cache import cache_key, cached_run
from .config import TrainConfig, check_float_list
from .data import MNIST, split, to_float
from .metrics import psnr, reconstruct, ssim
from .models import update_digest
from .noise import check_noise_kind, noisy_copy

NETWORKS = ("dae-conv", "dae-mlp", "ae-conv", "ae-mlp")
METHODS = NETWORKS + tuple(denoisers.DENOISERS)
SCORES_VERSION = 1  # bump when a method's output or its scoring changes (invalidates cache_dir/denoised)
Z95 = 1.959964  # two-sided 95% quantile of the normal distribution


def mean_ci(values) -> tuple[float, float]:
    """The mean and the half-width of its 95% interval, 1.96 * s / sqrt(n) (s the sample standard
    deviation); the half-width is NaN for fewer than two values."""
    v = np.asarray(values, dtype=np.float64).ravel()
    if v.size == 0:
        raise ValueError("mean_ci needs at least one value")
    half = Z95 * v.std(ddof=1) / math.sqrt(v.size) if v.size > 1 else math.nan
    return float(v.mean()), float(half)


def check_count(name: str, value, hi: int) -> int:
    """A count parameter (images, processes): an int in [1, hi]."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if not 1 <= value <= hi:
        raise ValueError(f"{name} must be in [1, {hi}], got {value}")
    return value


def check_slow_subset(value, hi: int = 10_000) -> int:
    """The number of test images the slow methods see: an int in [1, hi]."""
    return check_count("slow_subset", value, hi)


DAE_TRAINING = ("each", "range", "fixed")


def dae_configs(base: TrainConfig, factors: Sequence[float], kind: str, training: str = "each",
                dae_noise: float = 0.3) -> dict[float, TrainConfig]:
    """The denoising autoencoder used at each test factor. `training`:
    - "each": one model per test factor, trained at that factor;
    - "range": one model for every factor, each training image's factor drawn uniformly from
      [0, the largest test factor] (a blind denoiser: it is never told the factor);
    - "fixed": one model for every factor, trained at `dae_noise`."""
    kind = check_noise_kind(kind)
    if training not in DAE_TRAINING:
        raise ValueError(f"dae_training must be one of {list(DAE_TRAINING)}, got {training!r}")
    (dae_noise,) = check_float_list("dae_noise", [dae_noise], 0.0, 1.0)
    factors = check_float_list("noise_factors", list(factors), 0.0, 1.0)
    if training == "range":
        if max(factors) == 0:
            raise ValueError("dae_training 'range' trains across [0, the largest noise factor], and every factor is 0")
        one = base.replace(train_noise=max(factors), noise_kind=kind, noise_range=True)
        return dict.fromkeys(factors, one)
    if training == "each" and min(factors) == 0:
        raise ValueError("dae_training 'each' trains one model per factor, and a factor of 0 would train on "
                         "clean inputs")
    if training == "fixed" and dae_noise == 0:
        raise ValueError("dae_training 'fixed' trains at dae_noise, which must be > 0 (0 is a clean model)")
    return {f: base.replace(train_noise=f if training == "each" else dae_noise, noise_kind=kind) for f in factors}


def validation_images(data: MNIST, n: int, val_size: int = 10_000) -> torch.Tensor:
    """The first n images of the validation split (the last `val_size` training images), as
    floats (n, 1, 28, 28): what classical methods are tuned on."""
    val = split(data, val_size).val
    return to_float(val[:check_count("the number of validation images", n, len(val))])


def tune_classical(data: MNIST, names: Sequence[str], factors: Sequence[float], kind: str, seed: int,
                   n_val: int, n_val_slow: int, cache_dir=None, workers: int = 1) -> dict[str, dict]:
    """`denoisers.tune_all` on the validation split only: the first n_val validation images
    (n_val_slow for the slow methods). Test images are never seen here."""
    val = {name: validation_images(data, n_val_slow if denoisers.get(name).slow else n_val) for name in names}
    return denoisers.tune_all(names, val, factors, kind, seed, cache_dir, workers)


def load_networks(configs: Mapping[str, Mapping[float, TrainConfig]], data: MNIST, cache_dir,
                  device=None) -> dict[str, dict[float, nn.Module]]:
    """{name: {factor: config}} -> {name: {factor: trained model on the CPU}}, each distinct
    config trained (or loaded) once through the shared cache."""
    models: dict[TrainConfig, nn.Module] = {}
    for per_f in configs.values():
        for cfg in per_f.values():
            if cfg not in models:
                models[cfg] = cached_run(cfg, data, cache_dir, device=device).model()
    return {name: {f: models[cfg] for f, cfg in per_f.items()} for name, per_f in configs.items()}


def describe_configs(configs: Mapping[str, Mapping[float, TrainConfig]], data_sha256: str) -> dict:
    """The distinct configs of each network and their cache keys, for the results JSON."""
    out = {}
    for name, per_f in configs.items():
        distinct = list(dict.fromkeys(per_f.values()))
        out[name] = {"configs": [c.to_dict() for c in distinct],
                     "cache_keys": [cache_key(c, data_sha256) for c in distinct],
                     "config_by_noise": {str(f): distinct.index(c) for f, c in per_f.items()}}
    return out


@dataclass
class Scores:
    """One method's results, one entry per noise factor. `*_subset` are the means over the first
    `n_subset` test images, where every method of the benchmark was evaluated."""
    noise: list[float]
    n_images: int
    psnr: list[float] = field(default_factory=list)
    ssim: list[float] = field(default_factory=list)
    psnr_ci: list[float] = field(default_factory=list)  # half-width of the 95% interval of the mean
    ssim_ci: list[float] = field(default_factory=list)
    psnr_subset: list[float] = field(default_factory=list)
    ssim_subset: list[float] = field(default_factory=list)
    seconds_per_image_by_noise: list[float] = field(default_factory=list)
    param: str | None = None  # a classical method's tuned parameter, and its value per factor
    values: list | None = None

    @property
    def seconds_per_image(self) -> float:
        return float(np.mean(self.seconds_per_image_by_noise)) if self.seconds_per_image_by_noise else math.nan

    def add(self, clean: torch.Tensor, out: torch.Tensor, seconds_per_image: float, n_subset: int) -> None:
        self.add_per_image(psnr(clean, out).numpy(), ssim(clean, out).numpy(), seconds_per_image, n_subset)

    def add_per_image(self, p: np.ndarray, s: np.ndarray, seconds_per_image: float, n_subset: int) -> None:
        """Record one factor from per-image PSNR and SSIM values."""
        for name, v in (("psnr", p), ("ssim", s)):
            mean, half = mean_ci(v)
            getattr(self, name).append(mean)
            getattr(self, name + "_ci").append(half)
            getattr(self, name + "_subset").append(float(v[:n_subset].mean()))
        self.seconds_per_image_by_noise.append(float(seconds_per_image))

    def to_dict(self) -> dict:
        d = asdict(self)
        if self.param is None:
            del d["param"], d["values"]
        return {**d, "seconds_per_image": self.seconds_per_image}


@dataclass
class Benchmark:
    noise: list[float]
    kind: str
    seed: int
    n_test: int
    n_subset: int  # the first n_subset test images: the slow methods' set, and the paired one
    noisy: Scores  # the noisy input itself
    methods: dict[str, Scores]
    examples: dict[float, dict[str, torch.Tensor]]  # f -> {"clean"|"noisy"|method: (k, 1, 28, 28)}

    def to_dict(self) -> dict:
        """Everything but the example images (for JSON)."""
        return {"noise_kind": self.kind, "noise_seed": self.seed, "n_test": self.n_test,
                "n_subset": self.n_subset, "noisy": self.noisy.to_dict(),
                "methods": {k: v.to_dict() for k, v in self.methods.items()}}


def _time_network(model: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, float]:
    reconstruct(model, x[:64])  # warm-up: the first call pays for allocations
    t0 = time.perf_counter()
    out = reconstruct(model, x)
    return out, (time.perf_counter() - t0) / len(x)


def run(networks: Mapping[str, Mapping[float, nn.Module]], classical: Mapping[str, Mapping],
        clean: torch.Tensor, factors: Sequence[float], kind: str, seed: int, slow_subset: int,
        workers: int = 1, keep: int = 6, cache_dir: str | Path | None = None) -> Benchmark:
    """Score every method on noisy copies of the test images `clean` (N, 1, 28, 28).

    networks: name -> {factor: model} (the same model at every factor, or one per factor).
    classical: name -> {factor: tuned parameter}, names from `denoisers.DENOISERS`.
    Slow classical methods denoise the first `slow_subset` images only, across `workers`
    processes; the others denoise all of them in this process. With `cache_dir`, each method's
    per-image scores, time and examples at each factor are kept under cache_dir/denoised, keyed
    on the method, its parameter (a network: its weights) and the exact noisy and clean images,
    so that a second execution does not spend the minutes again."""
    kind = check_noise_kind(kind)
    factors = check_float_list("noise_factors", list(factors), 0.0, 1.0)
    n_subset = min(check_slow_subset(slow_subset), len(clean))
    keep = min(keep, n_subset)
    for name, per_f in [*networks.items(), *classical.items()]:
        missing = [f for f in factors if f not in per_f]
        if missing:
            raise ValueError(f"method {name!r} has nothing for noise factor(s) {missing}")
    for name in classical:
        denoisers.get(name)  # raises on an unknown name
    methods = {name: Scores(noise=factors, n_images=len(clean)) for name in networks}
    for name in classical:
        d = denoisers.get(name)
        methods[name] = Scores(noise=factors, n_images=n_subset if d.slow else len(clean), param=d.param,
                               values=[classical[name][f] for f in factors])
    noisy_scores = Scores(noise=factors, n_images=len(clean))
    examples = {}
    with denoisers.worker_pool(workers if any(denoisers.get(n).slow for n in classical) else 1) as pool:
        for f in factors:
            examples[f] = _one_factor(f, networks, classical, methods, noisy_scores, clean, kind, seed,
                                      n_subset, keep, workers, pool, cache_dir)
    return Benchmark(noise=factors, kind=kind, seed=seed, n_test=len(clean), n_subset=n_subset,
                     noisy=noisy_scores, methods=methods, examples=examples)


def _one_factor(f, networks, classical, methods, noisy_scores, clean, kind, seed, n_subset, keep, workers, pool,
                cache_dir=None):
    """Score every method at noise factor f; returns the example images."""
    x = noisy_copy(clean, f, seed, kind)
    noisy_scores.add(clean, x, 0.0, n_subset)
    ex = {"clean": clean[:keep].clone(), "noisy": x[:keep].clone()}
    for name, per_f in networks.items():
        model, weights = per_f[f], hashlib.sha256()
        update_digest(weights, model)
        p, s, sec, ex[name] = _scored(name, {"weights": weights.hexdigest()}, x, clean, keep, cache_dir,
                                      lambda: _time_network(model, x))
        methods[name].add_per_image(p, s, sec, n_subset)
    for name, per_f in classical.items():
        n = methods[name].n_images
        slow = denoisers.get(name).slow
        p, s, sec, ex[name] = _scored(name, {"value": per_f[f]}, x[:n], clean[:n], keep, cache_dir,
                                      lambda: denoisers.denoise(name, x[:n], per_f[f], workers if slow else 1,
                                                                pool if slow else None))
        methods[name].add_per_image(p, s, sec, n_subset)
    return ex


def _scored(name, ident, x, clean, keep, cache_dir, compute):
    """One method's per-image PSNR and SSIM against `clean` on noisy images x, its seconds per
    image and its first `keep` outputs: from the cache when it holds them (keyed on the method,
    `ident` -- its parameter, or a network's weights -- and the exact images), else `compute()`
    -> (outputs, seconds per image)."""
    path = None
    if cache_dir is not None:
        h = hashlib.sha256(json.dumps({"method": name, **ident, "keep": keep, "version": SCORES_VERSION},
                                      sort_keys=True).encode())
        for t in (x, clean):
            h.update(t.contiguous().numpy().tobytes())
        path = Path(cache_dir) / "denoised" / f"{name}-{h.hexdigest()[:24]}.npz"

    def score():
        out, sec = compute()
        return psnr(clean, out).numpy(), ssim(clean, out).numpy(), sec, out[:keep].clone()

    def read(p: Path):
        with np.load(p) as z:
            return z["psnr"], z["ssim"], float(z["seconds"]), torch.from_numpy(z["examples"])

    def write(value, tmp: Path) -> None:
        p, s, sec, examples = value
        with open(tmp, "wb") as fh:
            np.savez(fh, psnr=p, ssim=s, seconds=sec, examples=examples.numpy())

    return cached(path, score, read, write, (OSError, ValueError, KeyError, zipfile.BadZipFile))


def versus_best_classical(bench: Benchmark, method: str = "dae-conv") -> list[dict]:
    """Per factor: `method` against the classical method with the highest mean, separately for
    PSNR and SSIM, both on the first n_subset test images (where every method was evaluated)."""
    classical = [n for n in bench.methods if n in denoisers.DENOISERS]
    if method not in bench.methods or not classical:
        raise ValueError(f"need {method!r} and at least one classical method; have {list(bench.methods)}")
    rows = []
    for i, f in enumerate(bench.noise):
        row = {"noise": f}
        for metric in ("psnr", "ssim"):
            best = max(classical, key=lambda n: getattr(bench.methods[n], metric + "_subset")[i])
            ours = getattr(bench.methods[method], metric + "_subset")[i]
            theirs = getattr(bench.methods[best], metric + "_subset")[i]
            row.update({f"{metric}_best": best, f"{metric}_{method}": ours, f"{metric}_classical": theirs,
                        f"{metric}_gain": ours - theirs})
        rows.append(row)
    return rows


def target_misses(rows: Sequence[dict], margin_db: float = 5.0, margin_from: float = 0.3) -> dict[str, list[float]]:
    """The factors where the target fails: `psnr` where the method is not above the best
    classical PSNR, `ssim` likewise, `margin` where f >= margin_from and the PSNR gain is below
    margin_db."""
    return {"psnr": [r["noise"] for r in rows if r["psnr_gain"] <= 0],
            "ssim": [r["noise"] for r in rows if r["ssim_gain"] <= 0],
            "margin": [r["noise"] for r in rows if r["noise"] >= margin_from - 1e-9 and r["psnr_gain"] < margin_db]}


def table(bench: Benchmark, metric: str, digits: int = 2):
    """Methods (rows) by noise factor (columns): "mean ± half-width of the 95% interval", with
    the number of test images each method was scored on."""
    import pandas as pd
    if metric not in ("psnr", "ssim"):
        raise ValueError(f"metric must be 'psnr' or 'ssim', got {metric!r}")
    rows = {"noisy input": bench.noisy, **bench.methods}
    cells = {name: [f"{m:.{digits}f} ± {h:.{digits}f}" for m, h in zip(getattr(s, metric), getattr(s, metric + "_ci"))]
             + [f"{s.n_images:,}"] for name, s in rows.items()}
    columns = [f"f = {f:g}" for f in bench.noise] + ["images"]
    return pd.DataFrame.from_dict(cells, orient="index", columns=columns).rename_axis("method")


def tuned_table(tuned: Mapping[str, dict]):
    """The parameter each classical method was given at each factor, and how many validation
    images chose it."""
    import pandas as pd
    return pd.DataFrame({f"{name} ({t['param']})": {**{f"f = {f:g}": f"{v:g}" for f, v in t["values"].items()},
                                                    "validation images": f"{t['n_images']:,}"}
                         for name, t in tuned.items()}).T
