"""Training configuration: one frozen, validated dataclass that identifies a trained model.

Every field that changes the trained weights lives here, so that the cache key (a hash of
the whole config) can never hand back a model trained with other settings.
"""
from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, fields

import yaml

from aelib.data import DATASETS
from aelib.noise import NOISE_KINDS

# "deep": a deeper MLP with its own schedule (models.DeepAutoencoder); "cond": conv denoiser told
# the noise level (aelib.denoise.conditional); "rate": conv trained for rate + distortion
# (aelib.compress.rate)
MODEL_KINDS = ("mlp", "conv", "deep", "cond", "rate")
MAX_LATENT = 16384
LR_SCHEDULES = ("constant", "cosine")
LATER = {"lr_schedule": "constant"}  # fields added after runs were first stored, with their defaults


@dataclass(frozen=True)
class TrainConfig:
    dataset: str = "mnist"  # which MNIST-format image set trains it (aelib.data.DATASETS)
    model: str = "mlp"  # "mlp": the report's "linear" model; "conv": convolutional -> linear
    latent: int = 128  # size of the code; the report sweeps 1, 16, 128, 512, 16384
    hidden: int = 512  # width of the MLP's hidden layer ("deep": of its first; ignored by "conv")
    channels: tuple[int, ...] = (16, 32, 32)  # conv widths; the first two halve 28 -> 14 -> 7
    epochs: int = 10  # full passes over the training split
    lr: float = 1e-4  # Adam's learning rate; the report's default is 1e-4
    batch_size: int = 64
    seed: int = 0  # seeds the initial weights and the shuffling order
    train_size: int | None = None  # first N images of the training split; None = all of it
    val_size: int = 10_000  # held out from the end of MNIST's 60,000 training images
    train_noise: float = 0.0  # noise factor on training inputs (denoising autoencoder); 0 = clean
    noise_kind: str = "gaussian"  # "gaussian" (x + f N(0,1), clipped) or "salt-pepper" (rate f)
    noise_range: bool = False  # True: each training image's factor is drawn uniformly from [0, train_noise]
    rate_lambda: float = 0.0  # model "rate" only: loss = MSE + rate_lambda * bits per image
    lr_schedule: str = "constant"  # "constant" (the report's) or "cosine" (lr to 0 by the last step); "deep": its own

    def __post_init__(self) -> None:
        if isinstance(self.channels, list):  # YAML and papermill deliver lists
            object.__setattr__(self, "channels", tuple(self.channels))
        _check_choice("dataset", self.dataset, DATASETS)
        _check_choice("model", self.model, MODEL_KINDS)
        _check_int("latent", self.latent, 1, MAX_LATENT)
        _check_int("hidden", self.hidden, 1, None)
        _check_int("epochs", self.epochs, 0, None)
        _check_int("batch_size", self.batch_size, 1, None)
        _check_int("seed", self.seed, 0, None)
        _check_int("val_size", self.val_size, 1, 59_999)
        if self.train_size is not None:
            _check_int("train_size", self.train_size, 1, 60_000 - self.val_size)
        _check_positive_float("lr", self.lr)
        _check_float_range("train_noise", self.train_noise, 0.0, 1.0)
        _check_choice("noise_kind", self.noise_kind, NOISE_KINDS)
        if not isinstance(self.noise_range, bool):
            raise ValueError(f"noise_range must be true or false, got {self.noise_range!r}")
        if self.noise_range and self.train_noise == 0:
            raise ValueError("noise_range draws each image's noise factor from [0, train_noise]: it needs "
                             "train_noise > 0")
        if self.model == "cond" and not self.noise_range:
            raise ValueError("model 'cond' learns to denoise at any level it is told: it needs noise_range "
                             "true (each training image's factor drawn from [0, train_noise])")
        _check_float_range("rate_lambda", self.rate_lambda, 0.0, 1.0)
        object.__setattr__(self, "rate_lambda", float(self.rate_lambda))  # 1 and 1.0: one cache key
        if (self.model == "rate") != (self.rate_lambda > 0):
            raise ValueError(f"rate_lambda must be > 0 for model 'rate' and 0 for the others, "
                             f"got rate_lambda={self.rate_lambda!r} with model {self.model!r}")
        _check_choice("lr_schedule", self.lr_schedule, LR_SCHEDULES)
        if self.model == "deep" and self.lr_schedule != "constant":
            raise ValueError("model 'deep' brings its own schedule (a cosine from lr to 0): leave lr_schedule "
                             "'constant'")
        if not self.channels or not all(isinstance(c, int) and c >= 1 for c in self.channels):
            raise ValueError(f"channels must be a non-empty list of positive ints, got {self.channels!r}")

    def replace(self, **changes) -> "TrainConfig":
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise ValueError(f"unknown TrainConfig field(s) {sorted(unknown)}; "
                             f"allowed: {[f.name for f in fields(self)]}")
        return TrainConfig(**{**asdict(self), **changes})

    def to_dict(self) -> dict:
        """The fields as plain values; those added since the first runs were stored (LATER) are
        left out while at their defaults, so that a stored run keeps its cache key."""
        d = asdict(self)
        d["channels"] = list(self.channels)
        for name, default in LATER.items():
            if d[name] == default:
                del d[name]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        return cls(**d)


