"""How many trainings at once, and how many models stacked as one, train fastest here.

    python tools/sharing.py [--pairs 1x1,4x1,8x1,8x4] [--kinds mlp,conv] [--images 25600]
                            [--cache .cache] [--json PATH]

For each kind (MLP and convolutional autoencoder, latent 128, batch 64) and each pair WxS of
`workers` W (trainings at once, each in its own process; 1: in this process) and `stack` S
(models trained as one, aelib.stack), it trains 3 x workers x stack copies that differ only in seed,
one epoch of `images` training images each, on the executor `make models` uses
(aelib.jobs.local), where it would train: the GPUs, or else the CPU's cores. Three units per
worker keep every worker busy through the middle one; the figure is workers x stack x `images`
over the median unit's epoch seconds (the time of its training steps, without the start of a
worker or the validation), in images per second of all trainings together, and its ratio to one
training alone (the first pair). Prints a table and the pair fastest over every kind (the
highest geometric mean of the ratios); --json writes the figures and that pair as `best`.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from aelib.book.environment import machine  # noqa: E402
from aelib.config import TrainConfig  # noqa: E402
from aelib.data import load_dataset  # noqa: E402
from aelib.jobs.local import default_executor  # noqa: E402
from aelib.jobs.plan import Job, plan  # noqa: E402

UNITS_PER_WORKER = 3


def executor(workers: int, stack: int):
    """The executor `make models WORKERS=workers THREADS=1 STACK=stack` builds here."""
    return default_executor(workers * stack * UNITS_PER_WORKER, workers, threads=1, stack=stack)


def throughput(kind: str, workers: int, stack: int, data, images: int) -> float:
    """Images per second of all trainings together (see the module's docstring)."""
    cfgs = [TrainConfig(model=kind, latent=128, train_size=images, val_size=1000, epochs=1, seed=s)
            for s in range(UNITS_PER_WORKER * workers * stack)]
    ex = executor(workers, stack)
    with tempfile.TemporaryDirectory() as cache:
        todo = plan([Job(c) for c in cfgs], cache, data)
        try:
            runs = [run for _, run in ex.run(todo, lambda i, epoch: None)]
        finally:
            getattr(ex, "close", lambda: None)()
    failed = [r for r in runs if isinstance(r, BaseException)]
    if failed:
        raise failed[0]
    unit_seconds = statistics.median(r.history.seconds[0] for r in runs)  # a stack's members share one time
    return workers * stack * images / unit_seconds


def pairs(text: str) -> list[tuple[int, int]]:
    try:
        out = [tuple(int(n) for n in t.split("x")) for t in text.split(",")]
    except ValueError:
        out = []
    if not out or any(len(p) != 2 or min(p) < 1 for p in out):
        raise argparse.ArgumentTypeError(f"expected pairs WORKERSxSTACK of whole numbers >= 1, like 1x1,4x1, got {text!r}")
    return out


def best(rows: list[dict]) -> tuple[int, int]:
    """The (workers, stack) with the highest geometric mean of its ratios over the kinds."""
    by_pair: dict[tuple[int, int], list[float]] = {}
    for r in rows:
        by_pair.setdefault((r["workers"], r["stack"]), []).append(r["ratio"])
    return max(by_pair, key=lambda p: statistics.geometric_mean(by_pair[p]))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", type=pairs, default=pairs("1x1,4x1,8x1,8x4"))
    ap.add_argument("--kinds", type=lambda t: t.split(","), default=["mlp", "conv"])
    ap.add_argument("--images", type=int, default=25_600, help="training images per training")
    ap.add_argument("--cache", type=Path, default=Path(".cache"), help="the book's cache (MNIST in <cache>/datasets)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    if args.images < 64:
        ap.error("images must be >= 64")
    data = load_dataset("mnist", root=args.cache / "datasets")
    device = machine()["device"]
    rows = []
    print(f"{device}: images per second of all trainings together, one epoch of {args.images} images each")
    print(f"{'kind':5} {'workers':>7} {'stack':>5} {'images/s':>10} {'x alone':>8} {'seconds':>8}")
    for kind in args.kinds:
        alone = None
        for workers, stack in args.pairs:
            t0 = time.perf_counter()
            rate = throughput(kind, workers, stack, data, args.images)
            alone = alone or rate
            rows.append({"kind": kind, "workers": workers, "stack": stack, "images_per_second": rate,
                         "ratio": rate / alone, "seconds": time.perf_counter() - t0})
            print(f"{kind:5} {workers:7} {stack:5} {rate:10.0f} {rate / alone:8.2f} {rows[-1]['seconds']:8.1f}",
                  flush=True)
    workers, stack = best(rows)
    print(f"fastest: {workers} at once, {stack} stacked")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"device": device, "images": args.images, "rows": rows,
                                         "best": {"workers": workers, "stack": stack}}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
