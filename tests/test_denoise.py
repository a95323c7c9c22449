"""The one denoising evaluation (aelib.denoise.evaluate) and its score types (aelib.denoise.scores)."""
import json
import math

import numpy as np
import pytest
import torch
from torch import nn

from aelib.book.results import plain
from aelib.denoise import classical
from aelib.denoise import evaluate as ev
from aelib.denoise.scores import Denoised, mean_ci, ratio_ci
from aelib.metrics import mse, psnr, ssim
from aelib.noise import noisy_copy


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
        return torch.full_like(x, 0.5) + self.w


class Blur(nn.Module):  # a fixed 3x3 mean filter: passes part of the noise
    def __init__(self, scale=1.0):
        super().__init__()
        self.w = nn.Parameter(torch.full((1, 1, 3, 3), scale / 9))

    def forward(self, x):
        return torch.nn.functional.conv2d(x, self.w, padding=1).clamp(0, 1)


@pytest.fixture
def images():
    g = torch.Generator().manual_seed(1)
    return torch.rand(20, 1, 28, 28, generator=g)


# ---- intervals ---------------------------------------------------------------------------------------

def test_mean_ci_shrinks_with_n_and_matches_the_formula():
    rng = np.random.default_rng(0)
    values = rng.normal(20.0, 3.0, 10_000)
    halves = [mean_ci(values[:n])[1] for n in (10, 100, 1000, 10_000)]
    assert halves == sorted(halves, reverse=True)
    assert halves[-1] == pytest.approx(1.96 * 3.0 / 100, rel=0.05)
    mean, half = mean_ci([1.0, 3.0])
    assert mean == 2.0 and half == pytest.approx(1.959964 * math.sqrt(2) / math.sqrt(2))
    assert math.isnan(mean_ci([5.0])[1])
    with pytest.raises(ValueError, match="at least one value"):
        mean_ci([])


def test_ratio_ci_is_the_ratio_of_sums_with_a_delta_method_interval():
    den = np.array([1.0, 2.0, 3.0, 4.0])
    assert ratio_ci(2 * den, den) == (2.0, 0.0)  # an exact proportion: no uncertainty
    rng = np.random.default_rng(1)
    x = rng.uniform(1, 2, 4000)
    y = 0.3 * x + rng.normal(0, 0.1, 4000)
    r, half = ratio_ci(y, x)
    assert r == pytest.approx(y.sum() / x.sum())
    # the delta method's s.e. for y = 0.3 x + e is sd(e) / (sqrt(n) mean(x))
    assert half == pytest.approx(1.96 * 0.1 / (math.sqrt(4000) * x.mean()), rel=0.05)
    assert math.isnan(ratio_ci([1.0], [2.0])[1])
    with pytest.raises(ValueError, match="one length"):
        ratio_ci([1.0, 2.0], [1.0])


def test_denoised_round_trips_through_arrays():
    d = Denoised(psnr=np.array([20.0, 21.0]), ssim=np.array([0.5, 0.6]), mse=np.array([0.01, 0.008]), seconds=0.25,
                 spread=0.1, examples=torch.rand(2, 1, 28, 28), moved=np.array([0.001, 0.002]))
    back = Denoised.from_arrays(d.arrays())
    assert back.seconds == 0.25 and back.spread == 0.1 and torch.equal(back.examples, d.examples)
    assert all(np.array_equal(getattr(back, k), getattr(d, k)) for k in ("psnr", "ssim", "mse", "moved"))
    no_moved = Denoised.from_arrays({k: v for k, v in d.arrays().items() if k != "moved"})
    assert no_moved.moved is None


# ---- the evaluation ------------------------------------------------------------------------------------

