"""What every section page does first, and the models each page trains.

`setup(stem, globals())` is a page's first call: it refuses unknown parameter names, shows the
parameter box, checks the parameters every section shares (the training recipe, the dataset,
the test subset), seeds, sets the figure style and loads the data. `page_jobs(stem, params)` is
the list of trainings a page needs: the page trains them through `Section.train`, and
`make models` (aelib.jobs.plan) calls the same function for every page before any page runs, so the
two can never disagree.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch

from aelib import plots
from aelib.book.page import declared_parameters, literal, parameters_box
from aelib.config import (MAX_LATENT, TrainConfig, as_list, check_float_list, check_int_list,
                          check_optional_size)
from aelib.data import Dataset, check_dataset, to_float
from aelib.jobs.plan import Job, load_data
from aelib.runs import cached_run, cache_key
from aelib.runtime import pick_device, seed_everything
from aelib.train import Run

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
RECIPE = ("dataset", "epochs", "lr", "batch_size", "seed", "train_size")  # the parameters a TrainConfig takes


def recipe(params: dict, **changes) -> TrainConfig:
    """The page's shared training recipe (dataset, epochs, lr, batch size, seed, training subset)
    with `changes` on top."""
    base = {k: params[k] for k in RECIPE if k in params}
    if "train_size" in base:
        base["train_size"] = check_optional_size("train_size", base["train_size"], 50_000)
    return TrainConfig(**{**base, **changes})


def check_common(params: dict) -> dict:
    """The checked values of the parameters sections share; the others are returned untouched."""
    p = dict(params)
    if "dataset" in p:
        check_dataset(p["dataset"])
    if "test_size" in p:
        p["test_size"] = check_optional_size("test_size", p["test_size"], 10_000)
    if "n_show" in p:
        (p["n_show"],) = check_int_list("n_show", [p["n_show"]], lo=1, hi=100)
    return p


# --- the trainings of each page ------------------------------------------------------------------

def _epochs(p):  # 01: one run of the largest epoch count, snapshotted at every count shown; the demo's two models
    epochs = check_int_list("epochs", p["epochs"], lo=0, hi=10_000)
    demo = {**p, "epochs": p["demo_epochs"], "lr": p["demo_lr"]}
    return [Job(recipe({**p, "epochs": max(epochs)}, latent=p["latent"]), tuple(epochs)),
            *(Job(recipe(demo, model=kind, latent=p["demo_latent"])) for kind in ("mlp", "conv"))]


def spread_seeds(p) -> list[int]:
    """The page's extra seeds, trained only to measure the seed-to-seed spread; may be empty."""
    extra = as_list("spread_seeds", p.get("spread_seeds", []))
    return check_int_list("spread_seeds", extra, lo=0) if extra else []


def _learning_rate(p):  # 02: one run per rate, every epoch kept (a diverged run is shown from its last good one)
    lrs = sorted(set(check_float_list("lrs", p["lrs"], lo=0.0, hi=10.0, positive=True)))
    main = [Job(recipe(p, latent=p["latent"], lr=lr), tuple(range(p["epochs"] + 1))) for lr in lrs]
    return main + [Job(j.config.replace(seed=sd)) for j in main for sd in spread_seeds(p) if sd != p["seed"]]


def sweep_seeds(p, latent: int) -> list[int]:
    """03: the seeds trained at one code size: the page's own, then the spread seeds for codes up
    to spread_max_latent (larger ones cost too much to train more than once)."""
    (cap,) = check_int_list("spread_max_latent", [p["spread_max_latent"]], lo=0)
    return [p["seed"], *(sd for sd in spread_seeds(p) if sd != p["seed"] and latent <= cap)]


def _latent_size(p):  # 03: one MLP per code size and seed, then the live demo's MLP with a 2-number code
    latents = check_int_list("latents", p["latents"], lo=1, hi=MAX_LATENT)
    return [*(Job(recipe(p, latent=k, seed=sd)) for k in latents for sd in sweep_seeds(p, k)),
            Job(recipe(p, latent=2))]


def _thirty_numbers(p):  # 03b: the shared recipe's MLP and conv at the 2006 paper's code size, and our deep recipe
    from aelib.book.hinton2006 import LATENT as k  # the paper's table is for this code size only
    deep = recipe(p, model="deep", latent=k, hidden=p["deep_hidden"], epochs=p["deep_epochs"], lr=p["deep_lr"],
                  batch_size=p["deep_batch_size"])
    return [Job(recipe(p, latent=k)), Job(recipe(p, model="conv", latent=k)), Job(deep)]


