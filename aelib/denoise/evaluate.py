"""One evaluation for every denoiser: networks (the report's clean-trained models, denoising
autoencoders) and classical methods alike, on reproducible noisy copies of one test set.

For each noise factor one noisy copy of the test images is drawn (`aelib.noise.noisy_copy`,
seeded: every factor reuses the same draws, so the noisy sets differ only in the noise's
strength). Every method denoises it: networks in batches, classical methods image by image with
their parameter tuned beforehand on validation images (`classical.tune_all`). Slow methods (BM3D)
see only the first `slow_subset` test images; every method is also summarised on those, so
that comparisons between methods are paired. Each method's per-image scores at each factor are
kept in the store (kind "denoised"), keyed on the method, its parameter or weights and the exact
images, so a second execution does not spend the minutes again.
"""
from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import torch
from torch import nn

from aelib.config import check_float_list
from aelib.denoise import classical
from aelib.denoise.scores import Denoised, Evaluation
from aelib.metrics import mse, psnr, reconstruct, ssim
from aelib.models import update_digest
from aelib.noise import check_noise_kind, check_seed, noisy_copy
from aelib.store import NPZ, Store, as_store, cached

Networks = Mapping[str, nn.Module | Mapping[float, nn.Module]]


def score(clean: torch.Tensor, out: torch.Tensor, seconds: float, keep: int,
          out_on_clean: torch.Tensor | None = None, noisy: torch.Tensor | None = None) -> Denoised:
    """Score outputs `out` against `clean` (both (N, 1, H, W)), per image; with `out_on_clean`
    (a network's output on the clean images) and the `noisy` inputs also how far each output
    moved from it and how much of that move follows the noise (`Evaluation.noise_gain`)."""
    moved = passed = None
    if out_on_clean is not None:
        change = out - out_on_clean[:len(out)]
        moved = change.pow(2).mean(dim=(1, 2, 3)).numpy()
        if noisy is not None:
            passed = (change * (noisy[:len(out)] - clean)).mean(dim=(1, 2, 3)).numpy()
    return Denoised(psnr=psnr(clean, out).numpy(), ssim=ssim(clean, out).numpy(), mse=mse(clean, out).numpy(),
                    seconds=float(seconds), spread=float(out.std(0).mean()) if len(out) > 1 else 0.0,
                    examples=out[:keep].clone(), moved=moved, passed=passed)


def _time_network(model: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, float]:
    reconstruct(model, x[:64])  # warm-up: the first call pays for allocations
    t0 = time.perf_counter()
    out = reconstruct(model, x)
    return out, (time.perf_counter() - t0) / max(len(x), 1)


def _digest(t: torch.Tensor) -> str:
    return hashlib.sha256(t.contiguous().numpy().tobytes()).hexdigest()


def _weights(model: nn.Module) -> str:
    h = hashlib.sha256()
    update_digest(h, model)
    return h.hexdigest()