def test_identity_scores_like_the_noisy_input_and_a_constant_ignores_the_noise(images):
    factors = [0.1, 0.4]
    r = ev.evaluate({"id": Identity(), "const": Constant()}, {}, images, factors, seed=0, keep=3)
    ident, const, noisy = r.scores("id"), r.scores("const"), r.scores("noisy input")
    assert r.noise == factors and r.methods == ["id", "const"] and r.n_subset == r.n_test == 20
    assert ident.psnr == pytest.approx(noisy.psnr) and ident.ssim == pytest.approx(noisy.ssim)
    assert ident.mse == pytest.approx(noisy.mse)
    assert ident.noise_gain == pytest.approx([1.0, 1.0]) and const.noise_gain == [0.0, 0.0]
    assert noisy.noise_gain is None and noisy.psnr[0] > noisy.psnr[1]  # more noise, lower PSNR
    assert r.clean_summary("id")["psnr"] == pytest.approx(100.0)  # an exact copy, capped
    assert r.clean_summary("const")["spread"] == 0.0 and r.clean_summary("id")["spread"] > 0.2
    ex = r.examples(0.4)
    assert set(ex) == {"clean", "noisy", "id", "const"} and ex["noisy"].shape == (3, 1, 28, 28)
    assert torch.equal(r.examples(0.0)["noisy"], images[:3]) and torch.equal(r.examples(0.0)["id"], images[:3])
    d = json.loads(json.dumps(plain(r.to_dict())))  # JSON-safe, no tensors
    assert {"noise", "noise_kind", "noise_seed", "n_test", "n_subset", "noisy", "methods", "clean"} <= set(d)
    assert {"psnr", "ssim", "mse", "psnr_ci", "psnr_subset", "noise_gain", "noise_gain_ci",
            "seconds_per_image"} <= set(d["methods"]["id"])


def test_scores_are_the_measures_of_the_outputs_on_the_seeded_noisy_copy(images):
    """The numbers are those of the metrics on model(noisy_copy(...)): nothing else enters them."""
    blur = Blur()
    r = ev.evaluate({"blur": blur}, {}, images, [0.2, 0.5], seed=7, keep=2)
    s = r.scores("blur")
    for i, f in enumerate([0.2, 0.5]):
        x = noisy_copy(images, f, 7)
        with torch.no_grad():
            out, base = blur(x), blur(images)
        assert s.psnr[i] == pytest.approx(float(psnr(images, out).mean()))
        assert s.ssim[i] == pytest.approx(float(ssim(images, out).mean()))
        assert s.mse[i] == pytest.approx(float(mse(images, out).mean()))
        passed = ((out - base) * (x - images)).mean(dim=(1, 2, 3))  # the output's change along the noise
        gain = float(passed.mean() / mse(images, x).mean())
        assert s.noise_gain[i] == pytest.approx(gain) and 0 < gain < 1  # a blur passes part of the noise
        assert s.psnr_ci[i] == pytest.approx(mean_ci(psnr(images, out).numpy())[1])


def test_a_network_per_factor_is_used_at_its_factor(images):
    r = ev.evaluate({"dae": {0.1: Identity(), 0.4: Constant()}}, {}, images, [0.1, 0.4], seed=0)
    assert r.scores("dae").noise_gain == pytest.approx([1.0, 0.0])


def test_slow_methods_see_the_subset_and_comparisons_are_paired(images):
    r = ev.evaluate({"blur": Blur()}, {"median": {0.3: 3}, "bm3d": {0.3: 0.17}}, images, [0.3], seed=0,
                    slow_subset=4, keep=6)
    median, bm3d, blur = r.scores("median"), r.scores("bm3d"), r.scores("blur")
    assert (median.n_images, bm3d.n_images, blur.n_images, r.n_subset) == (20, 4, 20, 4)
    assert bm3d.psnr == bm3d.psnr_subset and bm3d.values == [0.17] and bm3d.param == "sigma_psd"
    assert median.psnr_subset[0] == pytest.approx(float(r.outputs["median"][0.3].psnr[:4].mean()))
    assert r.examples(0.3)["bm3d"].shape == (4, 1, 28, 28)  # keep is capped at the subset
    (gain, half), = r.paired("blur", "bm3d")
    assert gain == pytest.approx(float((r.outputs["blur"][0.3].psnr[:4] - r.outputs["bm3d"][0.3].psnr).mean()))
    assert half > 0
    with pytest.raises(ValueError, match="not a network"):
        r.noise_gain("median", 0.3)
    with pytest.raises(ValueError, match="metric must be"):
        r.paired("blur", "median", "difference")


