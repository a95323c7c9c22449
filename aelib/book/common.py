"""What every section page shares: the training recipe its trainings are built from, the extra
seeds that measure how far a result moves from one training to the next, and `Section`, what the
page works with once `aelib.book.sections.setup` has run.

The pages' own modules (aelib.book.compression, aelib.book.denoising) build on this one, and
aelib.book.sections lists every page's trainings: so the pages never import the list that names
them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch

from aelib.config import TrainConfig, as_list, check_int_list, check_optional_size
from aelib.data import Dataset, to_float
from aelib.jobs.plan import Job
from aelib.runs import cached_run, cache_key
from aelib.train import Run

RECIPE = ("dataset", "epochs", "lr", "batch_size", "seed", "train_size")  # the parameters a TrainConfig takes


def recipe(params: dict, **changes) -> TrainConfig:
    """The page's shared training recipe (dataset, epochs, lr, batch size, seed, training subset)
    with `changes` on top."""
    base = {k: params[k] for k in RECIPE if k in params}
    if "train_size" in base:
        base["train_size"] = check_optional_size("train_size", base["train_size"], 50_000)
    return TrainConfig(**{**base, **changes})


def spread_seeds(p) -> list[int]:
    """The page's extra seeds, trained only to measure the seed-to-seed spread; may be empty."""
    extra = as_list("spread_seeds", p.get("spread_seeds", []))
    return check_int_list("spread_seeds", extra, lo=0) if extra else []


def sweep_seeds(p, latent: int) -> list[int]:
    """03: the seeds trained at one code size: the page's own, then the spread seeds for codes up
    to spread_max_latent (larger ones cost too much to train more than once)."""
    (cap,) = check_int_list("spread_max_latent", [p["spread_max_latent"]], lo=0)
    return [p["seed"], *(sd for sd in spread_seeds(p) if sd != p["seed"] and latent <= cap)]


@dataclass
class Section:
    """What a section page works with once `setup` has run."""
    stem: str
    params: dict
    data: Dataset
    device: torch.device
    jobs: list[Job] = field(default_factory=list)  # the page's own trainings (aelib.book.sections.page_jobs)
    runs: dict[TrainConfig, Run] = field(default_factory=dict)

    @property
    def cache_dir(self) -> str:
        return self.params["cache_dir"]

    def test(self) -> torch.Tensor:
        """The first test_size test images (all when 0), (N, 1, 28, 28) floats in [0, 1]."""
        return to_float(self.data.test_images[:self.params.get("test_size")])

    def train(self, jobs: list[Job] | None = None) -> dict[TrainConfig, Run]:
        """Every run of `jobs` (default: the page's own), from the cache or trained now."""
        jobs = self.jobs if jobs is None else jobs
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
