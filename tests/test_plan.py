"""The training plan: merging, what the cache already holds, estimates, progress, local training."""
import io
import sys
from pathlib import Path

import pytest
import torch

from aelib.jobs import estimate as E
from aelib.jobs import worker as W
from aelib.config import TrainConfig
from aelib.jobs.local import LocalExecutor, ProcessExecutor, default_executor
from aelib.jobs.plan import Job, Plan, Progress, TrainingError, plan, run_plan
from aelib.train import train

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
    written = run_plan(todo, LocalExecutor(["cpu"]))
    assert sorted(p.name for p in written) == stored(tmp_path) and len(written) == 2
    again = plan([Job(a, (1,)), Job(b)], tmp_path, data)
    assert again.todo == () and {j.config for j in again.cached} == {a, b}
    assert "2 models needed, 2 already in" in again.summary()
    # asking a stored run for a snapshot it lacks retrains it, keeping the snapshots it had
    more = plan([Job(b, (0,))], tmp_path, data)
    assert [j.snapshots for j in more.todo] == [(0, 1)]


def test_the_work_is_counted_and_the_time_follows_the_measured_speed():
    full = TrainConfig(latent=128, lr=1e-3)  # 10 epochs on 50,000 images
    assert E.train_flops(full) == pytest.approx(4_800_512 * 10 * 50_000)  # aelib.bench's count, per image
    assert E.train_flops(full.replace(seed=3, lr=1e-4)) == E.train_flops(full)
    assert E.speed_key(full.replace(seed=3, epochs=2, train_noise=0.3)) == E.speed_key(full.replace(train_noise=0.1))
    speed = (0.01, 1e-5)  # 10 ms a step, 10 us a validation image
    assert E.estimate_seconds(full, speed) == pytest.approx(0.01 * 10 * 782 + 1e-5 * 11 * 10_000)
    assert E.estimate_seconds(full.replace(epochs=20, val_size=1), speed) == pytest.approx(
        2 * E.estimate_seconds(full.replace(val_size=1), speed), rel=1e-3)


def test_a_speed_is_measured_from_real_steps(data):
    small, large = TrainConfig(latent=8, hidden=32), TrainConfig(latent=2048, hidden=2048)
    speeds = E.measure([small, large], data.train_images[:256])
    assert all(s[0] > 0 and s[1] > 0 for s in speeds.values())
    assert speeds[large][0] > 3 * speeds[small][0]  # ~70 times the FLOPs


def test_the_plan_puts_the_longest_first_and_says_how_long(data, tmp_path):
    jobs = [Job(TrainConfig(latent=16)), Job(TrainConfig(latent=16384)), Job(TrainConfig(model="conv", latent=64))]
    todo = plan(jobs, tmp_path, data)
    assert [j.config.latent for j in todo.todo] == [16384, 64, 16]  # by FLOPs
    assert todo.seconds is None and "3 to train (" in todo.summary() and "about" not in todo.summary()
    # measured speeds reorder it: here the small MLP is said to be the slowest
    speeds = {k: ((1.0 if k.latent == 16 else 0.01), 0.0) for k in todo.speed_keys()}
    timed = todo.timed(speeds)
    assert [j.config.latent for j in timed.todo] == [16, 16384, 64]
    assert list(timed.seconds) == sorted(timed.seconds, reverse=True) and timed.seconds[0] == 7820.0
    assert timed.flops == tuple(E.train_flops(j.config) for j in timed.todo)
    assert "about 2:12:56 (from" in timed.summary() and "about 2:10:20, 2 at once" in timed.summary(slots=2)
    assert timed.wall_seconds(slots=3) == timed.seconds[0]  # the longest bounds it
    assert timed.wall_seconds(slots=2) == timed.seconds[0]  # the two short ones share the other slot


def fake_plan(n=2, epochs=4):
    jobs = tuple(Job(TINY.replace(epochs=epochs, latent=k)) for k in range(1, n + 1))
    return Plan(jobs, tuple(1e9 for _ in jobs), (), Path("cache"), {}, tuple(10.0 for _ in jobs))


