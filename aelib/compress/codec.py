"""The autoencoder as a real codec: image -> g_a -> y -> q = round(y / step) -> entropy-coded
bytes, and back: bytes -> q -> y_hat = q * step -> g_s -> x_hat.

A `Codec` is a trained network, a quantization step and a probability table (aelib.entropy):
- post-hoc ("mlp", "conv"): an ordinary autoencoder; `step` is given as a fraction of the
  training latents' standard deviation (pooled over dimensions) and the table is a smoothed
  per-dimension histogram of the training split's quantized latents;
- rate-aware ("rate", aelib.rate): step 1 (the model learned its own scale) and the table is its
  learned prior, discretized.

The bytes go in `.ael` files (aelib.compress.fileformat).
"""
from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import torch
from torch import nn

from aelib.compress import entropy
from aelib.compress.fileformat import (KEY_BYTES, MAX_IMAGES, SLACK_BITS, CorruptFile, MissingModel, read_header,
                                       write_header)
from aelib.config import TrainConfig
from aelib.data import Dataset, split, to_float
from aelib.models import update_digest
from aelib.runs import cache_key, load_run, run_path
from aelib.store import as_store, atomic_write
from aelib.train import Run

SYNTH_BLOCK = 64  # g_s always runs on blocks of exactly this many codes (see `Codec.synthesis`)
ANALYSIS_BATCH = 2048
# The codec record's own version, hashed into every codec's key: not the file format's version
# (fileformat.VERSION), so that files of every version still find the codecs that made them.
RECORD_FORMAT = 1


