"""The build's progress line, and the short texts it is made of (model names, clock times)."""
from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import fields

from aelib.config import TrainConfig


def describe(cfg: TrainConfig) -> str:
    """A short name for progress lines: kind-latent and the fields that differ from the defaults."""
    default = TrainConfig()
    diff = [f"{f.name}={getattr(cfg, f.name)}" for f in fields(cfg)
            if f.name not in ("model", "latent") and getattr(cfg, f.name) != getattr(default, f.name)]
    return " ".join([f"{cfg.model}-{cfg.latent}", *diff])


def clock(seconds: float) -> str:
    """4.2 s, 42 s, 4:02, 1:04:02; "?" for a time not known yet (NaN)."""
    if seconds != seconds:
        return "?"
    if seconds < 59.5:
        return f"{max(seconds, 0):.1f} s" if seconds < 9.95 else f"{seconds:.0f} s"
    s = round(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


class Progress:
    """One bar over the whole plan (an aelib.jobs.plan.Plan), weighted by the estimates, with each running model's epochs
    and an ETA calibrated by the progress so far. On a terminal it redraws one line with \\r;
    elsewhere (a log, CI) it writes one line per finished model. Safe to call from any thread."""

    def __init__(self, plan, out=None, slots: int = 1, tty: bool | None = None,
                 clock_fn: Callable[[], float] = time.monotonic):
        self.plan, self.out, self.slots, self.now = plan, out, slots, clock_fn
        self.tty = tty if tty is not None else bool(out is not None and getattr(out, "isatty", lambda: False)())
        self.running: dict[int, int] = {}  # index -> epochs done
        self.finished: set[int] = set()
        self.lock = threading.Lock()
        self.t0 = clock_fn()
        self.started: float | None = None  # the first model's start: the pace is measured from there
        self.total = sum(plan.weights)

    def epoch(self, i: int, epoch: int) -> None:
        with self.lock:
            if i not in self.finished:  # a worker's last event may arrive after its result
                self.running[i] = epoch
                self.started = self.now() if self.started is None else self.started
                self._draw()

    def done(self, i: int, seconds: float) -> None:
        job = self.plan.todo[i]
        epochs = f"{job.config.epochs} epoch{'s' if job.config.epochs != 1 else ''}"
        estimated = f", estimated {clock(self.plan.seconds[i])}" if self.plan.seconds is not None else ""
        self._finish(i, f"trained {describe(job.config)} ({epochs}) in {clock(seconds)}{estimated}")

    def failed(self, i: int, error: BaseException) -> None:
        self._finish(i, f"FAILED {describe(self.plan.todo[i].config)}: {type(error).__name__}: {error}")

    def close(self) -> None:
        if self.out is None:
            return
        with self.lock:
            elapsed = self.now() - self.t0
            if self.tty and self.plan.todo:
                self._draw()
                self.out.write("\n")
            if self.plan.todo:
                estimated = (f" (estimated {clock(self.plan.wall_seconds(self.slots))})"
                             if self.plan.seconds is not None else "")
                self.out.write(f"{len(self.finished)} of {len(self.plan.todo)} models done in {clock(elapsed)}"
                               f"{estimated}\n")
            else:
                self.out.write(f"nothing to train: all {len(self.plan.cached)} models are in {self.plan.cache_dir}\n")
            self.out.flush()

    def fraction(self) -> float:
        if not self.plan.todo:
            return 1.0
        w = self.plan.weights
        part = sum(w[i] for i in self.finished)
        part += sum(w[i] * e / max(self.plan.todo[i].config.epochs, 1)
                    for i, e in self.running.items())
        return min(part / self.total, 1.0)

    def eta(self) -> float:
        """Seconds left: the estimate until some work is done, then the pace since the first
        model started (set-up such as the workers' data loading is not work)."""
        f = self.fraction()
        if (f == 0 or self.started is None) and self.plan.seconds is None:
            return float("nan")
        if f == 0 or self.started is None:
            return self.plan.wall_seconds(self.slots) * (1 - f)
        return (self.now() - self.started) * (1 - f) / f

    def _finish(self, i: int, message: str) -> None:
        with self.lock:
            self.finished.add(i)
            self.running.pop(i, None)
            if self.out is None:
                return
            if self.tty:
                self.out.write("\r\x1b[K" + message + "\n")
                self._draw()
            else:
                self.out.write(f"[{len(self.finished)}/{len(self.plan.todo)}] {message}; ETA {clock(self.eta())}\n")
                self.out.flush()

    def _draw(self) -> None:
        if self.out is None or not self.tty:
            return
        f = self.fraction()
        bar = "#" * round(20 * f) + "." * (20 - round(20 * f))
        cfgs = [(self.plan.todo[i].config, e) for i, e in list(self.running.items())[:2]]
        running = ", ".join(f"{cfg.model}-{cfg.latent} epoch {e}/{cfg.epochs}" for cfg, e in cfgs) \
            + (f" +{len(self.running) - 2}" if len(self.running) > 2 else "")
        line = (f"[{bar}] {f:4.0%}  {len(self.finished)}/{len(self.plan.todo)} models  "
                f"{clock(self.now() - self.t0)} elapsed, ETA {clock(self.eta())}  {running}").rstrip()
        width = shutil.get_terminal_size((100, 24)).columns - 1
        self.out.write("\r\x1b[K" + line[:width])
        self.out.flush()
