"""Figures: what they draw, and that their smallest text stays readable in the book's column."""
import matplotlib.pyplot as plt
import pytest
import torch

from aelib import plots


@pytest.fixture(autouse=True)
def _style():
    plots.set_style()
    yield
    plt.close("all")


def _points(n=4):
    return [{"bpp": 0.1 * (i + 1), "psnr": 15.0 + 3 * i, "ssim": 0.5 + 0.1 * i} for i in range(n)]


FIGURES = {
    "image_rows": lambda: plots.image_rows([torch.rand(12, 1, 28, 28)] * 5, [f"row {i}" for i in range(5)]),
    "curves": lambda: plots.curves({"a": [1.0, 0.5, 0.3], "b": [1.0, 0.7, 0.6]}, "epoch", "MSE", logy=True),
    "curve_panels": lambda: plots.curve_panels({"PSNR": {"a": [20, 18, 16]}, "SSIM": {"a": [0.9, 0.8, 0.7]},
                                                "noise gain": {"a": [0.1, 0.2, 0.3]}}, "noise factor", [0.1, 0.3, 0.5]),
    "image_blocks": lambda: plots.image_blocks([[torch.rand(6, 1, 28, 28)] * 6] * 4, [f"r{i}" for i in range(4)],
                                               [f"f = {f}" for f in range(6)]),
    "against_latent": lambda: plots.against_latent([1, 16, 128, 512], {"ae": [40, 11, 5, 4], "PCA": [47, 20, 3, 0.1]},
                                                   "squared error per image"),
    "curves_ci": lambda: plots.curves_ci({"PSNR (dB)": {"a": ([20, 18], [0.1, 0.1]), "b": ([19, 17], [0.1, 0.1])},
                                          "SSIM": {"a": ([0.9, 0.8], [0.01, 0.01]), "b": ([0.8, 0.7], [0.01, 0.01])}},
                                         "noise factor", [0.1, 0.3], dashed=["b"]),
    "seconds_per_image": lambda: plots.seconds_per_image({"a": 1e-4, "bm3d": 0.2}, {"a": 100, "bm3d": 10}),
    "rate_distortion": lambda: plots.rate_distortion({"ours": _points(), "webp": _points(3)}, {"png": 2.8}),
    "byte_budget": lambda: plots.byte_budget({"ours": (8.0, 21.0), "webp": (30.0, 66.0)}),
    "epoch_times": lambda: plots.epoch_times([5.0, 2.0, 2.1, 1.9], {"epochs": [10], "seconds": [64]}),
}


@pytest.mark.parametrize("name", list(FIGURES))
def test_every_figure_keeps_its_text_readable_in_the_column(name):
    fig = FIGURES[name]()
    assert plots.smallest_text_px(fig) >= plots.MIN_TEXT_PX - 1e-9, (name, fig.get_figwidth())


def test_readable_enlarges_small_text_of_a_wide_figure_only():
    fig, axes = plt.subplots(1, 3, figsize=(14, 3))
    axes[0].set_title("tiny", fontsize=5)
    axes[1].set_xlabel("fine", fontsize=30)
    assert plots.smallest_text_px(fig) < plots.MIN_TEXT_PX
    plots.readable(fig)
    assert plots.smallest_text_px(fig) >= plots.MIN_TEXT_PX - 1e-9
    assert axes[1].xaxis.label.get_fontsize() == 30  # large text is left alone
    narrow, ax = plt.subplots(figsize=(5, 3))
    ax.set_title("small but shown at full size", fontsize=7)
    assert plots.text_scale(narrow) == pytest.approx(110 / 72) and plots.smallest_text_px(narrow) > plots.MIN_TEXT_PX


def test_epoch_times_draws_each_epoch_and_the_references():
    fig = plots.epoch_times([5.0, 2.0, 2.1, 1.9], {"epochs": [10, 30], "seconds": [64, 191]})
    ax = fig.axes[0]
    assert [round(p.get_height(), 2) for p in ax.patches] == [5.0, 2.0, 2.1, 1.9]
    assert [round(l.get_ydata()[0], 3) for l in ax.lines] == [2.0, round(191 / 30, 3)]  # median after the first


@pytest.mark.parametrize("k, nrow", [(5, 5), (7, 3), (6, 2)])
def test_grid_lays_images_out_as_torchvision_does_without_its_frame(k, nrow):
    from torchvision.utils import make_grid
    images = torch.rand(k, 1, 28, 28)
    g = plots.GAP
    expected = make_grid(images, nrow=nrow, padding=g, pad_value=float("nan"))[0, g:-g, g:-g]
    assert torch.allclose(torch.from_numpy(plots._grid(images, nrow)), expected, equal_nan=True)


def test_a_grid_of_one_image_is_the_whole_image():
    image = torch.rand(1, 1, 28, 28)
    assert torch.equal(torch.from_numpy(plots._grid(image, 4)), image[0, 0])
