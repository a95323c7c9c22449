"""What a reader needs to reproduce a page: packages, machine, commit, and the models used."""
from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import subprocess
from pathlib import Path

import torch

PACKAGES = ("torch", "torchvision", "numpy", "pandas", "matplotlib", "pillow", "scikit-image", "papermill",
            "jupyter-book", "myst-nb", "sphinx", "constriction", "bm3d", "filelock", "distributed", "onnx",
            "onnxruntime")


def package_versions(names=PACKAGES) -> dict[str, str]:
    out = {}
    for name in names:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def machine() -> dict[str, str | int]:
    cuda = torch.cuda.is_available()
    return {"python": platform.python_version(), "platform": platform.platform(),
            "cpu": platform.processor() or platform.machine(), "cpu_count": os.cpu_count() or 0,
            "torch_threads": torch.get_num_threads(),
            "device": torch.cuda.get_device_name(0) if cuda else "CPU (no CUDA device)"}


def git_commit(repo: str | Path = ".") -> str:
    """The checked-out commit, with '+changes' when the work tree differs from it."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=repo,
                               capture_output=True, text=True, check=True).stdout.strip()
        return head + ("+changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"


def models_trained(folder: str | Path) -> list[dict]:
    """Every model the section pages executed into a book used, as their ledgers list them
    (aelib.book.sections.Section.train writes <results_dir>/trained/<page>-*.json): section,
    config, cache key and how it was trained, in page order."""
    rows = []
    for path in sorted(Path(folder).glob("*.json")):
        ledger = json.loads(path.read_text())
        rows += [{"section": ledger["section"], **m} for m in ledger["models"]]
    return rows


def how_text(how: dict) -> str:
    """How a run was trained, in a few words: "cpu, 1 thread, 2 at once, channels-last"."""
    if not how:
        return "not recorded"
    parts = [how.get("device", "?")]
    if how.get("threads"):
        parts.append(f"{how['threads']} thread{'s' if how['threads'] > 1 else ''}")
    parts.append(f"{how.get('at_once', 1)} at once" if how.get("at_once", 1) > 1 else "alone")
    if how.get("stacked", 1) > 1:
        parts.append(f"{how['stacked']} stacked as one")
    if how.get("memory_format") == "channels_last":
        parts.append("channels-last")
    return ", ".join(parts)


def models_table(models: list[dict]):
    """One row per model a page used, in columns a reader can scan within the page's width:
    the page, the model, the recipe's distinguishing values, how it trained, its key's start."""
    import pandas as pd
    rows = [{"page": m["section"], "model": f"{m['config']['model']}-{m['config']['latent']}",
             "epochs": m["config"]["epochs"], "learning rate": f"{m['config']['lr']:g}", "seed": m["config"]["seed"],
             "training images": f"{m['config']['train_size']:,}" if m["config"].get("train_size") else "all",
             "trained with": how_text(m["how"]), "cache key": m["cache_key"][:12]} for m in models]
    return pd.DataFrame(rows, columns=["page", "model", "epochs", "learning rate", "seed", "training images",
                                       "trained with", "cache key"])