def _prefix(name: str) -> str:  # a method's name as the start of a file name
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def evaluate(networks: Networks, classical_params: Mapping[str, Mapping[float, object]], clean: torch.Tensor,
             factors: Sequence[float], seed: int, kind: str = "gaussian", slow_subset: int | None = None,
             keep: int = 6, workers: int = 1, cache_dir: str | Path | Store | None = None) -> Evaluation:
    """Score every method on noisy copies of the test images `clean` (N, 1, 28, 28).

    networks: name -> a model used at every factor, or {factor: model} (one per factor).
    classical_params: name -> {factor: tuned parameter}, names from `classical.DENOISERS`.
    Slow classical methods denoise the first `slow_subset` images only (None: all), across
    `workers` processes; the others denoise all of them in this process. `keep` outputs per
    method and factor are kept for figures."""
    if not networks and not classical_params:
        raise ValueError("evaluate needs at least one denoiser")
    factors = check_float_list("noise_factors", list(factors), 0.0, 1.0)
    kind, seed = check_noise_kind(kind), check_seed("noise_seed", seed)
    n_subset = len(clean) if slow_subset is None else min(slow_subset, len(clean))
    if n_subset < 1:
        raise ValueError(f"slow_subset must be >= 1, got {slow_subset}")
    networks = {n: m if isinstance(m, Mapping) else dict.fromkeys(factors, m) for n, m in networks.items()}
    for name, per_f in [*networks.items(), *classical_params.items()]:
        missing = [f for f in factors if f not in per_f]
        if missing:
            raise ValueError(f"method {name!r} has nothing for noise factor(s) {missing}")
    for name in classical_params:
        classical.get(name)  # raises on an unknown name
    keep = min(keep, n_subset)
    store = as_store(cache_dir)
    clean_digest = _digest(clean)
    result = Evaluation(noise=factors, kind=kind, seed=seed, n_test=len(clean), n_subset=n_subset, inputs={},
                        outputs={n: {} for n in [*networks, *classical_params]}, clean_examples=clean[:keep].clone(),
                        tuned={n: (classical.get(n).param, [p[f] for f in factors]) for n, p in classical_params.items()})
    on_clean = _on_clean(networks, clean, clean_digest, keep, store)
    result.on_clean = {n: d for n, (d, _) in on_clean.items()}
    slow = any(classical.get(n).slow for n in classical_params)
    with classical.worker_pool(workers if slow else 1) as pool:
        for f in factors:
            x = noisy_copy(clean, f, seed, kind)
            digests = {len(clean): _digest(x)}
            ident = {"factor": f, "kind": kind, "seed": seed, "clean": clean_digest}
            result.inputs[f] = _cached(store, "noisy input", {**ident, "noisy": digests[len(clean)]}, keep,
                                       lambda: score(clean, x, 0.0, keep))
            for name, per_f in networks.items():
                model, outs = per_f[f], on_clean[name][1]
                result.outputs[name][f] = _cached(
                    store, name, {**ident, "noisy": digests[len(clean)], "weights": _weights(model), "passed": 1},
                    keep, lambda: score(clean, *_time_network(model, x), keep, outs(model), x))
            for name, per_f in classical_params.items():
                is_slow = classical.get(name).slow
                n = n_subset if is_slow else len(clean)
                if n not in digests:
                    digests[n] = _digest(x[:n])
                result.outputs[name][f] = _cached(
                    store, name, {**ident, "n": n, "noisy": digests[n], "value": per_f[f]}, keep,
                    lambda: score(clean[:n], *classical.denoise(name, x[:n], per_f[f], workers if is_slow else 1,
                                                                pool if is_slow else None, f, kind), keep))
    return result


def _cached(store: Store | None, name: str, ident: dict, keep: int, compute: Callable[[], Denoised]) -> Denoised:
    """One method's scores at one factor, from the store or computed now."""
    d = cached(store, "denoised", {"method": name, "keep": keep, **ident}, lambda: compute().arrays(), NPZ,
               prefix=_prefix(name))
    return Denoised.from_arrays(d)


def _on_clean(networks: Mapping[str, Mapping[float, nn.Module]], clean: torch.Tensor, clean_digest: str, keep: int,
              store: Store | None) -> dict[str, tuple[Denoised, Callable[[nn.Module], torch.Tensor]]]:
    """Per network: its scores on the clean images (of the model at the first factor: a network
    trained per factor is shown on clean digits by its first one), and a function giving any of
    its models' outputs on the clean images, computed at most once per model."""
    memo: dict[int, torch.Tensor] = {}

    def outputs(model: nn.Module) -> torch.Tensor:
        if id(model) not in memo:
            memo[id(model)] = reconstruct(model, clean)
        return memo[id(model)]

    out = {}
    for name, per_f in networks.items():
        model = next(iter(per_f.values()))
        d = _cached(store, name, {"on_clean": True, "clean": clean_digest, "weights": _weights(model)}, keep,
                    lambda: score(clean, outputs(model), 0.0, keep))
        out[name] = (d, outputs)
    return out
