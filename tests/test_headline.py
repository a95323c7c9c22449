"""The landing page's headline: rows and panels from the sections' JSON, with and without the
keys a newer section writes (`rd`, `methods`), and what happens when a section is missing."""
import json
import math

import pytest

from aelib.book import headline

NOISE = [0.1, 0.3, 0.5]


def _sections() -> dict:
    """Small results shaped like each section's JSON (the keys the landing page reads)."""
    return {
        "01_epochs": {"epochs": [0, 1, 10], "difference": [0.47, 0.085, 0.026], "seconds_per_epoch": 12.5},
        "02_learning_rate": {"lr": [1e-4, 1e-3, 1e-1], "difference": [0.085, 0.034, 0.135], "epochs": 5},
        "03_latent_size": {"latent": [1, 16, 128, 512], "difference_test": [0.13, 0.041, 0.027, 0.024],
                           "se_per_image_test": [44.0, 10.9, 5.3, 4.6],
                           "pca_se_per_image_test": [47.6, 20.0, 2.7, None],
                           "verdict_largest_overfits": "does not hold"},
        "04_foreign_images": {"images": ["skeleton", "Ai"], "ssim": {"mlp-128": [0.66, 0.63]},
                              "verdicts": {"only_ai": "does not hold for any model"}},
        "05_compression_ratio": {"latent": [512, 128, 16], "ratio_floats": [1.53125, 6.125, 49.0],
                                 "ratio_bytes": [0.3828125, 1.53125, 12.25], "psnr": [23.1, 22.4, 19.4]},
        "06_conv_vs_linear": {"model": ["mlp", "conv", "mlp", "conv"], "latent": [16, 16, 128, 128],
                              "difference": [0.043, 0.038, 0.027, 0.020], "seconds": [123.0, 329.0, 167.0, 124.0]},
        "04_foreign_images_conv": {"images": ["skeleton", "Ai"], "ssim": {"conv-128": [0.70, 0.83]},
                                   "verdicts": {"only_ai": "holds for conv-128 only"}},
        "07_denoising": {"noise": NOISE, "psnr_noisy": [22.7, 13.3, 9.4],
                         "psnr": {"conv-64": [19.2, 13.5, 10.8], "mlp-128": [20.4, 14.6, 11.0]}},
    }


def _rd_points() -> list[dict]:
    ours = [{"codec": "ours-conv", "setting": f"conv-16 step {s}", "bytes": b, "psnr": q, "lossless": False}
            for s, b, q in ((0.8, 13.0, 17.9), (0.2, 17.0, 20.0), (0.1, 30.0, 26.0))]
    theirs = [{"codec": c, "setting": f"q{i}", "bytes": b, "psnr": q, "lossless": False}
              for c, pts in (("webp", [(96.0, 22.9), (140.0, 29.0)]), ("jpeg", [(214.0, 20.7), (239.0, 23.1),
                                                                                  (288.0, 26.4)]))
              for i, (b, q) in enumerate(pts)]
    lossless = [{"codec": "png", "setting": "lossless", "bytes": 268.0, "psnr": 100.0, "lossless": True}]
    return ours + theirs + lossless


def _methods() -> dict:
    def m(psnr, param=None):  # as Scores.to_dict: only a classical method has its tuned `param`
        return {"noise": NOISE, "psnr": psnr, "psnr_subset": [p + 0.1 for p in psnr], "ssim": [0.5] * 3,
                **({"param": param, "values": [1, 2, 3]} if param else {})}
    return {"dae-conv": m([23.3, 21.8, 18.6]), "ae-conv": m([19.2, 13.5, 10.8]),
            "median": m([21.8, 17.2, 14.2], "size"), "nlmeans": m([25.6, 16.5, 12.5], "h"),
            "bm3d": m([25.5, 17.1, 13.3], "sigma_psd")}


def test_rows_follow_the_book_and_compare_with_the_report():
    rows = headline.rows(_sections())
    assert [r["page"] for r in rows] == [s for s, _ in headline.SECTIONS]
    by = {r["page"]: r for r in rows}
    assert by["01_epochs"]["ours"] == "difference 0.026 after 10 epochs; 12.5 s per epoch"
    assert by["01_epochs"]["report"] == "difference 0.029 after 10 epochs; 6.4 s per epoch"
    assert by["02_learning_rate"]["ours"].startswith("best rate 0.001 (difference 0.034")
    assert "1.53 counting bytes (code of 128)" in by["05_compression_ratio"]["ours"]
    assert "not in this execution" in by["05_compression_ratio"]["ours"]
    assert by["05_compression_ratio"]["report"] == "ratio 6.1 at a code of 128"
    assert by["06_conv_vs_linear"]["ours"].startswith("difference 0.020 (conv) against 0.027 (MLP) at a code of 128")
    assert "clean-trained conv-64 10.8 dB" in by["07_denoising"]["ours"]
    assert headline.report_numbers(rows) == 4  # epochs, learning rate, ratio, conv against MLP


