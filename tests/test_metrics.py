import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

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


@pytest.fixture(scope="module")
def digits_and_outputs(mnist):
    """20 test digits, and as 'reconstructions' noisy and blurred copies of them."""
    g = torch.Generator().manual_seed(0)
    x = mnist.test_images[:20].unsqueeze(1).double() / 255  # (20, 28, 28) u8 -> (20, 1, 28, 28)
    noisy = [(x + f * torch.randn(x.shape, generator=g, dtype=torch.float64)).clamp(0, 1) for f in (0.02, 0.1, 0.5)]
    blurred = F.avg_pool2d(x, 3, stride=1, padding=1)
    return x, [*noisy, blurred, x.float().double()]


def test_ssim_matches_scikit_image(digits_and_outputs):
    x, outputs = digits_and_outputs
    for y in outputs:
        ref = [structural_similarity(a[0].numpy(), b[0].numpy(), data_range=1.0) for a, b in zip(x, y)]
        assert metrics.ssim(x, y).numpy() == pytest.approx(np.array(ref), abs=1e-9)
    assert metrics.ssim(x, x).numpy() == pytest.approx(np.ones(len(x)))
    assert metrics.ssim(x.float(), outputs[1].float()).numpy() == pytest.approx(
        metrics.ssim(x, outputs[1]).numpy(), abs=1e-6)  # float32 inputs too (computed in float64)


def test_psnr_matches_scikit_image(digits_and_outputs):
    x, outputs = digits_and_outputs
    for y in outputs[:-1]:
        ref = [peak_signal_noise_ratio(a.numpy(), b.numpy(), data_range=1.0) for a, b in zip(x, y)]
        assert metrics.psnr(x, y).numpy() == pytest.approx(np.array(ref), abs=1e-9)


def test_torchmetrics_ssim_agrees_only_with_a_crop_and_a_scaled_k2(digits_and_outputs):
    # why metrics.ssim stays ours (see its docstring): these are the settings that reproduce it
    from torchmetrics.functional.image import structural_similarity_index_measure as tm_ssim

    x, outputs = digits_and_outputs
    y = outputs[1]
    kw = dict(gaussian_kernel=False, kernel_size=7, data_range=1.0, reduction="none")
    assert (tm_ssim(y, x, **kw) - metrics.ssim(x, y)).abs().max() > 0.01
    _, full = tm_ssim(y, x, k2=0.03 * math.sqrt(48 / 49), return_full_image=True, **kw)
    cropped = full[..., 3:-3, 3:-3].mean((1, 2, 3))  # the 22x22 windows inside the image
    assert (cropped - metrics.ssim(x, y)).abs().max() < 1e-12


def test_reconstruct_batches_and_keeps_the_device(monkeypatch):
    monkeypatch.setattr(metrics, "EVAL_BATCH", 3)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 784), torch.nn.Unflatten(1, (1, 28, 28)))
    x = torch.rand(7, 1, 28, 28)
    out = metrics.reconstruct(model, x)
    assert out.device == x.device and out.shape == x.shape
    with torch.no_grad():
        assert torch.allclose(out, model(x), atol=1e-6)
    assert metrics.reconstruct(model, x[:0]).shape == (0, 1, 28, 28)


def test_summary_is_plain_floats():
    x = torch.rand(4, 1, 28, 28)
    s = metrics.summary(x, x * 0.9)
    assert set(s) == {"difference", "mse", "se_per_image", "psnr", "ssim"}
    assert all(type(v) is float for v in s.values())
