"""Rate-distortion points measured from real bytes (aelib.compress.rd); the curve maths is in
test_curves.py."""
import json

import numpy as np
import pytest

from aelib.compress import codec as C
from aelib.compress import rd
from aelib.compress.fileformat import ONE_IMAGE_HEADER
from aelib.runs import cached_run
from aelib.config import TrainConfig
from aelib.data import to_float


def test_standard_points_are_measured_once_then_cached(mnist, tmp_path):
    images = mnist.test_images[:5].numpy()
    settings = {"png": [None], "jpeg": [20], "gzip": [None]}
    pts = rd.standard_points(images, settings, cache_dir=tmp_path, workers=1)
    assert [p["codec"] for p in pts] == ["png", "jpeg", "gzip"]
    png, jpeg, gz = pts
    assert png["lossless"] and png["psnr"] == pytest.approx(100.0) and png["ssim"] == pytest.approx(1.0)
    assert not jpeg["lossless"] and 10 < jpeg["psnr"] < 60 and jpeg["bpp_payload"] < jpeg["bpp"]
    assert gz["bpp_stream"] < gz["bpp"]
    cached = list((tmp_path / "stdcodecs").glob("*.json"))
    assert len(cached) == 1 and json.loads(cached[0].read_text()) == pts
    assert rd.standard_points(images, settings, cache_dir=tmp_path) == pts


def test_standard_points_shared_among_processes_are_the_same_points(mnist):
    images = mnist.test_images[:40].numpy()
    settings = {"webp": [10, 50], "jpeg": [20], "xz": [None]}
    alone, shared = (rd.standard_points(images, settings, workers=w) for w in (1, 2))
    untimed = lambda pts: [{k: v for k, v in p.items() if k != "seconds"} for p in pts]  # noqa: E731
    assert untimed(shared) == untimed(alone) and [p["setting"] for p in shared] == [p["setting"] for p in alone]
    with pytest.raises(ValueError, match="workers must be an int >= 1"):
        rd.standard_points(images, settings, workers=-1)


def test_ours_point_counts_real_bytes(mnist, cache_dir):
    cfg = TrainConfig(model="mlp", latent=8, hidden=32, epochs=1, lr=1e-3, train_size=512, val_size=256)
    codec = C.for_spec(C.CodecSpec(cfg, 0.5), cached_run(cfg, mnist, cache_dir), mnist, cache_dir)
    x = to_float(mnist.test_images[:30])
    p = rd.ours_point(codec, x)
    files = codec.compress_each(x)
    assert p["codec"] == "ours-mlp" and p["setting"] == "mlp-8 step 0.5"
    assert p["bytes"] == pytest.approx(np.mean([len(b) for b in files]))
    assert p["bpp"] == pytest.approx(8 * p["bytes"] / 784)
    assert p["bpp_payload"] == pytest.approx(p["bpp"] - 8 * ONE_IMAGE_HEADER / 784)
    assert p["bpp_stream"] < p["bpp"] and p["bpp_entropy"] <= p["bpp_stream"] + 8 * 2 / 784 / 30 + 1e-9
    assert p["psnr"] > 5 and 0 < p["ssim"] <= 1


def test_evaluate_ours_measures_each_point_once(mnist, tmp_path, monkeypatch):
    cfg = TrainConfig(model="mlp", latent=8, hidden=32, epochs=1, lr=1e-3, train_size=512, val_size=256)
    specs = [C.CodecSpec(cfg, s) for s in (0.5, 1.0)]
    x = to_float(mnist.test_images[:20])
    first, codecs = rd.evaluate_ours(specs, mnist, x, tmp_path)
    assert [p["setting"] for p in first] == [s.name for s in specs] and set(codecs) == {s.name for s in specs}
    assert len(list((tmp_path / "rdpoints").glob("*.json"))) == 2

    def boom(*a, **k):
        raise AssertionError("measured or fitted again despite the cache")

    monkeypatch.setattr(rd, "ours_point", boom)
    monkeypatch.setattr(C, "training_latents", boom)  # codecs cached too: no pass over the training set
    assert rd.evaluate_ours(specs, mnist, x, tmp_path)[0] == first
    with pytest.raises(AssertionError, match="measured or fitted again"):  # other images: another key
        rd.evaluate_ours(specs, mnist, x[:10], tmp_path)


def test_evaluate_ours_uses_the_runs_it_is_given(mnist, tmp_path, monkeypatch):
    cfg = TrainConfig(model="mlp", latent=8, hidden=32, epochs=1, lr=1e-3, train_size=512, val_size=256)
    run = cached_run(cfg, mnist, tmp_path / "elsewhere")
    import aelib.runs

    def boom(*a, **k):
        raise AssertionError("loaded or trained although the page passed its run")

    monkeypatch.setattr(aelib.runs, "cached_run", boom)
    points, _ = rd.evaluate_ours([C.CodecSpec(cfg, 0.5)], mnist, to_float(mnist.test_images[:5]), tmp_path,
                                 runs={cfg: run})
    assert points[0]["setting"] == "mlp-8 step 0.5"


def test_encoder_options_reach_the_encoder_and_the_cache_key(mnist, tmp_path):
    from aelib.compress import stdcodecs
    images = mnist.test_images[:8].numpy()
    (tuned,) = rd.standard_points(images, {"avif": [0]}, tmp_path)
    (libavif,) = rd.standard_points(images, {"avif": [0]}, tmp_path, options={"avif": stdcodecs.AVIF_LIBAVIF_TUNING})
    assert len(list((tmp_path / "stdcodecs").glob("*.json"))) == 2  # one entry per set of options
    assert tuned["psnr"] < libavif["psnr"] - 3  # tune=psnr lets the lowest quality go far lower