# --- the codec ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class CodecSpec:
    """What identifies a codec before it is fitted: the network's config and, for post-hoc
    models, the step relative to the latents' standard deviation."""
    config: TrainConfig
    step: float = 1.0  # post-hoc: fraction of the training latents' std; "rate": always 1 (integers)

    def __post_init__(self):
        if not (isinstance(self.step, (int, float)) and 0 < self.step <= 100):
            raise ValueError(f"step must be a number in (0, 100], got {self.step!r}")
        if self.config.model == "rate" and self.step != 1.0:
            raise ValueError("a rate model is quantized to integers: its step must be 1")

    @property
    def name(self) -> str:
        c = self.config
        setting = f"lambda {c.rate_lambda:g}" if c.model == "rate" else f"step {self.step:g}"
        return f"{c.model}-{c.latent} {setting}"

    def spec_id(self, data_sha256: str) -> str:
        blob = json.dumps({"run": cache_key(self.config, data_sha256), "step": float(self.step),
                           "format": RECORD_FORMAT}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()


@dataclass
class Codec:
    spec: CodecSpec
    data_sha256: str
    step: float  # the absolute quantization step: y_hat = q * step
    table: entropy.FactorizedTable
    model: nn.Module  # on the CPU, in eval mode

    @cached_property
    def digest(self) -> bytes:
        """sha256 of this exact codec: the run's cache key, the step, the table and the decoder's
        weights themselves (so a file never decodes with a network trained again differently).
        A file's check is bound to all of it."""
        h = hashlib.sha256(json.dumps({"run": cache_key(self.spec.config, self.data_sha256),
                                       "step": float(self.step), "format": RECORD_FORMAT}, sort_keys=True).encode())
        h.update(self.table.digest())
        update_digest(h, self.model, "g_s")
        return h.digest()

    @property
    def key(self) -> bytes:
        """The digest's first bytes, as a version-1 file names its codec: they name the codec's
        file in the cache (a version-2 file names only the first of them)."""
        return self.digest[:KEY_BYTES[1]]

    # -- the two halves of the network, and the quantizer
    @torch.inference_mode()
    def analysis(self, x: torch.Tensor) -> torch.Tensor:
        """y = g_a(x) for x (N, 1, 28, 28) in [0, 1]; (N, D) float32."""
        return torch.cat([self.model.encode(x[i:i + ANALYSIS_BATCH]) for i in range(0, len(x), ANALYSIS_BATCH)]) \
            if len(x) else torch.zeros(0, self.table.dims)

    def quantize(self, y: torch.Tensor) -> np.ndarray:
        """q = round(y / step), clipped to the table's range; (N, D) int32."""
        return self.table.clip(torch.round(y / self.step).to(torch.int64).numpy())

    @torch.inference_mode()
    def synthesis(self, q: np.ndarray) -> torch.Tensor:
        """x_hat = g_s(q * step), (N, 1, 28, 28). PyTorch's CPU kernels may round differently
        for different batch sizes, so g_s always runs on blocks of exactly SYNTH_BLOCK codes
        (the last one zero-padded): an image then decodes to the same bits whether it travels
        alone or with 9,999 others."""
        y_hat = torch.from_numpy(np.asarray(q, dtype=np.float32)) * self.step
        n = len(y_hat)
        padded = torch.cat([y_hat, y_hat.new_zeros(-n % SYNTH_BLOCK, y_hat.shape[1])])
        out = [self.model.decode(padded[i:i + SYNTH_BLOCK]) for i in range(0, len(padded), SYNTH_BLOCK)]
        return torch.cat(out)[:n] if out else torch.zeros(0, 1, 28, 28)

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """The in-memory quantized reconstruction g_s(q * step), which `decompress` must equal."""
        return self.synthesis(self.quantize(self.analysis(x)))

    # -- bytes
    def compress_symbols(self, q: np.ndarray) -> bytes:
        return write_header(self.digest, q) + entropy.encode(q, self.table)

    def compress(self, x: torch.Tensor) -> bytes:
        """All images of x (N, 1, 28, 28) as one file (one header, one range-coded stream)."""
        if not 1 <= len(x) <= MAX_IMAGES:
            raise ValueError(f"a file holds 1..{MAX_IMAGES} images, got {len(x)}")
        return self.compress_symbols(self.quantize(self.analysis(x)))

    def compress_each(self, x: torch.Tensor) -> list[bytes]:
        """One file per image."""
        q = self.quantize(self.analysis(x))
        return [self.compress_symbols(q[i:i + 1]) for i in range(len(q))]

    def decompress_symbols(self, blob: bytes) -> np.ndarray:
        h = read_header(blob)
        if h.key != self.digest[:len(h.key)]:
            raise MissingModel(f"made with model key {h.key.hex()}, but this codec's key is "
                               f"{self.digest[:len(h.key)].hex()}")
        payload = blob[h.size:]
        if h.count * self.table.min_bits() > 8 * len(payload) + SLACK_BITS:
            raise CorruptFile(f"damaged or truncated: {h.count} images cannot fit in {len(payload)} bytes")
        try:
            q = entropy.decode(payload, self.table, h.count)
        except entropy.EntropyError as e:
            raise CorruptFile(f"damaged or truncated: {e}") from None
        if h.expected_check(self.digest, q) != h.check:
            other = ", or made by another codec whose key begins the same" if h.version > 1 else ""
            raise CorruptFile(f"damaged or truncated{other}: the decoded data fails the file's check")
        return q

    def decompress(self, blob: bytes) -> torch.Tensor:
        """A file from `compress` or `compress_each` -> x_hat (N, 1, 28, 28)."""
        return self.synthesis(self.decompress_symbols(blob))

    # -- what a receiver must hold once
    def model_bytes(self) -> dict[str, int]:
        """float32 bytes of the decoder network (g_s and, for the conv models, g_s_linear) and of
        the probability table: sent once, before any file can be read."""
        dec = sum(p.numel() * p.element_size() for name, p in self.model.named_parameters()
                  if name.startswith("g_s"))
        return {"decoder": dec, "table": self.table.stored_bytes(),
                "total": dec + self.table.stored_bytes()}


# --- fitting, and the codec files in the cache ---------------------------------------------------

def training_latents(model: nn.Module, data: Dataset, cfg: TrainConfig) -> torch.Tensor:
    """g_a of the training split the model was trained on, (N, D) float32."""
    images = to_float(split(data, cfg.val_size, cfg.train_size).train)
    with torch.inference_mode():
        model.eval()
        return torch.cat([model.encode(images[i:i + ANALYSIS_BATCH]) for i in range(0, len(images), ANALYSIS_BATCH)])


def fit(spec: CodecSpec, run: Run, data: Dataset, y_train: torch.Tensor | None = None) -> Codec:
    """A codec for `spec` from its trained run: the step and table from the training split."""
    model = run.model(device="cpu")
    if spec.config.model == "rate":
        prior = model.entropy_bottleneck
        table = entropy.table_from_cdf(prior.cdf, *prior.support())
        return Codec(spec, data.sha256, 1.0, table, model)
    y = training_latents(model, data, spec.config) if y_train is None else y_train
    sigma = float(y.double().var(0).mean().sqrt())  # pooled over dimensions
    step = float(np.float32(spec.step * sigma))  # float32: what the file's codec record stores
    q = torch.round(y / step).to(torch.int64).numpy()
    return Codec(spec, data.sha256, step, entropy.fit_histogram(q), model)


def _codec_dir(cache_dir) -> Path:
    """The store's "codecs" folder. A codec file is named <spec id>-<codec key>.npz, so that a
    file's header (which carries the key) finds its codec."""
    return as_store(cache_dir).root / "codecs"


def save(codec: Codec, cache_dir) -> Path:
    path = _codec_dir(cache_dir) / f"{codec.spec.spec_id(codec.data_sha256)[:16]}-{codec.key.hex()}.npz"
    meta = {"format": RECORD_FORMAT, "config": codec.spec.config.to_dict(), "data_sha256": codec.data_sha256,
            "rel_step": codec.spec.step, "step": codec.step}
    buf = io.BytesIO()
    np.savez(buf, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8), lo=codec.table.lo,
             probs=codec.table.probs.astype(np.float32))
    with atomic_write(path) as tmp:
        tmp.write_bytes(buf.getvalue())
    return path


