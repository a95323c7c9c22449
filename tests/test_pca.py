import pytest
import torch

from aelib.metrics import se_per_image
from aelib.pca import PCA


@pytest.fixture(scope="module")
def images(mnist):
    return mnist.train_images[:2000]  # (2000, 28, 28) uint8


@pytest.fixture(scope="module")
def pca(images):
    return PCA.fit(images)


def as_float(u8):
    return u8.unsqueeze(1).float() / 255  # (N, 28, 28) uint8 -> (N, 1, 28, 28) in [0, 1]


def test_shapes(pca, images):
    p = pca.truncated(16)
    assert (pca.k, p.k) == (784, 16)
    assert p.mean.shape == (784,) and p.components.shape == (16, 784) and p.variance.shape == (16,)
    codes = p.encode(images[:5])
    assert codes.shape == (5, 16)
    out = p.decode(codes)
    assert out.shape == (5, 1, 28, 28) and out.dtype == torch.float32
    assert 0.0 <= out.min() and out.max() <= 1.0
    assert p.reconstruct(as_float(images[:5])).shape == (5, 1, 28, 28)


def test_components_are_orthonormal_and_sorted(pca):
    c = pca.components
    assert torch.allclose(c @ c.T, torch.eye(784, dtype=c.dtype), atol=1e-10)
    assert (pca.variance[:-1] >= pca.variance[1:]).all()


def test_uint8_and_float_inputs_agree(pca, images):
    assert torch.allclose(pca.encode(images[:10]), pca.encode(as_float(images[:10])), atol=1e-5)


def test_all_784_components_reconstruct_exactly(pca, mnist):
    x = as_float(mnist.test_images[:200])  # images the fit never saw
    assert torch.allclose(pca.reconstruct(x), x, atol=1e-5)


def test_fit_with_fewer_images_than_pixels_still_has_784_axes(images):
    x = as_float(images[:100])
    p = PCA.fit(images[:100])
    assert p.k == 784
    assert torch.allclose(p.reconstruct(x), x, atol=1e-5)


def test_error_decreases_with_k(pca, images, mnist):
    for x in (as_float(images[:500]), as_float(mnist.test_images[:500])):
        errors = [se_per_image(x, pca.truncated(k).reconstruct(x)).mean().item() for k in (1, 16, 128, 512, 784)]
        assert all(a > b for a, b in zip(errors, errors[1:])), errors
        assert errors[-1] < 1e-6


def test_truncating_equals_fitting_fewer(pca, images):
    small = PCA.fit(images, k=8)
    assert torch.allclose(small.components.abs(), pca.truncated(8).components.abs(), atol=1e-8)


@pytest.mark.parametrize("k", [0, -1, 785])
def test_bad_k_is_refused(images, pca, k):
    with pytest.raises(ValueError, match=f"k=.*{k}"):
        PCA.fit(images, k=k)
    with pytest.raises(ValueError, match=f"k=.*{k}"):
        pca.truncated(k)


def test_truncating_cannot_add_components(images):
    with pytest.raises(ValueError, match="k=.*20"):
        PCA.fit(images, k=10).truncated(20)


def test_bad_inputs_are_refused(pca):
    with pytest.raises(TypeError, match="k"):
        pca.truncated(2.0)
    with pytest.raises(ValueError, match="28, 28"):
        pca.encode(torch.zeros(3, 784))
    with pytest.raises(ValueError, match="codes"):
        pca.truncated(4).decode(torch.zeros(3, 5))
