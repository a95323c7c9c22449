"""The training benchmark: each figure the median of measurements taken in turns, with its spread."""
import pytest

from aelib import bench
from aelib.config import TrainConfig
from aelib.zoo import build_model


@pytest.mark.slow
def test_each_figure_is_the_median_of_its_repeats(mnist):
    res = bench.run(mnist.train_images[:256], warmup=64, repeats=3)
    lo, hi = res["peak_gflops_spread"]
    assert lo <= res["peak_gflops"] <= hi and res["repeats"] == 3
    for kind in ("mlp", "conv"):
        row = res["models"][kind]
        for key in ("textbook_b64", "ours_b64", "ours_b256"):
            assert row[f"{key}_spread"][0] <= row[key] <= row[f"{key}_spread"][1]
            assert row[f"{key}_fraction_of_peak"] == row[key] * row["train_flops_per_image"] / 1e9 / res["peak_gflops"]
        assert row["speedup_b64_vs_textbook"] == row["ours_b64"] / row["textbook_b64"]


def test_flops_count_every_layer_and_skip_the_image_gradient():
    # MLP 784-512-128-512-784: forward MACs = 784*512 + 512*128 + 128*512 + 512*784;
    # training = 2 x (forward + weight gradients + input gradients but the first layer's)
    fwd = 784 * 512 + 512 * 128 + 128 * 512 + 512 * 784
    assert bench.train_flops_per_image(build_model(TrainConfig(latent=128))) == 2.0 * (3 * fwd - 784 * 512)
