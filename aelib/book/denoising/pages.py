"""The two denoising pages' parameters and trainings.

- `07_denoising`: the report's section, its convolutional model and MLP trained on clean digits,
  each also at the `spread_seeds`, which only measure how far a result moves from one training to
  the next (the margin of every verdict on the page);
- `07b_denoising_benchmark`: denoising autoencoders against classical denoisers.

`report_jobs` and `bench_jobs` list the two pages' trainings (`aelib.book.sections.JOBS` names
them), so that `make models` and the pages themselves train the same configs.
"""
from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from aelib.book.common import Section, recipe
from aelib.book.tables import model_name
from aelib.config import MAX_LATENT, TrainConfig, as_list, check_float_list, check_int_list
from aelib.denoise import bench
from aelib.noise import check_noise_kind, check_seed
from aelib.jobs.plan import Job

REPORT, BENCH = "07_denoising", "07b_denoising_benchmark"


def _int(name: str, value, lo: int, hi: int) -> int:
    (value,) = check_int_list(name, [value], lo, hi)
    return value


def _ints_in_order(name: str, value) -> list[int]:
    """A list of positive ints as given (order matters: convolutional widths)."""
    value = as_list(name, value)
    if not isinstance(value, (list, tuple)) or not value:
        raise TypeError(f"{name} must be a non-empty list of ints, got {value!r}")
    return [_int(f"each entry of {name}", v, 1, 4096) for v in value]


def _common(p: dict) -> dict:
    q = dict(p)
    q["noise_factors"] = check_float_list("noise_factors", p["noise_factors"], 0.0, 1.0)
    q["noise_seed"] = check_seed("noise_seed", p["noise_seed"])
    q["conv_latent"] = _int("conv_latent", p["conv_latent"], 1, MAX_LATENT)
    q["mlp_latent"] = _int("mlp_latent", p["mlp_latent"], 1, MAX_LATENT)
    q["channels"] = tuple(_ints_in_order("channels", p["channels"]))
    return q


# --- 07_denoising ------------------------------------------------------------------------------------

def report_params(p: dict) -> dict:
    """The checked parameters of 07_denoising."""
    q = _common(p)
    extra = as_list("spread_seeds", p["spread_seeds"])
    extra = [] if extra in ([], None) else check_int_list("spread_seeds", extra, 0)
    q["spread_seeds"] = [s for s in extra if s != p["seed"]]
    return q


def report_configs(p: dict) -> dict[str, TrainConfig]:
    """name -> config: the convolutional model and the MLP at the page's seed (named kind-code
    size by `model_name`, as on the other pages), then at each spread seed (`-seed<n>` appended)."""
    q = report_params(p)
    out = {}
    for s in [p["seed"], *q["spread_seeds"]]:
        tag = "" if s == p["seed"] else f"-seed{s}"
        for cfg in (recipe(p, model="conv", latent=q["conv_latent"], channels=q["channels"], seed=s),
                    recipe(p, model="mlp", latent=q["mlp_latent"], seed=s)):
            out[model_name(cfg) + tag] = cfg
    return out


def report_jobs(p: dict) -> list[Job]:
    return [Job(cfg) for cfg in report_configs(p).values()]


@dataclass
class ReportModels:
    conv: str  # the convolutional model's name at the page's seed, e.g. "conv-64"
    mlp: str
    configs: dict[str, TrainConfig]  # every model, the spread seeds' included
    models: dict[str, nn.Module]

    def seeds_of(self, name: str) -> list[str]:
        """The names of one model at every seed, the page's seed first."""
        return [n for n in self.configs if n == name or n.startswith(name + "-seed")]


def report_models(s: Section) -> ReportModels:
    """The page's models, trained now or loaded from the store."""
    configs = report_configs(s.params)
    runs = s.train([Job(cfg) for cfg in configs.values()])
    names = list(configs)
    return ReportModels(conv=names[0], mlp=names[1], configs=configs,
                        models={n: runs[cfg].model() for n, cfg in configs.items()})


