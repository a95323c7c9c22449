"""The denoising benchmark's set-up: which networks it trains, how the classical methods are
tuned, and the paired comparisons its page reads.

Networks (each name -> {noise factor: TrainConfig}):
- `dae-conv`, `dae-mlp`: denoising autoencoders, trained on noisy inputs with the clean digits as
  targets (`dae_configs`);
- `dae-conv-blind`, `dae-conv-cond` (with `variants`): the convolutional one trained once across
  the factors, blind or told the noise level (aelib.denoise.conditional), beside `dae-conv`, which
  is trained the page's way (`dae_training`); every convolutional model trained once across the
  factors takes the one-model recipe (`one_model_epochs`, `one_model_lr`);
- `CLEAN_CONV`, `CLEAN_MLP`: the report's models, trained on clean digits;
- `CONTROL`: the clean-trained convolutional model with the denoising one's code size and
  widths, the control that separates "trained on noise" from "a larger code" (absent when
  the report's convolutional model already has that code and those widths).
These three keys name roles, not models: the book shows each under its model's own name (its
kind and code size, as everywhere in the book).
Classical methods are tuned on the validation split only (`tune_classical`); the evaluation
itself is `aelib.denoise.evaluate.evaluate`.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import torch
from torch import nn

from aelib.config import TrainConfig, check_float_list
from aelib.data import Dataset, split, to_float
from aelib.denoise import classical
from aelib.denoise.scores import Evaluation
from aelib.noise import check_noise_kind
from aelib.runs import cache_key
from aelib.train import Run

DAE_TRAINING = ("each", "range", "conditional", "fixed")
VARIANTS = {"range": "dae-conv-blind", "conditional": "dae-conv-cond"}  # the one-model trainings shown beside dae-conv
CLEAN_CONV, CLEAN_MLP, CONTROL = "ae-conv", "ae-mlp", "ae-conv-dae-code"  # roles; see the docstring


def check_count(name: str, value, hi: int) -> int:
    """A count parameter (images, processes): an int in [1, hi]."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if not 1 <= value <= hi:
        raise ValueError(f"{name} must be in [1, {hi}], got {value}")
    return value


def dae_configs(base: TrainConfig, factors: Sequence[float], kind: str, training: str = "each",
                dae_noise: float = 0.3) -> dict[float, TrainConfig]:
    """The denoising autoencoder used at each test factor. `training`:
    - "each": one model per test factor, trained at that factor;
    - "range": one model for every factor, each training image's factor drawn uniformly from
      [0, the largest test factor] (a blind denoiser: it is never told the factor);
    - "conditional": as "range", but the model is told each image's factor (convolutional
      models only: `base.model` becomes "cond");
    - "fixed": one model for every factor, trained at `dae_noise`."""
    kind = check_noise_kind(kind)
    if training not in DAE_TRAINING:
        raise ValueError(f"dae_training must be one of {list(DAE_TRAINING)}, got {training!r}")
    (dae_noise,) = check_float_list("dae_noise", [dae_noise], 0.0, 1.0)
    factors = check_float_list("noise_factors", list(factors), 0.0, 1.0)
    if training in ("range", "conditional"):
        if max(factors) == 0:
            raise ValueError(f"dae_training {training!r} trains across [0, the largest noise factor], and every "
                             f"factor is 0")
        if training == "conditional" and base.model != "conv":
            raise ValueError(f"dae_training 'conditional' needs a convolutional model, got {base.model!r}")
        one = base.replace(train_noise=max(factors), noise_kind=kind, noise_range=True,
                           model="cond" if training == "conditional" else base.model)
        return dict.fromkeys(factors, one)
    if training == "each" and min(factors) == 0:
        raise ValueError("dae_training 'each' trains one model per factor, and a factor of 0 would train on "
                         "clean inputs")
    if training == "fixed" and dae_noise == 0:
        raise ValueError("dae_training 'fixed' trains at dae_noise, which must be > 0 (0 is a clean model)")
    return {f: base.replace(train_noise=f if training == "each" else dae_noise, noise_kind=kind) for f in factors}


def network_configs(base: TrainConfig, factors: Sequence[float], kind: str, conv_latent: int, mlp_latent: int,
                    channels: Sequence[int], dae_latent: int, dae_channels: Sequence[int], training: str = "each",
                    dae_noise: float = 0.3, one_model_epochs: int | None = None, one_model_lr: float | None = None,
                    variants: bool = False) -> dict[str, dict[float, TrainConfig]]:
    """Every network of the benchmark, from the page's parameters only (`base` is its recipe).
    The MLPs share one code size, so that pair differs in its training inputs alone. A
    convolutional denoiser trained once across the factors (`dae-conv` under "range" or
    "conditional", and the variants) takes the one-model recipe: `one_model_epochs` epochs, its
    learning rate decaying along a cosine from `one_model_lr` to 0 (without `one_model_epochs`,
    the recipe of `base`). `variants` adds the blind and the noise-conditional models (except the
    one that `training` already makes `dae-conv`). With "conditional", `dae-mlp`, which has no
    second input channel, is trained across the factors blind ("range"), on `base`'s recipe."""
    factors = check_float_list("noise_factors", list(factors), 0.0, 1.0)
    conv = base.replace(model="conv", latent=conv_latent, channels=tuple(channels))
    dae_conv = base.replace(model="conv", latent=dae_latent, channels=tuple(dae_channels))
    one_model = dae_conv if one_model_epochs is None else dae_conv.replace(
        epochs=one_model_epochs, lr=one_model_lr or base.lr, lr_schedule="cosine")
    mlp = base.replace(model="mlp", latent=mlp_latent)
    configs = {"dae-conv": dae_configs(one_model if training in VARIANTS else dae_conv, factors, kind, training,
                                       dae_noise),
               "dae-mlp": dae_configs(mlp, factors, kind, "range" if training == "conditional" else training,
                                      dae_noise),
               CLEAN_CONV: dict.fromkeys(factors, conv),
               CLEAN_MLP: dict.fromkeys(factors, mlp)}
    if variants:
        for how, name in VARIANTS.items():
            if how != training:
                configs[name] = dae_configs(one_model, factors, kind, how)
    if dae_conv != conv:
        configs[CONTROL] = dict.fromkeys(factors, dae_conv)
    return configs


