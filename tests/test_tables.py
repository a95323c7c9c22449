"""Section tables that carry the seed-to-seed spread."""
import pandas as pd
import pytest
import torch
from torch import nn

from aelib.book import tables


class _Scaled(nn.Module):  # a "model" whose reconstruction is the input times a factor
    def __init__(self, factor):
        super().__init__()
        self.factor = nn.Parameter(torch.tensor(float(factor)), requires_grad=False)

    def forward(self, x):
        return x * self.factor


class _Run:
    def __init__(self, factor):
        self.factor = nn.Parameter(torch.tensor(float(factor)), requires_grad=False)

    def model(self):
        return _Scaled(self.factor).eval()


def test_latent_seeds_give_mean_lowest_and_highest():
    x = torch.ones(4, 1, 28, 28)
    t = tables.latent_seeds({16: [_Run(0.9), _Run(0.8)], 128: [_Run(1.0)]}, x, x)
    # squared error per image: 784 * (1 - f)^2
    assert t.loc[16, "se test lo"] == pytest.approx(784 * 0.01) and t.loc[16, "se test hi"] == pytest.approx(784 * 0.04)
    assert t.loc[16, "se test mean"] == pytest.approx(784 * 0.025) and t.loc[16, "seeds"] == 2
    assert t.loc[128, "se train lo"] == t.loc[128, "se train hi"] == 0


def test_seed_margin_is_the_largest_relative_range_or_the_fallback():
    seeds = pd.DataFrame({"seeds": [3, 3, 1], "se test mean": [10.0, 4.0, 2.0], "se test lo": [9.5, 3.0, 2.0],
                          "se test hi": [10.5, 5.0, 2.0]}, index=pd.Index([16, 128, 16384], name="latent"))
    margin, text = tables.seed_margin(seeds, 0.05)
    assert margin == pytest.approx(0.5) and "3 seeds" in text and "code 128" in text
    margin, text = tables.seed_margin(seeds[seeds["seeds"] == 1], 0.05)
    assert margin == 0.05 and "one training" in text


def test_a_printed_table_formats_every_number_and_names_every_column_for_readers():
    table = pd.DataFrame({"difference": [0.1234], "se_per_image": [176.78380453543045], "psnr (report)": [20.0]},
                         index=pd.Index([1e-3], name="lr"))
    shown = tables.styled(table, {"difference": "{:.3f}", "se_per_image": "{:.1f}", "psnr": "{:.1f}"}, index="{:g}")
    html = shown.to_html()
    assert list(shown.data.columns) == ["difference", "SE per image", "PSNR (dB) (report)"]
    assert "176.8" in html and "176.78" not in html and "0.123" in html
    with pytest.raises(ValueError, match=r"no format for the numeric column\(s\) \['se_per_image'\]"):
        tables.styled(table, {"difference": "{:.3f}", "psnr": "{:.1f}"})
    with pytest.raises(ValueError, match=r"\['epoch_shown'\] are named for code"):
        tables.styled(table.assign(epoch_shown=[3]), {"difference": "", "se": "", "psnr": "", "epoch": "{:d}"})
