"""The noise-conditional denoiser: one model for every level, told the level as an input channel."""
import hashlib

import pytest
import torch

from aelib.book.claims import FAILS, HOLDS, NOISE, PARTLY
from aelib.config import TrainConfig
from aelib.denoise import bench
from aelib.book.denoising.claims import one_model_suffices
from aelib.denoise.conditional import AtLevel, ConditionalDenoiser
from aelib.models import update_digest
from aelib.noise import with_noise_level
from aelib.zoo import build_model
from aelib.train import train


def test_level_map_is_a_constant_second_channel():
    x = torch.rand(3, 1, 28, 28)
    one = with_noise_level(x, 0.3)
    assert one.shape == (3, 2, 28, 28) and torch.equal(one[:, :1], x) and (one[:, 1] == 0.3).all()
    per = with_noise_level(x, torch.tensor([0.1, 0.2, 0.3]))
    assert [float(per[i, 1].unique()) for i in range(3)] == pytest.approx([0.1, 0.2, 0.3])


def test_the_level_changes_the_output_and_the_identity():
    model = build_model(TrainConfig(model="cond", latent=16, train_noise=0.5, noise_range=True)).eval()
    assert isinstance(model, ConditionalDenoiser)
    x = torch.rand(2, 1, 28, 28)
    low, high = model.at_level(0.1), model.at_level(0.5)
    assert isinstance(low, AtLevel) and low(x).shape == (2, 1, 28, 28)
    assert not torch.allclose(low(x), high(x))
    digests = []
    for m in (low, high):
        h = hashlib.sha256()
        update_digest(h, m)
        digests.append(h.hexdigest())
    assert digests[0] != digests[1]  # the evaluation's cache tells the two levels apart


def test_conditional_needs_training_across_levels():
    with pytest.raises(ValueError, match="noise_range"):
        TrainConfig(model="cond", train_noise=0.5)


def test_conditional_trains_deterministically(mnist):
    cfg = TrainConfig(model="cond", latent=8, channels=(4, 8), epochs=1, lr=1e-3, train_size=256, val_size=128,
                      train_noise=0.5, noise_range=True)
    a, b = train(cfg, mnist, device="cpu"), train(cfg, mnist, device="cpu")
    assert a.history.val_loss[-1] < a.history.val_loss[0]
    assert all(torch.equal(a.snapshots[1][k], b.snapshots[1][k]) for k in a.snapshots[1])


def test_variants_join_the_benchmark_once_each():
    base = TrainConfig(lr=1e-3)
    args = (base, [0.1, 0.3], "gaussian", 64, 128, (16, 32, 32), 512, (16, 32, 32))
    each = bench.network_configs(*args, "each", one_model_epochs=20, one_model_lr=2e-3, variants=True)
    assert {"dae-conv-blind", "dae-conv-cond"} <= set(each)
    cond = each["dae-conv-cond"][0.1]
    assert (cond.model, cond.noise_range, cond.train_noise, cond.epochs) == ("cond", True, 0.3, 20)
    assert (cond.lr, cond.lr_schedule) == (2e-3, "cosine")  # the one-model recipe
    assert each["dae-conv-cond"][0.3] == cond  # one model for both factors
    assert each["dae-conv"][0.1].epochs == base.epochs  # the per-factor models keep the page's recipe
    blind = bench.network_configs(*args, "range", one_model_epochs=20, one_model_lr=2e-3, variants=True)
    assert "dae-conv-blind" not in blind and "dae-conv-cond" in blind  # dae-conv is itself the blind one
    assert blind["dae-conv"][0.1] == each["dae-conv-blind"][0.1]
    assert not {"dae-conv-blind", "dae-conv-cond"} & set(bench.network_configs(*args, "each", one_model_epochs=20))
    assert bench.dae_configs(base.replace(model="conv"), [0.2, 0.4], "gaussian", "conditional")[0.2].model == "cond"
    told = bench.network_configs(*args, "conditional", one_model_epochs=20, one_model_lr=2e-3, variants=True)
    assert "dae-conv-cond" not in told and "dae-conv-blind" in told
    # the one model that replaces the per-factor ones is the very model compared with them: one cache entry
    assert told["dae-conv"][0.1] == told["dae-conv"][0.3] == cond
    mlp = told["dae-mlp"][0.1]  # an MLP has no channel for the level: trained across the factors, blind
    assert (mlp.model, mlp.noise_range, mlp.train_noise, mlp.epochs) == ("mlp", True, 0.3, base.epochs)
    assert told["dae-mlp"][0.3] == mlp
    assert len(bench.distinct_configs(told)) == len(bench.distinct_configs(each)) - 2 * 2 + 1  # per-factor pairs gone
    with pytest.raises(ValueError, match="convolutional"):
        bench.dae_configs(base, [0.2], "gaussian", "conditional")


def test_networks_fix_the_level_of_a_conditional_model(mnist):
    cfg = TrainConfig(model="cond", latent=8, channels=(4, 8), epochs=0, train_size=64, val_size=64, train_noise=0.4,
                      noise_range=True)
    run = train(cfg, mnist, device="cpu")
    nets = bench.networks({"dae-conv-cond": {0.2: cfg, 0.4: cfg}}, {cfg: run})["dae-conv-cond"]
    assert float(nets[0.2].level) == pytest.approx(0.2) and float(nets[0.4].level) == pytest.approx(0.4)


@pytest.mark.parametrize("gain, ci, outcome", [
    ([-0.1, 0.0], [0.05, 0.05], HOLDS),
    ([-0.5, -0.6], [0.1, 0.1], FAILS),
    ([-0.1, -0.5], [0.05, 0.1], PARTLY),
    ([-0.1, -0.2], [0.05, 0.1], NOISE),
])
def test_one_model_is_judged_against_the_tolerance(gain, ci, outcome):
    v = one_model_suffices("dae-conv-cond", [0.1, 0.5], gain, ci, 150)
    assert v.outcome == outcome and "150 test digits" in v.evidence
