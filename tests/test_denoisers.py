import json
import math

import numpy as np
import pytest
import torch
from torch import nn

from aelib import denoise_bench as bench
from aelib import denoisers
from aelib.config import TrainConfig
from aelib.data import split, to_float
from aelib.noise import noisy_copy


def _digits(mnist, n, start=0):
    return to_float(mnist.test_images[start:start + n])


# ---- the classical denoisers -------------------------------------------------------------------

@pytest.mark.parametrize("name", list(denoisers.DENOISERS))
def test_each_denoiser_keeps_shape_and_range(mnist, name):
    x = noisy_copy(_digits(mnist, 3), 0.3, 0)
    d = denoisers.get(name)
    out, sec = denoisers.denoise(name, x, d.grid[len(d.grid) // 2])
    assert out.shape == x.shape and out.dtype == torch.float32
    assert out.min() >= 0 and out.max() <= 1
    assert sec > 0
    assert not torch.equal(out, x)  # it did something


def test_grids_are_sorted_and_only_bm3d_is_slow():
    for d in denoisers.DENOISERS.values():
        assert list(d.grid) == sorted(set(d.grid)) and len(d.grid) >= 3
    assert [d.name for d in denoisers.DENOISERS.values() if d.slow] == ["bm3d"]


def test_workers_give_the_same_images(mnist):
    x = noisy_copy(_digits(mnist, 8), 0.4, 0, "salt-pepper")
    one, _ = denoisers.denoise("median", x, 3, workers=1)
    two, _ = denoisers.denoise("median", x, 3, workers=2)
    assert torch.equal(one, two)


def test_denoise_errors():
    x = torch.zeros(2, 1, 28, 28)
    with pytest.raises(ValueError, match="unknown denoiser 'wiener'"):
        denoisers.denoise("wiener", x, 1.0)
    with pytest.raises(ValueError, match="images must be a tensor \\(N, 1, H, W\\)"):
        denoisers.denoise("median", torch.zeros(2, 28, 28), 3)
    with pytest.raises(ValueError, match="workers must be an int >= 1"):
        denoisers.denoise("median", x, 3, workers=0)
    with pytest.raises(ValueError, match="workers must be an int >= 1"):
        denoisers.tune_all(["bm3d"], x, [0.1], "gaussian", 0, workers=1.5)
    with pytest.raises(ValueError, match="grid for median is empty"):
        denoisers.tune("median", x, 0.1, "gaussian", 0, grid=())


# ---- tuning ------------------------------------------------------------------------------------

def test_tune_picks_the_best_grid_value(mnist):
    val = to_float(split(mnist, 10_000).val[:40])
    best, scores = denoisers.tune("gaussian", val, 0.4, "gaussian", 0, grid=(0.3, 0.9, 2.2))
    assert list(scores) == [0.3, 0.9, 2.2]
    assert best in (0.3, 0.9, 2.2) and scores[best] == max(scores.values())
    assert best == 0.9  # too little smoothing leaves the noise, too much erases the strokes


def test_tuning_sees_validation_images_only(mnist, monkeypatch):
    """tune_classical draws its images from the validation split: every image a denoiser
    receives is a noisy copy of a validation image, none of a test image."""
    seen = []
    real = denoisers.denoise

    def spy(name, x, value, workers=1, pool=None):
        seen.append(x.clone())
        return real(name, x, value, workers, pool)

    monkeypatch.setattr(denoisers, "denoise", spy)
    tuned = bench.tune_classical(mnist, ["gaussian", "median"], [0.2, 0.5], "gaussian", seed=3,
                                 n_val=30, n_val_slow=5)
    val = to_float(split(mnist, 10_000).val[:30])
    allowed = [noisy_copy(val, f, 3) for f in (0.2, 0.5)]
    assert len(seen) == len(denoisers.get("gaussian").grid) * 2 + len(denoisers.get("median").grid) * 2
    assert all(any(torch.equal(x, a) for a in allowed) for x in seen)
    test_noisy = noisy_copy(_digits(mnist, 30), 0.2, 3)
    assert not any(torch.equal(x, test_noisy) for x in seen)
    for name in ("gaussian", "median"):
        assert tuned[name]["n_images"] == 30
        assert all(v in denoisers.get(name).grid for v in tuned[name]["values"].values())


def test_slow_methods_are_tuned_on_fewer_images(mnist, monkeypatch):
    sizes = {}

    def fake_tune(name, images, factor, kind, seed, grid=None, workers=1, pool=None):
        sizes[name] = len(images)
        return denoisers.get(name).grid[0], {}

    monkeypatch.setattr(denoisers, "tune", fake_tune)
    bench.tune_classical(mnist, ["median", "bm3d"], [0.3], "gaussian", 0, n_val=50, n_val_slow=4)
    assert sizes == {"median": 50, "bm3d": 4}
    with pytest.raises(ValueError, match="number of validation images must be in \\[1, 10000\\]"):
        bench.validation_images(mnist, 0)


def test_tune_all_caches_its_choices(mnist, tmp_path, monkeypatch):
    val = to_float(split(mnist, 10_000).val[:20])
    first = denoisers.tune_all(["median"], val, [0.3, 0.6], "salt-pepper", 0, cache_dir=tmp_path)
    assert len(list((tmp_path / "tuning").glob("median-*.json"))) == 2

    def boom(*a, **k):
        raise AssertionError("tuned again despite the cache")

    monkeypatch.setattr(denoisers, "tune", boom)
    again = denoisers.tune_all(["median"], val, [0.3, 0.6], "salt-pepper", 0, cache_dir=tmp_path)
    assert again == first
    with pytest.raises(AssertionError, match="tuned again"):  # other images: another key
        denoisers.tune_all(["median"], val[:10], [0.3], "salt-pepper", 0, cache_dir=tmp_path)
    with pytest.raises(ValueError, match="noise kind"):
        denoisers.tune_all(["median"], val, [0.3], "uniform", 0)


# ---- intervals and configs ---------------------------------------------------------------------

def test_interval_shrinks_with_n():
    rng = np.random.default_rng(0)
    values = rng.normal(20.0, 3.0, 10_000)
    halves = [bench.mean_ci(values[:n])[1] for n in (10, 100, 1000, 10_000)]
    assert halves == sorted(halves, reverse=True)
    assert halves[-1] == pytest.approx(1.96 * 3.0 / 100, rel=0.05)
    mean, half = bench.mean_ci([1.0, 3.0])
    assert mean == 2.0 and half == pytest.approx(1.959964 * math.sqrt(2) / math.sqrt(2))
    assert math.isnan(bench.mean_ci([5.0])[1])
    with pytest.raises(ValueError, match="at least one value"):
        bench.mean_ci([])


def test_dae_configs():
    base = TrainConfig(model="conv", latent=64, lr=1e-3)
    per = bench.dae_configs(base, [0.1, 0.5], "salt-pepper")  # "each" is the default
    assert {f: c.train_noise for f, c in per.items()} == {0.1: 0.1, 0.5: 0.5}
    assert all(c.noise_kind == "salt-pepper" and c.latent == 64 and not c.noise_range for c in per.values())
    one = bench.dae_configs(base, [0.1, 0.5], "gaussian", "fixed", 0.3)
    assert len(set(one.values())) == 1 and one[0.1].train_noise == 0.3
    blind = bench.dae_configs(base, [0.5, 0.1, 0.0], "gaussian", "range")
    assert len(set(blind.values())) == 1 and blind[0.1].train_noise == 0.5 and blind[0.1].noise_range
    with pytest.raises(ValueError, match="dae_noise"):
        bench.dae_configs(base, [0.1], "gaussian", "fixed", 1.5)
    with pytest.raises(ValueError, match="must be > 0"):
        bench.dae_configs(base, [0.1], "gaussian", "fixed", 0.0)
    with pytest.raises(ValueError, match="factor of 0"):
        bench.dae_configs(base, [0.0, 0.1], "gaussian", "each")
    with pytest.raises(ValueError, match="every factor is 0"):
        bench.dae_configs(base, [0.0], "gaussian", "range")
    with pytest.raises(ValueError, match="dae_training must be one of"):
        bench.dae_configs(base, [0.1], "gaussian", "blind")
    with pytest.raises(ValueError, match="noise kind"):
        bench.dae_configs(base, [0.1], "pink", "each")


def test_check_slow_subset():
    assert bench.check_slow_subset(200) == 200
    with pytest.raises(ValueError, match="slow_subset must be in \\[1, 10000\\]"):
        bench.check_slow_subset(0)
    with pytest.raises(TypeError, match="slow_subset must be an int"):
        bench.check_slow_subset(2.5)
    with pytest.raises(ValueError, match="workers must be in \\[1, 64\\]"):
        bench.check_count("workers", 0, 64)


# ---- the benchmark -----------------------------------------------------------------------------

class _Blur(nn.Module):
    """A stand-in network: a fixed 3x3 mean filter (with a parameter, as `reconstruct` needs)."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.full((1, 1, 3, 3), 1 / 9))

    def forward(self, x):
        return torch.nn.functional.conv2d(x, self.w, padding=1).clamp(0, 1)


@pytest.fixture(scope="module")
def small_bench(mnist):
    net = _Blur()
    return bench.run({"ae-conv": {0.2: net, 0.5: net}}, {"median": {0.2: 3, 0.5: 5}, "bm3d": {0.2: 0.12, 0.5: 0.34}},
                     _digits(mnist, 12), [0.2, 0.5], "gaussian", seed=0, slow_subset=4, keep=3)


def test_run_scores_every_method(small_bench):
    b = small_bench
    assert list(b.methods) == ["ae-conv", "median", "bm3d"] and b.n_subset == 4
    assert b.methods["bm3d"].n_images == 4 and b.methods["median"].n_images == 12
    for s in b.methods.values():
        assert len(s.psnr) == len(s.ssim) == len(s.psnr_ci) == len(s.psnr_subset) == 2
        assert all(ci > 0 for ci in s.psnr_ci + s.ssim_ci)
        assert s.seconds_per_image > 0
    bm = b.methods["bm3d"]
    assert bm.psnr == bm.psnr_subset and bm.values == [0.12, 0.34] and bm.param == "sigma_psd"
    assert b.noisy.psnr[0] > b.noisy.psnr[1]
    assert set(b.examples[0.5]) == {"clean", "noisy", "ae-conv", "median", "bm3d"}
    assert b.examples[0.5]["bm3d"].shape == (3, 1, 28, 28)


def test_run_is_reproducible(mnist, small_bench):
    again = bench.run({}, {"median": {0.2: 3, 0.5: 5}}, _digits(mnist, 12), [0.2, 0.5], "gaussian", 0, 4)
    assert again.methods["median"].psnr == small_bench.methods["median"].psnr


def test_results_are_json_with_the_contract(small_bench):
    d = json.loads(json.dumps(small_bench.to_dict()))
    for name, m in d["methods"].items():
        assert {"noise", "psnr", "ssim", "seconds_per_image", "psnr_ci", "ssim_ci", "n_images"} <= set(m)
        assert isinstance(m["seconds_per_image"], float)
    assert "param" not in d["methods"]["ae-conv"] and d["methods"]["median"]["param"] == "size"
    assert d["noise_kind"] == "gaussian" and d["n_subset"] == 4


def test_versus_best_classical(small_bench):
    rows = bench.versus_best_classical(small_bench, "ae-conv")
    assert [r["noise"] for r in rows] == [0.2, 0.5]
    for r in rows:
        best = small_bench.methods[r["psnr_best"]].psnr_subset[[0.2, 0.5].index(r["noise"])]
        assert r["psnr_classical"] == best
        assert r["psnr_gain"] == pytest.approx(r["psnr_ae-conv"] - best)
    fake = [{"noise": 0.1, "psnr_gain": 2.0, "ssim_gain": -0.01},
            {"noise": 0.3, "psnr_gain": 4.0, "ssim_gain": 0.1},
            {"noise": 0.6, "psnr_gain": 6.0, "ssim_gain": 0.1}]
    assert bench.target_misses(fake) == {"psnr": [], "ssim": [0.1], "margin": [0.3]}
    with pytest.raises(ValueError, match="need 'dae-conv'"):
        bench.versus_best_classical(small_bench, "dae-conv")


def test_run_errors(mnist):
    x = _digits(mnist, 4)
    with pytest.raises(ValueError, match="'median' has nothing for noise factor\\(s\\) \\[0.5\\]"):
        bench.run({}, {"median": {0.2: 3}}, x, [0.2, 0.5], "gaussian", 0, 2)
    with pytest.raises(ValueError, match="unknown denoiser 'wiener'"):
        bench.run({}, {"wiener": {0.2: 1}}, x, [0.2], "gaussian", 0, 2)
    with pytest.raises(ValueError, match="noise kind"):
        bench.run({}, {"median": {0.2: 3}}, x, [0.2], "speckle", 0, 2)


def test_benchmark_figures_and_tables(small_bench):
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    from aelib import plots
    b = small_bench
    fig = plots.curves_ci({"PSNR": {"noisy input": (b.noisy.psnr, b.noisy.psnr_ci),
                                    **{n: (s.psnr, s.psnr_ci) for n, s in b.methods.items()}}},
                          "noise factor", b.noise, dashed=["median", "bm3d"], reference="noisy input")
    assert isinstance(fig, Figure) and len(fig.axes[0].lines) >= 4
    fig2 = plots.seconds_per_image({n: s.seconds_per_image for n, s in b.methods.items()},
                                   {n: s.n_images for n, s in b.methods.items()})
    assert isinstance(fig2, Figure)
    plt.close("all")
    t = bench.table(b, "psnr")
    assert list(t.index) == ["noisy input", "ae-conv", "median", "bm3d"]
    assert t.loc["bm3d", "images"] == "4" and " ± " in t.loc["median", "f = 0.2"]
    with pytest.raises(ValueError, match="metric must be"):
        bench.table(b, "mse")
    tuned = {"median": {"param": "size", "values": {0.2: 3, 0.5: 5}, "n_images": 30}}
    assert bench.tuned_table(tuned).loc["median (size)", "f = 0.5"] == "5"


def test_load_networks_trains_each_config_once(mnist, tmp_path, monkeypatch):
    from aelib import cache
    calls = []
    real = cache.train
    monkeypatch.setattr(cache, "train", lambda cfg, *a, **k: calls.append(cfg) or real(cfg, *a, **k))
    base = TrainConfig(model="mlp", latent=8, hidden=16, epochs=1, lr=1e-3, train_size=64, val_size=64)
    configs = {"dae-mlp": bench.dae_configs(base, [0.1, 0.3], "gaussian", "fixed", 0.2),
               "ae-mlp": dict.fromkeys([0.1, 0.3], base)}
    nets = bench.load_networks(configs, mnist, tmp_path)
    assert len(calls) == 2 and nets["dae-mlp"][0.1] is nets["dae-mlp"][0.3]
    described = bench.describe_configs(configs, mnist.sha256)
    assert described["dae-mlp"]["config_by_noise"] == {"0.1": 0, "0.3": 0}
    assert described["dae-mlp"]["configs"][0]["train_noise"] == 0.2
    assert len(described["ae-mlp"]["cache_keys"][0]) == 64


def test_classical_results_are_cached(mnist, tmp_path, monkeypatch):
    x, net = _digits(mnist, 10), {"ae-conv": {0.3: _Blur()}}
    first = bench.run(net, {"median": {0.3: 3}}, x, [0.3], "gaussian", 0, 4, keep=2, cache_dir=tmp_path)
    assert len(list((tmp_path / "denoised").glob("median-*.npz"))) == 1
    assert len(list((tmp_path / "denoised").glob("ae-conv-*.npz"))) == 1

    def boom(*a, **k):
        raise AssertionError("denoised again despite the cache")

    monkeypatch.setattr(denoisers, "denoise", boom)
    monkeypatch.setattr(bench, "_time_network", boom)
    again = bench.run(net, {"median": {0.3: 3}}, x, [0.3], "gaussian", 0, 4, keep=2, cache_dir=tmp_path)
    assert again.to_dict() == first.to_dict()
    assert torch.equal(again.examples[0.3]["median"], first.examples[0.3]["median"])
    other = _Blur()
    with torch.no_grad():
        other.w.mul_(0.5)  # other weights: another key
    with pytest.raises(AssertionError, match="denoised again"):
        bench.run({"ae-conv": {0.3: other}}, {}, x, [0.3], "gaussian", 0, 4, keep=2, cache_dir=tmp_path)
    with pytest.raises(AssertionError, match="denoised again"):  # another parameter: another key
        bench.run({}, {"median": {0.3: 5}}, x, [0.3], "gaussian", 0, 4, keep=2, cache_dir=tmp_path)
    (path,) = (tmp_path / "denoised").glob("median-*.npz")
    path.write_bytes(b"not an npz")  # a damaged entry is computed again, not trusted
    monkeypatch.undo()
    redone = bench.run({}, {"median": {0.3: 3}}, x, [0.3], "gaussian", 0, 4, keep=2, cache_dir=tmp_path)
    assert redone.methods["median"].psnr == first.methods["median"].psnr  # (its time is measured anew)
