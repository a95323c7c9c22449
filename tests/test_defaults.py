"""The command line's defaults come from the book (aelib.compress.defaults): hand-made records,
and the real-compression page's own choice in every profile."""
import json
from pathlib import Path

import pytest
import yaml

from aelib.book.page import declared_parameters
from aelib.book.sections import page_jobs
from aelib.compress import defaults
from aelib.compress.codec import CodecSpec
from aelib.config import TrainConfig

ROOT = Path(__file__).resolve().parent.parent
RECIPE = dict(epochs=2, lr=1e-3, train_size=1000)
CONV = [CodecSpec(TrainConfig(model="conv", latent=16, **RECIPE), s) for s in (0.2, 0.8)]
RATE = [CodecSpec(TrainConfig(model="rate", latent=32, rate_lambda=lam, lr_schedule="cosine",
                              **{**RECIPE, "epochs": 3, "lr": 2e-3}))
        for lam in (1e-5, 1e-4)]
PSNR = {CONV[0]: 27.0, CONV[1]: 21.0, RATE[0]: 30.0, RATE[1]: 24.0}


@pytest.fixture
def built():
    return defaults.Built(RATE[1], tuple(PSNR.items()), 25.0)


def test_nothing_named_is_the_books_choice(built):
    assert defaults.resolve(built) == RATE[1]
    with pytest.raises(defaults.NoDefault, match="make book"):
        defaults.resolve(None)


def test_a_model_and_size_the_book_built_is_the_built_codec(built):
    assert defaults.resolve(built, "conv-16") == CONV[0]  # 27 dB is nearer the 25 dB target than 21
    assert defaults.resolve(built, "conv-16", step=0.8) == CONV[1]
    assert defaults.resolve(built, "rate-32", rate_lambda=1e-5) == RATE[0]
    assert defaults.resolve(built, step=0.2) == RATE[1]  # a rate codec has no step: the nearest of its kind
    assert defaults.resolve(built, rate_lambda=1e-5) == RATE[0]


def test_a_codec_the_book_did_not_build_needs_its_setting_and_takes_the_books_recipe(built):
    with pytest.raises(defaults.NoDefault, match="conv-16 step 0.2, conv-16 step 0.8"):
        defaults.resolve(built, "conv-64")
    new = defaults.resolve(built, "conv-64", step=0.4)
    assert new.config == CONV[0].config.replace(latent=64) and new.step == 0.4
    rate = defaults.resolve(built, "rate-8", rate_lambda=1e-3)
    assert rate.config.rate_lambda == 1e-3 and (rate.config.epochs, rate.config.lr, rate.config.lr_schedule) == (
        3, 2e-3, "cosine")  # the book's rate recipe, its schedule too
    mlp = defaults.resolve(built, "mlp-16", step=0.5)  # no MLP built: the recipe of the chosen codec
    assert (mlp.config.lr, mlp.config.train_size, mlp.config.epochs) == (2e-3, 1000, 3)


def test_without_a_book_the_recipe_is_train_configs_own():
    spec = defaults.resolve(None, "mlp-8", step=0.5)
    assert spec.config == TrainConfig(model="mlp", latent=8) and spec.step == 0.5
    with pytest.raises(defaults.NoDefault, match="has not run"):
        defaults.resolve(None, "mlp-8")


def test_recipe_options_change_the_named_codec(built):
    spec = defaults.resolve(built, epochs=5, train_size=0, seed=3)
    assert spec.config == RATE[1].config.replace(epochs=5, train_size=None, seed=3) and spec.step == 1.0
    with pytest.raises(ValueError, match="unknown recipe"):
        defaults.resolve(built, hidden=3)


@pytest.mark.parametrize("name", ["vae-8", "conv", "conv-x", "-8", "rate-"])
def test_bad_codec_names(built, name):
    with pytest.raises(ValueError, match="MODEL-LATENT"):
        defaults.resolve(built, name, step=0.5)


def test_record_and_read_round_trip(tmp_path):
    assert defaults.read(tmp_path) is None
    path = defaults.record(tmp_path, RATE[1], [(s, {"psnr": p, "bytes": 10.0}) for s, p in PSNR.items()], 25.0)
    back = defaults.read(tmp_path)
    assert back == defaults.Built(RATE[1], tuple(PSNR.items()), 25.0)
    body = json.loads(path.read_text())
    assert body["page"] == "05b_real_compression" and body["codecs"][0]["name"] == "conv-16 step 0.2"
    path.write_text("{not json")
    with pytest.raises(ValueError, match="damaged"):
        defaults.read(tmp_path)


def _params(profile: str) -> dict:
    import ast
    nb = ROOT / "notebooks" / "05b_real_compression.ipynb"
    p = {k: ast.literal_eval(v["default"]) for k, v in declared_parameters(nb).items()}
    return {**p, **(yaml.safe_load((ROOT / "profiles" / "05b_real_compression.yaml").read_text())[profile] or {})}


@pytest.mark.parametrize("profile", ["full", "quick", "tiny"])
def test_in_every_profile_the_default_codec_is_one_the_page_trained(profile, tmp_path):
    """Whichever codec the page chooses, the command line's default is that codec, and its network
    is one of those the page (and `make models`) trains."""
    from aelib.book.compression import real_page
    params = _params(profile)
    specs = real_page.codec_specs(params)
    trained = {job.config for job in page_jobs("05b_real_compression", params)}
    points = [{"psnr": 20.0 + i, "bytes": 30.0 + i} for i in range(len(specs))]
    for chosen in specs:
        defaults.record(tmp_path, chosen, list(zip(specs, points)), params["target_psnr"])
        spec = defaults.resolve(defaults.read(tmp_path))
        assert spec == chosen and spec.config in trained