def test_progress_on_a_terminal_redraws_one_line(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # the line is cut to the terminal's width
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
    real = W.train

    def train(cfg, *args, **kwargs):
        if cfg.latent == 4:
            raise FloatingPointError("the loss exploded")
        return real(cfg, *args, **kwargs)

    monkeypatch.setattr(W, "train", train)
    todo = plan([Job(TINY), Job(TINY.replace(latent=4))], tmp_path, data)
    out = io.StringIO()
    with pytest.raises(TrainingError, match=r"(?s)1 of 2 trainings failed:.*mlp-4 .*FloatingPointError: the loss "
                                            r"exploded.*TrainConfig\(.*latent=4"):
        run_plan(todo, LocalExecutor(["cpu"]), out=out)
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
    run_plan(plan([Job(TINY, (0,))], tmp_path, data), LocalExecutor(["cpu"]))
    stored_weights = torch.load(plan([Job(TINY)], tmp_path, data).path(Job(TINY)), weights_only=True)["snapshots"]
    direct = train(TINY, data, (0,), "cpu").snapshots
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
    assert models.main(["--profile", "tiny", "--cache", str(data_dir), "--dry-run", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("profile tiny: 2 models needed, 0 already in") and "mlp-4 epochs=1" in out
    assert "(from training steps timed on this machine)" in out and out.rstrip().endswith("training on cpu")
    assert not (data_dir / "runs").exists()  # a dry run trains nothing
    # each page's source notebook, with its profile's values over the notebook's own defaults
    pages = [page for page, _ in calls]
    assert pages.count("04_foreign_images") == 1  # one page, both model kinds side by side
    assert dict(calls)["04_foreign_images"]["conv_latents"] == [16, 128]
    epochs = dict(calls)["01_epochs"]
    assert epochs["train_size"] == 1000 and epochs["latent"] == 128  # the tiny profile's value, the default


def one_thread_weights(cfg, data, snapshots=()):
    """What train() gives for cfg in this process on one thread (the workers' setting)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return train(cfg, data, snapshots, "cpu").snapshots
    finally:
        torch.set_num_threads(threads)


@pytest.mark.slow  # two worker processes start and import torch: about ten seconds
def test_worker_processes_train_what_this_process_trains_on_one_thread(data, tmp_path):
    """Two one-thread workers, two models each at once: every stored weight equals the one-thread
    training here, bit for bit, and each run's record says how it was trained."""
    cfgs = [TINY.replace(latent=k) for k in (3, 5)] + [TINY.replace(model="conv", latent=4, channels=(4, 8))]
    todo = plan([Job(c) for c in cfgs], tmp_path, data)
    ex = ProcessExecutor(2, threads=1)
    todo = todo.timed(ex.measure(todo))  # timed in the workers, which then train
    assert todo.seconds is not None and all(s > 0 for s in todo.seconds)
    run_plan(todo, ex)
    for cfg in cfgs:
        stored_run = torch.load(todo.path(Job(cfg)), weights_only=True)
        alone = one_thread_weights(cfg, data)
        assert all(torch.equal(alone[e][k], stored_run["snapshots"][e][k]) for e in alone for k in alone[e])
        assert stored_run["how"]["threads"] == 1 and stored_run["how"]["at_once"] == 2
        assert stored_run["how"]["memory_format"] == ("channels_last" if cfg.model == "conv" else "contiguous")


def test_the_executor_fits_the_machine():
    ex = default_executor(1)
    assert isinstance(ex, LocalExecutor) and ex.slots == 1  # a lone training keeps every core
    many = default_executor(10)
    cores = len(__import__("os").sched_getaffinity(0))
    assert many.slots == min(cores, 10) and (cores == 1 or isinstance(many, ProcessExecutor))
    assert default_executor(10, workers=3, threads=2).describe() == "3 worker processes of 2 threads each"
    with pytest.raises(ValueError, match="workers and threads must be >= 1"):
        ProcessExecutor(0)
    gpu = ProcessExecutor(8, devices=["cuda:0", "cuda:1"])  # built, not started: no GPU needed
    assert gpu.describe() == "8 worker processes of 1 thread each on cuda:0, cuda:1"
    with pytest.raises(ValueError, match="devices must name at least one device"):
        ProcessExecutor(2, devices=[])


def test_stackable_jobs_group_into_units_of_at_most_stack(data, tmp_path):
    seeds = [Job(TINY.replace(seed=s)) for s in range(3)]
    other = [Job(TINY.replace(latent=4)), Job(TINY.replace(model="deep", latent=4, hidden=16))]
    todo = plan(seeds + other, tmp_path, data)
    index = {j.config: i for i, j in enumerate(todo.todo)}
    assert todo.units() == [(i,) for i in range(5)]
    units = todo.units(stack=2)
    assert sorted(i for u in units for i in u) == list(range(5)) and max(map(len, units)) == 2
    assert sorted(len(u) for u in units) == [1, 1, 1, 2]
    (pair,) = [u for u in units if len(u) == 2]
    assert {todo.todo[i].config.seed for i in pair} <= {0, 1, 2} and index[other[1].config] not in pair
    with pytest.raises(ValueError, match="stack must be >= 1"):
        todo.units(0)


def test_a_stacked_unit_stores_each_member_under_its_own_key(data, tmp_path):
    cfgs = [TINY.replace(seed=s, lr=lr) for s, lr in [(0, 1e-4), (1, 1e-3), (2, 1e-4)]]
    todo = plan([Job(c, (0,)) for c in cfgs], tmp_path, data)
    ex = LocalExecutor(["cpu"], threads=1, stack=3)
    assert ex.describe() == "on cpu, up to 3 models stacked as one"
    assert len(run_plan(todo, ex)) == 3 and plan([Job(c, (0,)) for c in cfgs], tmp_path, data).todo == ()
    for cfg in cfgs:
        stored_run = torch.load(todo.path(Job(cfg)), weights_only=True)
        assert stored_run["how"]["stacked"] == 3 and sorted(stored_run["snapshots"]) == [0, 1]
        alone = one_thread_weights(cfg, data, (0,))
        assert all(torch.equal(alone[0][k], stored_run["snapshots"][0][k]) for k in alone[0])
        assert all(torch.allclose(alone[1][k], stored_run["snapshots"][1][k], atol=1e-5) for k in alone[1])
    with pytest.raises(ValueError, match="stack must be a whole number >= 1"):
        ProcessExecutor(2, stack=0)


def test_a_step_is_timed_at_its_median_repeat(monkeypatch):
    """The estimate takes the typical step, not the fastest one: an epoch pays the typical."""
    clock, durations = [0.0], iter([9.0, 9.0, 1.0, 5.0, 2.0])  # two warm-ups, then three timed
    monkeypatch.setattr(E.time, "perf_counter", lambda: clock[0])
    assert E._typical_time(lambda: clock.__setitem__(0, clock[0] + next(durations)), budget=0.0) == 2.0
