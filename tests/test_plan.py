"""The training plan: merging, what the cache already holds, estimates, progress, local training."""
import io
import sys
from pathlib import Path

import pytest
import torch

from aelib.jobs import plan as P
from aelib.config import TrainConfig
from aelib.jobs.plan import (THROUGHPUT, Job, LocalExecutor, Plan, Progress, TrainingError, estimate_seconds,
                        images_per_second, plan, run_plan)

TINY = TrainConfig(train_size=256, val_size=128, epochs=1, latent=8)
TOOLS = Path(__file__).resolve().parent.parent / "tools"


@pytest.fixture(scope="session")
def data(mnist):
    return mnist


def with_data(cache: Path, data_root: Path) -> Path:
    """A fresh cache that sees the session's converted datasets (<cache>/datasets), as a page's would."""
    cache.mkdir(parents=True, exist_ok=True)
    (cache / "datasets").symlink_to(data_root, target_is_directory=True)
    return cache


def stored(cache: Path) -> list[str]:
    """The files under the cache's runs folder, temporary ones included, lock files not."""
    return sorted(p.name for p in (cache / "runs").iterdir() if p.suffix != ".lock") if (cache / "runs").exists() else []


def test_a_job_keeps_each_snapshot_once_and_refuses_one_past_the_end():
    assert Job(TINY.replace(epochs=3), [2, 0, 2]).snapshots == (0, 2)
    with pytest.raises(ValueError, match=r"snapshot epochs \[5\].*latent=8"):
        Job(TINY, (5,))


def test_duplicates_merge_and_the_cache_drops_what_it_serves(data, tmp_path):
    a, b = TINY.replace(epochs=2), TINY.replace(latent=4)
    todo = plan([Job(a, (0,)), Job(b), Job(a, (1,)), Job(a, (0,))], tmp_path, data)
    assert {j.config: j.snapshots for j in todo.todo} == {a: (0, 1), b: ()} and todo.cached == ()
    written = run_plan(todo)
    assert sorted(p.name for p in written) == stored(tmp_path) and len(written) == 2
    again = plan([Job(a, (1,)), Job(b)], tmp_path, data)
    assert again.todo == () and {j.config for j in again.cached} == {a, b}
    assert "2 models needed, 2 already in" in again.summary()
    # asking a stored run for a snapshot it lacks retrains it, keeping the snapshots it had
    more = plan([Job(b, (0,))], tmp_path, data)
    assert [j.snapshots for j in more.todo] == [(0, 1)]


def test_estimates_follow_the_measured_table_and_scale_with_the_work():
    for kind, table in THROUGHPUT.items():
        for latent, rate in table.items():
            assert images_per_second(kind, latent) == pytest.approx(rate)
    assert THROUGHPUT["mlp"][128] > images_per_second("mlp", 256) > THROUGHPUT["mlp"][512]  # log-log between
    assert images_per_second("mlp", 32768) == pytest.approx(THROUGHPUT["mlp"][16384] / 2)  # beyond: 1/size
    assert images_per_second("rate", 8) == pytest.approx(THROUGHPUT["rate"][32])  # below: the smallest size's figure
    full = TrainConfig(latent=128, lr=1e-3)  # 10 epochs on 50,000 images: 36-45 s in the record of 2026-11-28
    assert 35 < estimate_seconds(full) < 45
    no_val = dict(val_size=1)
    assert estimate_seconds(full.replace(epochs=20, **no_val)) == pytest.approx(
        2 * estimate_seconds(full.replace(**no_val)), rel=1e-3)
    assert estimate_seconds(full.replace(train_size=5000)) < estimate_seconds(full) / 5


def test_the_plan_puts_the_longest_first_and_says_how_long(data, tmp_path):
    jobs = [Job(TrainConfig(latent=16)), Job(TrainConfig(latent=16384)), Job(TrainConfig(model="conv", latent=64))]
    todo = plan(jobs, tmp_path, data)
    assert [j.config.latent for j in todo.todo] == [16384, 64, 16]
    assert list(todo.seconds) == sorted(todo.seconds, reverse=True)
    text = todo.summary()
    assert text.startswith("3 models needed, 0 already in") and "3 to train: about 2" in text  # ~21 min
    assert todo.wall_seconds(slots=3) == todo.seconds[0]  # the longest bounds it


def fake_plan(n=2, epochs=4):
    jobs = tuple(Job(TINY.replace(epochs=epochs, latent=k)) for k in range(1, n + 1))
    return Plan(jobs, tuple(10.0 for _ in jobs), (), Path("cache"), {})


