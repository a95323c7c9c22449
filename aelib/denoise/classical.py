"""Classical denoisers, the baselines practitioners trust, each with the one parameter it is tuned on.

Every denoiser maps one (28, 28) float64 image in [0, 1] to one in [0, 1] (outputs are clipped:
BM3D and the Gaussian of a clipped image can leave the range slightly). Beside the textbook
filters stand the two a specialist tries first on MNIST's black background: a threshold that sets
every pixel below it to 0, alone and after a 3×3 median filter. And since the noise is clipped to
[0, 1], a black pixel can only brighten: a denoiser built for zero-mean noise estimates the mean
of the noisy pixel, m_f(x) = E[clip(x + f z, 0, 1)], not x. Its "-debiased" variant maps its
output back through the inverse of m_f (`unbias`), which takes that bias out. `denoise` applies one to
a batch (N, 1, 28, 28), optionally across worker processes. `tune` picks a parameter from the
method's grid by the mean PSNR on noisy copies of the images it is given, which the benchmark
takes from the validation split, never from the test set; `tune_all` keeps those choices in
the store (kind "tuning").

BM3D comes from the `bm3d` package (Mäkinen, Azzari & Foi), whose licence allows
non-commercial use only: it is installed from PyPI and called, never copied.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from scipy import ndimage

from aelib.metrics import psnr
from aelib.noise import check_noise_kind, noisy_copy
from aelib.runtime import worker_pool
from aelib.store import JSON, Store, as_store, cached


def _gaussian(img: np.ndarray, sigma: float) -> np.ndarray:
    return ndimage.gaussian_filter(img, sigma, mode="nearest")


def _median(img: np.ndarray, size: int) -> np.ndarray:
    return ndimage.median_filter(img, size=int(size), mode="nearest")


def _tv(img: np.ndarray, weight: float) -> np.ndarray:
    from skimage.restoration import denoise_tv_chambolle
    return denoise_tv_chambolle(img, weight=weight)


def _nlmeans(img: np.ndarray, h: float) -> np.ndarray:
    from skimage.restoration import denoise_nl_means
    # 3x3 patches searched within 9x9 (distance 4): a stroke is 2-3 pixels wide, and larger
    # patches on a 28x28 digit find few similar ones.
    return denoise_nl_means(img, h=h, patch_size=3, patch_distance=4, fast_mode=True)


def _threshold(img: np.ndarray, level: float) -> np.ndarray:
    return np.where(img < level, 0.0, img)


def _median_threshold(img: np.ndarray, level: float) -> np.ndarray:
    return _threshold(_median(img, 3), level)


def noisy_mean(x: np.ndarray, factor: float, kind: str = "gaussian") -> np.ndarray:
    """m_f(x): the expected noisy value of a clean pixel x under the page's noise
    (`aelib.noise.add_noise`). Gaussian, clipped to [0, 1]: with a = -x/f and b = (1 - x)/f,
    E[clip(x + f z)] = x (Phi(b) - Phi(a)) + f (phi(a) - phi(b)) + 1 - Phi(b); salt and pepper at
    rate f: (1 - f) x + f / 2. Increasing in x, so it can be inverted."""
    from scipy.stats import norm
    x = np.asarray(x, dtype=np.float64)
    if check_noise_kind(kind) == "salt-pepper":
        return (1 - factor) * x + factor / 2
    if factor == 0:
        return x
    a, b = -x / factor, (1 - x) / factor
    return x * (norm.cdf(b) - norm.cdf(a)) + factor * (norm.pdf(a) - norm.pdf(b)) + 1 - norm.cdf(b)


def unbias(y: np.ndarray, factor: float, kind: str = "gaussian") -> np.ndarray:
    """The inverse of `noisy_mean`, pixel by pixel (values beyond m_f(0) or m_f(1) go to 0 or 1):
    what a denoiser's estimate of the noisy pixel's mean says the clean pixel was."""
    xs = np.linspace(0.0, 1.0, 1001)
    return np.interp(y, noisy_mean(xs, factor, kind), xs)


def _bm3d(img: np.ndarray, sigma_psd: float) -> np.ndarray:
    import bm3d  # imported on first use: the package is licensed for non-commercial use only
    return bm3d.bm3d(img, sigma_psd=sigma_psd)


@dataclass(frozen=True)
class Denoiser:
    name: str
    param: str  # the name of the one parameter tuned on the validation split
    grid: tuple  # the values `tune` chooses from
    fn: Callable[[np.ndarray, float], np.ndarray]
    slow: bool = False  # evaluated on a fixed subset of the test set only
    debias: bool = False  # the output goes through `unbias` at the noise factor (which `denoise` then needs)


DENOISERS: dict[str, Denoiser] = {d.name: d for d in (
    Denoiser("gaussian", "sigma", (0.3, 0.5, 0.7, 0.9, 1.2, 1.6, 2.2), _gaussian),
    Denoiser("median", "size", (3, 5, 7), _median),
    Denoiser("tv", "weight", (0.015, 0.03, 0.06, 0.1, 0.15, 0.22, 0.32, 0.45, 0.65, 1.0), _tv),
    Denoiser("nlmeans", "h", (0.03, 0.05, 0.1, 0.15, 0.2, 0.28, 0.38, 0.5, 0.7, 1.0), _nlmeans),
    Denoiser("nlmeans-debiased", "h", (0.03, 0.05, 0.1, 0.15, 0.2, 0.28, 0.38, 0.5, 0.7, 1.0), _nlmeans,
             debias=True),
    Denoiser("threshold", "level", (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7), _threshold),
    Denoiser("median-threshold", "level", (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7),
             _median_threshold),
    Denoiser("bm3d", "sigma_psd", (0.05, 0.08, 0.12, 0.17, 0.24, 0.34, 0.48), _bm3d, slow=True),
)}


def get(name: str) -> Denoiser:
    if name not in DENOISERS:
        raise ValueError(f"unknown denoiser {name!r}; choose from {list(DENOISERS)}")
    return DENOISERS[name]


def _check_images(x: torch.Tensor) -> None:
    if not isinstance(x, torch.Tensor) or x.ndim != 4 or x.shape[1] != 1:
        raise ValueError(f"images must be a tensor (N, 1, H, W), got {getattr(x, 'shape', type(x))}")


def _denoise_chunk(name: str, value, images: np.ndarray) -> tuple[np.ndarray, float]:
    """Denoise a (n, H, W) array one image at a time; also returns the seconds it took."""
    fn = get(name).fn
    t0 = time.perf_counter()
    out = np.stack([np.clip(fn(im, value), 0.0, 1.0) for im in images]) if len(images) else images.copy()
    return out, time.perf_counter() - t0


def denoise(name: str, x: torch.Tensor, value, workers: int = 1, pool: ProcessPoolExecutor | None = None,
            factor: float | None = None, kind: str = "gaussian") -> tuple[torch.Tensor, float]:
    """Apply denoiser `name` with parameter `value` to each image of x (N, 1, H, W) in [0, 1]; a
    "-debiased" one also needs the noise's `factor` and `kind`.

    Returns the denoised images (float32, x's shape) and the seconds of computation per image
    on one core (summed over workers, so it does not depend on them). With workers > 1 the
    images are split into `workers` contiguous chunks denoised in `pool` (a `worker_pool`; one
    is made for this call if none is given). Each image is denoised on its own, so the result
    does not depend on the split."""
    d = get(name)
    _check_images(x)
    if d.debias and factor is None:
        raise ValueError(f"{name} takes out the clipped noise's bias, so it needs the noise factor")
    arr = x[:, 0].double().numpy()  # (N, 1, H, W) -> (N, H, W)
    if workers == 1 or len(arr) < 2:
        out, seconds = _denoise_chunk(d.name, value, arr)
    elif pool is None:
        with worker_pool(workers) as new_pool:
            return denoise(name, x, value, workers, new_pool, factor, kind)
    else:
        chunks = np.array_split(arr, min(workers, len(arr)))
        parts = list(pool.map(_denoise_chunk, [d.name] * len(chunks), [value] * len(chunks), chunks))
        out, seconds = np.concatenate([p[0] for p in parts]), sum(p[1] for p in parts)
    if d.debias:
        out = unbias(out, factor, kind)
    return torch.from_numpy(out).float().unsqueeze(1), seconds / max(len(arr), 1)


def tune(name: str, clean: torch.Tensor, factor: float, kind: str, seed: int,
         grid: Sequence | None = None, workers: int = 1, pool=None) -> tuple[object, dict]:
    """The grid value with the highest mean PSNR on noisy copies of `clean` (pass validation
    images here, never test images), and the mean PSNR of every grid value."""
    d = get(name)
    grid = tuple(d.grid if grid is None else grid)
    if not grid:
        raise ValueError(f"the grid for {name} is empty")
    noisy = noisy_copy(clean, factor, seed, kind)
    scores = {}
    for value in grid:
        out, _ = denoise(name, noisy, value, workers, pool, factor, kind)
        scores[value] = float(psnr(clean, out).mean())
    best = max(grid, key=lambda v: scores[v])  # ties: the first, i.e. the smallest value
    return best, scores


def tune_all(names: Sequence[str], val: Mapping[str, torch.Tensor] | torch.Tensor, factors: Sequence[float],
             kind: str, seed: int, cache_dir: str | Path | Store | None = None, workers: int = 1) -> dict[str, dict]:
    """Tune every method at every factor: {name: {"param": ..., "values": {factor: best},
    "scores": {factor: {grid value: PSNR}}, "n_images": n}}.

    `val` is one tensor of validation images for every method, or a mapping from method name to
    its own (a slow method may be tuned on fewer). Each choice is kept in the store (kind
    "tuning"), keyed on the method, its grid, the noise and the exact images; a damaged entry is
    tuned again."""
    kind = check_noise_kind(kind)
    store = as_store(cache_dir)
    with worker_pool(workers if any(get(n).slow for n in names) else 1) as pool:
        return {name: _tune_one(name, val[name] if isinstance(val, Mapping) else val, factors, kind, seed,
                                store, workers if get(name).slow else 1, pool) for name in names}


def _tune_one(name, images, factors, kind, seed, store, workers, pool) -> dict:
    """One method at every factor, each choice from the store or tuned now."""
    d = get(name)
    _check_images(images)
    entry = {"param": d.param, "values": {}, "scores": {}, "n_images": len(images)}
    for f in factors:
        def compute(f=f):
            best, scores = tune(name, images, f, kind, seed, workers=workers, pool=pool)
            return {"best": best, "scores": [[v, s] for v, s in scores.items()]}  # JSON keys would be strings

        saved = cached(store, "tuning", {"method": name, "grid": list(d.grid), "factor": float(f), "kind": kind,
                                         "seed": seed}, compute, JSON, tensors=(images,), prefix=name)
        entry["values"][float(f)] = saved["best"]
        entry["scores"][float(f)] = {str(v): s for v, s in saved["scores"]}
    return entry
