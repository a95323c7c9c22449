"""What every section page shares: the training recipe its trainings are built from, the extra
seeds that measure how far a result moves from one training to the next, and `Section`, what the
page works with once `aelib.book.sections.setup` has run.

The pages' own modules (aelib.book.compression, aelib.book.denoising) build on this one, and
aelib.book.sections lists every page's trainings: so the pages never import the list that names
them.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import torch

from aelib.config import TrainConfig, as_list, check_int_list, check_optional_size
from aelib.data import Dataset, to_float
from aelib.book.results import write_results
from aelib.jobs.local import default_executor
from aelib.jobs.plan import Job, plan, run_plan
from aelib.runs import cache_key, cached_run, run_path
from aelib.train import Run

RECIPE = ("dataset", "epochs", "lr", "batch_size", "seed", "train_size", "val_size")  # the parameters a TrainConfig takes


def recipe(params: dict, **changes) -> TrainConfig:
    """The page's shared training recipe (dataset, epochs, lr, batch size, seed, training subset,
    validation split) with `changes` on top."""
    base = {k: params[k] for k in RECIPE if k in params}
    if "train_size" in base:  # TrainConfig checks it against what the validation split leaves
        base["train_size"] = check_optional_size("train_size", base["train_size"], 59_999)
    return TrainConfig(**{**base, **changes})


def training_cost(history_seconds: list[float], flops_per_image: float, images_per_epoch: int) -> dict:
    """What a recipe cost to train: seconds, epochs and TFLOP (2 per multiply-add, forward and
    backward, as aelib.bench counts them)."""
    epochs = len(history_seconds)
    return {"seconds": float(sum(history_seconds)), "epochs": epochs,
            "tflop": flops_per_image * images_per_epoch * epochs / 1e12}


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
        """Every run of `jobs` (default: the page's own), from the cache or trained now: several
        missing ones as one planned job on every core (aelib.jobs), a single one alone here."""
        jobs = self.jobs if jobs is None else jobs
        missing = [j for j in jobs if not run_path(self.cache_dir, j.config, self.data.sha256).exists()]
        if len(missing) > 1 and self.device.type == "cpu":
            todo = plan(missing, self.cache_dir, self.data)
            run_plan(todo, default_executor(len(todo.todo)))  # then each is read from the store below
        for job in jobs:
            self.runs[job.config] = cached_run(job.config, self.data, self.cache_dir, job.snapshots, self.device)
        self._ledger(jobs)
        return {job.config: self.runs[job.config] for job in jobs}

    def _ledger(self, jobs: list[Job]) -> None:
        """Record, beside the page's results, every model it used and how each was trained
        (<results_dir>/trained/<page>-<digest of its models>.json): the Reproducibility page
        lists them all."""
        if not self.params.get("results_dir"):
            return
        rows = [{"config": j.config.to_dict(), "cache_key": self.cache_key(j.config),
                 "how": self.runs[j.config].how} for j in jobs]
        digest = hashlib.sha256("".join(sorted(r["cache_key"] for r in rows)).encode()).hexdigest()[:12]
        write_results(Path(self.params["results_dir"]) / "trained", f"{self.stem}-{digest}",
                      {"section": self.stem, "models": rows})

    def cache_key(self, cfg: TrainConfig) -> str:
        return cache_key(cfg, self.data.sha256)

    def train_images(self, cfg: TrainConfig) -> int:
        """How many images train `cfg`'s model."""
        return cfg.train_size or len(self.data.train_images) - cfg.val_size

    def n_train(self, cfg: TrainConfig) -> str:
        return f"{self.train_images(cfg):,}"

    def data_text(self, cfg: TrainConfig) -> str:
        """Which images train `cfg`'s model and which give its validation loss, as this run has
        them: "The first 10,000 of the 60,000 training images train the model and the last
        10,000 give the validation loss after each epoch"."""
        total, val = len(self.data.train_images), cfg.val_size
        first = (f"The first {self.n_train(cfg)} of the {total:,} training images train the model"
                 if cfg.train_size else f"The first {total - val:,} of the {total:,} training images train the model")
        return f"{first} and the last {val:,} give the validation loss after each epoch"


    @property
    def report_applies(self) -> bool:
        """The lab report measured MNIST: its numbers sit beside ours only on MNIST pages."""
        return self.data.name == "mnist"