def distinct_configs(configs: Mapping[str, Mapping[float, TrainConfig]]) -> list[TrainConfig]:
    """Every config once, in order of first appearance: what the page trains."""
    return list(dict.fromkeys(c for per_f in configs.values() for c in per_f.values()))


def networks(configs: Mapping[str, Mapping[float, TrainConfig]], runs: Mapping[TrainConfig, Run]
             ) -> dict[str, dict[float, nn.Module]]:
    """{name: {factor: config}} -> {name: {factor: trained model on the CPU}}, one model per
    distinct config (a config shared by factors or names is one model); a model told the noise
    level is given each factor (`at_level`)."""
    models = {cfg: runs[cfg].model() for cfg in distinct_configs(configs)}
    return {name: {f: models[cfg].at_level(f) if getattr(models[cfg], "takes_level", False) else models[cfg]
                   for f, cfg in per_f.items()} for name, per_f in configs.items()}


def describe_configs(configs: Mapping[str, Mapping[float, TrainConfig]], data_sha256: str) -> dict:
    """The distinct configs of each network and their cache keys, for the results JSON."""
    out = {}
    for name, per_f in configs.items():
        distinct = list(dict.fromkeys(per_f.values()))
        out[name] = {"configs": [c.to_dict() for c in distinct],
                     "cache_keys": [cache_key(c, data_sha256) for c in distinct],
                     "config_by_noise": {str(f): distinct.index(c) for f, c in per_f.items()}}
    return out


def validation_images(data: Dataset, n: int, val_size: int = 10_000) -> torch.Tensor:
    """The first n images of the validation split (the last `val_size` training images), as
    floats (n, 1, 28, 28): what classical methods are tuned on."""
    val = split(data, val_size).val
    return to_float(val[:check_count("the number of validation images", n, len(val))])


def tune_classical(data: Dataset, names: Sequence[str], factors: Sequence[float], kind: str, seed: int,
                   n_val: int, n_val_slow: int, cache_dir: str | Path | None = None, workers: int = 1,
                   val_size: int = 10_000) -> dict[str, dict]:
    """`classical.tune_all` on the validation split (the last `val_size` training images) only:
    its first n_val images (n_val_slow for the slow methods). Test images are never seen here."""
    val = {name: validation_images(data, n_val_slow if classical.get(name).slow else n_val, val_size)
           for name in names}
    return classical.tune_all(names, val, factors, kind, seed, cache_dir, workers)


def versus_classical(result: Evaluation, method: str = "dae-conv") -> list[dict]:
    """Per factor, `method` against every classical method, each on the largest set of test
    images both were scored on (all of them for the fast methods, the first n_subset for a slow
    one): {"noise", "best" (the fast method with the highest mean PSNR over every test image),
    "comparisons": [{"name", "n_images", "slow", "<metric>_<method|other>" (means over those
    images), "<metric>_gain", "<metric>_gain_ci" (paired mean difference and its 95% half-width)
    for PSNR and SSIM}], the best fast method's first, then the slow ones, then the others}. A
    subset judges the slow method's comparison only."""
    names = [n for n in result.methods if n in classical.DENOISERS]
    if method not in result.methods or not names:
        raise ValueError(f"need {method!r} and at least one classical method; have {result.methods}")
    fast = [n for n in names if not classical.get(n).slow]
    scores = {n: result.scores(n) for n in [method, *names]}
    paired = {(n, m): result.paired(method, n, m) for n in names for m in ("psnr", "ssim")}
    rows = []
    for i, f in enumerate(result.noise):
        best = max(fast, key=lambda n: scores[n].psnr[i]) if fast else None
        order = [*([best] if best else []), *(n for n in names if n not in fast), *(n for n in fast if n != best)]
        comparisons = []
        for n in order:
            k = min(scores[method].n_images, scores[n].n_images)
            c = {"name": n, "n_images": k, "slow": n not in fast}
            for m in ("psnr", "ssim"):
                mine = getattr(result.outputs[method][f], m)[:k]
                theirs = getattr(result.outputs[n][f], m)[:k]
                c.update({f"{m}_{method}": float(mine.mean()), f"{m}_other": float(theirs.mean()),
                          f"{m}_gain": paired[(n, m)][i][0], f"{m}_gain_ci": paired[(n, m)][i][1]})
            comparisons.append(c)
        rows.append({"noise": f, "best": best, "comparisons": comparisons})
    return rows


def gains(result: Evaluation, a: str, b: str, metric: str = "psnr") -> dict[str, list[float]]:
    """a - b per factor, paired over the images both were scored on, with 95% half-widths."""
    rows = result.paired(a, b, metric)
    return {"noise": list(result.noise), "gain": [g for g, _ in rows], "ci": [h for _, h in rows],
            "n_images": min(result.scores(a).n_images, result.scores(b).n_images)}