def _load_file(path: Path, cache_dir, run: Run | None = None) -> Codec:
    """The codec stored at `path`, its network from `run` when the caller has it loaded, else
    from the cache."""
    with np.load(path, allow_pickle=False) as z:
        meta = json.loads(bytes(z["meta"]).decode())
        # the stored float32 values are the fitted table's own (make_table rounds to float32):
        # taken as they are, not normalised again, so that the table and the codec's key come back
        # bit for bit
        table = entropy.FactorizedTable(np.asarray(z["lo"], dtype=np.int32), z["probs"].astype(np.float64))
    cfg = TrainConfig.from_dict(meta["config"])
    spec = CodecSpec(cfg, meta["rel_step"])
    path = run_path(cache_dir, cfg, meta["data_sha256"])
    if run is None or run.config != cfg:
        run = load_run(path, cfg, meta["data_sha256"])
    if run is None:
        raise MissingModel(f"the codec {spec.name} needs the trained model {path.name}, which is not in the "
                           f"cache {cache_dir}")
    return Codec(spec, meta["data_sha256"], float(meta["step"]), table, run.model(device="cpu"))


def is_cached(spec: CodecSpec, data_sha256: str, cache_dir) -> bool:
    """Whether the cache holds a fitted codec file for `spec` (for_spec then needs no latents)."""
    return any(_codec_dir(cache_dir).glob(f"{spec.spec_id(data_sha256)[:16]}-*.npz"))


def for_spec(spec: CodecSpec, run: Run, data: Dataset, cache_dir, y_train: torch.Tensor | None = None) -> Codec:
    """The codec for `spec` from the cache, or fitted now from `run` and stored there."""
    sid = spec.spec_id(data.sha256)[:16]
    for path in sorted(_codec_dir(cache_dir).glob(f"{sid}-*.npz")):
        try:
            codec = _load_file(path, cache_dir, run)
        except (OSError, ValueError, KeyError):
            continue  # unreadable or stale: fit again below
        if codec.key.hex() == path.stem.split("-")[1]:
            return codec
    codec = fit(spec, run, data, y_train)
    save(codec, cache_dir)
    return codec


def for_key(key: bytes, cache_dir) -> Codec:
    """The cached codec whose key (`Codec.key`) is `key`; MissingModel if there is none."""
    paths = sorted(_codec_dir(cache_dir).glob(f"*-{key.hex()}.npz"))
    if not paths:
        raise MissingModel(f"no codec with model key {key.hex()} in the cache {cache_dir}")
    return _load_file(paths[0], cache_dir)


def for_file(blob: bytes, cache_dir) -> tuple[Codec, np.ndarray]:
    """The cached codec that made the file `blob`, and the integers (N, D) it decodes to. The
    header names the first byte(s) of the codec's key, which several cached codecs may share:
    each of them decodes the file, and the one whose result passes the file's check (bound to
    its whole digest) made it. No such codec: MissingModel, or CorruptFile when every candidate
    is there and fails the check."""
    h = read_header(blob)
    paths = [p for p in sorted(_codec_dir(cache_dir).glob("*-*.npz")) if p.stem.split("-")[1].startswith(h.key.hex())]
    if not paths:
        raise MissingModel(f"no codec with model key {h.key.hex()} in the cache {cache_dir}")
    passed, missing, failed = [], [], []
    for path in paths:
        try:
            codec = _load_file(path, cache_dir)
        except (OSError, ValueError, KeyError) as e:  # its network left the cache, or a damaged codec file
            missing.append(e if isinstance(e, MissingModel) else f"the codec file {path.name} is unreadable ({e})")
            continue
        try:
            passed.append((codec, codec.decompress_symbols(blob)))
        except CorruptFile as e:
            failed.append(e)
    if len({c.digest for c, _ in passed}) == 1:  # one codec (perhaps stored twice)
        return passed[0]
    if passed:  # two codecs agreeing on this file's key byte and check: about once in 2^24 pairs
        raise CorruptFile(f"the file passes its check with {len(passed)} cached codecs of model key {h.key.hex()} "
                          f"({', '.join(c.spec.name for c, _ in passed)}): decode it with the codec that made it")
    if missing:  # the file may be one of theirs
        raise MissingModel(f"{missing[0]}" + (f" (and {len(failed)} other codec(s) of model key {h.key.hex()} "
                                              f"fail the file's check)" if failed else ""))
    if len(failed) == 1:
        raise failed[0]
    raise CorruptFile(f"damaged or truncated, or made by a codec this cache does not hold: none of the {len(failed)} "
                      f"cached codecs of model key {h.key.hex()} decodes it to data that passes its check")
