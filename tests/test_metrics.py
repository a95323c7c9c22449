import numpy as np
import pytest
import torch
from skimage.metrics import structural_similarity

from aelib import metrics


def test_values_on_known_images():
    x = torch.zeros(2, 1, 28, 28)
    y = x.clone()
    y[0] += 0.5  # every pixel off by 0.5
    assert metrics.difference(x, y).tolist() == [0.5, 0.0]
    assert metrics.mse(x, y).tolist() == [0.25, 0.0]
    assert metrics.se_per_image(x, y).tolist() == [0.25 * 784, 0.0]
    assert metrics.psnr(x, y)[0].item() == pytest.approx(10 * np.log10(4))
    assert metrics.psnr(x, y)[1].item() == pytest.approx(100.0)  # capped, finite


def test_ssim_matches_scikit_image(mnist):
    g = torch.Generator().manual_seed(0)
    x = mnist.test_images[:5].unsqueeze(1).double() / 255
    y = (x + 0.1 * torch.randn(x.shape, generator=g, dtype=torch.float64)).clamp(0, 1)
    ours = metrics.ssim(x, y)
    ref = [structural_similarity(a[0].numpy(), b[0].numpy(), data_range=1.0) for a, b in zip(x, y)]
    assert ours.numpy() == pytest.approx(np.array(ref), abs=1e-9)
    assert metrics.ssim(x, x).numpy() == pytest.approx(np.ones(5))


def test_summary_is_plain_floats():
    x = torch.rand(4, 1, 28, 28)
    s = metrics.summary(x, x * 0.9)
    assert set(s) == {"difference", "mse", "se_per_image", "psnr", "ssim"}
    assert all(type(v) is float for v in s.values())
