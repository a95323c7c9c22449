import json

import pytest
import torch
from torch import nn

from aelib import denoise
from aelib.results import plain


class Identity(nn.Module):  # moves exactly as its input does
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(()))  # reconstruct() needs a parameter to find the device

    def forward(self, x):
        return x.clone()


class Constant(nn.Module):  # ignores its input entirely
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(()))

    def forward(self, x):
        return torch.full_like(x, 0.5)


@pytest.fixture
def images():
    g = torch.Generator().manual_seed(1)
    return torch.rand(20, 1, 28, 28, generator=g)


def test_check_noise_factors_keeps_order_and_refuses_bad_values():
    assert denoise.check_noise_factors([0.3, 0.1, 1]) == [0.3, 0.1, 1.0]
    with pytest.raises(ValueError, match="noise_factors"):
        denoise.check_noise_factors([0.1, 1.5])
    with pytest.raises(ValueError, match="noise_factors"):
        denoise.check_noise_factors([-0.1])
    with pytest.raises(TypeError, match="noise_factors"):
        denoise.check_noise_factors([])
    with pytest.raises(TypeError, match="noise_factors"):
        denoise.check_noise_factors(["0.1"])


def test_check_seed():
    assert denoise.check_seed("noise_seed", 7) == 7
    with pytest.raises(ValueError, match="noise_seed"):
        denoise.check_seed("noise_seed", -1)
    with pytest.raises(TypeError, match="noise_seed"):
        denoise.check_seed("noise_seed", True)
    with pytest.raises(TypeError, match="noise_seed"):
        denoise.check_seed("noise_seed", 1.0)


def test_noisy_is_reproducible_clipped_and_shares_one_draw(images):
    a, b = denoise.noisy(images, 0.3, seed=5), denoise.noisy(images, 0.3, seed=5)
    assert torch.equal(a, b)
    assert not torch.equal(a, denoise.noisy(images, 0.3, seed=6))
    assert a.min() >= 0 and a.max() <= 1 and a.shape == images.shape
    assert torch.equal(denoise.noisy(images, 0.0, seed=5), images)
    # one draw z for every factor: away from the clip, (noisy - x) / f is the same z
    x = torch.full((1, 1, 28, 28), 0.5)
    z1 = (denoise.noisy(x, 0.01, 3) - x) / 0.01
    z2 = (denoise.noisy(x, 0.02, 3) - x) / 0.02
    inside = (z2.abs() < 20)
    assert torch.allclose(z1[inside], z2[inside], atol=1e-3)


def test_sensitivity_is_one_for_identity_and_zero_for_a_constant(images):
    x_noisy = denoise.noisy(images, 0.2, seed=0)
    assert denoise.sensitivity(x_noisy, images, x_noisy, images) == pytest.approx(1.0)
    const = torch.full_like(images, 0.5)
    assert denoise.sensitivity(const, const, x_noisy, images) == 0.0


def test_evaluate_scores_identity_like_the_noisy_input(images):
    factors = [0.1, 0.4]
    r = denoise.evaluate({"id": Identity(), "const": Constant()}, images, factors, seed=0, keep=3)
    assert r.noise == factors
    assert r.psnr["id"] == pytest.approx(r.psnr_noisy)
    assert r.ssim["id"] == pytest.approx(r.ssim_noisy)
    assert r.mse["id"] == pytest.approx(r.mse_noisy)
    assert r.sensitivity["id"] == pytest.approx([1.0, 1.0])
    assert r.sensitivity["const"] == [0.0, 0.0]
    assert r.psnr_noisy[0] > r.psnr_noisy[1]  # more noise, lower PSNR
    assert r.clean["id"]["psnr"] == pytest.approx(100.0)  # an exact copy, capped
    assert r.clean["const"]["spread"] == 0.0 and r.clean["id"]["spread"] > 0.2
    assert set(r.examples) == {0.0, 0.1, 0.4}
    assert r.examples[0.4]["noisy"].shape == (3, 1, 28, 28)
    assert torch.equal(r.examples[0.0]["noisy"], images[:3])
    scores = plain(r.scores())
    json.dumps(scores)  # JSON-safe, no tensors
    assert set(scores) >= {"noise", "psnr_noisy", "ssim_noisy", "psnr", "ssim", "sensitivity"}


def test_evaluate_is_cached_on_weights_and_images(images, tmp_path, monkeypatch):
    models = {"id": Identity(), "const": Constant()}
    first = denoise.evaluate(models, images, [0.1, 0.4], seed=0, keep=3, cache_dir=tmp_path)
    (stored,) = (tmp_path / "denoising").iterdir()
    calls = []
    monkeypatch.setattr(denoise, "reconstruct", lambda m, x: calls.append(m) or m(x))
    again = denoise.evaluate(models, images, [0.1, 0.4], seed=0, keep=3, cache_dir=tmp_path)
    assert not calls and again.scores() == first.scores()
    assert all(torch.equal(again.examples[f][n], first.examples[f][n])
               for f in first.examples for n in first.examples[f])
    with torch.no_grad():
        models["const"].w.fill_(1.0)  # other weights: another key, computed anew
    denoise.evaluate(models, images, [0.1, 0.4], seed=0, keep=3, cache_dir=tmp_path)
    assert len(calls) == 2 * 3
    stored.write_bytes(b"damaged")  # a damaged file is computed again, not trusted
    calls.clear()
    models["const"].w.data.zero_()
    assert denoise.evaluate(models, images, [0.1, 0.4], seed=0, keep=3, cache_dir=tmp_path).scores() == first.scores()
    assert len(calls) == 2 * 3


def test_evaluate_needs_a_model(images):
    with pytest.raises(ValueError, match="at least one model"):
        denoise.evaluate({}, images, [0.1], seed=0)


def test_onset_finds_where_a_failure_sets_in_and_stays():
    noise = [0.1, 0.2, 0.3, 0.4]
    assert denoise.onset(noise, [False, False, True, True]) == 0.3
    assert denoise.onset(noise, [True, False, True, True]) == 0.3  # an early blip does not count
    assert denoise.onset(noise, [True, True, True, True]) == 0.1
    assert denoise.onset(noise, [True, True, True, False]) is None
    assert denoise.onset([0.4, 0.1, 0.3, 0.2], [True, False, True, False]) == 0.3  # unsorted input
    with pytest.raises(ValueError, match="lengths differ"):
        denoise.onset(noise, [True])
