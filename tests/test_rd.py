import json

import numpy as np
import pytest

from aelib import codec as C
from aelib import rd
from aelib.cache import cached_run
from aelib.config import TrainConfig
from aelib.data import to_float


def _pts(pairs, codec="x"):
    return [{"codec": codec, "bpp": b, "psnr": q} for b, q in pairs]


def test_frontier_drops_beaten_points():
    f = rd.frontier(_pts([(1.0, 20), (0.5, 22), (2.0, 30), (1.5, 25), (3.0, 29)]))
    assert [(p["bpp"], p["psnr"]) for p in f] == [(0.5, 22), (1.5, 25), (2.0, 30)]


def test_bpp_at_interpolates_log_bits_and_refuses_to_extrapolate():
    pts = _pts([(0.1, 20), (0.4, 30)])
    assert rd.bpp_at(pts, 25) == pytest.approx(0.2)  # geometric mean halfway
    assert rd.bpp_at(pts, 19.9) is None and rd.bpp_at(pts, 30.1) is None


def test_compare_finds_where_ours_is_not_below():
    ours = _pts([(0.1, 20), (0.2, 30)])
    theirs = _pts([(0.05, 15), (0.15, 25), (1.0, 35)])  # below ours from 20 to ~27 dB
    c = rd.compare(ours, theirs)
    assert c["overlap"] == [20, 30] and c["below"] is False and c["not_below"]
    assert rd.compare(ours, _pts([(1.0, 20), (2.0, 30)]))["below"] is True
    assert rd.compare(ours, _pts([(1.0, 40), (2.0, 50)]))["overlap"] is None


def test_pay_off():
    assert rd.images_to_pay_off(1000, 10, 110) == 10
    assert rd.images_to_pay_off(1001, 10, 110) == 11
    assert rd.images_to_pay_off(1000, 110, 100) is None


def test_standard_points_are_measured_once_then_cached(mnist, tmp_path):
    images = mnist.test_images[:5].numpy()
    settings = {"png": [None], "jpeg": [20], "gzip": [None]}
    pts = rd.standard_points(images, settings, cache_dir=tmp_path)
    assert [p["codec"] for p in pts] == ["png", "jpeg", "gzip"]
    png, jpeg, gz = pts
    assert png["lossless"] and png["psnr"] == pytest.approx(100.0) and png["ssim"] == pytest.approx(1.0)
    assert not jpeg["lossless"] and 10 < jpeg["psnr"] < 60 and jpeg["bpp_payload"] < jpeg["bpp"]
    assert gz["bpp_stream"] < gz["bpp"]
    cached = list((tmp_path / "stdcodecs").glob("*.json"))
    assert len(cached) == 1 and json.loads(cached[0].read_text()) == pts
    assert rd.standard_points(images, settings, cache_dir=tmp_path) == pts


def test_ours_point_counts_real_bytes(mnist, cache_dir):
    cfg = TrainConfig(model="mlp", latent=8, hidden=32, epochs=1, lr=1e-3, train_size=512, val_size=256)
    codec = C.for_spec(C.CodecSpec(cfg, 0.5), cached_run(cfg, mnist, cache_dir), mnist, cache_dir)
    x = to_float(mnist.test_images[:30])
    p = rd.ours_point(codec, x)
    files = codec.compress_each(x)
    assert p["codec"] == "ours-mlp" and p["setting"] == "mlp-8 step 0.5"
    assert p["bytes"] == pytest.approx(np.mean([len(b) for b in files]))
    assert p["bpp"] == pytest.approx(8 * p["bytes"] / 784)
    assert p["bpp_payload"] == pytest.approx(p["bpp"] - 8 * 8 / 784)
    assert p["bpp_stream"] < p["bpp"] and p["bpp_entropy"] <= p["bpp_stream"] + 8 * 2 / 784 / 30 + 1e-9
    assert p["psnr"] > 5 and 0 < p["ssim"] <= 1


def test_target_verdicts():
    ours = [{"codec": "ours-rate", "bpp": b, "psnr": q} for b, q in [(0.1, 20), (0.2, 30)]]
    webp = [{"codec": "webp", "lossless": False, "bpp": b, "psnr": q} for b, q in [(0.8, 22), (1.6, 32)]]
    png = [{"codec": "png", "lossless": True, "bpp": 2.0, "psnr": 100.0}]
    avif = [{"codec": "avif", "lossless": False, "bpp": b, "psnr": q} for b, q in [(3.0, 33), (4.0, 40)]]
    t = rd.target(ours, webp + png + avif, psnr=25, factor=6)
    assert t["verdict_below"] == "holds where the curves meet (not every codec)" and t["not_compared"] == ["avif"]
    assert rd.target(ours, webp + png)["verdict_below"] == "holds"
    assert t["ratio"] == pytest.approx(rd.bpp_at(webp, 25) / rd.bpp_at(ours, 25))
    assert t["verdict_factor"] == ("holds" if t["ratio"] >= 6 else "does not hold")
    assert rd.target(ours, webp, psnr=35)["verdict_factor"] == "cannot be judged"
    slow = [{"codec": "webp", "lossless": False, "bpp": b, "psnr": q} for b, q in [(0.05, 20), (0.3, 30)]]
    assert rd.target(ours, slow)["verdict_below"] == "does not hold"


def test_counted_ways():
    pts = [{"codec": "ours-rate", "bpp": 0.3, "bpp_payload": 0.2, "bpp_stream": 0.21, "bpp_entropy": 0.2, "psnr": 24},
           {"codec": "webp", "bpp": 1.0, "bpp_payload": 0.7, "psnr": 23}]
    ways = rd.counted_ways(pts, "ours-rate")
    assert list(ways) == ["ours-rate, whole files", "ours-rate, payload only", "ours-rate, one stream",
                          "ours-rate, entropy estimate"]
    assert ways["ours-rate, one stream"][0]["bpp"] == 0.21
    assert list(rd.counted_ways(pts, "webp")) == ["webp, whole files", "webp, payload only"]


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
