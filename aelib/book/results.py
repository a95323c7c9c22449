"""Each section writes its numbers as JSON so that tests and other pages can read them."""
from __future__ import annotations

import json
import math
from pathlib import Path

from aelib.store import atomic_write


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


def read_json(path: str | Path) -> dict | None:
    """The file's contents, or None when it does not exist; a file that is not a JSON object
    raises ValueError naming it."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except ValueError as e:
        raise ValueError(f"{path} is not valid JSON: {e}") from e
    if not isinstance(data, dict):
        raise ValueError(f"{path} should hold a JSON object, not {type(data).__name__}")
    return data
