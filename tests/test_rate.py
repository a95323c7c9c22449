import numpy as np
import pytest
import torch

from aelib.config import TrainConfig
from aelib.zoo import build_model
from aelib.compress.rate import FactorizedPrior, RateAutoencoder, bits_per_image
from aelib.train import train

TINY = TrainConfig(model="rate", latent=6, channels=(4, 8), epochs=1, lr=1e-3, train_size=256, val_size=128,
                   rate_lambda=1e-3)


def test_the_config_round_trips_with_its_lambda():
    assert TINY.to_dict()["rate_lambda"] == 1e-3 and TrainConfig.from_dict(TINY.to_dict()) == TINY


def test_the_models_loss_is_distortion_plus_lambda_times_rate():
    torch.manual_seed(0)
    model = build_model(TINY)
    x = torch.rand(4, 1, 28, 28)
    out = model.noisy_forward(x, torch.Generator().manual_seed(1))
    expected = torch.nn.functional.mse_loss(out["x_hat"], x) + 1e-3 * bits_per_image(out["likelihoods"]["y"])
    assert torch.allclose(model.loss(x, x, torch.Generator().manual_seed(1)), expected)


@pytest.mark.parametrize("kw", [{"model": "rate"}, {"model": "conv", "rate_lambda": 0.1},
                                {"model": "rate", "rate_lambda": -1.0}])
def test_lambda_goes_with_the_rate_model_only(kw):
    with pytest.raises(ValueError, match="rate_lambda"):
        TrainConfig(**kw)


def test_prior_is_a_distribution_over_the_integers():
    torch.manual_seed(0)
    prior = FactorizedPrior(3)
    k = torch.arange(-3000, 3001, dtype=torch.float32)  # the untrained prior is wide
    p = prior.likelihood(k[:, None].expand(-1, 3))  # (6001, 3)
    assert torch.allclose(p.sum(0), torch.ones(3), atol=1e-4)
    f = prior.cdf(np.tile(np.linspace(-3000, 3000, 101), (3, 1)))
    assert (np.diff(f, axis=1) >= 0).all() and (f[:, 0] < 0.01).all() and (f[:, -1] > 0.99).all()
    lo, hi = prior.support()
    assert (lo < 0).all() and (hi > 0).all()


def test_forward_rounds_and_noisy_forward_gives_likelihoods():
    torch.manual_seed(0)
    model = build_model(TINY).eval()
    assert isinstance(model, RateAutoencoder)
    x = torch.rand(5, 1, 28, 28)
    with torch.no_grad():
        assert torch.equal(model(x), model.decode(torch.round(model.encode(x))))
        out = model.noisy_forward(x, torch.Generator().manual_seed(0))
    assert out["x_hat"].shape == (5, 1, 28, 28) and out["likelihoods"]["y"].shape == (5, 6)
    assert float(bits_per_image(out["likelihoods"]["y"])) > 0


def test_training_is_deterministic_and_lambda_buys_fewer_bits(mnist):
    a, b = train(TINY, mnist, device="cpu"), train(TINY, mnist, device="cpu")
    for k in a.snapshots[1]:
        assert torch.equal(a.snapshots[1][k], b.snapshots[1][k])
    assert np.isfinite(a.history.train_loss).all() and not a.history.nonfinite
    x = mnist.test_images[:200].unsqueeze(1).float() / 255

    def bits(run):
        m = run.model()
        with torch.no_grad():
            return float(bits_per_image(m.entropy_bottleneck.likelihood(torch.round(m.encode(x)))))

    cheap = train(TINY.replace(rate_lambda=0.05, epochs=2), mnist, device="cpu")
    dear = train(TINY.replace(rate_lambda=1e-5, epochs=2), mnist, device="cpu")
    assert bits(cheap) < bits(dear)
