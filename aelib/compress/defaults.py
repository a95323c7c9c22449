"""The command line's one source of defaults: the codecs the book built.

The real-compression page (notebooks/05b_real_compression.ipynb) records in its cache which
codecs it built, with their measured PSNR and bytes, and the one it chose (ours nearest its
target PSNR). `python -m aelib encode` without `--codec` uses that choice; with `--codec
MODEL-LATENT` it takes the book's codec of that kind and size, and trains nothing new unless
asked. The training recipe is the book's when the record has one, else `TrainConfig`'s own
defaults: no default is written twice.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path

from aelib.compress.codec import CodecSpec
from aelib.config import MODEL_KINDS, TrainConfig
from aelib.store import atomic_write

RECORD = "book-codecs.json"  # in the cache folder, beside the trained models it names
RECIPE = ("dataset", "epochs", "lr", "batch_size", "seed", "train_size")  # what the CLI may change
PAGE = "05b_real_compression"
HOW_TO_BUILD = (f"build the book with this cache (`make book`, any PROFILE, or `make {PAGE}`), or name a "
                "codec with --codec MODEL-LATENT and its --step or --lambda")


class NoDefault(ValueError):
    """The options do not name a codec: the message says what to add."""


@dataclass(frozen=True)
class Built:
    """The codecs one execution of the page built, and the one it chose."""
    chosen: CodecSpec
    codecs: tuple[tuple[CodecSpec, float], ...]  # (spec, measured mean PSNR in dB)
    target_psnr: float


def record_path(cache_dir) -> Path:
    return Path(cache_dir) / RECORD


def record(cache_dir, chosen: CodecSpec, points: list[tuple[CodecSpec, dict]], target_psnr: float) -> Path:
    """Write which codecs the page built (each spec with its measured point) and its choice."""
    body = {"page": PAGE, "target_psnr": target_psnr, "chosen": _entry(chosen),
            "codecs": [{**_entry(s), "name": s.name, "psnr": p["psnr"], "bytes": p["bytes"]} for s, p in points]}
    path = record_path(cache_dir)
    with atomic_write(path) as tmp:
        tmp.write_text(json.dumps(body, indent=1) + "\n")
    return path


def _entry(spec: CodecSpec) -> dict:
    return {"config": spec.config.to_dict(), "step": spec.step}


def _spec(entry: dict) -> CodecSpec:
    return CodecSpec(TrainConfig.from_dict(entry["config"]), entry["step"])


def read(cache_dir) -> Built | None:
    """The record in `cache_dir`, or None when the page has not run with this cache; a damaged
    record raises ValueError naming it."""
    path = record_path(cache_dir)
    if not path.is_file():
        return None
    try:
        body = json.loads(path.read_text())
        return Built(_spec(body["chosen"]), tuple((_spec(e), float(e["psnr"])) for e in body["codecs"]),
                     float(body["target_psnr"]))
    except (ValueError, KeyError, TypeError) as e:
        raise ValueError(f"{path} is damaged ({type(e).__name__}: {e}): {HOW_TO_BUILD}") from None


def resolve(built: Built | None, codec: str | None = None, step: float | None = None,
            rate_lambda: float | None = None, **recipe) -> CodecSpec:
    """The codec the command line's options name. Nothing named: the book's choice. `codec`
    "MODEL-LATENT" (or only `step` / `rate_lambda`, for the chosen kind and size): the book's
    codec of that model and code size with that setting, or, with no setting given, the one
    nearest the book's target PSNR; if the book built none, a new codec, which then needs its
    `step` or `rate_lambda`. `recipe` (dataset, epochs, lr, batch_size, seed, train_size; None:
    unchanged) changes the training recipe."""
    unknown = set(recipe) - set(RECIPE)
    if unknown:
        raise ValueError(f"unknown recipe option(s) {sorted(unknown)}; allowed: {list(RECIPE)}")
    changes = {k: v for k, v in recipe.items() if v is not None}
    if codec is None:
        if built is None:
            raise NoDefault(f"no default codec: {HOW_TO_BUILD}")
        if step is None and rate_lambda is None:
            return _changed(built.chosen, changes)
        model, latent = built.chosen.config.model, built.chosen.config.latent
    else:
        model, latent = _parse(codec)
    rate = model == "rate"
    candidates = [(s, psnr) for s, psnr in (built.codecs if built else ())
                  if (s.config.model, s.config.latent) == (model, latent)
                  and (s.config.rate_lambda == rate_lambda if rate and rate_lambda is not None else True)
                  and (s.step == step if not rate and step is not None else True)]
    if candidates:
        spec = min(candidates, key=lambda c: abs(c[1] - built.target_psnr))[0]
        return _changed(spec, changes)
    setting = rate_lambda if rate else step
    if setting is None:
        made = ", ".join(s.name for s, _ in built.codecs) if built else "none: it has not run with this cache"
        raise NoDefault(f"codec {model}-{latent} is not one the book built (it built {made}): give its "
                        f"{'--lambda' if rate else '--step'}, and --train to train it")
    cfg = _recipe_of(built, model).replace(model=model, latent=latent, rate_lambda=setting if rate else 0.0)
    return _changed(CodecSpec(cfg, 1.0 if rate else step), changes)


def _parse(codec: str) -> tuple[str, int]:
    model, _, latent = codec.rpartition("-")
    if model not in MODEL_KINDS or not latent.isdigit():
        raise ValueError(f"codec {codec!r} is not MODEL-LATENT with MODEL one of {', '.join(MODEL_KINDS)} "
                         "(e.g. rate-32, conv-16)")
    return model, int(latent)


def _recipe_of(built: Built | None, model: str) -> TrainConfig:
    """The book's training recipe, its learning-rate schedule included (from a codec of the same
    model kind if it built one, else its choice); TrainConfig's defaults when there is no book."""
    if built is None:
        return TrainConfig()
    same = [s for s, _ in built.codecs if s.config.model == model]
    cfg = (same[0] if same else built.chosen).config
    keep = {f.name: getattr(cfg, f.name) for f in fields(TrainConfig) if f.name in (*RECIPE, "lr_schedule")}
    return TrainConfig(**keep)


def _changed(spec: CodecSpec, changes: dict) -> CodecSpec:
    if "train_size" in changes and changes["train_size"] == 0:
        changes = {**changes, "train_size": None}  # 0: all of the training split
    return CodecSpec(spec.config.replace(**changes), spec.step) if changes else spec
