"""A cache of trained runs, keyed on everything that determines the weights.

Key = sha256 of (the whole TrainConfig, the data's sha256, the code version of its model kind). The config, data
checksum and history travel inside the checkpoint and are compared on load, so a stale or
foreign file is never mistaken for the model asked for. Writes are atomic and a file lock makes
two processes that need the same model train it once.
"""
from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path

import torch
from filelock import FileLock

from .atomic import atomic_write
from .config import TrainConfig
from .data import MNIST
from .train import History, Run, train

# Bump a kind's version when a change to models.py or train.py changes what its configs train.
CODE_VERSIONS = {"mlp": 1, "conv": 2, "rate": 2}  # conv 2: leaky ReLUs and a dark output bias


def code_version(cfg: TrainConfig) -> int:
    return CODE_VERSIONS[cfg.model]
FORMAT = "aelib-run"


def cache_key(cfg: TrainConfig, data_sha256: str) -> str:
    blob = json.dumps({"config": cfg.to_dict(), "data": data_sha256, "code": code_version(cfg)}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def run_path(cache_dir: str | Path, cfg: TrainConfig, data_sha256: str) -> Path:
    return Path(cache_dir) / "runs" / f"{cfg.model}-{cfg.latent}-{cache_key(cfg, data_sha256)[:20]}.pt"


def save_run(path: Path, run: Run, data_sha256: str) -> None:
    payload = {"format": FORMAT, "code_version": code_version(run.config), "data_sha256": data_sha256,
               "config": run.config.to_dict(), "history": run.history.to_dict(), "snapshots": run.snapshots}
    with atomic_write(path) as tmp:
        torch.save(payload, tmp)


def load_run(path: Path, cfg: TrainConfig, data_sha256: str) -> Run | None:
    """The run stored at `path` if it is intact and was trained from exactly `cfg` on this data;
    None if there is no file; None with a warning if it is corrupt or does not match."""
    if not path.exists():
        return None
    try:
        p = torch.load(path, map_location="cpu", weights_only=True)
        ok = (p["format"] == FORMAT and p["code_version"] == code_version(cfg)
              and p["data_sha256"] == data_sha256 and p["config"] == cfg.to_dict())
        if not ok:
            warnings.warn(f"cache file {path} was made for another config or code version; retraining")
            return None
        snaps, history = p["snapshots"], History(**p["history"])
        # a run that diverged before its first kept epoch is stored with no weights at all
        if (not snaps and not history.nonfinite) or not all(
                torch.isfinite(t).all() for s in snaps.values() for t in s.values() if t.is_floating_point()):
            raise ValueError("no finite snapshot")
        return Run(config=cfg, history=history, snapshots=snaps)
    except Exception as e:  # truncated zip, bad pickle opcode, missing key...: all mean "retrain"
        warnings.warn(f"cache file {path} is corrupt ({type(e).__name__}: {e}); retraining")
        return None


def cached_run(cfg: TrainConfig, data: MNIST, cache_dir: str | Path, snapshots: tuple[int, ...] = (),
               device: torch.device | str | None = None) -> Run:
    """The run for `cfg`, from the cache when it holds every requested snapshot, else trained now
    (keeping the union of old and new snapshots) and stored."""
    path = run_path(cache_dir, cfg, data.sha256)
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path) + ".lock"):
        run = load_run(path, cfg, data.sha256)
        if run is not None and (run.history.nonfinite or set(snapshots) <= set(run.snapshots)):
            return run
        wanted = set(snapshots) | (set(run.snapshots) if run else set())
        run = train(cfg, data, tuple(sorted(wanted)), device)
        save_run(path, run, data.sha256)
        return run


def training_seconds(cache_dir: str | Path) -> list[dict]:
    """Every run stored in `cache_dir`: its config and the wall seconds its training took (the sum
    of its epochs' times, as recorded when it was trained), slowest first. Unreadable files are
    skipped with a warning."""
    rows = []
    for path in sorted((Path(cache_dir) / "runs").glob("*.pt")):
        try:
            p = torch.load(path, map_location="cpu", weights_only=True)
            rows.append({"config": p["config"], "seconds": float(sum(p["history"]["seconds"]))})
        except Exception as e:  # noqa: BLE001 (a damaged file is reported, not fatal to a summary)
            warnings.warn(f"cache file {path} is unreadable ({type(e).__name__}: {e}); left out")
    return sorted(rows, key=lambda r: -r["seconds"])