def test_a_missing_section_is_named_not_fatal():
    sections = {**_sections(), "03_latent_size": None}
    row = {r["page"]: r for r in headline.rows(sections)}["03_latent_size"]
    assert row["ours"] == "not executed yet (no results/03_latent_size.json)" and row["report"] == "–"
    panel = headline.latent_panel(None)
    assert panel.series == {} and "03_latent_size not executed yet" == panel.note
    assert headline.pca_better(None) == []


def test_a_section_without_what_the_page_reads_is_an_error_that_names_it():
    sections = {**_sections(), "06_conv_vs_linear": {"model": ["mlp"]}}
    with pytest.raises(ValueError, match="results of 06_conv_vs_linear lack"):
        headline.rows(sections)


def test_read_sections(tmp_path):
    (tmp_path / "01_epochs.json").write_text(json.dumps(_sections()["01_epochs"]))
    got = headline.read_sections(tmp_path, ["01_epochs", "02_learning_rate"])
    assert got == {"01_epochs": _sections()["01_epochs"], "02_learning_rate": None}
    (tmp_path / "02_learning_rate.json").write_text("{")
    with pytest.raises(ValueError, match="02_learning_rate.json is not valid JSON"):
        headline.read_sections(tmp_path, ["02_learning_rate"])


def test_pca_better_skips_missing_values():
    assert headline.pca_better(_sections()["03_latent_size"]) == [128]


def test_rate_distortion_when_recorded():
    r = {**_sections()["05_compression_ratio"], "rd": _rd_points(),
         "rd_target": {"psnr": 25.0, "bytes_reference": 109.0, "verdict_below": "holds"}}
    rd = headline.rd_summary(r)
    assert rd["best_codec"] == "webp"  # reaches 25 dB with fewer bytes than JPEG
    assert [p["bytes"] for p in rd["ours"]] == [13.0, 17.0, 30.0]
    assert rd["ours_setting"] == "conv-16 step 0.1" and rd["ours_psnr"] == 26.0
    assert 96.0 < rd["best_bytes_at_target"] < 140.0
    row = {x["page"]: x for x in headline.rows({"05_compression_ratio": r})}["05_compression_ratio"]
    assert "our codec nearest 25 dB: 30 B per image at 26.0 dB; WebP at 25 dB: 109 B" in row["ours"]
    panel = headline.bytes_panel(r)
    assert panel.note is None and list(panel.series) == ["our codecs (best)", "webp, the best standard codec at 25 dB"]


def test_rate_distortion_when_no_codec_reaches_the_target():
    r = {**_sections()["05_compression_ratio"], "rd": [p for p in _rd_points() if p["psnr"] < 24.0]}
    rd = headline.rd_summary(r)
    assert rd["best_bytes_at_target"] is None and rd["best_codec"] == "webp"  # its smallest file is smallest
    assert list(headline.bytes_panel(r).series)[1] == "webp, the best standard codec"


def test_rate_distortion_when_absent():
    r = _sections()["05_compression_ratio"]
    assert headline.rd_summary(r) is None and headline.rd_summary({**r, "rd": []}) is None
    panel = headline.bytes_panel(r)
    assert panel.note == "standard codecs: not in this execution"
    assert panel.series["autoencoder code"][0] == [2048, 512, 64]  # 4 bytes per float


def test_denoising_benchmark_when_recorded():
    r = {**_sections()["07_denoising"], "methods": _methods()}
    bench = headline.denoise_summary(r)
    assert bench["key"] == "psnr_subset"  # BM3D's images, where every method was scored
    assert bench["best_classical"] == pytest.approx([25.7, 17.3, 14.3])
    assert bench["dae"] == pytest.approx([23.4, 21.9, 18.7])
    row = {x["page"]: x for x in headline.rows({"07_denoising": r})}["07_denoising"]
    assert "denoising autoencoder 18.7 dB against the best classical denoiser's 14.3 dB" in row["ours"]
    panel = headline.denoise_panel(r)
    assert panel.note is None
    assert list(panel.series) == ["noisy input", "conv-64, trained clean", "denoising autoencoder",
                                  "best classical denoiser"]


def test_denoising_benchmark_when_absent():
    r = _sections()["07_denoising"]
    assert headline.denoise_summary(r) is None
    assert headline.denoise_summary({**r, "methods": {"median": _methods()["median"]}}) is None  # no dae-conv
    assert headline.denoise_summary({**r, "methods": {"dae-conv": _methods()["dae-conv"]}}) is None  # no classical
    panel = headline.denoise_panel(r)
    assert panel.note == "classical denoisers: not in this execution"
    assert list(panel.series) == ["noisy input", "conv-64, trained clean", "mlp-128, trained clean"]


def test_headline_figure():
    import matplotlib.pyplot as plt

    from aelib import plots
    sections = {**_sections(), "01_epochs": None}
    fig = plots.headline_panels(headline.panels(sections))
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == 4
    assert len(axes[0].lines) == 0 and "01_epochs not executed yet" in axes[0].texts[0].get_text()
    assert len(axes[1].lines) == 2 and all(math.isfinite(y) for y in axes[1].lines[1].get_ydata())  # None dropped
    assert "standard codecs: not in this execution" in [t.get_text() for t in axes[2].get_legend().get_texts()]
    plt.close("all")
