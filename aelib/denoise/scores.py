"""What a denoising evaluation measures, for every kind of denoiser alike.

`Denoised` is one method's output on one noisy set, scored per image against the clean images
(PSNR, SSIM, MSE; for a network also how far its output moved from its output on the clean
image). `Scores` is one method's summary across the noise factors, and `Evaluation` holds every
method of one evaluation (`aelib.denoise.evaluate.evaluate`): the report's clean-trained models
and the benchmark's denoisers are scored by the same code into the same types.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

Z95 = 1.959964  # two-sided 95% quantile of the normal distribution


def mean_ci(values) -> tuple[float, float]:
    """The mean and the half-width of its 95% interval, 1.96 * s / sqrt(n) (s the sample standard
    deviation); the half-width is NaN for fewer than two values."""
    v = np.asarray(values, dtype=np.float64).ravel()
    if v.size == 0:
        raise ValueError("mean_ci needs at least one value")
    half = Z95 * v.std(ddof=1) / math.sqrt(v.size) if v.size > 1 else math.nan
    return float(v.mean()), float(half)


def ratio_ci(num, den) -> tuple[float, float]:
    """sum(num) / sum(den) over paired per-image values, and the half-width of its 95% interval
    by the delta method for a ratio of means (Cochran, Sampling Techniques, 3rd ed., sec. 6.4):
    s.e. = sd(num - R den) / (sqrt(n) mean(den)). NaN half-width for fewer than two values."""
    y, x = np.asarray(num, dtype=np.float64).ravel(), np.asarray(den, dtype=np.float64).ravel()
    if y.size == 0 or y.shape != x.shape:
        raise ValueError(f"ratio_ci needs two non-empty arrays of one length, got {y.size} and {x.size}")
    mean_x = max(float(x.mean()), 1e-12)  # an input without noise: no ratio to speak of, but no crash
    r = float(y.mean()) / mean_x
    half = Z95 * (y - r * x).std(ddof=1) / (math.sqrt(y.size) * mean_x) if y.size > 1 else math.nan
    return r, float(half)


@dataclass(frozen=True)
class Denoised:
    """One method's output on one noisy set (or on the clean set), scored per image."""
    psnr: np.ndarray  # (n,) dB against the clean image
    ssim: np.ndarray  # (n,)
    mse: np.ndarray  # (n,)
    seconds: float  # of computation per image
    spread: float  # per-pixel std of the outputs across images, averaged: ~0 for an output that ignores its input
    examples: torch.Tensor  # (keep, 1, H, W): the first outputs, for figures
    moved: np.ndarray | None = None  # networks: (n,) MSE between the output and the output on the clean image
    passed: np.ndarray | None = None  # networks: (n,) mean over pixels of (output change) * (noise added)

    def arrays(self) -> dict[str, np.ndarray]:
        """As plain arrays (the store's NPZ format)."""
        out = {"psnr": self.psnr, "ssim": self.ssim, "mse": self.mse, "seconds": np.float64(self.seconds),
               "spread": np.float64(self.spread), "examples": self.examples.numpy()}
        extra = {k: v for k, v in (("moved", self.moved), ("passed", self.passed)) if v is not None}
        return {**out, **extra}

    @classmethod
    def from_arrays(cls, d: dict) -> "Denoised":
        return cls(psnr=d["psnr"], ssim=d["ssim"], mse=d["mse"], seconds=float(d["seconds"]),
                   spread=float(d["spread"]), examples=torch.from_numpy(np.asarray(d["examples"])),
                   moved=d.get("moved"), passed=d.get("passed"))


@dataclass
class Scores:
    """One method's results, one entry per noise factor: means over its `n_images` test images
    with their 95% intervals, and means over the first `n_subset` (where every method of an
    evaluation was scored, so that comparisons between methods are paired)."""
    noise: list[float]
    n_images: int
    psnr: list[float] = field(default_factory=list)
    ssim: list[float] = field(default_factory=list)
    mse: list[float] = field(default_factory=list)
    psnr_ci: list[float] = field(default_factory=list)  # half-width of the 95% interval of the mean
    ssim_ci: list[float] = field(default_factory=list)
    psnr_subset: list[float] = field(default_factory=list)
    ssim_subset: list[float] = field(default_factory=list)
    seconds_per_image_by_noise: list[float] = field(default_factory=list)
    noise_gain: list[float] | None = None  # networks: see Evaluation.noise_gain
    noise_gain_ci: list[float] | None = None
    param: str | None = None  # a classical method's tuned parameter, and its value per factor
    values: list | None = None

    @property
    def seconds_per_image(self) -> float:
        return float(np.mean(self.seconds_per_image_by_noise)) if self.seconds_per_image_by_noise else math.nan

    def add(self, d: Denoised, n_subset: int) -> None:
        """Record one factor."""
        for name in ("psnr", "ssim"):
            v = getattr(d, name)
            mean, half = mean_ci(v)
            getattr(self, name).append(mean)
            getattr(self, name + "_ci").append(half)
            getattr(self, name + "_subset").append(float(v[:n_subset].mean()))
        self.mse.append(float(d.mse.mean()))
        self.seconds_per_image_by_noise.append(float(d.seconds))

    def to_dict(self) -> dict:
        d = {k: v for k, v in asdict(self).items() if v is not None}
        return {**d, "seconds_per_image": self.seconds_per_image}


