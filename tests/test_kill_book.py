"""Issue 7.7: the book build (tools/execute.py, what `make book` runs first) killed with SIGKILL
while a notebook trains, then run again, finishes with one good cache entry and no kernel left.

papermill's kernel runs in a session of its own (jupyter_client starts it with
start_new_session), so killing the build's process group does not reach it: the test kills the
build's group alone, where the orphaned kernel must notice and exit by itself, then both groups.
"""
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import psutil
import pytest

from aelib.book.sections import page_jobs
from aelib.runs import load_run, run_path
from aelib.config import TrainConfig

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
TAG = "AELIB_TEST_KILL_BOOK"
EPOCHS = list(range(11))  # one run of 10 epochs on 10,000 images: several seconds to kill it in
TRAIN_SIZE = 10_000
# What notebooks/01_epochs.ipynb builds from those parameters (its other parameters at their defaults).
VAL_SIZE = 1_000  # the tiny profile's validation split
CFG = TrainConfig(model="mlp", latent=128, lr=1e-4, batch_size=64, seed=0, train_size=TRAIN_SIZE,
                  val_size=VAL_SIZE, epochs=max(EPOCHS))


def _start_book(tmp, cache):
    """tools/execute.py on page 01 in a process group of its own, its environment (which the
    kernel inherits) tagged with `tmp` so that every process it starts can be found."""
    cmd = [sys.executable, str(ROOT / "tools" / "execute.py"), "01_epochs", "--profile", "tiny",
           "--out", str(tmp / "book"), "-p", "cache_dir", str(cache), "-p", "train_size", str(TRAIN_SIZE),
           "-p", "val_size", str(VAL_SIZE),
           "-p", "epochs", json.dumps(EPOCHS), "-p", "demo_epochs", "0"]  # the live demo's models: untrained, instant
    with open(tmp / "book.log", "a") as log:
        return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, TAG: str(tmp)},
                                start_new_session=True)


def _tagged(tmp):
    """The live processes started by _start_book(tmp, ...), its kernels included."""
    found = []
    for p in psutil.process_iter():
        try:
            if p.environ().get(TAG) == str(tmp):
                found.append(p)
        except psutil.Error:  # another user's process, or one that just exited
            pass
    return found


def _workers(tmp):
    """The training worker processes a page started (aelib.jobs.local: spawned by multiprocessing)."""
    return [p for p in _tagged(tmp) if "multiprocessing" in " ".join(p.cmdline())]


def _kernels(tmp):
    return [p for p in _tagged(tmp) if "ipykernel_launcher" in " ".join(p.cmdline())]


@pytest.fixture
def no_leftovers(tmp_path):
    """Whatever happens in the test, kill what it started (by pid, tagged with this tmp_path)."""
    yield
    for p in _tagged(tmp_path):
        try:
            p.kill()
        except psutil.Error:
            pass


def _gone(procs, timeout):
    _, alive = psutil.wait_procs(procs, timeout=timeout)
    return not alive


def _page_configs():
    """Every model page 01 trains with the test's parameters: CFG, then its live demo's two models."""
    import yaml
    tiny = yaml.safe_load((ROOT / "profiles" / "01_epochs.yaml").read_text())["tiny"]
    return [j.config for j in page_jobs("01_epochs", {**tiny, "train_size": TRAIN_SIZE, "epochs": EPOCHS,
                                                       "demo_epochs": 0})]


def _good_entries(runs, mnist):
    """Every file a reader of the cache would take as a model must load whole and be one the page
    trains, under its own name; returns the entries of CFG."""
    configs = {run_path(runs.parent, c, mnist.sha256): c for c in _page_configs()}
    entries = sorted(runs.glob("*.pt"))
    for p in entries:
        assert p in configs, f"unexpected cache entry {p.name}"
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # load_run warns (and returns None) on a corrupt file
            assert load_run(p, configs[p], mnist.sha256) is not None
    return [p for p in entries if configs[p] == CFG]


