"""The landing page's headline: rows and panels read from the pages' JSON, the report's column on
MNIST only, and what happens when a page is missing or lacks what the landing page reads."""
import json
import math

import pytest

from aelib.book import headline

NOISE = [0.1, 0.3, 0.5]
V = lambda outcome: {"claim": "c", "outcome": outcome, "evidence": "e"}  # noqa: E731


def _sections() -> dict:
    """Small results shaped like each page's JSON (the keys the landing page reads)."""
    return {
        "01_epochs": {"epochs": [0, 1, 10], "difference": [0.47, 0.085, 0.026], "sec_per_epoch": 12.5},
        "02_learning_rate": {"lr": [1e-4, 1e-3, 1e-1], "difference": [0.085, 0.034, 0.135], "epochs": 5,
                             "verdict_best_rates": V("within noise")},
        "03_latent_size": {"latent": [1, 16, 128, 512], "difference_test": [0.13, 0.041, 0.027, 0.024],
                           "se_per_image_test": [44.0, 10.9, 5.3, 4.6], "pca_se_per_image_test": [47.6, 20.0, 2.7, None],
                           "verdict_largest_overfits": V("does not hold")},
        "04_foreign_images": {"images": ["skeleton", "Ai"], "explained": {"mlp-128": [0.31, 0.62], "conv-128": [0.5, 0.8]},
                              "verdicts": {"only_ai": {"mlp-128": V("holds in part"), "conv-128": V("holds")}}},
        "05_compression_ratio": {"latent": [512, 128, 16], "ratio_floats": [1.53125, 6.125, 49.0],
                                 "ratio_bytes": [0.3828125, 1.53125, 12.25],
                                 "verdict_decoder_not_a_factor": V("holds in part")},
        "06_conv_vs_linear": {"model": ["mlp", "conv", "mlp", "conv"], "latent": [16, 16, 128, 128],
                              "difference": [0.043, 0.038, 0.027, 0.020], "seconds": [123.0, 329.0, 167.0, 124.0],
                              "verdicts": {"accurate": V("holds")}},
        "07_denoising": {"noise": NOISE, "n_test": 10_000, "psnr_noisy": [22.7, 13.3, 9.4],
                         "psnr": {"conv-64": [19.2, 13.5, 10.8], "mlp-128": [20.4, 14.6, 11.0]},
                         "verdicts": {"most": V("holds in part")}},
        "03b_thirty_numbers": {"n_test": 10_000, "paper": {"deep autoencoder": 3.0, "PCA": 13.87},
                               "methods": {"PCA, as in the paper (unclipped)": {"mean": 13.87, "ci": 0.1},
                                           "convolutional, shared recipe (10 epochs)": {"mean": 3.3, "ci": 0.05},
                                           "deep MLP 784-1000-500-250-30, our recipe": {"mean": 3.5, "ci": 0.05},
                                           "convolutional, our recipe": {"mean": 2.5, "ci": 0.05}},
                               "verdicts": {"deep MLP 784-1000-500-250-30, our recipe": V("does not hold"),
                                            "convolutional, our recipe": V("holds")}},
        "05b_real_compression": {"target_psnr": 25.0, "n_test": 10_000, "points": _points(),
                                 "near": {"ours": {"bytes": 30.0, "psnr": 26.0}, "webp": {"bytes": 140.0, "psnr": 29.0}}},
        "07b_denoising_benchmark": {"n_subset": 150, "background_mean": [0.04, 0.12, 0.2], "versus_classical": [
            {"noise": f, "best": b, "comparisons": [{"name": b, "n_images": 10_000, "psnr_dae-conv": d, "psnr_other": c},
                                                     {"name": "bm3d", "n_images": 150, "psnr_dae-conv": d + 1,
                                                      "psnr_other": c + 5}]}
            for f, d, c, b in zip(NOISE, [27.0, 21.8, 18.6], [25.6, 17.2, 14.2], ["nlmeans", "median", "median"])]},
    }


def _points() -> list[dict]:
    ours = [{"codec": "ours-conv", "bytes": b, "psnr": q} for b, q in ((13.0, 17.9), (17.0, 20.0), (30.0, 26.0), (31.0, 25.0))]
    webp = [{"codec": "webp", "bytes": b, "psnr": q} for b, q in ((96.0, 22.9), (140.0, 29.0))]
    jpeg = [{"codec": "jpeg", "bytes": b, "psnr": q} for b, q in ((213.7, 20.7), (300.0, 30.0))]
    pts = ours + webp + jpeg + [{"codec": "png", "bytes": 268.0, "psnr": 100.0}]
    return [{**p, "bpp": p["bytes"] * 8 / 784, "lossless": p["codec"] == "png"} for p in pts]