# --- 07b_denoising_benchmark -------------------------------------------------------------------------

def bench_params(p: dict) -> dict:
    """The checked parameters of 07b_denoising_benchmark."""
    q = _common(p)
    q["noise_kind"] = check_noise_kind(p["noise_kind"])
    q["dae_latent"] = _int("dae_latent", p["dae_latent"], 1, MAX_LATENT)
    q["dae_channels"] = tuple(_ints_in_order("dae_channels", p["dae_channels"]))
    (q["dae_noise"],) = check_float_list("dae_noise", [p["dae_noise"]], 0.0, 1.0)
    if not isinstance(p["variants"], bool):
        raise TypeError(f"variants must be true or false, got {p['variants']!r}")
    q["one_model_epochs"] = _int("one_model_epochs", p["one_model_epochs"], 1, 10_000)
    try:  # TrainConfig's own check of a learning rate, under this parameter's name
        q["one_model_lr"] = TrainConfig(lr=p["one_model_lr"]).lr
    except (TypeError, ValueError) as e:
        raise type(e)(f"one_model_lr: {e}") from None
    for name, hi in (("n_val", 10_000), ("n_val_slow", 10_000), ("slow_subset", 10_000), ("workers", 64)):
        q[name] = bench.check_count(name, p[name], hi)
    q["val_size"] = recipe(p).val_size  # the models' validation split, which the classical methods are tuned on
    return q


def _bench_roles(p: dict) -> dict[str, dict[float, TrainConfig]]:
    """Every network of the benchmark, from this page's own parameters, under bench's role keys."""
    q = bench_params(p)
    return bench.network_configs(recipe(p), q["noise_factors"], q["noise_kind"], q["conv_latent"], q["mlp_latent"],
                                 q["channels"], q["dae_latent"], q["dae_channels"], p["dae_training"], q["dae_noise"],
                                 q["one_model_epochs"], q["one_model_lr"], p["variants"])


def bench_names(p: dict) -> dict[str, str]:
    """{role: the name the page shows} for the models trained on clean digits: the names
    07_denoising gives them (`model_name`, kind and code size: "conv-64", "mlp-128"), so that one
    model has one name across the book and the name follows the parameters. The control (the
    convolutional model built like the denoising one) is named the same way, with its widths
    appended where they alone tell it from the report's convolutional model."""
    return _names(_bench_roles(p))


def _names(roles: dict[str, dict[float, TrainConfig]]) -> dict[str, str]:
    conv, mlp = (next(iter(roles[r].values())) for r in (bench.CLEAN_CONV, bench.CLEAN_MLP))
    names = {bench.CLEAN_CONV: model_name(conv), bench.CLEAN_MLP: model_name(mlp)}
    if bench.CONTROL in roles:
        control = next(iter(roles[bench.CONTROL].values()))
        names[bench.CONTROL] = model_name(control) + (
            "" if control.latent != conv.latent else f" (widths {', '.join(map(str, control.channels))})")
    return names


def bench_configs(p: dict) -> dict[str, dict[float, TrainConfig]]:
    """Every network of the benchmark, from this page's own parameters, each under the name the
    page shows (`bench_names` for the clean-trained ones, bench's own for the others)."""
    roles = _bench_roles(p)
    names = _names(roles)
    return {names.get(k, k): v for k, v in roles.items()}


def bench_jobs(p: dict) -> list[Job]:
    return [Job(cfg) for cfg in bench.distinct_configs(bench_configs(p))]


def bench_networks(s: Section) -> dict[str, dict[float, nn.Module]]:
    """The benchmark's networks, trained now or loaded from the store: {name: {factor: model}}."""
    configs = bench_configs(s.params)
    return bench.networks(configs, s.train([Job(cfg) for cfg in bench.distinct_configs(configs)]))
