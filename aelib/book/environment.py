"""What a reader needs to reproduce a page: packages, machine, commit, and the models used."""
from __future__ import annotations

import importlib.metadata
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


def models_used(results: dict, section: str) -> list[dict]:
    """Every (config, cache key) pair a section's results record, found wherever they sit: a
    `config`/`cache_key` pair, or parallel `configs`/`cache_keys` lists or mappings."""
    found = []

    def walk(node, where):
        if isinstance(node, dict):
            if "config" in node and "cache_key" in node:
                found.append({"section": section, "where": where, "config": node["config"], "key": node["cache_key"]})
            if "configs" in node and "cache_keys" in node:
                cfgs, keys = node["configs"], node["cache_keys"]
                pairs = zip(cfgs.values(), keys.values()) if isinstance(cfgs, dict) else zip(cfgs, keys)
                found.extend({"section": section, "where": where, "config": c, "key": k} for c, k in pairs)
            for k, v in node.items():
                walk(v, f"{where}.{k}" if where else k)
        elif isinstance(node, list):
            for v in node:
                walk(v, where)

    walk(results, "")
    return found
