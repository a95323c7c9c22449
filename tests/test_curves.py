"""Rate-distortion curve maths on hand-made points (aelib.compress.curves)."""
import pytest

from aelib.compress import curves


def _pts(pairs, codec="x", **extra):
    return [{"codec": codec, "bpp": b, "psnr": q, **extra} for b, q in pairs]


def test_frontier_drops_beaten_points():
    f = curves.frontier(_pts([(1.0, 20), (0.5, 22), (2.0, 30), (1.5, 25), (3.0, 29)]))
    assert [(p["bpp"], p["psnr"]) for p in f] == [(0.5, 22), (1.5, 25), (2.0, 30)]


def test_bpp_at_interpolates_log_bits_and_refuses_to_extrapolate():
    pts = _pts([(0.1, 20), (0.4, 30)])
    assert curves.bpp_at(pts, 25) == pytest.approx(0.2)  # geometric mean halfway
    assert curves.bpp_at(pts, 19.9) is None and curves.bpp_at(pts, 30.1) is None
    assert curves.bpp_at([], 25) is None


def test_compare_finds_where_ours_is_not_below():
    ours = _pts([(0.1, 20), (0.2, 30)])
    theirs = _pts([(0.05, 15), (0.15, 25), (1.0, 35)])  # fewer bits than ours from 20 to ~24 dB
    c = curves.compare(ours, theirs)
    assert c["overlap"] == [20, 30] and c["below"] is False and c["not_below"]
    lo, hi = c["not_below"][0]
    assert lo == pytest.approx(20) and 20 < hi < 25
    assert curves.compare(ours, _pts([(1.0, 20), (2.0, 30)]))["below"] is True
    assert curves.compare(ours, _pts([(1.0, 40), (2.0, 50)]))["overlap"] is None


OURS = _pts([(0.1, 20), (0.2, 30)], "ours-rate")
WEBP = _pts([(0.8, 22), (1.6, 32)], "webp", lossless=False)
PNG = _pts([(2.0, 100.0)], "png", lossless=True)
AVIF = _pts([(3.0, 33), (4.0, 40)], "avif", lossless=False)


def test_target_below_holds_fails_or_cannot_tell():
    # every lossy codec must be compared for "holds": one whose range misses ours leaves it open
    t = curves.target(OURS, WEBP + PNG + AVIF, psnr=25, factor=6)
    assert t["verdict_below"] == curves.CANNOT and t["not_compared"] == ["avif"]  # avif's range misses ours
    assert curves.target(OURS, WEBP + PNG)["verdict_below"] == curves.HOLDS
    assert curves.target(OURS, WEBP + PNG)["not_compared"] == []
    cheap = _pts([(0.05, 20), (0.3, 30)], "webp", lossless=False)
    assert curves.target(OURS, cheap)["verdict_below"] == curves.FAILS
    assert curves.target(OURS, cheap + AVIF)["verdict_below"] == curves.FAILS  # one codec beats ours: fails anyway
    assert curves.target(OURS, AVIF)["verdict_below"] == curves.CANNOT


def test_an_overlap_thinner_than_the_margin_compares_nothing():
    # 05b in the quick profile: ours and JPEG share 20.705-20.718 dB (0.013 dB); WebP and AVIF start higher
    ours = _pts([(16.3 * 8 / 784, 20.705), (20 * 8 / 784, 20.9)], "ours-rate")
    jpeg = _pts([(213.7 * 8 / 784, 20.70), (400 * 8 / 784, 20.718)], "jpeg", lossless=False)
    webp = _pts([(95.8 * 8 / 784, 22.9), (150 * 8 / 784, 26.0)], "webp", lossless=False)
    t = curves.target(ours, jpeg + webp)
    assert t["verdict_below"] == curves.CANNOT and t["thin"] == ["jpeg"] and t["not_compared"] == ["jpeg", "webp"]
    assert curves.target(ours, jpeg, min_overlap=0.01)["verdict_below"] == curves.HOLDS  # a looser margin
    more = ours + _pts([(40 * 8 / 784, 23.1)], "ours-rate")
    assert curves.target(more, webp)["verdict_below"] == curves.HOLDS  # 22.9-23.1 dB: enough to compare


def test_cheapest_at_reads_a_setting_above_the_quality_asked():
    jpeg = _pts([(213.7 * 8 / 784, 20.70), (400 * 8 / 784, 24.0)], "jpeg")
    webp = _pts([(95.8 * 8 / 784, 22.9), (150 * 8 / 784, 26.0)], "webp")
    at = curves.cheapest_at(jpeg + webp, 20.698)  # below both frontiers: the cheapest file that gives more
    assert at["codec"] == "webp" and at["bytes"] == pytest.approx(95.8) and at["psnr"] == 22.9
    assert not at["interpolated"]  # a file of that setting was made
    at = curves.cheapest_at(jpeg, 22.0)  # within JPEG's frontier: interpolated
    assert at["codec"] == "jpeg" and 213.7 < at["bytes"] < 400 and at["psnr"] == 22.0 and at["interpolated"]
    assert not curves.cheapest_at(jpeg, 24.0)["interpolated"]  # on a measured setting
    assert curves.cheapest_at(jpeg + webp, 30.0) is None


def test_target_factor_holds_fails_or_cannot_tell():
    t = curves.target(OURS, WEBP, psnr=25, factor=6)
    assert t["ratio"] == pytest.approx(curves.bpp_at(WEBP, 25) / curves.bpp_at(OURS, 25))
    assert t["bytes_ours"] == pytest.approx(t["bpp_ours"] * 784 / 8)
    assert t["verdict_factor"] == curves.HOLDS  # about 6.5 times fewer bits
    assert curves.target(OURS, WEBP, psnr=25, factor=7)["verdict_factor"] == curves.FAILS
    out_of_reach = curves.target(OURS, WEBP, psnr=35)
    assert out_of_reach["verdict_factor"] == curves.CANNOT and out_of_reach["ratio"] is None


def test_curves_nearest_and_lossless():
    ours = _pts([(0.1, 20), (0.2, 30)], "ours-rate", latent=32, lossless=False)
    pts = ours + _pts([(0.15, 24)], "ours-conv", latent=16, lossless=False) + WEBP + PNG
    grouped = curves.curves(pts)
    assert set(grouped) == {"ours-rate 32", "ours-conv 16", "webp"}
    assert curves.lossless_bpp(pts) == {"png": 2.0}
    assert curves.nearest(pts, "ours", 25)["psnr"] == 24  # the frontier of all ours together
    assert curves.nearest(pts, "webp", 25)["psnr"] == 22 and curves.nearest(pts, "jpeg", 25) is None


def test_counted_ways():
    pts = [{"codec": "ours-rate", "bpp": 0.3, "bpp_payload": 0.2, "bpp_stream": 0.21, "bpp_entropy": 0.2, "psnr": 24},
           {"codec": "webp", "bpp": 1.0, "bpp_payload": 0.7, "psnr": 23}]
    ways = curves.counted_ways(pts, "ours-rate")
    assert list(ways) == ["ours-rate, whole files", "ours-rate, payload only", "ours-rate, one stream",
                          "ours-rate, entropy estimate"]
    assert ways["ours-rate, one stream"][0]["bpp"] == 0.21
    assert list(curves.counted_ways(pts, "webp")) == ["webp, whole files", "webp, payload only"]
