"""Classical denoisers and their tuning (aelib.denoise.classical), the benchmark's set-up
(aelib.denoise.bench), its tables, the two pages' parameters (aelib.book.denoising.pages) and what they
conclude (aelib.book.denoising.findings)."""
import json
import re
from dataclasses import replace
from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from torch import nn

from aelib import plots
from aelib.book.common import recipe
from aelib.book.page import declared_parameters, literal
from aelib.book.results import plain
from aelib.book.sections import NOTEBOOKS, page_jobs
from aelib.book.tables import model_name
from aelib.config import TrainConfig
from aelib.data import split, to_float
from aelib.book.denoising import claims, findings, pages, tables
from aelib.denoise import bench, classical
from aelib.denoise.evaluate import evaluate
from aelib.noise import noisy_copy


def _digits(mnist, n, start=0):
    return to_float(mnist.test_images[start:start + n])


# ---- the classical denoisers -------------------------------------------------------------------

@pytest.mark.parametrize("name", list(classical.DENOISERS))
def test_each_denoiser_keeps_shape_and_range(mnist, name):
    x = noisy_copy(_digits(mnist, 3), 0.3, 0)
    d = classical.get(name)
    out, sec = classical.denoise(name, x, d.grid[len(d.grid) // 2], factor=0.3)
    assert out.shape == x.shape and out.dtype == torch.float32
    assert out.min() >= 0 and out.max() <= 1
    assert sec > 0
    assert not torch.equal(out, x)  # it did something


def test_grids_are_sorted_and_only_bm3d_is_slow():
    for d in classical.DENOISERS.values():
        assert list(d.grid) == sorted(set(d.grid)) and len(d.grid) >= 3
    assert [d.name for d in classical.DENOISERS.values() if d.slow] == ["bm3d"]


@pytest.mark.slow  # starts a process pool whose workers import torch
def test_workers_give_the_same_images(mnist):
    x = noisy_copy(_digits(mnist, 8), 0.4, 0, "salt-pepper")
    one, _ = classical.denoise("median", x, 3, workers=1)
    two, _ = classical.denoise("median", x, 3, workers=2)
    assert torch.equal(one, two)


def test_denoise_errors():
    x = torch.zeros(2, 1, 28, 28)
    with pytest.raises(ValueError, match="unknown denoiser 'wiener'"):
        classical.denoise("wiener", x, 1.0)
    with pytest.raises(ValueError, match="images must be a tensor \\(N, 1, H, W\\)"):
        classical.denoise("median", torch.zeros(2, 28, 28), 3)
    with pytest.raises(ValueError, match="workers must be an int >= 1"):
        classical.denoise("median", x, 3, workers=0)
    with pytest.raises(ValueError, match="workers must be an int >= 1"):
        classical.tune_all(["bm3d"], x, [0.1], "gaussian", 0, workers=1.5)
    with pytest.raises(ValueError, match="grid for median is empty"):
        classical.tune("median", x, 0.1, "gaussian", 0, grid=())


# ---- tuning --------------------------------------------------------------------------------------

def test_tune_picks_the_best_grid_value(mnist):
    val = to_float(split(mnist, 10_000).val[:40])
    best, scores = classical.tune("gaussian", val, 0.4, "gaussian", 0, grid=(0.3, 0.9, 2.2))
    assert list(scores) == [0.3, 0.9, 2.2]
    assert best == 0.9 and scores[best] == max(scores.values())  # too little smoothing leaves noise, too much erases strokes


def test_tuning_sees_validation_images_only(mnist, monkeypatch):
    """tune_classical draws its images from the validation split: every image a denoiser
    receives is a noisy copy of a validation image, none of a test image."""
    seen = []
    real = classical.denoise

    def spy(name, x, value, workers=1, pool=None, factor=None, kind="gaussian"):
        seen.append(x.clone())
        return real(name, x, value, workers, pool, factor, kind)

    monkeypatch.setattr(classical, "denoise", spy)
    tuned = bench.tune_classical(mnist, ["gaussian", "median"], [0.2, 0.5], "gaussian", seed=3, n_val=30, n_val_slow=5)
    val = to_float(split(mnist, 10_000).val[:30])
    allowed = [noisy_copy(val, f, 3) for f in (0.2, 0.5)]
    assert len(seen) == len(classical.get("gaussian").grid) * 2 + len(classical.get("median").grid) * 2
    assert all(any(torch.equal(x, a) for a in allowed) for x in seen)
    test_noisy = noisy_copy(_digits(mnist, 30), 0.2, 3)
    assert not any(torch.equal(x, test_noisy) for x in seen)
    for name in ("gaussian", "median"):
        assert tuned[name]["n_images"] == 30
        assert all(v in classical.get(name).grid for v in tuned[name]["values"].values())


def test_slow_methods_are_tuned_on_fewer_images(mnist, monkeypatch):
    sizes = {}

    def fake_tune(name, images, factor, kind, seed, grid=None, workers=1, pool=None):
        sizes[name] = len(images)
        return classical.get(name).grid[0], {}

    monkeypatch.setattr(classical, "tune", fake_tune)
    bench.tune_classical(mnist, ["median", "bm3d"], [0.3], "gaussian", 0, n_val=50, n_val_slow=4)
    assert sizes == {"median": 50, "bm3d": 4}
    with pytest.raises(ValueError, match="number of validation images must be in \\[1, 10000\\]"):
        bench.validation_images(mnist, 0)


def test_tuning_is_kept_in_the_store_and_a_damaged_entry_is_tuned_again(mnist, tmp_path, monkeypatch):
    val = to_float(split(mnist, 10_000).val[:20])
    first = classical.tune_all(["median"], val, [0.3, 0.6], "salt-pepper", 0, cache_dir=tmp_path)
    files = sorted((tmp_path / "tuning").glob("median-*.json"))
    assert len(files) == 2 and first["median"]["values"][0.3] in classical.get("median").grid
    calls = []
    real = classical.tune

    def counted(*a, **k):
        calls.append(a[2])
        return real(*a, **k)

    monkeypatch.setattr(classical, "tune", counted)
    assert classical.tune_all(["median"], val, [0.3, 0.6], "salt-pepper", 0, cache_dir=tmp_path) == first
    assert calls == []
    classical.tune_all(["median"], val[:10], [0.3], "salt-pepper", 0, cache_dir=tmp_path)  # other images: another key
    assert calls == [0.3]
    calls.clear()
    files[0].write_text('{"best": 3, "scores": [[3, 1')  # a write cut short
    files[1].write_bytes(b"\x00\xff garbage")
    again = classical.tune_all(["median"], val, [0.3, 0.6], "salt-pepper", 0, cache_dir=tmp_path)
    assert again == first and sorted(calls) == [0.3, 0.6]  # both tuned again, the build goes on
    rewritten = sorted(json.loads(f.read_text())["best"] for f in files)  # and written whole again
    assert rewritten == sorted(first["median"]["values"].values())
    with pytest.raises(ValueError, match="noise kind"):
        classical.tune_all(["median"], val, [0.3], "uniform", 0)


# ---- the benchmark's networks --------------------------------------------------------------------

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


def test_network_configs_take_every_size_from_the_parameters():
    base = TrainConfig(lr=1e-3, epochs=1)
    c = bench.network_configs(base, [0.1, 0.3], "gaussian", conv_latent=32, mlp_latent=20, channels=[8, 16],
                              dae_latent=256, dae_channels=[16, 32], training="range")
    assert list(c) == ["dae-conv", "dae-mlp", bench.CLEAN_CONV, bench.CLEAN_MLP, bench.CONTROL]
    conv, mlp = c[bench.CLEAN_CONV], c[bench.CLEAN_MLP]
    assert (conv[0.1].latent, conv[0.1].channels, mlp[0.3].latent) == (32, (8, 16), 20)
    assert c["dae-mlp"][0.1].latent == 20 and c["dae-mlp"][0.1].train_noise == 0.3  # the MLPs share one code
    ctrl, dae = c[bench.CONTROL][0.1], c["dae-conv"][0.1]
    assert (ctrl.latent, ctrl.channels, ctrl.train_noise) == (256, (16, 32), 0.0)
    assert ctrl.replace(train_noise=dae.train_noise, noise_range=True) == dae  # differs in the training noise alone
    assert len(bench.distinct_configs(c)) == 5
    same = bench.network_configs(base, [0.1], "gaussian", 64, 128, [16, 32, 32], 64, [16, 32, 32])
    assert bench.CONTROL not in same  # the report's convolutional model already is the control


def test_networks_build_one_model_per_distinct_config():
    class FakeRun:
        def __init__(self):
            self.calls = 0

        def model(self):
            self.calls += 1
            return nn.Linear(1, 1)

    base = TrainConfig(model="mlp", latent=8, hidden=16, epochs=1)
    configs = {"dae-mlp": bench.dae_configs(base, [0.1, 0.3], "gaussian", "fixed", 0.2),
               "mlp-8": dict.fromkeys([0.1, 0.3], base)}
    runs = {cfg: FakeRun() for cfg in bench.distinct_configs(configs)}
    nets = bench.networks(configs, runs)
    assert nets["dae-mlp"][0.1] is nets["dae-mlp"][0.3] and nets["mlp-8"][0.1] is not nets["dae-mlp"][0.1]
    assert [r.calls for r in runs.values()] == [1, 1]
    described = bench.describe_configs(configs, "0" * 64)
    assert described["dae-mlp"]["config_by_noise"] == {"0.1": 0, "0.3": 0}
    assert described["dae-mlp"]["configs"][0]["train_noise"] == 0.2
    assert len(described["mlp-8"]["cache_keys"][0]) == 64


def test_check_count():
    assert bench.check_count("slow_subset", 200, 10_000) == 200
    with pytest.raises(ValueError, match="slow_subset must be in \\[1, 10000\\]"):
        bench.check_count("slow_subset", 0, 10_000)
    with pytest.raises(TypeError, match="workers must be an int"):
        bench.check_count("workers", 2.5, 64)


# ---- a small benchmark ---------------------------------------------------------------------------

class _Blur(nn.Module):
    """A stand-in network: a fixed 3x3 mean filter (with a parameter, as `reconstruct` needs)."""

    def __init__(self, scale=1.0):
        super().__init__()
        self.w = nn.Parameter(torch.full((1, 1, 3, 3), scale / 9))

    def forward(self, x):
        return torch.nn.functional.conv2d(x, self.w, padding=1).clamp(0, 1)


@pytest.fixture(scope="module")
def small(mnist):
    nets = {"dae-conv": _Blur(), "conv-64": _Blur(0.9), "conv-512": _Blur(0.95)}  # as the page names them
    return evaluate(nets, {"gaussian": {0.2: 0.5, 0.5: 0.9}, "median": {0.2: 3, 0.5: 5},
                           "bm3d": {0.2: 0.12, 0.5: 0.34}}, _digits(mnist, 12), [0.2, 0.5], seed=0, slow_subset=4, keep=3)


def test_versus_classical_pairs_each_method_on_the_images_it_shares(small):
    rows = bench.versus_classical(small, "dae-conv")
    assert [r["noise"] for r in rows] == [0.2, 0.5]
    for i, r in enumerate(rows):
        f = r["noise"]
        assert r["best"] == max(("gaussian", "median"), key=lambda n: small.scores(n).psnr[i])  # over all 12
        first, slow = r["comparisons"][0], next(c for c in r["comparisons"] if c["slow"])
        assert first["name"] == r["best"] and first["n_images"] == 12 and first["psnr_other"] == small.scores(
            r["best"]).psnr[i]
        diff = small.outputs["dae-conv"][f].psnr - small.outputs[r["best"]][f].psnr
        assert first["psnr_gain"] == pytest.approx(float(diff.mean())) and first["psnr_gain_ci"] > 0
        assert slow["name"] == "bm3d" and slow["n_images"] == 4  # BM3D's subset judges BM3D alone
        diff = small.outputs["dae-conv"][f].psnr[:4] - small.outputs["bm3d"][f].psnr
        assert slow["psnr_gain"] == pytest.approx(float(diff.mean()))
        assert {c["name"] for c in r["comparisons"]} == {"gaussian", "median", "bm3d"}
    with pytest.raises(ValueError, match="need 'dae-mlp'"):
        bench.versus_classical(small, "dae-mlp")
    g = bench.gains(small, "dae-conv", "conv-64")
    assert g["n_images"] == 12 and g["gain"][0] == pytest.approx(
        float((small.outputs["dae-conv"][0.2].psnr - small.outputs["conv-64"][0.2].psnr).mean()))


def test_tables_show_the_scores(small):
    t = tables.scores_table(small, "psnr")
    assert list(t.index) == ["noisy input", "dae-conv", "conv-64", "conv-512", "gaussian", "median", "bm3d"]
    s = small.scores("median")
    assert t.loc["median", "f = 0.5"] == f"{s.psnr[1]:.2f} ± {s.psnr_ci[1]:.2f}"
    assert t.loc["bm3d", "images"] == "4" and t.loc["median", "images"] == "12"
    with pytest.raises(ValueError, match="metric must be"):
        tables.scores_table(small, "mse")
    tuned = {"median": {"param": "size", "values": {0.2: 3, 0.5: 5}, "n_images": 30}}
    tt = tables.tuned_table(tuned)
    assert tt.loc["median (size)", "f = 0.5"] == "5" and tt.loc["median (size)", "validation images"] == "30"
    b = findings.bands(small, {"dae-conv": ["dae-conv"], "conv-64": ["conv-64", "conv-512"]})
    bt = tables.bands_table(small, ["dae-conv", "conv-64"], b)
    lo, hi = b["psnr"]["conv-64"]["lo"][0], b["psnr"]["conv-64"]["hi"][0]
    assert bt.loc[("PSNR (dB)", "0.2"), "conv-64"] == f"{small.scores('conv-64').psnr[0]:.2f} [{lo:.2f}, {hi:.2f}]"
    assert list(bt.columns) == ["noisy input", "dae-conv", "conv-64"] and bt.loc[("noise gain", "0.2"), "noisy input"] == "–"


def test_benchmark_figures_draw_the_scores(small):
    names = ["noisy input", *small.methods]
    fig = plots.curves_ci({"PSNR": {n: (small.scores(n).psnr, small.scores(n).psnr_ci) for n in names}},
                          "noise factor", small.noise, dashed=["median", "bm3d"], reference="noisy input")
    drawn = [list(line.get_ydata()) for line in fig.axes[0].lines if len(line.get_ydata()) == 2]
    for n in names:
        assert any(np.allclose(y, small.scores(n).psnr) for y in drawn), n
    seconds = {n: small.scores(n).seconds_per_image for n in small.methods}
    fig2 = plots.seconds_per_image(seconds, {n: small.scores(n).n_images for n in small.methods})
    bars = {t.get_text(): p.get_width() for t, p in zip(fig2.axes[0].get_yticklabels(), fig2.axes[0].patches)}
    assert bars == pytest.approx(seconds)
    plt.close("all")


# ---- bands and prose ------------------------------------------------------------------------------

def test_bands_span_the_seeds_and_the_intervals(small):
    b = findings.bands(small, {"conv": ["dae-conv", "conv-64"]})["psnr"]["conv"]
    a, c = small.scores("dae-conv"), small.scores("conv-64")
    assert b["value"] == a.psnr  # the first name: the page's seed
    assert b["lo"][1] == pytest.approx(min(a.psnr[1] - a.psnr_ci[1], c.psnr[1] - c.psnr_ci[1]))
    assert b["hi"][1] == pytest.approx(max(a.psnr[1] + a.psnr_ci[1], c.psnr[1] + c.psnr_ci[1]))
    gain = findings.bands(small, {"x": ["dae-conv"]})["noise_gain"]["x"]
    assert all(lo < v < hi for v, lo, hi in zip(gain["value"], gain["lo"], gain["hi"]))


def _bench_params(**changes) -> dict:
    """07b's checked parameters: the notebook's defaults with `changes` on top."""
    declared = declared_parameters(NOTEBOOKS / f"{pages.BENCH}.ipynb")
    return pages.bench_params({**{n: literal(d["default"]) for n, d in declared.items()}, **changes})


def _glue(small, kind="gaussian", median_best=True, control=True):
    """The benchmark page's glued values on a copy of `small`, steered into one branch: the median
    filter made the best classical method at every factor or at none, with or without the control
    (the notebook's defaults: conv-64 and the control conv-512; without it, a code of 64 for both)."""
    result = small
    if not control:
        result = evaluate({"dae-conv": _Blur(), "conv-64": _Blur(0.9)},
                          {"gaussian": {0.2: 0.5, 0.5: 0.9}, "median": {0.2: 3, 0.5: 5}},
                          small.clean_examples, [0.2, 0.5], seed=0, keep=3)
        result.outputs["bm3d"], result.tuned["bm3d"] = result.outputs["median"], ("sigma_psd", [0.1, 0.2])
    shift = 50.0 if median_best else -50.0
    median = {f: replace(d, psnr=d.psnr + shift) for f, d in result.outputs["median"].items()}
    result = replace(result, kind=kind, outputs={**result.outputs, "median": median})
    p = _bench_params(dae_training="each", **({} if control else {"dae_latent": 64}))
    assert p["conv_latent"] == 64
    tuned = {"median": {"values": {0.2: 3, 0.5: 5}}}
    return findings.bench_glue(result, p, tuned, [0.05, 0.2], findings.bench_verdicts(result, p))


@pytest.mark.parametrize("kind", ["gaussian", "salt-pepper"])
@pytest.mark.parametrize("median_best", [True, False])
def test_benchmark_prose_reads_for_every_branch(small, kind, median_best):
    g = _glue(small, kind, median_best)
    text = " ".join(str(v) for v in g.values())
    assert "None" not in text and "nan" not in text and "  " not in text and ".." not in text
    assert "`" not in text and "*" not in text  # glued text is not markdown: it would show verbatim
    assert ("one-sided" in g["bias_text"]) == (kind == "gaussian")
    assert g["bias_text"].endswith(".") and g["clip_text"].endswith(".")
    if median_best:
        assert "median is the best classical method at every factor" in g["bias_text"]
        assert g["best_text"] == "median at every factor"
        assert "it survives" in g["survive_text"] or "is lost" in g["survive_text"] or "cannot be told" in g["survive_text"]
    else:
        assert "none of" in g["bias_text"] and "at any factor" in g["bias_text"]
        assert "median" not in g["best_text"]
    assert g["slow_text"].startswith("bm3d, run on the first 4 test digits only")
    assert g["variants_text"].startswith("dae-conv is trained once per factor")
    assert g["target_verdict"] in ("holds", "holds in part", "does not hold", "within noise")
    assert small.kind == "gaussian" and small.scores("median").psnr[0] < 50  # the fixture is left alone


def test_benchmark_prose_without_a_separate_control(small):
    g = _glue(small, control=False)
    assert g["control_text"].startswith("conv-64 already has the denoising model's code of 64")
    assert "is itself the control" in g["control_text"]
    assert "already built like the denoising one" in g["noisy_training_evidence"]


@pytest.mark.parametrize("training", ["each", "conditional", "range", "fixed"])
def test_one_model_prose_says_what_this_execution_can_judge(small, training):
    """Only one model per level lets the page judge one model for every level; where dae-conv is
    itself the one model, the page says so, judges nothing, and sets it against the other variant."""
    other = {"conditional": "dae-conv-blind", "range": "dae-conv-cond"}.get(training, "dae-conv-blind")
    result = replace(small, outputs={**small.outputs, other: small.outputs["conv-64"]})
    p = _bench_params(dae_training=training)
    g = findings.bench_glue(result, p, {"median": {"values": {0.2: 3, 0.5: 5}}}, [0.05, 0.2],
                            verdicts := findings.bench_verdicts(result, p))
    text = g["one_model_text"]
    assert "`" not in text and "*" not in text and "None" not in text and "within 0.2 dB" in text
    gain = bench.gains(result, "dae-conv", other)["gain"]
    if training == "each":
        assert text.startswith("the variants, each trained once across the factors for 30 epochs")
        assert verdicts["blind"].outcome != claims.CANNOT  # dae-conv-blind is judged against the per-level models
        assert verdicts["conditional"].outcome == claims.CANNOT  # not trained here
    else:
        assert {v.outcome for k, v in verdicts.items() if k in ("blind", "conditional")} == {claims.CANNOT}
        assert 'dae_training "each"' in verdicts["blind"].evidence
    if training in ("conditional", "range"):
        assert text.startswith(f"here dae-conv is itself one model for every level, "
                               f"{'told' if training == 'conditional' else 'never told'} the level")
        assert f"Against {other}" in text and f"{gain[0]:+.2f} ±" in text and "paired over 12 test digits" in text
        assert "30 epochs, its learning rate decaying along a cosine from 0.002" in g["dae_training_text"]
    if training == "fixed":
        assert "at one level" in text and "Against" not in text


def test_a_small_lead_is_not_printed_as_a_tie():
    assert findings._lead([0.05, 5.83], [5.1, 5.83], 10_000) == (
        "On the 10,000 test digits its PSNR lead over the best classical method ranges from 0.05 to 5.8 dB, and is "
        "at least 5.1 dB from f = 0.3 on.")
    assert findings._lead([-0.04, -2.0], [], 10).endswith("trails the best classical method by 0.04 to 2.0 dB in PSNR.")


ROLE_KEY = re.compile(r"\bae-(conv|mlp)")  # bench's role keys (ae-conv, ae-mlp, ae-conv-dae-code); not dae-conv


def test_the_benchmark_shows_each_clean_model_under_its_page_07_name(mnist):
    """One name per model across the book: 07b's tables, figures, prose and JSON show the
    clean-trained models as 07_denoising names them (model_name: kind and code size), never by
    bench's role keys, and those names follow the parameters."""
    p = _bench_params(conv_latent=16, mlp_latent=24, channels=[8, 16], dae_latent=32, dae_channels=[8, 16],
                      noise_factors=[0.2, 0.5], dae_training="range", variants=False, n_val=20, n_val_slow=1)
    conv = recipe(p, model="conv", latent=16, channels=(8, 16))
    mlp, control = recipe(p, model="mlp", latent=24), conv.replace(latent=32)
    configs = pages.bench_configs(p)
    assert list(configs) == ["dae-conv", "dae-mlp", "conv-16", "mlp-24", "conv-32"]
    assert (model_name(conv), model_name(mlp), model_name(control)) == ("conv-16", "mlp-24", "conv-32")
    for cfg in (conv, mlp, control):
        assert set(configs[model_name(cfg)].values()) == {cfg}
    report = pages.report_configs({**p, "spread_seeds": []})  # page 07, same parameters: same names, same models
    assert all(set(configs[name].values()) == {cfg} for name, cfg in report.items())

    nets = {name: _Blur(0.8 + i / 20) for i, name in enumerate(configs)}
    tuned = {"gaussian": {"param": "sigma", "values": {0.2: 0.5, 0.5: 0.9}, "n_images": 20},
             "bm3d": {"param": "sigma_psd", "values": {0.2: 0.12, 0.5: 0.34}, "n_images": 1}}
    result = evaluate(nets, {n: t["values"] for n, t in tuned.items()}, _digits(mnist, 8), p["noise_factors"],
                      seed=0, slow_subset=2, keep=2)
    verdicts = findings.bench_verdicts(result, p)
    glue = findings.bench_glue(result, p, tuned, [0.05, 0.2], verdicts)
    section = SimpleNamespace(data=SimpleNamespace(name="mnist", sha256="0" * 64))
    results = findings.bench_results(section, result, p, configs, tuned, [0.05, 0.2], verdicts)
    names = ["noisy input", *result.methods]
    curves = plots.curves_ci({"PSNR (dB)": {n: (result.scores(n).psnr, result.scores(n).psnr_ci) for n in names}},
                             "noise factor", result.noise, dashed=classical.DENOISERS, reference="noisy input")
    times = plots.seconds_per_image({n: result.scores(n).seconds_per_image for n in result.methods},
                                    {n: result.scores(n).n_images for n in result.methods})
    grid = plots.image_blocks([[result.examples(f)[r] for f in result.noise] for r in ["noisy", *result.methods]],
                              ["noisy", *result.methods], [f"f = {f:g}" for f in result.noise])
    figure_text = [t.get_text() for fig in (curves, times, grid) for t in fig.findobj(plt.Text)]
    plt.close("all")
    shown = [*tables.scores_table(result, "psnr").index, *tables.scores_table(result, "ssim").index,
             *figure_text, *(str(v) for v in glue.values()), json.dumps(plain(results))]
    assert not [t for t in shown if ROLE_KEY.search(t)]
    assert {"conv-16", "mlp-24", "conv-32"} <= set(figure_text)  # every figure's legend or labels name them
    assert (glue["conv_name"], glue["mlp_name"], glue["control_name"]) == ("conv-16", "mlp-24", "conv-32")
    assert glue["control_text"].startswith("conv-32 is the control")
    assert results["clean_models"] == {"conv": "conv-16", "mlp": "mlp-24", "control": "conv-32"}
    assert results["equal_code"]["control"] == "conv-32" and set(results["networks"]) == set(configs)


def test_the_control_is_named_by_its_widths_where_its_code_is_the_report_models():
    names = pages.bench_names(_bench_params(conv_latent=64, dae_latent=64, dae_channels=[8, 16]))
    assert names == {bench.CLEAN_CONV: "conv-64", bench.CLEAN_MLP: "mlp-128", bench.CONTROL: "conv-64 (widths 8, 16)"}
    assert bench.CONTROL not in pages.bench_names(_bench_params(dae_latent=64))  # built alike: no control


def test_the_benchmark_notebook_names_no_role_key():
    import nbformat
    nb = nbformat.read(NOTEBOOKS / f"{pages.BENCH}.ipynb", as_version=4)
    assert not [c.id for c in nb.cells if ROLE_KEY.search(c.source)]
    assert "{glue:text}`conv_name`" in nb.cells[0].source and "{glue:text}`mlp_name`" in nb.cells[0].source


class _Flat(nn.Module):  # a model that did not learn: the same grey image whatever the input
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(()))

    def forward(self, x):
        return torch.full_like(x, 0.2) + self.w


def _report_glue(mnist, seeds, dead, dataset="mnist"):
    nets, configs = {}, {}
    for seed in seeds:
        tag = "" if seed == seeds[0] else f"-seed{seed}"
        nets[f"conv-64{tag}"], nets[f"mlp-128{tag}"] = _Blur(1 - seed / 20), _Flat() if dead else _Blur(0.8)
        configs[f"conv-64{tag}"] = TrainConfig(model="conv", latent=64, seed=seed)
        configs[f"mlp-128{tag}"] = TrainConfig(model="mlp", latent=128, seed=seed)
    m = pages.ReportModels("conv-64", "mlp-128", configs, nets)
    result = evaluate(nets, {}, _digits(mnist, 12), [0.1, 0.3, 0.6], seed=0, keep=2)
    section = SimpleNamespace(params={"seed": seeds[0]}, data=SimpleNamespace(name=dataset), device="cpu",
                              report_applies=dataset == "mnist", n_train=lambda cfg: "50,000")
    verdicts = findings.report_verdicts(result, m)
    return findings.report_glue(section, result, m, verdicts), findings.report_results(
        SimpleNamespace(**vars(section), cache_key=lambda cfg: "k" * 64), result, m, verdicts)


@pytest.mark.parametrize("seeds, dead, dataset", [([0, 1, 2], False, "mnist"), ([0], False, "fashion-mnist"),
                                                  ([0, 1], True, "mnist")])
def test_report_prose_reads_for_every_branch(mnist, seeds, dead, dataset):
    g, results = _report_glue(mnist, seeds, dead, dataset)
    strings = [v for v in g.values() if isinstance(v, str)]
    assert not any(c in v for v in strings for c in "`*")  # glued text is not markdown: it would show verbatim
    assert not any(seam in v for v in strings for seam in ("None", "nan", "  ", ".."))
    assert ("Training failed for mlp-128" in g["health"]) == dead
    assert all(g[f"{k}_verdict"] == "cannot tell" for k in ("noisier", "fails", "psnr", "ssim")) == dead
    assert ("seed 1" in g["spread_note"]) == (len(seeds) > 1) and ("one training seed" in g["spread_note"]) == (
        len(seeds) == 1)
    assert ("report's own data" in g["data_note"]) == (dataset == "mnist")
    assert results["seeds"] == seeds and results["models"] == ["conv-64", "mlp-128"]
    assert set(results["per_seed"]) == {n for n in results["configs"]}
    assert results["failed"] == (["mlp-128", *(f"mlp-128-seed{x}" for x in seeds[1:])] if dead else [])
    json.dumps(plain(results))


# ---- the pages' parameters ---------------------------------------------------------------------------

def test_benchmark_page_trains_what_its_own_parameters_say():
    params = {"conv_latent": 32, "mlp_latent": 20, "channels": "[8, 16]", "dae_latent": 40, "dae_training": "range",
              "noise_factors": "[0.1, 0.3]", "variants": False}
    jobs = page_jobs(pages.BENCH, params)
    got = {(j.config.model, j.config.latent, j.config.channels if j.config.model == "conv" else None,
            j.config.train_noise) for j in jobs}
    assert got == {("conv", 40, (16, 32, 32), 0.3), ("mlp", 20, None, 0.3), ("conv", 32, (8, 16), 0.0),
                   ("mlp", 20, None, 0.0), ("conv", 40, (16, 32, 32), 0.0)}
    assert all(j.config.dataset == "mnist" for j in jobs)
    recipe = {"one_model_epochs": 3, "one_model_lr": 5e-3}
    more = {j.config for j in page_jobs(pages.BENCH, {**params, "variants": True, **recipe})}
    across = sorted((c.model, c.epochs, c.lr, c.lr_schedule) for c in more if c.noise_range)
    # dae-conv (blind, as "range" says) and the told variant on the one-model recipe; dae-mlp on the page's
    assert across == [("cond", 3, 5e-3, "cosine"), ("conv", 3, 5e-3, "cosine"), ("mlp", 10, 1e-3, "constant")]
    with pytest.raises(ValueError, match="one_model_lr"):
        page_jobs(pages.BENCH, {**params, "one_model_lr": -1.0})
    told = {(j.config.model, j.config.noise_range) for j in page_jobs(pages.BENCH, {**params, "dae_training": "conditional"})
            if j.config.train_noise > 0}
    assert told == {("cond", True), ("mlp", True)}  # the MLP has no channel for the level: it is trained blind


def test_report_page_trains_each_model_at_every_seed():
    configs = pages.report_configs({**_report_defaults(), "spread_seeds": "[1, 2, 0]"})
    assert list(configs) == ["conv-64", "mlp-128", "conv-64-seed1", "mlp-128-seed1", "conv-64-seed2", "mlp-128-seed2"]
    assert [c.seed for c in configs.values()] == [0, 0, 1, 1, 2, 2]  # the page's own seed is not trained twice
    assert pages.report_params({**_report_defaults(), "spread_seeds": []})["spread_seeds"] == []
    m = pages.ReportModels("conv-64", "mlp-128", configs, {})
    assert m.seeds_of("conv-64") == ["conv-64", "conv-64-seed1", "conv-64-seed2"]


def _report_defaults():
    return {"noise_factors": [0.1, 0.2], "noise_seed": 0, "conv_latent": 64, "mlp_latent": 128,
            "channels": [16, 32, 32], "spread_seeds": [1], "seed": 0, "epochs": 1, "lr": 1e-3}


@pytest.mark.parametrize("change, error", [
    ({"noise_kind": "speckle"}, "noise kind"), ({"n_val": 0}, "n_val must be in"),
    ({"slow_subset": 2.5}, "slow_subset must be an int"), ({"conv_latent": 0}, "conv_latent"),
    ({"dae_channels": []}, "dae_channels must be a non-empty list"), ({"noise_factors": [2]}, "noise_factors"),
    ({"dae_noise": -1}, "dae_noise"), ({"noise_seed": -2}, "noise_seed"),
])
def test_benchmark_page_refuses_bad_parameters(change, error):
    with pytest.raises((ValueError, TypeError), match=error):
        page_jobs(pages.BENCH, change)


def test_report_page_refuses_bad_seeds():
    with pytest.raises(ValueError, match="spread_seeds"):
        pages.report_params({**_report_defaults(), "spread_seeds": [-1]})
    with pytest.raises(TypeError, match="spread_seeds"):
        pages.report_params({**_report_defaults(), "spread_seeds": ["a"]})