def test_rows_follow_the_book_and_carry_the_numbers_they_quote():
    rows = headline.rows(_sections())
    assert [r["page"] for r in rows] == [s for s, _ in headline.SECTIONS]
    by = {r["page"]: r["values"] for r in rows}
    assert by["01_epochs"] == {"epochs": 10, "difference": 0.026, "sec_per_epoch": 12.5}
    assert by["02_learning_rate"]["lr"] == 1e-3 and by["02_learning_rate"]["verdict"] == "within noise"
    assert by["03_latent_size"]["difference"] == {16: 0.041, 128: 0.027}
    assert by["04_foreign_images"] == {"ai_explained": {"mlp-128": 0.62, "conv-128": 0.8},
                                       "only_ai": {"mlp-128": "holds in part", "conv-128": "holds"}}
    assert by["05_compression_ratio"]["latent"] == 128 and by["05_compression_ratio"]["ratio_bytes"] == 1.53125
    assert (by["06_conv_vs_linear"]["conv"], by["06_conv_vs_linear"]["mlp"]) == (0.020, 0.027)
    assert by["07_denoising"]["psnr"] == 10.8 and by["07_denoising"]["noise"] == 0.5
    deep, conv = "deep MLP 784-1000-500-250-30, our recipe", "convolutional, our recipe"
    assert by["03b_thirty_numbers"] == {"ours": {deep: 3.5, conv: 2.5}, "verdicts": {deep: "does not hold", conv: "holds"},
                                        "pca": 13.87, "paper_deep": 3.0, "paper_pca": 13.87}
    row = {r["page"]: r for r in rows}["03b_thirty_numbers"]["ours"]
    assert "deep MLP 784-1000-500-250-30, our recipe, 3.50, falls short of it" in row
    assert "convolutional, our recipe, 2.50, beats it" in row and "shared recipe" not in row
    # ours as page 05b shows it, beside the fewest bytes a standard codec needs at that PSNR or above: equal quality
    real = by["05b_real_compression"]
    assert real["ours_bytes"] == 30.0 and real["ours_psnr"] == 26.0
    assert real["theirs_codec"] == "webp" and 96.0 < real["theirs_bytes"] < 140.0 and real["theirs_psnr"] == 26.0
    assert "lowest setting" not in {r["page"]: r for r in rows}["05b_real_compression"]["ours"]
    low = {**_sections()["05b_real_compression"], "near": {"ours": {"bytes": 17.0, "psnr": 20.0}}}
    text = {r["page"]: r for r in headline.rows({**_sections(), "05b_real_compression": low})}[
        "05b_real_compression"]["ours"]  # ours below WebP's lowest setting, 22.9 dB
    assert "96.0 B, a WebP file at 22.90 dB (its lowest setting, 2.90 dB above ours: it goes no lower)" in text
    row = {r["page"]: r for r in rows}["05b_real_compression"]["ours"]
    assert "B, WebP at 26.00 dB, read off its curve between two of its settings" in row  # no such file was made
    # the benchmark on every test digit, never on BM3D's subset
    bench = by["07b_denoising_benchmark"]
    assert (bench["dae"], bench["classical"], bench["n_test"], bench["background_mean"]) == (18.6, 14.2, 10_000, 0.2)
    row = {r["page"]: r for r in rows}["07b_denoising_benchmark"]["ours"]
    assert "on 10,000 test digits" in row and "150" not in row
    # the report's number for epochs, learning rate, ratio and conv against MLP, and for no other row
    assert headline.report_numbers(rows) == 4
    assert "0.029" in {r["page"]: r for r in rows}["01_epochs"]["report"]  # its difference after 10 epochs


def test_the_report_is_not_set_beside_another_dataset():
    sections = {k: {**v, "dataset": "fashion-mnist"} for k, v in _sections().items()}
    rows = headline.rows(sections)
    assert headline.report_numbers(rows) == 0
    assert all("fashion-mnist" in r["report"] for r in rows)
    assert list(headline.epochs_panel(sections["01_epochs"]).series) == ["this book"]


def test_a_missing_section_is_named_not_fatal():
    sections = {**_sections(), "03_latent_size": None}
    row = {r["page"]: r for r in headline.rows(sections)}["03_latent_size"]
    assert "03_latent_size.json" in row["ours"] and row["values"] == {} and headline.report_numbers([row]) == 0
    panel = headline.latent_panel(None)
    assert panel.series == {} and "03_latent_size" in panel.note
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


def test_bytes_panel_is_the_frontiers_of_page_05b():
    panel = headline.bytes_panel(_sections()["05b_real_compression"])
    ours_x, ours_y, _ = panel.series["our codecs (best)"]
    assert ours_x == [13.0, 17.0, 30.0] and ours_y == [17.9, 20.0, 26.0]  # (31 B, 25 dB) is beaten by (30 B, 26 dB)
    assert panel.series["WebP"][0] == [96.0, 140.0]
    assert headline.bytes_panel(None).note == "05b_real_compression not executed yet"


def test_denoising_panel_with_and_without_the_benchmark():
    s = _sections()
    both = headline.denoise_panel(s["07_denoising"], s["07b_denoising_benchmark"])
    assert both.note is None
    assert both.series["best classical denoiser"][1] == [25.6, 17.2, 14.2]
    clean_only = headline.denoise_panel(s["07_denoising"], None)
    assert list(clean_only.series) == ["noisy input", "conv-64, trained clean"]
    assert "07b" in clean_only.note


def test_headline_figure():
    import matplotlib.pyplot as plt

    from aelib import plots
    from aelib.book import figures
    sections = {**_sections(), "01_epochs": None}
    fig = figures.headline_panels(headline.panels(sections))
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == 4
    assert len(axes[0].lines) == 0 and "01_epochs not executed yet" in axes[0].texts[0].get_text()
    assert len(axes[1].lines) == 2 and all(math.isfinite(y) for y in axes[1].lines[1].get_ydata())  # None dropped
    assert len(axes[3].lines) == 4
    assert plots.smallest_text_px(fig) >= plots.MIN_TEXT_PX - 1e-9  # readable in the book's column
    plt.close("all")
