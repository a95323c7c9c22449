"""Trained runs in the store, keyed on everything that determines the weights.

Key = sha256 of (the whole TrainConfig, the dataset's name and checksum, the code version of its
model kind). The config, data checksum and history travel inside the checkpoint and are compared
on load, so a stale or foreign file is never mistaken for the model asked for.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import torch

from .config import TrainConfig
from .store import TORCH, Store, as_store, atomic_write, key
from .train import History, Run, train

# Bump a kind's version when a change to models.py or train.py changes what its configs train.
# conv 4, cond 2, rate 4: trained channels-last on the CPU (the same numbers, other rounding)
CODE_VERSIONS = {"mlp": 2, "conv": 4, "deep": 1, "cond": 2, "rate": 4}
FORMAT = "aelib-run/2"  # 2: the run records how it was trained (Run.how)


def cache_key(cfg: TrainConfig, data_sha256: str) -> str:
    return key("runs", {"config": cfg.to_dict(), "data": data_sha256, "code": CODE_VERSIONS[cfg.model]})


def run_path(store: Store | str | Path, cfg: TrainConfig, data_sha256: str) -> Path:
    return as_store(store).path("runs", cache_key(cfg, data_sha256), ".pt", f"{cfg.model}-{cfg.latent}")


def save_run(path: Path, run: Run, data_sha256: str) -> None:
    payload = {"format": FORMAT, "code_version": CODE_VERSIONS[run.config.model], "data_sha256": data_sha256,
               "config": run.config.to_dict(), "history": run.history.to_dict(), "snapshots": run.snapshots,
               "how": run.how}
    with atomic_write(path) as tmp:
        torch.save(payload, tmp)


def load_run(path: Path, cfg: TrainConfig, data_sha256: str) -> Run | None:
    """The run stored at `path` if it is intact and was trained from exactly `cfg` on this data;
    None if there is no file; None with a warning if it is damaged or does not match."""
    if not path.exists():
        return None
    try:
        p = TORCH.read(path)
        ok = (p["format"] == FORMAT and p["code_version"] == CODE_VERSIONS[cfg.model]
              and p["data_sha256"] == data_sha256 and p["config"] == cfg.to_dict())
        if not ok:
            warnings.warn(f"cache file {path} was made for another config or code version; retraining")
            return None
        snaps, history = p["snapshots"], History(**p["history"])
        # a run that diverged before its first kept epoch is stored with no weights at all
        if (not snaps and not history.nonfinite) or not all(
                torch.isfinite(t).all() for s in snaps.values() for t in s.values() if t.is_floating_point()):
            raise ValueError("no finite snapshot")
        return Run(config=cfg, history=history, snapshots=snaps, how=p["how"])
    except Exception as e:  # truncated zip, bad pickle opcode, missing key...: all mean "retrain"
        warnings.warn(f"cache file {path} is corrupt ({type(e).__name__}: {e}); retraining")
        return None


def holds(run: Run | None, snapshots: tuple[int, ...] = ()) -> bool:
    """Whether a stored run serves a request for these snapshot epochs (a diverged run serves any)."""
    return run is not None and (run.history.nonfinite or set(snapshots) <= set(run.snapshots))


def cached_run(cfg: TrainConfig, data, cache_dir: str | Path | Store, snapshots: tuple[int, ...] = (),
               device: torch.device | str | None = None) -> Run:
    """The run for `cfg`, from the store when it holds every requested snapshot, else trained now
    (keeping the union of old and new snapshots) and stored."""
    path = run_path(cache_dir, cfg, data.sha256)
    with as_store(cache_dir).locked(path):
        run = load_run(path, cfg, data.sha256)
        if holds(run, snapshots):
            return run
        wanted = set(snapshots) | (set(run.snapshots) if run else set())
        run = train(cfg, data, tuple(sorted(wanted)), device)
        save_run(path, run, data.sha256)
        return run


def training_seconds(cache_dir: str | Path, only: set[str] | None = None) -> list[dict]:
    """Every run stored in `cache_dir` (or those whose file names are in `only`): its config and
    the wall seconds its training took (the sum of its epochs' times, as recorded when it was
    trained), slowest first. Unreadable files are skipped with a warning."""
    rows = []
    for path in sorted((Path(cache_dir) / "runs").glob("*.pt")):
        if only is not None and path.name not in only:
            continue
        try:
            p = TORCH.read(path)
            rows.append({"config": p["config"], "seconds": float(sum(p["history"]["seconds"]))})
        except Exception as e:  # noqa: BLE001 (a damaged file is reported, not fatal to a summary)
            warnings.warn(f"cache file {path} is unreadable ({type(e).__name__}: {e}); left out")
    return sorted(rows, key=lambda r: -r["seconds"])
