"""Each section writes its numbers as JSON so that tests and other pages can read them."""
from __future__ import annotations

import json
import math
from pathlib import Path

from .atomic import atomic_write


def plain(obj, json_safe: bool = True):
    """NumPy/torch scalars -> Python numbers, recursively; with `json_safe`, NaN/inf -> None
    (JSON has neither)."""
    if isinstance(obj, dict):
        return {str(k): plain(v, json_safe) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v, json_safe) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)):
        obj = obj.item()
    if json_safe and isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def write_results(results_dir: str | Path, stem: str, results: dict) -> Path:
    path = Path(results_dir) / f"{stem}.json"
    with atomic_write(path) as tmp:
        tmp.write_text(json.dumps(plain(results), indent=1) + "\n")
    return path


def read_results(results_dir: str | Path, stem: str) -> dict:
    path = Path(results_dir) / f"{stem}.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: execute notebooks/{stem}.ipynb first")
    return json.loads(path.read_text())