@dataclass
class Evaluation:
    """Every method of one evaluation on the noisy copies of one test set."""
    noise: list[float]
    kind: str
    seed: int
    n_test: int
    n_subset: int  # the first n_subset test images: what slow methods see, and where all are paired
    inputs: dict[float, Denoised]  # the noisy input itself, scored as if it were an output
    outputs: dict[str, dict[float, Denoised]]  # method -> factor -> its scored output
    on_clean: dict[str, Denoised] = field(default_factory=dict)  # networks: their output on the clean images
    tuned: dict[str, tuple[str, list]] = field(default_factory=dict)  # classical: (parameter, value per factor)
    clean_examples: torch.Tensor | None = None  # (keep, 1, H, W): the first clean images

    @property
    def methods(self) -> list[str]:
        return list(self.outputs)

    def scores(self, name: str) -> Scores:
        """The summary of one method ("noisy input" for the input itself)."""
        per_f = self.inputs if name == "noisy input" else self.outputs[name]
        first = per_f[self.noise[0]]
        s = Scores(noise=list(self.noise), n_images=len(first.psnr))
        for f in self.noise:
            s.add(per_f[f], self.n_subset)
        if name in self.on_clean:
            gains = [self.noise_gain(name, f) for f in self.noise]
            s.noise_gain, s.noise_gain_ci = [g for g, _ in gains], [h for _, h in gains]
        if name in self.tuned:
            s.param, s.values = self.tuned[name]
        return s

    def noise_gain(self, name: str, f: float) -> tuple[float, float]:
        """How much of the noise's power a network lets through at factor f, with its 95% interval:
        the part of its output's change (noisy input against clean input) that follows the noise
        itself, <g(x~) - g(x), x~ - x> / <x~ - x, x~ - x>, summed over the test images. For a
        linear projection (what an autoencoder approximates, PCA for one) this is the classic
        noise gain, the share of the noise's power that reaches the output; 0: the output ignores
        the noise; 1: the noise passes whole; above 1 only when the model amplifies the noise
        pattern itself. An output that changes without following the noise (a digit redrawn
        bolder, a shifted stroke) adds nothing, so a clean-looking output cannot score above the
        noise's own level, as the mean squared change of the output over the input's (which
        counts any change) could, against the small power of weak clipped noise. Measured
        against the network's own output on the clean image, so that its reconstruction error,
        there with or without noise, does not count."""
        passed = self.outputs[name][f].passed
        if passed is None:
            raise ValueError(f"{name!r} is not a network: its output on the clean images was not recorded")
        return ratio_ci(passed, self.inputs[f].mse)

    def paired(self, a: str, b: str, metric: str = "psnr", n: int | None = None) -> list[tuple[float, float]]:
        """Per factor, the mean per-image difference a - b of `metric` over the first `n` test
        images (default: all that both were scored on), with the half-width of its 95% interval."""
        if metric not in ("psnr", "ssim", "mse"):
            raise ValueError(f"metric must be 'psnr', 'ssim' or 'mse', got {metric!r}")
        rows = []
        for f in self.noise:
            va = getattr(self.inputs[f] if a == "noisy input" else self.outputs[a][f], metric)
            vb = getattr(self.inputs[f] if b == "noisy input" else self.outputs[b][f], metric)
            k = min(len(va), len(vb), n or len(va))
            rows.append(mean_ci(va[:k] - vb[:k]))
        return rows

    def clean_summary(self, name: str) -> dict[str, float]:
        """A network's means on the clean test images, and the spread of its outputs."""
        d = self.on_clean[name]
        return {"psnr": float(d.psnr.mean()), "ssim": float(d.ssim.mean()), "mse": float(d.mse.mean()),
                "spread": d.spread}

    def examples(self, f: float) -> dict[str, torch.Tensor]:
        """{"clean", "noisy", method: (keep, 1, H, W)} at factor f; f = 0 gives the networks'
        outputs on the clean images (and the clean images as "noisy")."""
        if f == 0 and 0.0 not in self.noise:
            return {"clean": self.clean_examples, "noisy": self.clean_examples,
                    **{n: d.examples for n, d in self.on_clean.items()}}
        return {"clean": self.clean_examples, "noisy": self.inputs[f].examples,
                **{n: per_f[f].examples for n, per_f in self.outputs.items()}}

    def to_dict(self) -> dict:
        """Everything but the per-image values and the example images (for JSON)."""
        return {"noise": list(self.noise), "noise_kind": self.kind, "noise_seed": self.seed, "n_test": self.n_test,
                "n_subset": self.n_subset, "noisy": self.scores("noisy input").to_dict(),
                "methods": {n: self.scores(n).to_dict() for n in self.outputs},
                "clean": {n: self.clean_summary(n) for n in self.on_clean}}
