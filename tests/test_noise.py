import math

import pytest
import torch

from aelib.config import check_float_list
from aelib.noise import NOISE_KINDS, add_noise, background_mean, check_noise_factor, check_noise_kind, check_seed, noisy_copy


def _images(n=64, seed=0):
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("kind", NOISE_KINDS)
@pytest.mark.parametrize("factor", [0.0, 0.1, 0.6, 1.0])
def test_values_stay_in_range(kind, factor):
    y = add_noise(_images(), factor, torch.Generator().manual_seed(1), kind)
    assert y.shape == (64, 1, 28, 28) and y.dtype == torch.float32
    assert y.min() >= 0 and y.max() <= 1


def test_gaussian_is_clipped_x_plus_f_z():
    x = _images(8)
    z = torch.randn(x.shape, generator=torch.Generator().manual_seed(3))
    y = add_noise(x, 0.3, torch.Generator().manual_seed(3))
    assert torch.allclose(y, (x + 0.3 * z).clamp(0, 1))


@pytest.mark.parametrize("rate", [0.05, 0.3, 0.6])
def test_salt_pepper_rate_and_balance(rate):
    x = torch.full((200, 1, 28, 28), 0.5)  # 0.5 is neither salt nor pepper
    y = add_noise(x, rate, torch.Generator().manual_seed(0), "salt-pepper")
    hit = y != 0.5
    n = hit.numel()
    assert abs(hit.float().mean().item() - rate) < 4 * math.sqrt(rate * (1 - rate) / n)
    assert set(torch.unique(y[hit]).tolist()) == {0.0, 1.0}
    assert abs((y[hit] == 1).float().mean().item() - 0.5) < 0.02
    assert torch.equal(add_noise(x, 0.0, None, "salt-pepper"), x)


@pytest.mark.parametrize("kind", NOISE_KINDS)
def test_noisy_copy_is_reproducible_and_seeded(kind):
    x = _images(16)
    a, b = noisy_copy(x, 0.3, 7, kind), noisy_copy(x, 0.3, 7, kind)
    assert torch.equal(a, b)
    assert not torch.equal(a, noisy_copy(x, 0.3, 8, kind))
    assert torch.equal(x, _images(16))  # the clean images are left alone


def test_noisy_copy_shares_one_draw_across_factors():
    # away from the clip, (noisy - x) / f is the same z at every factor
    x = torch.full((1, 1, 28, 28), 0.5)
    z1 = (noisy_copy(x, 0.01, 3) - x) / 0.01
    z2 = (noisy_copy(x, 0.02, 3) - x) / 0.02
    assert torch.allclose(z1, z2, atol=1e-3)
    assert torch.equal(noisy_copy(x, 0.0, 3), x)


def test_the_pages_check_of_noise_factors_keeps_order_and_reads_text():
    def check_noise_factors(values):  # as the denoising pages and the evaluation check them
        return check_float_list("noise_factors", values, 0.0, 1.0)
    assert check_noise_factors([0.3, 0.1, 1]) == [0.3, 0.1, 1.0]
    assert check_noise_factors("[0.1, 0.5]") == [0.1, 0.5]  # what papermill's -p delivers
    with pytest.raises(ValueError, match="noise_factors"):
        check_noise_factors([0.1, 1.5])
    with pytest.raises(ValueError, match="noise_factors"):
        check_noise_factors([-0.1])
    with pytest.raises(TypeError, match="noise_factors"):
        check_noise_factors([])
    with pytest.raises(TypeError, match="noise_factors"):
        check_noise_factors(["0.1"])


def test_check_seed_and_noisy_copy_refuse_bad_seeds():
    assert check_seed("noise_seed", 7) == 7 and check_seed("noise_seed", 2**63 - 1) == 2**63 - 1
    with pytest.raises(ValueError, match="noise_seed must be in \\[0, 2\\*\\*63 - 1\\]"):
        check_seed("noise_seed", -1)
    with pytest.raises(ValueError, match="noise_seed"):
        check_seed("noise_seed", 2**63)
    with pytest.raises(TypeError, match="noise_seed must be an int"):
        check_seed("noise_seed", True)
    with pytest.raises(TypeError, match="noise_seed must be an int"):
        check_seed("noise_seed", 1.0)
    with pytest.raises(ValueError, match="noise seed"):
        noisy_copy(_images(1), 0.1, -3)


def test_clipped_gaussian_noise_is_one_sided_on_black():
    black = torch.zeros(200, 1, 28, 28)
    f = 0.3
    bias = background_mean(black, noisy_copy(black, f, 0))
    # E[max(0, f z)] = f / sqrt(2 pi) for z ~ N(0, 1); 156,800 pixels put the mean within 0.002
    assert bias == pytest.approx(f / math.sqrt(2 * math.pi), abs=2e-3)
    mid = torch.full((200, 1, 28, 28), 0.5)
    mid[:, :, 0, 0] = 0.0  # a few background pixels among grey ones: only those are averaged
    assert background_mean(mid, mid) == 0.0
    assert abs(background_mean(mid, noisy_copy(mid, 0.01, 1)) - 0.01 / math.sqrt(2 * math.pi)) < 2e-3
    assert math.isnan(background_mean(torch.ones(2, 1, 4, 4), torch.ones(2, 1, 4, 4)))
    with pytest.raises(ValueError, match="shapes differ"):
        background_mean(black, black[:3])


@pytest.mark.parametrize("kind", NOISE_KINDS)
def test_per_image_factors_match_one_factor_at_a_time(kind):
    x = _images(3)
    factors = torch.tensor([0.0, 0.2, 0.7])
    y = add_noise(x, factors, torch.Generator().manual_seed(5), kind)
    # each image gets its own factor from the same draws: factor 0 leaves an image unchanged
    assert torch.equal(y[0], x[0]) and not torch.equal(y[2], x[2])
    same = add_noise(x, 0.2, torch.Generator().manual_seed(5), kind)
    assert torch.equal(y[1], same[1])
    with pytest.raises(ValueError, match="per-image noise factors.*shape \\(3,\\)"):
        add_noise(x, torch.tensor([0.1, 0.2]))
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        add_noise(x, torch.tensor([0.1, 0.2, 1.5]))


def test_salt_pepper_corruptions_are_nested_across_rates():
    x = torch.full((4, 1, 28, 28), 0.5)
    low, high = noisy_copy(x, 0.1, 0, "salt-pepper"), noisy_copy(x, 0.4, 0, "salt-pepper")
    assert ((low != 0.5) <= (high != 0.5)).all()


def test_bad_kind_and_factor_are_named():
    x = _images(2)
    with pytest.raises(ValueError, match="noise kind.*'speckle'"):
        add_noise(x, 0.1, None, "speckle")
    with pytest.raises(ValueError, match="noise kind.*'poisson'"):
        noisy_copy(x, 0.1, 0, "poisson")
    with pytest.raises(ValueError, match="noise kind"):
        check_noise_kind("Gaussian")
    for bad in (-0.1, 1.5, math.nan, math.inf):
        with pytest.raises(ValueError, match="noise factor.*in \\[0, 1\\]"):
            add_noise(x, bad)
    with pytest.raises(TypeError, match="noise factor must be a number"):
        check_noise_factor("0.1")
    with pytest.raises(TypeError, match="noise factor must be a number"):
        check_noise_factor(True)
    assert check_noise_factor(1) == 1.0