def _check_choice(name, value, allowed):
    if value not in allowed:
        raise ValueError(f"{name} must be one of {list(allowed)}, got {value!r}")


def _check_int(name, value, lo, hi):
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < lo or (hi is not None and value > hi):
        bound = f">= {lo}" if hi is None else f"in [{lo}, {hi}]"
        raise ValueError(f"{name} must be {bound}, got {value}")


def _as_float(name, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    return float(value)


def _check_positive_float(name, value):
    v = _as_float(name, value)
    if not math.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")


def _check_float_range(name, value, lo, hi):
    v = _as_float(name, value)
    if not (lo <= v <= hi):
        raise ValueError(f"{name} must be in [{lo}, {hi}], got {value!r}")


class _Loader(yaml.SafeLoader):
    """YAML 1.1, but a number in exponent notation without a decimal point (1e-3) is a float, not
    the string '1e-3' that a parameter check would then refuse: `-p lr 1e-3` means a number."""


_Loader.add_implicit_resolver("tag:yaml.org,2002:float", re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+$"),
                              list("-+0123456789."))


def parse_value(text: str):
    """A parameter written as text (papermill's -p, the command line), read as YAML: 3 -> int,
    1e-3 -> float, [0, 1] -> list, other text -> str."""
    return yaml.load(text, Loader=_Loader)


def as_list(name: str, values):
    """A list parameter as given: a list, or its YAML/JSON text ("[16, 128]"), which is what
    papermill's `-p name value` delivers."""
    if isinstance(values, str):
        try:
            values = parse_value(values)
        except yaml.YAMLError as e:
            raise ValueError(f"{name} must be a list such as [1, 2], got the text {values!r} ({e})") from None
    return values


def check_int_list(name: str, values, lo: int, hi: int | None = None) -> list[int]:
    """A notebook parameter that must be a non-empty list of ints in [lo, hi]; returns it sorted
    without duplicates."""
    values = as_list(name, values)
    if not isinstance(values, (list, tuple)) or not values:
        raise TypeError(f"{name} must be a non-empty list of ints, got {values!r}")
    for v in values:
        _check_int(f"each entry of {name}", v, lo, hi)
    return sorted(set(values))


def check_float_list(name: str, values, lo: float, hi: float, positive: bool = False) -> list[float]:
    """A non-empty list of finite numbers in [lo, hi] (and > 0 if `positive`), kept in order."""
    values = as_list(name, values)
    if not isinstance(values, (list, tuple)) or not values:
        raise TypeError(f"{name} must be a non-empty list of numbers, got {values!r}")
    out = []
    for v in values:
        f = _as_float(f"each entry of {name}", v)
        if not math.isfinite(f) or not lo <= f <= hi or (positive and f <= 0):
            raise ValueError(f"each entry of {name} must be a finite number in [{lo}, {hi}]"
                             f"{' and > 0' if positive else ''}, got {v!r}")
        out.append(f)
    return out


def check_optional_size(name: str, value, hi: int) -> int | None:
    """A notebook's subset size: 0 or None mean "all" (returned as None), else an int in [1, hi]."""
    if value is None or (value == 0 and not isinstance(value, bool)):
        return None
    _check_int(name, value, 0, hi)
    return value
