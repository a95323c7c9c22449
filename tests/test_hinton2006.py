"""The 2006 table (aelib.book.hinton2006) and the deep recipe that answers it."""
import numpy as np
import pytest
import torch

from aelib.bench import train_flops_per_image
from aelib.book import hinton2006 as hs
from aelib.book.common import training_cost
from aelib.book.claims import CANNOT, FAILS, HOLDS, NOISE
from aelib.book.sections import page_jobs
from aelib.config import TrainConfig
from aelib.models import DeepAutoencoder, count_parameters
from aelib.zoo import build_model
from aelib.train import _optimizer, train


def test_pca_reproduction_is_judged_on_the_stated_tolerance():
    assert hs.reproduces(13.90).outcome == HOLDS and hs.reproduces(13.75).outcome == HOLDS
    clipped = hs.reproduces(12.59)
    assert clipped.outcome == FAILS and "-1.28" in clipped.evidence


@pytest.mark.parametrize("errors, outcome", [
    (np.full(100, 2.5) + np.linspace(-0.1, 0.1, 100), HOLDS),  # interval wholly below 3.00
    (np.full(100, 3.5) + np.linspace(-0.1, 0.1, 100), FAILS),
    (np.linspace(1.0, 5.0, 100), NOISE),  # mean 3.0, wide interval
    (np.array([2.0]), CANNOT),
])
def test_beating_the_deep_autoencoder_needs_the_whole_interval_below(errors, outcome):
    assert hs.beats("ours", errors).outcome == outcome


def test_the_interval_is_the_normal_one():
    v = np.array([1.0, 2.0, 3.0, 4.0])
    mean, half = hs.mean_ci(v)
    assert mean == 2.5 and half == pytest.approx(1.96 * v.std(ddof=1) / 2)
    with pytest.raises(ValueError, match="no values"):
        hs.mean_ci(np.array([]))


def test_clipping_can_only_lower_pca_error():
    gen = torch.Generator().manual_seed(0)
    images = torch.zeros(250, 28, 28, dtype=torch.uint8)
    for i in range(250):
        r, c = torch.randint(0, 18, (2,), generator=gen)
        images[i, r:r + 10, c:c + 10] = 255  # a white square on black, as digits are strokes on black
    train_images, test = images[:200], images[200:].unsqueeze(1).float() / 255
    e = hs.pca_errors(hs.PCA.fit(train_images, 5), test)
    unclipped, clipped = e.values()
    assert (clipped <= unclipped + 1e-9).all() and (clipped < unclipped).any()
    assert next(iter(e)).startswith("PCA") and "unclipped" in next(iter(e))


def test_table_and_findings_off_mnist():
    ours = {"PCA, as in the paper (unclipped)": np.full(10, 13.9), "deep": np.full(10, 2.0)}
    table = hs.table(ours)
    assert list(table.index[:3]) == [f"{n} (2006)" for n in hs.PAPER] and table.loc["deep", "±"] == 0
    assert {v.outcome for v in hs.findings(ours, next(iter(ours)), applies=False, n_fit=50_000).values()} == {CANNOT}
    ours = {name: np.full(10_000, v[0]) for name, v in ours.items()}
    on_mnist = hs.findings(ours, next(iter(ours)), applies=True, n_fit=50_000)
    assert on_mnist["pca"].outcome == HOLDS and on_mnist["deep"].outcome == HOLDS


def test_a_pca_of_a_smaller_setup_than_the_papers_cannot_tell():
    """The quick profile's PCA (10,000 training images, 2,000 test digits) gave 14.40 against 13.87:
    not the paper's measurement, so neither a reproduction nor a failure to reproduce."""
    for n_fit, n_test in ((10_000, 10_000), (50_000, 2_000)):
        ours = {"PCA, as in the paper (unclipped)": np.full(n_test, 14.40), "deep": np.full(n_test, 2.0)}
        v = hs.findings(ours, next(iter(ours)), applies=True, n_fit=n_fit)["pca"]
        assert v.outcome == CANNOT and f"fitted on {n_fit:,} training images and measured on {n_test:,}" in v.evidence
        assert "our unclipped PCA gives 14.40 (+0.53" in v.evidence
    full = {"PCA, as in the paper (unclipped)": np.full(10_000, 14.40)}
    assert hs.findings(full, next(iter(full)), applies=True, n_fit=50_000)["pca"].outcome == FAILS


