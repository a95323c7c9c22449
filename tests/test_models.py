import pytest
import torch

from aelib.config import TrainConfig
from aelib.models import ConvAutoencoder, MLPAutoencoder, count_parameters
from aelib.zoo import build_model


@pytest.mark.parametrize("kind", ["mlp", "conv"])
@pytest.mark.parametrize("latent", [1, 16, 128, 16384])
def test_shapes(kind, latent):
    model = build_model(TrainConfig(model=kind, latent=latent))
    x = torch.rand(3, 1, 28, 28)
    y = model.encode(x)
    assert y.shape == (3, latent)
    x_hat = model.decode(y)
    assert x_hat.shape == (3, 1, 28, 28)
    assert 0 <= x_hat.min() and x_hat.max() <= 1
    assert torch.allclose(model(x), x_hat)


def test_conv_widths_and_depth_are_configurable():
    shallow, deep = ConvAutoencoder(16, (8, 16)), ConvAutoencoder(16, (8, 16, 32))
    assert count_parameters(deep) > count_parameters(shallow)
    assert deep(torch.rand(2, 1, 28, 28)).shape == (2, 1, 28, 28)


def test_mlp_parameter_count():
    # 784*512+512 + 512*128+128 + 128*512+512 + 512*784+784
    assert count_parameters(MLPAutoencoder(128, 512)) == 935_824
