import math
import warnings

import pytest
import torch

from aelib import runs as cache
from aelib.runs import cache_key, cached_run, run_path, training_seconds
from aelib.config import TrainConfig
from aelib.data import to_float
from aelib.metrics import reconstruct
from aelib.train import train

SMALL = TrainConfig(latent=16, hidden=64, epochs=2, lr=1e-3, train_size=512, val_size=256, batch_size=64)


def test_training_lowers_the_loss(mnist):
    run = train(SMALL.replace(epochs=3), mnist, device="cpu")
    h = run.history
    assert len(h.val_loss) == 4 and len(h.train_loss) == 3 and len(h.seconds) == 3
    assert h.val_loss[-1] < 0.7 * h.val_loss[0]
    assert h.train_loss[-1] < h.train_loss[0]
    assert not h.diverged


@pytest.mark.parametrize("kind", ["mlp", "conv"])
def test_same_seed_same_weights_other_seed_other_weights(mnist, kind):
    cfg = SMALL.replace(model=kind, channels=(4, 8), epochs=1)
    a, b = train(cfg, mnist, device="cpu"), train(cfg, mnist, device="cpu")
    c = train(cfg.replace(seed=1), mnist, device="cpu")
    for k in a.snapshots[1]:
        assert torch.equal(a.snapshots[1][k], b.snapshots[1][k])
    assert any(not torch.equal(a.snapshots[1][k], c.snapshots[1][k]) for k in a.snapshots[1])


def test_snapshots_are_the_same_run(mnist):
    """The 1-epoch snapshot of a 2-epoch run equals a 1-epoch run: one run serves the sweep."""
    long = train(SMALL, mnist, snapshots=(0, 1), device="cpu")
    short = train(SMALL.replace(epochs=1), mnist, device="cpu")
    assert sorted(long.snapshots) == [0, 1, 2]
    for k in short.snapshots[1]:
        assert torch.equal(long.snapshots[1][k], short.snapshots[1][k])
    with pytest.raises(ValueError, match="snapshot epochs"):
        train(SMALL, mnist, snapshots=(5,), device="cpu")


def test_nonfinite_loss_stops_and_marks_diverged(mnist):
    run = train(SMALL.replace(lr=1e30, epochs=3), mnist, snapshots=(0,), device="cpu")
    assert run.history.diverged
    for state in run.snapshots.values():
        assert all(torch.isfinite(t).all() for t in state.values())


def test_cache_hit_trains_nothing_and_returns_identical_outputs(mnist, tmp_path, monkeypatch):
    first = cached_run(SMALL, mnist, tmp_path, snapshots=(0, 1))
    calls = []
    monkeypatch.setattr(cache, "train", lambda *a, **k: calls.append(1))
    second = cached_run(SMALL, mnist, tmp_path, snapshots=(1,))
    assert calls == []
    x = to_float(mnist.test_images[:50])
    assert torch.equal(reconstruct(first.model(), x), reconstruct(second.model(), x))
    assert second.history.val_loss == first.history.val_loss


def test_key_covers_the_whole_config_and_the_data():
    keys = {cache_key(SMALL, "a"), cache_key(SMALL.replace(lr=2e-3), "a"),
            cache_key(SMALL.replace(batch_size=32), "a"), cache_key(SMALL, "b"),
            cache_key(SMALL.replace(train_noise=0.3), "a"),
            cache_key(SMALL.replace(train_noise=0.3, noise_range=True), "a")}
    assert len(keys) == 6


def test_missing_snapshot_retrains_and_keeps_old_ones(mnist, tmp_path):
    cached_run(SMALL, mnist, tmp_path, snapshots=(0,))
    run = cached_run(SMALL, mnist, tmp_path, snapshots=(1,))
    assert sorted(run.snapshots) == [0, 1, 2]


def test_corrupt_checkpoint_is_reported_and_retrained(mnist, tmp_path):
    good = cached_run(SMALL, mnist, tmp_path)
    path = run_path(tmp_path, SMALL, mnist.sha256)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.warns(UserWarning, match="corrupt"):
        again = cached_run(SMALL, mnist, tmp_path)
    assert again.history.val_loss == good.history.val_loss
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cached_run(SMALL, mnist, tmp_path)  # the retrained file is whole again


def test_checkpoint_for_another_config_is_not_used(mnist, tmp_path):
    cached_run(SMALL, mnist, tmp_path)
    other = SMALL.replace(seed=7)
    run_path(tmp_path, other, mnist.sha256).write_bytes(run_path(tmp_path, SMALL, mnist.sha256).read_bytes())
    with pytest.warns(UserWarning, match="another config"):
        run = cached_run(other, mnist, tmp_path)
    assert run.config == other and math.isfinite(run.history.val_loss[-1])


def test_training_seconds_reads_every_stored_run(mnist, tmp_path):
    cached_run(SMALL, mnist, tmp_path)
    other = cached_run(SMALL.replace(epochs=1), mnist, tmp_path)
    (tmp_path / "runs" / "broken.pt").write_bytes(b"not a checkpoint")
    with pytest.warns(UserWarning, match="broken.pt is unreadable"):
        rows = training_seconds(tmp_path)
    assert sorted(r["config"]["epochs"] for r in rows) == [1, SMALL.epochs]
    assert rows[0]["seconds"] >= rows[1]["seconds"] > 0
    assert any(r["seconds"] == sum(other.history.seconds) for r in rows)
    one = run_path(tmp_path, SMALL.replace(epochs=1), mnist.sha256).name
    assert [r["config"]["epochs"] for r in training_seconds(tmp_path, only={one})] == [1]  # measure_build --added


def test_a_cosine_schedule_takes_the_rate_to_zero_by_the_last_step():
    from aelib.models import MLPAutoencoder
    from aelib.train import _optimizer
    cfg = SMALL.replace(lr_schedule="cosine")
    opt, schedule = _optimizer(MLPAutoencoder(16, 64), cfg, steps=4)
    rates = []
    for _ in range(4):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        schedule.step()
    assert rates[0] == cfg.lr and rates == sorted(rates, reverse=True)
    assert opt.param_groups[0]["lr"] == pytest.approx(0, abs=1e-12)
    assert _optimizer(MLPAutoencoder(16, 64), SMALL, steps=4)[1] is None  # the report's constant rate
