"""Real processes, real kills: the cache survives interruption and concurrent use."""
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from aelib.runs import load_run, run_path
from aelib.config import TrainConfig

pytestmark = pytest.mark.slow

# Long enough to be killed mid-training (a few seconds of epochs), short enough for a test.
SLOW = TrainConfig(latent=32, hidden=256, epochs=15, lr=1e-3, train_size=4000, val_size=1000)

SCRIPT = textwrap.dedent("""
    import sys
    from aelib import runs as cache
    from aelib.config import TrainConfig
    from pathlib import Path
    from aelib.data import load_dataset
    real_train = cache.train
    def counting_train(*a, **k):
        print("training", flush=True)
        return real_train(*a, **k)
    cache.train = counting_train
    cfg = TrainConfig(**{cfg!r})
    run = cache.cached_run(cfg, load_dataset("mnist", root=Path(sys.argv[1]) / "datasets"), sys.argv[1])
    print("done", len(run.history.seconds), flush=True)
""")


def _start(cache_dir, cfg):
    code = SCRIPT.format(cfg={**cfg.to_dict(), "channels": tuple(cfg.channels)})
    return subprocess.Popen([sys.executable, "-c", code, str(cache_dir)], stdout=subprocess.PIPE, text=True,
                            start_new_session=True)


def test_kill_during_training_leaves_no_entry_and_the_rerun_finishes(mnist, cache_dir, tmp_path):
    shared = tmp_path / "cache"
    shared.mkdir()
    shutil.copytree(cache_dir / "datasets", shared / "datasets", copy_function=os.link)  # the data, no model
    proc = _start(shared, SLOW)
    assert proc.stdout.readline().strip() == "training"
    time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    path = run_path(shared, SLOW, mnist.sha256)
    assert not path.exists()
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    again = _start(shared, SLOW)
    out, _ = again.communicate(timeout=600)
    assert again.returncode == 0 and out.split() == ["training", "done", "15"]
    assert load_run(path, SLOW, mnist.sha256) is not None


def test_two_processes_needing_the_same_model_train_it_once(mnist, cache_dir, tmp_path):
    cfg = SLOW.replace(epochs=3)
    shared = tmp_path / "cache"
    shared.mkdir()
    shutil.copytree(cache_dir / "datasets", shared / "datasets", copy_function=os.link)
    procs = [_start(shared, cfg) for _ in range(2)]
    outs = [p.communicate(timeout=600)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert sum(o.split().count("training") for o in outs) == 1
    assert all(o.strip().endswith("done 3") for o in outs)