def _foreign_images(p):  # 04: the given model kind at each code size
    return [Job(recipe(p, model=p["model"], latent=k))
            for k in check_int_list("latents", p["latents"], lo=1, hi=MAX_LATENT)]


def _conv_vs_linear(p):  # 06: both kinds at both code sizes
    small, large = p["small_latent"], p["large_latent"]
    latents = check_int_list("small_latent and large_latent", [small, large], lo=1, hi=MAX_LATENT)
    if len(latents) != 2 or small > large:
        raise ValueError(f"small_latent must be smaller than large_latent, got {small} and {large}")
    main = [Job(recipe(p, model=kind, latent=k, channels=as_list("channels", p["channels"])))
            for k in latents for kind in ("mlp", "conv")]
    return main + [Job(j.config.replace(seed=sd)) for j in main for sd in spread_seeds(p) if sd != p["seed"]]


def _compression_ratio(p):  # 05: the report's MLPs
    return [Job(recipe(p, latent=k)) for k in check_int_list("latents", p["latents"], lo=1, hi=MAX_LATENT)]


JOBS = {"01_epochs": _epochs, "02_learning_rate": _learning_rate, "03_latent_size": _latent_size,
        "03b_thirty_numbers": _thirty_numbers,
        "04_foreign_images": _foreign_images, "05_compression_ratio": _compression_ratio,
        "06_conv_vs_linear": _conv_vs_linear}


# The sub-packages' pages register their own job functions (with `register`) when imported;
# page_jobs imports these modules so that the planner sees every page.
PAGE_MODULES = ("aelib.book.compression.real_page", "aelib.book.denoising.pages")


def register(stem: str):
    """Register the function that lists a notebook's trainings (used by the sub-packages' pages)."""
    def deco(fn):
        JOBS[stem] = fn
        return fn
    return deco


def page_jobs(stem: str, params: dict) -> list[Job]:
    """The trainings notebook `stem` needs with these parameters (its declared defaults filled in),
    duplicates merged. A page that trains nothing has none."""
    if stem not in JOBS:
        import importlib
        for module in PAGE_MODULES:
            importlib.import_module(module)
    fn = JOBS.get(stem)
    if fn is None:
        return []
    defaults = {name: literal(p["default"]) for name, p in declared_parameters(NOTEBOOKS / f"{stem}.ipynb").items()}
    merged: dict[TrainConfig, set[int]] = {}
    for job in fn({**defaults, **params}):
        merged.setdefault(job.config, set()).update(job.snapshots)
    return [Job(cfg, tuple(sorted(s))) for cfg, s in merged.items()]


# --- the page's set-up -----------------------------------------------------------------------------

@dataclass
class Section:
    """What a section page works with once `setup` has run."""
    stem: str
    params: dict
    data: Dataset
    device: torch.device
    runs: dict[TrainConfig, Run] = field(default_factory=dict)

    @property
    def cache_dir(self) -> str:
        return self.params["cache_dir"]

    def test(self) -> torch.Tensor:
        """The first test_size test images (all when 0), (N, 1, 28, 28) floats in [0, 1]."""
        return to_float(self.data.test_images[:self.params.get("test_size")])

    def train(self, jobs: list[Job] | None = None) -> dict[TrainConfig, Run]:
        """Every run of `jobs` (default: the page's own, `page_jobs`), from the cache or trained now."""
        jobs = page_jobs(self.stem, self.params) if jobs is None else jobs
        for job in jobs:
            self.runs[job.config] = cached_run(job.config, self.data, self.cache_dir, job.snapshots, self.device)
        return {job.config: self.runs[job.config] for job in jobs}

    def cache_key(self, cfg: TrainConfig) -> str:
        return cache_key(cfg, self.data.sha256)

    def n_train(self, cfg: TrainConfig) -> str:
        return f"{cfg.train_size or 60_000 - cfg.val_size:,}"

    @property
    def report_applies(self) -> bool:
        """The lab report measured MNIST: its numbers sit beside ours only on MNIST pages."""
        return self.data.name == "mnist"


def setup(stem: str, namespace: dict) -> Section:
    """Check the page's parameters (as the notebook holds them in `namespace`), show them, seed,
    set the figure style and load the data."""
    from IPython.display import display
    display(parameters_box(stem, namespace))  # refuses unknown names
    params = check_common({name: namespace[name] for name in declared_parameters(NOTEBOOKS / f"{stem}.ipynb")})
    page_jobs(stem, params)  # checks every training parameter before anything is loaded
    seed_everything(params.get("seed", 0))
    plots.set_style()
    data = load_data(params.get("dataset", "mnist"), params["cache_dir"])
    return Section(stem=stem, params=params, data=data, device=pick_device())
