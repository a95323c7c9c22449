import math

import pytest

from aelib.config import TrainConfig, check_float_list, check_int_list, check_optional_size


@pytest.mark.parametrize("field, value, exc", [
    ("model", "transformer", ValueError), ("latent", 0, ValueError), ("latent", 16385, ValueError),
    ("latent", 12.0, TypeError), ("epochs", -1, ValueError), ("lr", 0.0, ValueError),
    ("lr", math.inf, ValueError), ("lr", "0.1", TypeError), ("batch_size", 0, ValueError),
    ("train_noise", 1.5, ValueError), ("val_size", 60_000, ValueError), ("channels", [], ValueError),
    ("epochs", True, TypeError),
])
def test_bad_values_name_the_field(field, value, exc):
    with pytest.raises(exc, match=field):
        TrainConfig(**{field: value})


def test_frozen_and_replace():
    cfg = TrainConfig()
    with pytest.raises(Exception):
        cfg.latent = 3
    assert cfg.replace(latent=3).latent == 3
    with pytest.raises(ValueError, match="unknown TrainConfig field"):
        cfg.replace(latnet=3)


def test_round_trip_through_dict():
    cfg = TrainConfig(model="conv", channels=[4, 8], train_size=100)
    assert cfg.channels == (4, 8)
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg


def test_noise_range_needs_training_noise_and_keeps_old_keys():
    with pytest.raises(ValueError, match="noise_range.*train_noise > 0"):
        TrainConfig(noise_range=True)
    with pytest.raises(ValueError, match="noise_range must be true or false"):
        TrainConfig(train_noise=0.5, noise_range="yes")
    assert "noise_range" not in TrainConfig().to_dict()  # cache keys of earlier models are unchanged
    blind = TrainConfig(train_noise=0.5, noise_range=True)
    assert TrainConfig.from_dict(blind.to_dict()) == blind and blind != blind.replace(noise_range=False)


def test_list_checks():
    assert check_int_list("epochs", [5, 0, 5, 1], lo=0) == [0, 1, 5]
    with pytest.raises(TypeError, match="epochs"):
        check_int_list("epochs", [], lo=0)
    with pytest.raises(ValueError, match="epochs"):
        check_int_list("epochs", [1, -2], lo=0)
    assert check_float_list("lr", [1e-3, 1], 0, 10, positive=True) == [1e-3, 1.0]
    with pytest.raises(ValueError, match="lr"):
        check_float_list("lr", [0.0], 0, 10, positive=True)
    assert check_optional_size("test_size", 0, 10) is None
    with pytest.raises(ValueError, match="test_size"):
        check_optional_size("test_size", 11, 10)
