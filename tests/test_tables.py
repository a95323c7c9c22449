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


def test_seed_margin_is_a_prediction_interval_from_the_pooled_relative_spread():
    seeds = pd.DataFrame({"seeds": [3, 3, 1], "se test mean": [10.0, 4.0, 2.0], "se test sd": [0.5, 0.2, float("nan")],
                          "se test lo": [9.5, 3.8, 2.0], "se test hi": [10.5, 4.2, 2.0]},
                         index=pd.Index([16, 128, 16384], name="latent"))
    margin, text = tables.seed_margin(seeds)
    # both sizes move by 5% of their error between seeds; df = 4, t = 2.776; times sqrt(2)
    assert margin == pytest.approx(2.7764 * 0.05 * 2 ** 0.5, rel=1e-3)
    assert "t with 4 degrees of freedom" in text and "code sizes up to 128 trained at 3 seeds" in text
    assert tables.seed_margin(seeds[seeds["seeds"] == 1]) == (None, tables.seed_margin(seeds[:0])[1])
    assert "trained once" in tables.seed_margin(seeds[seeds["seeds"] == 1])[1]


def test_latent_verdicts_cannot_tell_without_a_margin_or_the_report_s_largest_code():
    se_train, se_test = {16: 9.0, 512: 1.6, 1024: 1.5}, {16: 10.0, 512: 2.0, 1024: 2.6}
    short = tables.latent_verdicts(se_train, se_test, 0.05, "m")
    assert short["overfit"].outcome == "cannot tell"
    assert short["overfit"].evidence.startswith("this profile tests a largest code of 1,024 against the report's 16,384")
    assert short["better"].outcome == "holds"  # judged on the codes up to 784, as before
    full = tables.latent_verdicts({512: 1.6, 16384: 1.5}, {512: 2.0, 16384: 2.6}, 0.05, "m")
    assert full["overfit"].outcome == "holds"
    none = tables.latent_verdicts(se_train, se_test, None, "each code size was trained once")
    assert {v.outcome for v in none.values()} == {"cannot tell"}


def test_rates_need_the_report_s_budget_of_adam_steps():
    assert tables.adam_steps(5, 10_000, 64) == 785 and tables.adam_steps(5, 50_000, 64) == 3_910


def test_speed_is_compared_per_image():
    text = tables.speed_note(1.48, 10_000, 6.4, 50_000)
    # 0.148 ms per image here against 0.128 ms in the report: slower per image, though the epoch is shorter
    assert "0.148 ms per image" in text and "0.128 ms per image" in text and "1.2 times slower" in text
    assert "hardware" in text and "Performance" not in text


def test_timing_margin_is_the_measured_spread_of_epoch_times():
    rel, text = tables.timing_margin({"conv-128": [9.0, 2.0, 2.1, 1.9, 2.2, 1.8], "mlp-128": [5.0, 1.0, 1.0, 1.0, 1.0]})
    assert rel == pytest.approx(0.1) and "conv-128's" in text and "10%" in text


def test_epochs_intro_follows_the_run():
    assert tables.epochs_intro([0, 1, 2, 5, 10]) == {"epochs_list": "0, 1, 2, 5 and 10",
                                                     "snapshot_text": "the 5-epoch model is exactly the 10-epoch run "
                                                                      "after 5 epochs"}
    assert tables.epochs_intro([0, 1])["snapshot_text"] == "every count shown is a state of that one run"


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


def test_how_a_model_trained_is_said_in_a_few_words():
    from aelib.book.environment import how_text
    assert how_text({}) == "not recorded"
    assert how_text({"device": "cpu", "threads": 1, "at_once": 1, "memory_format": "contiguous"}) == "cpu, 1 thread, alone"
    assert how_text({"device": "cuda:0", "threads": None, "at_once": 3, "stacked": 3}) == \
        "cuda:0, 3 at once, 3 stacked as one"
    assert how_text({"device": "cpu", "threads": 2, "at_once": 2, "memory_format": "channels_last"}) == \
        "cpu, 2 threads, 2 at once, channels-last"
