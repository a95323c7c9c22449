"""Probability models for quantized latents, and entropy coding with `constriction`.

A latent code of D dimensions is quantized to integers q (N, D). Every dimension d gets its own
categorical distribution over the integers lo_d .. lo_d + K - 1 (a "factorized" model: the D
dimensions are coded as if independent), held as one table `probs` (D, K). Two ways to get it:

- `fit_histogram`: counted on the training set's quantized latents, with add-alpha smoothing
  (post-hoc quantization of an ordinary autoencoder);
- `table_from_cdf`: the discretized learned prior of a rate-aware model, p(k) = F(k + 1/2) -
  F(k - 1/2) (Ballé, Laparra and Simoncelli 2017).

Coding uses constriction's range coder (`constriction.stream.queue`), symbols in dimension-major
order (all images' dimension 0, then dimension 1, ...); for one image that is simply its D
symbols. A range coder emits whole 32-bit words; `encode` then keeps only as many bytes as the
decoder needs, reading the missing tail as zero bytes: that brings the cost of ending the
stream from ~13 bits on average (rounding up to a word) down to ~3 bits, which matters when a
whole image costs ~100 bits.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import constriction
import numpy as np

MAX_SYMBOLS = 4096  # widest per-dimension alphabet; a finer step than this allows is refused
WORD = 4  # bytes per constriction word
_Categorical = constriction.stream.model.Categorical


class EntropyError(ValueError):
    """Compressed data that cannot be decoded with this table."""


@dataclass(frozen=True)
class FactorizedTable:
    """One categorical distribution per latent dimension over lo_d .. lo_d + K - 1."""
    lo: np.ndarray  # (D,) int32: the smallest integer each dimension can take
    probs: np.ndarray  # (D, K) float64, rows sum to 1; zero beyond a dimension's own range

    def __post_init__(self):
        if self.probs.ndim != 2 or self.lo.shape != (self.probs.shape[0],):
            raise ValueError(f"table shapes do not match: lo {self.lo.shape}, probs {self.probs.shape}")
        if not np.isfinite(self.probs).all() or (self.probs < 0).any():
            raise ValueError("table probabilities must be finite and >= 0")

    @property
    def dims(self) -> int:
        return self.probs.shape[0]

    @property
    def symbols(self) -> int:
        return self.probs.shape[1]

    @property
    def hi(self) -> np.ndarray:
        return self.lo + self.symbols - 1

    def clip(self, q: np.ndarray) -> np.ndarray:
        """Integers outside the table's range moved to its nearest end (the quantizer's last step)."""
        return np.clip(q, self.lo, self.hi).astype(np.int32)

    def bits(self, q: np.ndarray) -> np.ndarray:
        """Information content -log2 p(q) of each row of q (N, D): the model's own estimate of
        the bits an ideal entropy coder would spend on each image."""
        idx = q - self.lo
        p = self.probs[np.arange(self.dims), idx]  # (N, D)
        return -np.log2(np.maximum(p, 2.0**-24)).sum(1)  # constriction's smallest probability

    def min_bits(self) -> float:
        """The fewest bits any one row can cost: every dimension at its likeliest value (its
        probability raised by what constriction's fixed-point rounding may add, 2^-24 a symbol)."""
        p_max = np.minimum(self.probs.max(1) + self.symbols * 2.0**-24, 1.0)
        return float(-np.log2(p_max).sum())

    def stored_bytes(self) -> int:
        """Bytes to ship the table as float32 plus the int32 offsets."""
        return self.probs.size * 4 + self.lo.size * 4

    def digest(self) -> bytes:
        """sha256 of the table exactly as the coder sees it."""
        h = hashlib.sha256(self.lo.astype("<i4").tobytes())
        h.update(self.probs.astype("<f8").tobytes())
        return h.digest()


def make_table(lo: np.ndarray, probs: np.ndarray) -> FactorizedTable:
    """A table whose probabilities are exactly what a float32 file gives back (so a table read
    from disk codes bit for bit like the one fitted in memory), rows normalised."""
    p = np.asarray(probs, dtype=np.float32).astype(np.float64)
    p /= p.sum(1, keepdims=True)
    return FactorizedTable(np.asarray(lo, dtype=np.int32), p.astype(np.float32).astype(np.float64))


def fit_histogram(q: np.ndarray, alpha: float = 0.5, margin: int = 2) -> FactorizedTable:
    """Per-dimension histograms of training integers q (N, D), widened by `margin` on each side
    and smoothed by adding `alpha` to every count, so that a value never seen in training still
    costs a finite number of bits."""
    q = np.asarray(q, dtype=np.int64)
    lo, hi = q.min(0) - margin, q.max(0) + margin
    k = int((hi - lo).max()) + 1
    if k > MAX_SYMBOLS:
        raise ValueError(f"the quantized latents span {k} integers, more than {MAX_SYMBOLS}: "
                         f"use a coarser quantization step")
    counts = np.zeros((q.shape[1], k))
    for d in range(q.shape[1]):
        counts[d, :hi[d] - lo[d] + 1] = np.bincount(q[:, d] - lo[d], minlength=hi[d] - lo[d] + 1) + alpha
    return make_table(lo, counts)


def table_from_cdf(cdf, lo: np.ndarray, hi: np.ndarray) -> FactorizedTable:
    """Discretize continuous per-dimension CDFs onto the integers lo_d .. hi_d: p(k) = F(k + 1/2)
    - F(k - 1/2), the tails below and above folded into the end bins. `cdf(v)` maps (D, M)
    points to (D, M) values in [0, 1]."""
    lo, hi = np.asarray(lo, dtype=np.int64), np.asarray(hi, dtype=np.int64)
    k = int((hi - lo).max()) + 1
    if k > MAX_SYMBOLS:
        raise ValueError(f"the prior spans {k} integers, more than {MAX_SYMBOLS}")
    width = hi - lo + 1  # (D,) integers each dimension can take
    j = np.arange(k + 1)[None, :]
    f = np.asarray(cdf(lo[:, None] + j - 0.5), dtype=np.float64)  # (D, K + 1) at the bin edges
    f = np.where(j == 0, 0.0, np.where(j >= width[:, None], 1.0, f))  # tails into the end bins
    f = np.maximum.accumulate(np.clip(f, 0.0, 1.0), axis=1)  # a CDF never decreases
    return make_table(lo, np.diff(f, axis=1))


# --- coding ------------------------------------------------------------------------------------

def _encode_words(idx: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Symbols idx (N, D) in 0..K-1 -> range-coded uint32 words, dimension-major."""
    enc = constriction.stream.queue.RangeEncoder()
    n, d = idx.shape
    if n * d * probs.shape[1] <= 1 << 20:  # small: one call with one table row per symbol
        enc.encode(np.ascontiguousarray(idx.T).reshape(-1).astype(np.int32), _Categorical(perfect=False),
                   np.repeat(probs, n, axis=0))
    else:  # large: one i.i.d. call per dimension (the same bits: perfect=False makes lazy moot)
        for j in range(d):
            enc.encode(np.ascontiguousarray(idx[:, j], dtype=np.int32), _Categorical(probs[j], perfect=False))
    return enc.get_compressed()


def _decode_words(words: np.ndarray, probs: np.ndarray, n: int) -> np.ndarray:
    dec = constriction.stream.queue.RangeDecoder(words)
    d = probs.shape[0]
    if n * d * probs.shape[1] <= 1 << 20:
        flat = dec.decode(_Categorical(perfect=False), np.repeat(probs, n, axis=0))
        return np.asarray(flat, dtype=np.int32).reshape(d, n).T
    return np.stack([np.asarray(dec.decode(_Categorical(probs[j], perfect=False), n), dtype=np.int32)
                     for j in range(d)], axis=1)


def _words(payload: bytes) -> np.ndarray:
    padded = payload + bytes(-len(payload) % WORD)  # the tail the encoder left off reads as zeros
    return np.frombuffer(padded, dtype=">u4").astype(np.uint32)


def encode(q: np.ndarray, table: FactorizedTable) -> bytes:
    """Integers q (N, D) within the table's range -> the shortest byte string that decodes back
    to them. Words are stored big-endian, so the least significant bytes come last and can be
    left off: the encoder tries the stream cut by 1, 2, ... bytes (rounded down, then up) and
    keeps the shortest cut that still decodes exactly."""
    q = np.asarray(q)
    if q.ndim != 2 or q.shape[1] != table.dims:
        raise ValueError(f"expected integers of shape (N, {table.dims}), got {q.shape}")
    if (q < table.lo).any() or (q > table.hi).any():
        raise ValueError("integers outside the table's range: clip them first (FactorizedTable.clip)")
    idx = (q - table.lo).astype(np.int32)
    full = _encode_words(idx, table.probs).astype(">u4").tobytes()
    best, value = full, int.from_bytes(full, "big")
    for cut in range(1, 2 * WORD):
        if cut >= len(full):
            break
        rest = len(full) - cut
        found = None
        for cand in (value >> (8 * cut), (value >> (8 * cut)) + 1):
            if cand < 256**rest:
                trial = cand.to_bytes(rest, "big")
                try:
                    ok = np.array_equal(_decode_words(_words(trial), table.probs, len(q)), idx)
                except Exception:  # constriction rejects data that cannot come from this table
                    ok = False
                if ok:
                    found = trial
                    break
        if found is None:
            break
        best = found
    return best


def decode(payload: bytes, table: FactorizedTable, n: int) -> np.ndarray:
    """Bytes from `encode` -> integers (n, D). Any input decodes to some integers in range or
    raises EntropyError; it is the caller's checksum that tells a right decode from a wrong one."""
    try:
        idx = _decode_words(_words(payload), table.probs, n)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # constriction's Rust panics arrive as pyo3's BaseException
        raise EntropyError(f"the entropy-coded data cannot be decoded ({e})") from None
    return idx + table.lo
