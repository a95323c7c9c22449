"""tools/sharing.py: trainings at once and stacked, against one alone, on the executor make models uses."""
import argparse
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import sharing  # noqa: E402

from aelib.jobs.local import LocalExecutor, ProcessExecutor  # noqa: E402


def test_pairs_are_read_and_bad_ones_named():
    assert sharing.pairs("1x1,4x1,8x4") == [(1, 1), (4, 1), (8, 4)]
    for bad in ("", "4", "4x", "0x1", "2x2x2", "ax1"):
        with pytest.raises(argparse.ArgumentTypeError, match="WORKERSxSTACK"):
            sharing.pairs(bad)


def test_the_fastest_pair_is_the_best_over_every_kind():
    rows = [{"kind": k, "workers": w, "stack": s, "ratio": r}
            for k, w, s, r in [("mlp", 1, 1, 1.0), ("mlp", 4, 1, 3.0), ("mlp", 4, 4, 9.0),
                               ("conv", 1, 1, 1.0), ("conv", 4, 1, 3.0), ("conv", 4, 4, 0.5)]]
    assert sharing.best(rows) == (4, 1)  # 4x4 is far ahead for one kind, behind for the other


def test_the_executor_is_the_one_make_models_would_build():
    assert isinstance(sharing.executor(1, 2), LocalExecutor)
    ex = sharing.executor(2, 1)
    assert isinstance(ex, ProcessExecutor) and ex.slots == 2 and ex.devices == ["cpu"]


def test_throughput_trains_every_copy_and_counts_all_of_them(mnist, monkeypatch):
    seen = []
    real = sharing.plan
    monkeypatch.setattr(sharing, "plan", lambda jobs, cache, data: seen.append(len(jobs)) or real(jobs, cache, data))
    threads = torch.get_num_threads()
    try:
        rate = sharing.throughput("mlp", 1, 2, mnist, 128)
    finally:
        torch.set_num_threads(threads)  # the one-thread executor ran in this process: give the others theirs back
    assert seen == [sharing.UNITS_PER_WORKER * 2] and rate > 0


@pytest.mark.slow
def test_the_gpu_book_script_records_each_step_it_ran(tmp_path):
    """tools/gpu_book.sh with a pack holding nothing and only its tests step (skipped here): the
    record the Performance page reads names the device and the step's status and seconds."""
    import json
    import os
    import subprocess
    import tarfile
    root = Path(__file__).resolve().parent.parent
    (tmp_path / "site312").mkdir()
    with tarfile.open(tmp_path / "pack.tar.xz", "w:xz") as tar:
        tar.add(tmp_path / "site312", "site312")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    out = tmp_path / "out"
    done = subprocess.run(["bash", "tools/gpu_book.sh", str(tmp_path / "pack.tar.xz"), str(out), "tests"], cwd=root,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    record = json.loads((out / "gpu_book.json").read_text())
    assert list(record["steps"]) == ["tests"] and record["steps"]["tests"]["rc"] == 0
    assert record["device"] and record["date"] and "== tests: rc 0" in done.stdout
