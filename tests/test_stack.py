"""A stacked member trains as its lone training does: same initial weights and first batch,
weights equal to rounding after a step, the same validation error to within the seeds' spread."""
import pytest
import torch

from aelib.config import TrainConfig
from aelib.stack import stack_key, train_stacked
from aelib.train import train


@pytest.fixture(autouse=True)
def _threads_restored():
    """The tests train on one thread; the tests after them keep the thread count they had."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def _lone(cfgs, mnist, snapshots=()):
    torch.set_num_threads(1)  # the stacked and the lone runs sum over the same thread count
    return [train(c, mnist, snapshots) for c in cfgs]


MEMBERS = {  # one stack each: members that differ in seed, learning rate and noise factor
    "mlp": [TrainConfig(model="mlp", latent=16, seed=s, lr=lr, train_noise=f, epochs=1, train_size=64, val_size=512)
            for s, lr, f in [(0, 1e-4, 0.0), (1, 1e-3, 0.0), (2, 3e-4, 0.3)]],
    "conv": [TrainConfig(model="conv", latent=16, channels=(4, 8, 8), seed=s, lr=lr, train_noise=f, epochs=1,
                         train_size=64, val_size=512) for s, lr, f in [(0, 1e-4, 0.3), (5, 1e-3, 0.0)]],
    "mlp-cosine": [TrainConfig(model="mlp", latent=16, seed=s, lr=1e-3, lr_schedule="cosine", epochs=2, train_size=64,
                               val_size=512) for s in (0, 1)],  # its second epoch at the cosine's lower rate
    "cond": [TrainConfig(model="cond", latent=16, channels=(4, 8, 8), seed=s, train_noise=0.5, noise_range=True,
                         epochs=1, train_size=64, val_size=512) for s in (0, 1)],
}


@pytest.mark.parametrize("kind", sorted(MEMBERS))
def test_a_member_after_one_step_is_its_lone_training(mnist, kind):
    cfgs = MEMBERS[kind]  # train_size == batch_size: one epoch is one step
    torch.set_num_threads(1)
    stacked = train_stacked(cfgs, mnist, [(0, 1)] * len(cfgs), device="cpu")
    for run, lone in zip(stacked, _lone(cfgs, mnist, (0, 1))):
        assert run.config == lone.config and run.how["stacked"] == len(cfgs)
        for name, w in lone.snapshots[0].items():  # the same initial weights, to the bit
            assert torch.equal(run.snapshots[0][name], w), name
        # the first batch and its noise: the same loss before the step
        assert run.history.train_loss[0] == pytest.approx(lone.history.train_loss[0], rel=1e-6)
        for name, w in lone.snapshots[1].items():
            assert torch.allclose(run.snapshots[1][name], w, rtol=0, atol=1e-5), name
        assert run.history.val_loss == pytest.approx(lone.history.val_loss, rel=1e-5)


@pytest.mark.slow
def test_stacked_seeds_end_within_their_spread(mnist):
    """Two epochs on 4,000 digits: each member's final validation error is its lone training's
    to well within what a change of seed moves it."""
    cfgs = [TrainConfig(model="mlp", latent=16, seed=s, epochs=2, train_size=4000, val_size=2000) for s in (0, 1, 2)]
    torch.set_num_threads(1)
    stacked = [r.history.val_loss[-1] for r in train_stacked(cfgs, mnist, device="cpu")]
    lone = [r.history.val_loss[-1] for r in _lone(cfgs, mnist)]
    spread = max(lone) - min(lone)
    assert spread > 0
    assert max(abs(a - b) for a, b in zip(stacked, lone)) < spread / 2


def test_only_configs_that_differ_in_seed_lr_and_noise_stack(mnist):
    a = TrainConfig(model="mlp", latent=16, epochs=1, train_size=64)
    assert stack_key(a) == stack_key(TrainConfig(model="mlp", latent=16, epochs=1, train_size=64, seed=3, lr=1e-3,
                                                 train_noise=0.2))
    assert stack_key(a) != stack_key(TrainConfig(model="mlp", latent=32, epochs=1, train_size=64))
    assert stack_key(TrainConfig(model="deep", latent=16)) is None  # its own optimiser and batch statistics
    assert stack_key(TrainConfig(model="rate", latent=16, rate_lambda=1e-4)) is None  # its own loss
    with pytest.raises(ValueError, match="cannot train as one stack"):
        train_stacked([a, TrainConfig(model="mlp", latent=32, epochs=1, train_size=64)], mnist)
    with pytest.raises(ValueError, match="snapshot epochs"):
        train_stacked([a], mnist, [(5,)])


def test_a_member_whose_loss_turns_nonfinite_stops_alone(mnist, monkeypatch):
    from aelib import stack
    real, calls = stack._val_loss, []

    def val_loss(model, val, noise, seed, *args):  # member seed=1 turns NaN after its first epoch
        calls.append(seed)
        return float("nan") if seed == 1 and calls.count(1) == 2 else real(model, val, noise, seed, *args)
    monkeypatch.setattr(stack, "_val_loss", val_loss)
    cfgs = [TrainConfig(model="mlp", latent=16, epochs=3, train_size=128, val_size=256, seed=s) for s in (0, 1)]
    torch.set_num_threads(1)
    good, bad = train_stacked(cfgs, mnist, [(1,), (1,)], device="cpu")
    assert bad.history.nonfinite and bad.history.epochs_done == 1 and not bad.snapshots
    assert good.history.epochs_done == 3 and set(good.snapshots) == {1, 3}
    assert good.history.val_loss == pytest.approx(_lone(cfgs[:1], mnist)[0].history.val_loss, rel=1e-5)