def test_training_cost_counts_every_epoch():
    cost = training_cost([1.0, 2.0], flops_per_image=1e6, images_per_epoch=1000)
    assert cost == {"seconds": 3.0, "epochs": 2, "tflop": 2e9 / 1e12}


def test_deep_model_has_the_paper_widths():
    model = DeepAutoencoder(30, 1000)
    linear = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linear] == [
        (784, 1000), (1000, 500), (500, 250), (250, 30), (30, 250), (250, 500), (500, 1000), (1000, 784)]
    x = torch.rand(4, 1, 28, 28)
    assert model(x).shape == (4, 1, 28, 28) and model.encode(x).shape == (4, 30)
    assert count_parameters(build_model(TrainConfig(model="deep", latent=30, hidden=1000))) == count_parameters(model)


def test_flop_count_leaves_the_model_in_its_mode_and_takes_any_model():
    model = DeepAutoencoder(30, 40).train()
    assert train_flops_per_image(model) > 0 and model.training
    cond = build_model(TrainConfig(model="cond", latent=16, train_noise=0.5, noise_range=True))
    assert train_flops_per_image(cond) > train_flops_per_image(build_model(TrainConfig(model="conv", latent=16)))


def test_deep_recipe_decays_the_learning_rate_to_zero():
    cfg = TrainConfig(model="deep", latent=8, hidden=40, lr=1e-2)
    model = build_model(cfg)
    opt, schedule = _optimizer(model, cfg, steps=10)
    lrs = []
    for _ in range(10):
        opt.step()
        schedule.step()
        lrs.append(opt.param_groups[0]["lr"])
    assert lrs[-1] == pytest.approx(0, abs=1e-12) and lrs == sorted(lrs, reverse=True)
    assert _optimizer(build_model(TrainConfig()), TrainConfig(), 10)[1] is None  # the report's recipe: constant


def test_deep_recipe_trains_and_is_deterministic(mnist):
    cfg = TrainConfig(model="deep", latent=8, hidden=64, epochs=2, lr=3e-3, batch_size=32, train_size=512, val_size=256)
    a, b = train(cfg, mnist, device="cpu"), train(cfg, mnist, device="cpu")
    assert a.history.val_loss[-1] < a.history.val_loss[0]
    assert all(torch.equal(a.snapshots[2][k], b.snapshots[2][k]) for k in a.snapshots[2])


def test_page_trains_the_shared_recipe_at_30_and_our_two_recipes():
    jobs = page_jobs("03b_thirty_numbers", {"deep_epochs": 3, "deep_hidden": 200, "conv_epochs": 7, "conv_lr": 5e-3})
    assert [(j.config.model, j.config.latent) for j in jobs] == [("mlp", 30), ("conv", 30), ("deep", 30), ("conv", 30)]
    deep, conv = jobs[2].config, jobs[3].config
    assert (deep.hidden, deep.epochs, deep.batch_size) == (200, 3, 128) and jobs[0].config.epochs == 10
    assert (conv.epochs, conv.lr, conv.lr_schedule, conv.batch_size) == (7, 5e-3, "cosine", 64)
    assert jobs[1].config.lr_schedule == "constant"  # the shared recipe's


def test_the_pretraining_sentence_follows_the_outcome():
    assert "No pretraining was needed" in hs.pretraining_text(hs.beats("ours", np.full(50, 2.0)))
    assert "do not get past" in hs.pretraining_text(hs.beats("ours", np.full(50, 4.0) + np.linspace(0, 0.1, 50)))
