import math

import pytest

from dataclasses import FrozenInstanceError

from aelib.config import LATER, TrainConfig, check_float_list, check_int_list, check_optional_size, parse_value


@pytest.mark.parametrize("field, value, exc", [
    ("model", "transformer", ValueError), ("latent", 0, ValueError), ("latent", 16385, ValueError),
    ("latent", 12.0, TypeError), ("epochs", -1, ValueError), ("lr", 0.0, ValueError),
    ("lr", math.inf, ValueError), ("lr", "0.1", TypeError), ("batch_size", 0, ValueError),
    ("train_noise", 1.5, ValueError), ("val_size", 60_000, ValueError), ("channels", [], ValueError),
    ("epochs", True, TypeError), ("dataset", "cifar10", ValueError),
])
def test_bad_values_name_the_field(field, value, exc):
    with pytest.raises(exc, match=field):
        TrainConfig(**{field: value})


def test_frozen_and_replace():
    cfg = TrainConfig()
    with pytest.raises(FrozenInstanceError):
        cfg.latent = 3
    assert cfg.replace(latent=3).latent == 3
    with pytest.raises(ValueError, match="unknown TrainConfig field"):
        cfg.replace(latnet=3)


def test_round_trip_through_dict():
    cfg = TrainConfig(model="conv", channels=[4, 8], train_size=100)
    assert cfg.channels == (4, 8)
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg


def test_noise_range_needs_training_noise():
    with pytest.raises(ValueError, match="noise_range.*train_noise > 0"):
        TrainConfig(noise_range=True)
    with pytest.raises(ValueError, match="noise_range must be true or false"):
        TrainConfig(train_noise=0.5, noise_range="yes")
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


def test_every_field_is_in_the_dict():
    """The cache key hashes to_dict(): a field left out would let two configs share a model. A
    field added later is left out only at its default, where every run stored before it was."""
    d = TrainConfig().to_dict()
    assert set(d) == set(TrainConfig.__dataclass_fields__) - set(LATER)
    assert TrainConfig(dataset="kmnist").to_dict() != d
    cosine = TrainConfig(lr_schedule="cosine")
    assert cosine.to_dict() == {**d, "lr_schedule": "cosine"} and TrainConfig.from_dict(cosine.to_dict()) == cosine


def test_a_run_stored_before_a_field_was_added_keeps_its_key():
    from aelib.runs import cache_key
    # the keys of these two configs before lr_schedule existed
    assert cache_key(TrainConfig(), "ab" * 32) == "d121a9049bd3f49b1ef520c623016fb2e37696036281da03be4b35d6b30c4c20"
    assert cache_key(TrainConfig(model="conv", latent=30, lr=2e-3), "ab" * 32) == \
        "96c17bd126da949a6b1eb2c5a08f56c21c9a5f4fe7780992d1ba9feee715b3e6"


def test_the_deep_model_keeps_its_own_schedule():
    with pytest.raises(ValueError, match="lr_schedule"):
        TrainConfig(model="deep", lr_schedule="cosine")
    with pytest.raises(ValueError, match="lr_schedule"):
        TrainConfig(lr_schedule="step")


@pytest.mark.parametrize("text, value", [("[30]", [30]), ("[1e-4, 1e-3]", [1e-4, 1e-3]), ("1e-3", 1e-3),
                                         ("[16, 128]", [16, 128]), ("mnist", "mnist")])
def test_list_parameters_accept_their_text(text, value):
    """papermill's -p delivers a list as text: the checks read it as YAML."""
    assert parse_value(text) == value
    if isinstance(value, list) and all(isinstance(v, int) for v in value):
        assert check_int_list("latents", text, lo=1) == sorted(value)
    elif isinstance(value, list):
        assert check_float_list("lrs", text, 0, 1) == value


def test_bad_list_text_names_the_parameter():
    with pytest.raises(ValueError, match="latents must be a list"):
        check_int_list("latents", "[30", lo=1)
    with pytest.raises(TypeError, match="latents"):
        check_int_list("latents", "30x", lo=1)
