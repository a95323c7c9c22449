"""Training a plan on a real Dask cluster: a scheduler and two worker processes on 127.0.0.1."""
import io
import os
import signal
import sys
import threading
import time
from functools import partial
from pathlib import Path

import pytest
import torch

distributed = pytest.importorskip("distributed")
pytestmark = pytest.mark.slow  # a real scheduler and two worker processes: about half a minute

from aelib.jobs.cluster import DaskExecutor, train_task  # noqa: E402
from aelib.config import TrainConfig  # noqa: E402
from aelib.jobs.plan import Job, Plan, TrainingError, plan, run_plan  # noqa: E402
from aelib.train import train  # noqa: E402

TINY = TrainConfig(train_size=256, val_size=128, epochs=1, latent=8)
TOOLS = Path(__file__).resolve().parent.parent / "tools"


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as c:
        yield c


@pytest.fixture(scope="session")
def data(mnist):
    return mnist


@pytest.fixture
def data_dir(cache_dir, tmp_path):
    """A fresh cache that sees the session's converted datasets (<cache>/datasets), as a page's would."""
    cache = tmp_path / "data"
    cache.mkdir()
    (cache / "datasets").symlink_to(cache_dir / "datasets", target_is_directory=True)
    return cache


def stored(cache: Path) -> list[str]:
    """Every file under the cache's runs folder, temporary files included (not the store's lock files,
    which stay beside each entry once it was written)."""
    return sorted(p.name for p in (cache / "runs").iterdir() if p.suffix != ".lock") if (cache / "runs").exists() else []


# Task functions for the tests: module level, so that the workers import them (tests/ is on the
# sys.path they inherit), with train_task's signature.

def stall_once(signal_dir, job, *args):
    """The first attempt records its worker's pid and waits to be killed; the next one trains."""
    try:
        fd = os.open(Path(signal_dir) / "claimed", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return train_task(job, *args)
    os.close(fd)
    (Path(signal_dir) / "pid.tmp").write_text(str(os.getpid()))
    os.replace(Path(signal_dir) / "pid.tmp", Path(signal_dir) / "pid")
    while True:
        time.sleep(0.05)


def fail_on_latent_4(job, *args):
    if job.config.latent == 4:
        raise RuntimeError("the loss exploded")
    return train_task(job, *args)


def test_a_plan_trains_on_the_cluster_like_here(cluster, data, tmp_path):
    jobs = [Job(TINY, (0,)), Job(TINY.replace(model="conv", channels=(4, 8)), ()), Job(TINY.replace(latent=4), ())]
    todo = plan(jobs, tmp_path, data)
    log = io.StringIO()
    # data_root None: each worker converts its own copy of the data; one torch thread per training
    with DaskExecutor(cluster.scheduler_address, threads=1) as ex:
        assert ex.slots == 2
        written = run_plan(todo, ex, out=log)
    assert sorted(p.name for p in written) == stored(tmp_path) == sorted(todo.path(j).name for j in jobs)
    assert "\r" not in log.getvalue() and log.getvalue().count("] trained ") == 3
    assert plan(jobs, tmp_path, data).todo == ()  # the book then trains nothing

    # Same device (CPU), same thread count, same bits: one torch thread here too. With two, the
    # convolutions sum their weight gradients in another order, and every weight of the conv
    # model downstream of them differs in the last bits (up to 1.5e-8 measured); the MLP's stay equal.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for job in todo.todo:
            stored_run = torch.load(todo.path(job), weights_only=True)
            assert stored_run["how"]["threads"] == 1 and stored_run["how"]["at_once"] == 2  # the record says how
            remote = stored_run["snapshots"]
            local = train(job.config, data, job.snapshots, "cpu").snapshots
            assert sorted(remote) == sorted(local)
            for epoch in local:
                for name, t in local[epoch].items():
                    assert torch.equal(t, remote[epoch][name]), (job.config, epoch, name)
    finally:
        torch.set_num_threads(threads)


def test_the_command_line_trains_through_a_scheduler(cluster, data_dir, monkeypatch, capsys):
    sys.path.insert(0, str(TOOLS))
    try:
        import models
    finally:
        sys.path.remove(str(TOOLS))
    fake = type(sys)("aelib.book.sections")
    fake.page_jobs = lambda page, params: [Job(TINY.replace(seed=1))] if page == "01_epochs" else []
    monkeypatch.setitem(sys.modules, "aelib.book.sections", fake)
    cache = data_dir  # its dataset is already converted: the command line reads it from there
    assert models.main(["--profile", "tiny", "--cache", str(cache), "--scheduler", cluster.scheduler_address]) == 0
    assert "1 models needed, 0 already" in capsys.readouterr().out
    assert len(stored(cache)) == 1 and stored(cache)[0].endswith(".pt")
    assert models.main(["--profile", "tiny", "--cache", str(cache), "--scheduler", cluster.scheduler_address]) == 0
    assert "none to train" in capsys.readouterr().out


def test_a_training_that_raises_names_its_config(cluster, data, cache_dir, tmp_path):
    jobs = [Job(TINY), Job(TINY.replace(latent=4))]
    with DaskExecutor(cluster.scheduler_address, retries=0, data_root=str(cache_dir),
                      task=fail_on_latent_4) as ex:
        with pytest.raises(TrainingError, match=r"(?s)1 of 2 trainings failed.*mlp-4 .*the loss exploded.*latent=4"):
            run_plan(plan(jobs, tmp_path, data), ex)
    assert stored(tmp_path) == [plan([jobs[0]], tmp_path, data).path(jobs[0]).name]  # the other one is kept


def test_a_worker_with_other_data_refuses(cluster, data, tmp_path):
    other = type("Other", (), {"name": "mnist", "sha256": "0" * 64})()
    todo = Plan((Job(TINY),), (1.0,), (), tmp_path, {"mnist": other})
    with DaskExecutor(cluster.scheduler_address, retries=0) as ex:
        with pytest.raises(TrainingError, match="sha256"):
            run_plan(todo, ex)
    assert stored(tmp_path) == []


def test_a_killed_worker_is_retried_and_leaves_no_file(cluster, data, cache_dir, tmp_path):
    signals = tmp_path / "signals"
    signals.mkdir()
    todo = plan([Job(TINY)], tmp_path / "cache", data)
    with DaskExecutor(cluster.scheduler_address, data_root=str(cache_dir),
                      task=partial(stall_once, str(signals))) as ex:
        result = {}
        thread = threading.Thread(target=lambda: result.update(paths=run_plan(todo, ex)), daemon=True)
        thread.start()
        deadline = time.monotonic() + 60
        while not (signals / "pid").exists():
            assert time.monotonic() < deadline, "the task never started"
            time.sleep(0.05)
        os.kill(int((signals / "pid").read_text()), signal.SIGKILL)  # a worker process this test's cluster started
        thread.join(timeout=90)
        assert not thread.is_alive(), "the plan did not finish after the worker died"
    assert [p.name for p in result["paths"]] == stored(tmp_path / "cache") == [todo.path(todo.todo[0]).name]
    assert plan([Job(TINY)], tmp_path / "cache", data).todo == ()