def _held(lock: Path) -> bool:
    """Whether a process holds this lock file (a training in progress holds its run's)."""
    try:
        with open(lock) as f:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except FileNotFoundError:
        return False
    return False  # closing the file let the lock go


def _kill_mid_training(tmp_path, cache, mnist, kill, deadline):
    """Start the page, kill it in its first epochs (`kill`: the build's process group, or the
    kernel's too), and check that nothing it started lives on and nothing is stored."""
    runs = cache / "runs"
    proc = _start_book(tmp_path, cache)
    # the page trains its three models as one planned job in worker processes (one alone would lock, then train)
    while not _workers(tmp_path) and not any(map(_held, runs.glob("*.pt.lock"))):
        assert proc.poll() is None, (tmp_path / "book.log").read_text()[-3000:]
        assert time.monotonic() < deadline, "training never started"
        time.sleep(0.05)
    time.sleep(2.0)  # into the first epochs
    kernels, workers = _kernels(tmp_path), _workers(tmp_path)
    assert len(kernels) == 1 and proc.poll() is None
    assert not run_path(cache, CFG, mnist.sha256).exists(), "trained before the kill: raise EPOCHS or TRAIN_SIZE"
    os.killpg(proc.pid, signal.SIGKILL)
    if kill == "build and kernel":
        os.killpg(os.getpgid(kernels[0].pid), signal.SIGKILL)
    proc.wait()
    assert _gone(kernels, timeout=20), f"the kernel outlived the killed build ({kill})"
    assert _gone(workers, timeout=20), ("a training worker outlived its kernel",
                                        [(p.pid, p.ppid(), p.cmdline()[-1][:80]) for p in workers if p.is_running()])
    assert not (tmp_path / "book" / "results" / "01_epochs.json").exists()  # killed before the page finished
    assert _good_entries(runs, mnist) == []  # killed mid-training: nothing stored under a final name
    stray = [p for p in runs.iterdir() if p.name.endswith(".tmp")] if runs.exists() else []  # workers store nothing
    assert not stray, stray


def test_killed_book_build_reruns_to_one_good_cache_entry(mnist, cache_dir, tmp_path, no_leftovers):
    """Killed twice, its build's process group alone (the orphaned kernel must notice and exit)
    and then with its kernel's, then run again to the end."""
    cache = tmp_path / "cache"
    cache.mkdir()
    shutil.copytree(cache_dir / "datasets", cache / "datasets", copy_function=os.link)  # the data, no model
    shutil.copytree(ROOT / "demos", tmp_path / "demos", ignore=shutil.ignore_patterns("data"))  # the live demo's files
    runs = cache / "runs"
    results = tmp_path / "book" / "results" / "01_epochs.json"
    deadline = time.monotonic() + 300
    for kill in ("build only", "build and kernel"):
        _kill_mid_training(tmp_path, cache, mnist, kill, deadline)

    again = _start_book(tmp_path, cache)
    seen = []  # the rerun's kernels, gathered while it runs
    while again.poll() is None:
        seen += [k for k in _kernels(tmp_path) if k not in seen]
        assert time.monotonic() < deadline + 600, "the rerun hangs"
        time.sleep(0.5)
    assert again.returncode == 0, (tmp_path / "book.log").read_text()[-3000:]
    assert seen and _gone(seen, timeout=20), "the rerun left its kernel running"
    assert (tmp_path / "book" / "01_epochs.ipynb").exists()
    out = json.loads(results.read_text())
    assert out["epochs"] == EPOCHS and TrainConfig.from_dict(out["config"]) == CFG
    (entry,) = _good_entries(runs, mnist)  # exactly one entry, whole, for this config
    run = load_run(entry, CFG, mnist.sha256)
    assert run.history.epochs_done == max(EPOCHS) and set(EPOCHS) <= set(run.snapshots)
    assert out["val_loss"] == run.history.val_loss  # the page shows the stored run
    assert _tagged(tmp_path) == []