def test_progress_on_a_terminal_redraws_one_line():
    out, now = io.StringIO(), [0.0]
    progress = Progress(fake_plan(), out, tty=True, clock_fn=lambda: now[0])
    now[0] = 3.0  # set-up (loading data) before the first model starts: not part of the pace
    progress.epoch(0, 0)
    now[0] = 8.0
    progress.epoch(0, 2)
    assert progress.fraction() == pytest.approx(0.25) and progress.eta() == pytest.approx(15.0)
    now[0] = 13.0
    progress.done(0, 10.0)
    progress.epoch(0, 4)  # a late event of a finished model changes nothing
    progress.epoch(1, 1)
    now[0] = 15.0
    progress.done(1, 2.0)
    progress.close()
    text = out.getvalue()
    assert "\r\x1b[K[#####...............]  25%  0/2 models  8.0 s elapsed, ETA 15 s  mlp-1 epoch 2/4" in text
    lines = text.split("\n")
    assert lines[-1] == "" and lines[-2] == "2 of 2 models done in 15 s (estimated 20 s)"
    assert sum("trained mlp-" in line for line in lines) == 2
    assert all(line.startswith("\r") for line in lines[:-2])  # nothing drawn outside the redrawn line


def test_progress_in_a_log_writes_one_line_per_model_and_none_when_silent():
    out, now = io.StringIO(), [0.0]
    progress = Progress(fake_plan(), out, clock_fn=lambda: now[0])  # StringIO is not a terminal
    for i in range(2):
        progress.epoch(i, 1)
        now[0] += 5
        progress.done(i, 5.0)
    progress.close()
    assert "\r" not in out.getvalue()
    assert out.getvalue().splitlines() == [
        "[1/2] trained mlp-1 epochs=4 train_size=256 val_size=128 (4 epochs) in 5.0 s, estimated 10 s; ETA 5.0 s",
        "[2/2] trained mlp-2 epochs=4 train_size=256 val_size=128 (4 epochs) in 5.0 s, estimated 10 s; ETA 0.0 s",
        "2 of 2 models done in 10 s (estimated 20 s)"]
    silent = Progress(fake_plan(), None)
    silent.epoch(0, 1), silent.done(0, 1.0), silent.close()  # no stream: nothing to write to, no error


def test_a_failing_training_names_its_config_and_the_others_are_stored(data, tmp_path, monkeypatch):
    real = P.train

    def train(cfg, *args, **kwargs):
        if cfg.latent == 4:
            raise FloatingPointError("the loss exploded")
        return real(cfg, *args, **kwargs)

    monkeypatch.setattr(P, "train", train)
    todo = plan([Job(TINY), Job(TINY.replace(latent=4))], tmp_path, data)
    out = io.StringIO()
    with pytest.raises(TrainingError, match=r"(?s)1 of 2 trainings failed:.*mlp-4 .*FloatingPointError: the loss "
                                            r"exploded.*TrainConfig\(.*latent=4"):
        run_plan(todo, out=out)
    assert "FAILED mlp-4" in out.getvalue()
    assert stored(tmp_path) == [todo.path(Job(TINY)).name]


def test_one_model_per_device_at_a_time(data, tmp_path):
    """The several-GPU path, with two CPU "devices": two threads, each run stored once."""
    jobs = [Job(TINY.replace(latent=k)) for k in (2, 3, 5)]
    todo = plan(jobs, tmp_path, data)
    written = run_plan(todo, LocalExecutor(["cpu", "cpu"]))
    assert sorted(p.name for p in written) == stored(tmp_path) and len(written) == 3
    assert plan(jobs, tmp_path, data).todo == ()


def test_a_local_run_is_the_training_itself(data, tmp_path):
    run_plan(plan([Job(TINY, (0,))], tmp_path, data))
    stored_weights = torch.load(plan([Job(TINY)], tmp_path, data).path(Job(TINY)), weights_only=True)["snapshots"]
    direct = P.train(TINY, data, (0,), "cpu").snapshots
    assert sorted(stored_weights) == [0, 1]
    assert all(torch.equal(direct[e][k], stored_weights[e][k]) for e in direct for k in direct[e])


@pytest.fixture
def models_cli(monkeypatch):
    """tools/models.py with a stand-in for aelib.book.sections.page_jobs that records its calls."""
    sys.path.insert(0, str(TOOLS))
    try:
        import models
    finally:
        sys.path.remove(str(TOOLS))
    calls = []
    fake = type(sys)("aelib.book.sections")

    def page_jobs(page, params):
        calls.append((page, params))
        return [Job(TINY), Job(TINY.replace(latent=4))] if page == "01_epochs" else [Job(TINY)]

    fake.page_jobs = page_jobs
    monkeypatch.setitem(sys.modules, "aelib.book.sections", fake)
    return models, calls


def test_the_command_line_plans_from_every_page(models_cli, data_root, tmp_path, capsys):
    models, calls = models_cli
    data_dir = with_data(tmp_path / "cache", data_root)
    assert models.main(["--profile", "tiny", "--cache", str(data_dir), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("profile tiny: 2 models needed, 0 already in") and "mlp-4 epochs=1" in out
    assert not (data_dir / "runs").exists()  # a dry run trains nothing
    # each page's source notebook, with its profile's values over the notebook's own defaults
    pages = [page for page, _ in calls]
    assert pages.count("04_foreign_images") == 1  # one page, both model kinds side by side
    assert dict(calls)["04_foreign_images"]["conv_latents"] == [16, 128]
    epochs = dict(calls)["01_epochs"]
    assert epochs["train_size"] == 1000 and epochs["latent"] == 128  # the tiny profile's value, the default