def test_evaluation_is_reproducible(images):
    a = ev.evaluate({}, {"median": {0.2: 3, 0.5: 5}}, images, [0.2, 0.5], seed=3)
    b = ev.evaluate({}, {"median": {0.2: 3, 0.5: 5}}, images, [0.2, 0.5], seed=3)
    c = ev.evaluate({}, {"median": {0.2: 3, 0.5: 5}}, images, [0.2, 0.5], seed=4)
    assert a.scores("median").psnr == b.scores("median").psnr != c.scores("median").psnr


def test_evaluation_errors(images):
    with pytest.raises(ValueError, match="at least one denoiser"):
        ev.evaluate({}, {}, images, [0.1], seed=0)
    with pytest.raises(ValueError, match="'median' has nothing for noise factor\\(s\\) \\[0.5\\]"):
        ev.evaluate({}, {"median": {0.2: 3}}, images, [0.2, 0.5], seed=0)
    with pytest.raises(ValueError, match="'dae' has nothing"):
        ev.evaluate({"dae": {0.2: Identity()}}, {}, images, [0.2, 0.5], seed=0)
    with pytest.raises(ValueError, match="unknown denoiser 'wiener'"):
        ev.evaluate({}, {"wiener": {0.2: 1}}, images, [0.2], seed=0)
    with pytest.raises(ValueError, match="noise kind"):
        ev.evaluate({}, {"median": {0.2: 3}}, images, [0.2], seed=0, kind="speckle")
    with pytest.raises(ValueError, match="noise_factors"):
        ev.evaluate({"id": Identity()}, {}, images, [1.5], seed=0)
    with pytest.raises(ValueError, match="noise_seed"):
        ev.evaluate({"id": Identity()}, {}, images, [0.1], seed=-1)
    with pytest.raises(ValueError, match="slow_subset must be >= 1"):
        ev.evaluate({"id": Identity()}, {}, images, [0.1], seed=0, slow_subset=0)


# ---- the store ---------------------------------------------------------------------------------------------

def test_scores_are_kept_per_method_and_factor_and_recomputed_when_damaged(images, tmp_path, monkeypatch):
    nets, params = {"blur": Blur()}, {"median": {0.3: 3, 0.6: 5}}
    first = ev.evaluate(nets, params, images, [0.3, 0.6], seed=0, keep=2, cache_dir=tmp_path)
    stored = tmp_path / "denoised"
    assert len(list(stored.glob("median-*.npz"))) == 2 and len(list(stored.glob("blur-*.npz"))) == 3  # + on clean
    assert len(list(stored.glob("noisy_input-*.npz"))) == 2

    def boom(*a, **k):
        raise AssertionError("computed again despite the store")

    monkeypatch.setattr(classical, "denoise", boom)
    monkeypatch.setattr(ev, "reconstruct", boom)
    again = ev.evaluate(nets, params, images, [0.3, 0.6], seed=0, keep=2, cache_dir=tmp_path)
    assert again.to_dict() == first.to_dict()
    assert torch.equal(again.examples(0.6)["median"], first.examples(0.6)["median"])
    other = Blur(scale=0.5)  # other weights: another key
    with pytest.raises(AssertionError, match="computed again"):
        ev.evaluate({"blur": other}, {}, images, [0.3], seed=0, keep=2, cache_dir=tmp_path)
    with pytest.raises(AssertionError, match="computed again"):  # another parameter: another key
        ev.evaluate({}, {"median": {0.3: 7}}, images, [0.3], seed=0, keep=2, cache_dir=tmp_path)
    with pytest.raises(AssertionError, match="computed again"):  # other noise: another key
        ev.evaluate({}, {"median": {0.3: 3}}, images, [0.3], seed=1, keep=2, cache_dir=tmp_path)
    for path in stored.glob("median-*.npz"):
        path.write_bytes(b"not an npz")  # a damaged entry is computed again, not trusted
    monkeypatch.undo()
    redone = ev.evaluate({}, params, images, [0.3, 0.6], seed=0, keep=2, cache_dir=tmp_path)
    assert redone.scores("median").psnr == first.scores("median").psnr  # (its time is measured anew)
