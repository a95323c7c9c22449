"""Every outcome each judgement of the report's sections 1-4 and 6 can reach, on hand-made numbers."""
import math

import pytest

from aelib.book import claims
from aelib.book.claims import CANNOT, FAILS, HOLDS, NOISE, PARTLY


def test_compare_and_verdict_contract():
    assert claims.compare(1.0, 2.0, 0.5) == HOLDS
    assert claims.compare(2.0, 1.0, 0.5) == FAILS
    assert claims.compare(1.0, 1.4, 0.5) == NOISE
    with pytest.raises(ValueError, match="margin"):
        claims.compare(1, 2, -0.1)
    with pytest.raises(ValueError, match="outcome must be one of"):
        claims.Verdict("c", "maybe", "e")


@pytest.mark.parametrize("seconds, outcome", [
    ([9.0, 2.0, 2.1, 1.9, 2.0, 2.05, 1.95], HOLDS),  # a slow first epoch (start-up) does not flip it
    ([2.0, 2.0, 2.0, 3.0, 3.0, 3.0, 3.0], FAILS),  # epochs get slower: a trend
    ([2.0, 1.0, 3.0, 1.0, 3.0, 1.0, 3.0, 1.0, 3.0], PARTLY),  # no trend, wide scatter
    ([2.0, 2.0], CANNOT),
])
def test_epoch_time(seconds, outcome):
    v = claims.epoch_time(seconds)
    assert v.outcome == outcome
    assert "epoch" in v.evidence and "(s)" not in v.evidence


def test_epoch_time_beside_other_trainings_cannot_tell():
    steady = [9.0, 2.0, 2.1, 1.9, 2.0, 2.05, 1.95]  # holds when trained alone
    v = claims.epoch_time(steady, at_once=2)
    assert v.outcome == CANNOT and "beside 1 other training that shared its cores" in v.evidence
    assert "median epoch takes 2.00 s" in v.evidence  # the measurement is kept
    assert claims.epoch_time(steady, at_once=1).outcome == HOLDS


def test_seed_margin_is_a_prediction_interval_with_its_origin():
    margin, text = claims.seed_margin([0.030, 0.031], [0.040, 0.041])
    # pooled sd 0.001 / sqrt(2), t(2) = 4.303, times sqrt(2): 4.3 times the seed range of 0.001
    assert margin == pytest.approx(4.3027 * 0.001, rel=1e-3)
    assert "t with 2 degrees of freedom, 4.30" in text and "2 and 2 seeds" in text
    assert claims.seed_margin([0.03], [0.04]) == (None, claims.seed_margin([1.0], [2.0])[1])
    assert "trained once" in claims.seed_margin([0.03], [0.04])[1]
    three, _ = claims.seed_margin([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])  # df 4: t = 2.776, s = 1
    assert three == pytest.approx(2.7764 * math.sqrt(2), rel=1e-3)


DIFF = {1e-6: 0.14, 1e-4: 0.034, 1e-3: 0.022, 1e-2: 0.05, 1e-1: 0.12}
TIGHT = {lr: [d, d + 0.0001] for lr, d in DIFF.items()}  # two seeds each, 0.0001 apart: margin 0.00043


@pytest.mark.parametrize("diff, seeds, outcome", [
    (DIFF, TIGHT, HOLDS),
    ({**DIFF, 1e-2: 0.030}, {**TIGHT, 1e-2: [0.030, 0.0301]}, FAILS),  # 0.01 beats 0.0001 beyond the margin
    # 0.01 beats 0.0001 by 0.001, but two seeds 0.002 apart put the margin at 0.0061: within noise
    ({**DIFF, 1e-2: 0.033}, {**TIGHT, 1e-2: [0.033, 0.035], 1e-4: [0.034, 0.036]}, NOISE),
    (DIFF, {}, CANNOT),  # one training per rate: no margin at all, whatever the gap
    ({1e-3: 0.02, 1e-2: 0.05}, TIGHT, CANNOT),  # no 0.0001
    ({1e-3: 0.02, 1e-4: 0.03}, TIGHT, CANNOT),  # nothing else to compare with
])
def test_best_rates(diff, seeds, outcome):
    assert claims.best_rates(diff, seeds).outcome == outcome


def test_best_rates_names_the_rates_compared_and_the_margin():
    v = claims.best_rates({**DIFF, 1e-2: 0.030}, {**TIGHT, 1e-2: [0.030, 0.0301]})
    assert "lr 0.0001" in v.evidence and "lr 0.01" in v.evidence and "95% prediction interval" in v.evidence


def test_a_profile_with_fewer_steps_than_the_report_cannot_tell():
    v = claims.short_budget(claims.best_rates(DIFF, TIGHT), "785 Adam steps per rate", "about 3,910")
    assert v.outcome == CANNOT
    assert v.evidence.startswith("this profile tests 785 Adam steps per rate against the report's about 3,910")
    assert "lr 0.0001" in v.evidence  # the measurement is kept


@pytest.mark.parametrize("losses, nonfinite, outcome", [
    ({1e-2: [0.1, 0.2, 0.3], 1e-1: [0.1, 0.05, math.nan]}, {1e-2: False, 1e-1: True}, HOLDS),
    ({1e-2: [0.1, 0.05, 0.04], 1e-1: [0.1, 0.2, 0.3]}, {1e-2: False, 1e-1: False}, PARTLY),
    ({1e-2: [0.1, 0.05, 0.06, 0.04]}, {1e-2: False}, PARTLY),  # ends lower but rose once
    ({1e-2: [0.1, 0.05, 0.04], 1e-1: [0.1, 0.09, 0.08]}, {1e-2: False, 1e-1: False}, FAILS),
    ({1e-3: [0.1, 0.05]}, {1e-3: False}, CANNOT),
])
def test_large_rates_rise(losses, nonfinite, outcome):
    assert claims.large_rates_rise(losses, nonfinite).outcome == outcome


def test_a_run_that_collapses_to_a_constant_output_found_no_minimum():
    # 02 in the quick profile: at lr 0.1 the loss falls once, then stays flat to 8 digits at a constant output
    losses = {1e-2: [0.23, 0.05, 0.04, 0.04, 0.039, 0.038], 1e-1: [0.23, 0.11461954, 0.11461954, 0.11461954,
                                                                 0.11461954, 0.11461954]}
    nonfinite = {1e-2: False, 1e-1: False}
    collapsed = claims.large_rates_rise(losses, nonfinite, {1e-2: False, 1e-1: True})
    assert collapsed.outcome == PARTLY and "(constant output)" in collapsed.evidence
    assert "no minimum at lr 0.1" in collapsed.evidence and "falling in every epoch" not in collapsed.evidence
    both = claims.large_rates_rise(losses, nonfinite, {1e-2: True, 1e-1: True})
    assert both.outcome == HOLDS
    assert claims.large_rates_rise(losses, nonfinite).outcome == FAILS  # without the flag it would read as learning


@pytest.mark.parametrize("se, outcome", [
    ({1: 50.0, 16: 30.0, 128: 10.0, 512: 5.0, 16384: 8.0}, HOLDS),  # 16384 is set apart, as the report did
    ({1: 50.0, 16: 30.0, 128: 10.0, 512: 9.9}, PARTLY),  # the last step is within noise
    ({1: 50.0, 16: 30.0, 128: 10.0, 512: 12.0}, PARTLY),  # rises at the end, falls overall
    ({1: 10.0, 16: 10.2, 128: 9.9}, NOISE),
    ({1: 10.0, 16: 20.0}, FAILS),
    ({16384: 1.0}, CANNOT),
])
def test_larger_code_better(se, outcome):
    assert claims.larger_code_better(se, margin=0.05).outcome == outcome


@pytest.mark.parametrize("train, test, outcome", [
    ({512: 1.6, 16384: 1.5}, {512: 2.0, 16384: 2.6}, HOLDS),  # fits its training images, worse on new ones
    ({512: 1.67, 16384: 2.31}, {512: 2.0, 16384: 2.6}, FAILS),  # worse on its own training images too
    ({512: 1.6, 16384: 1.6}, {512: 2.0, 16384: 1.5}, FAILS),  # better on test images
    ({512: 1.6, 16384: 1.6}, {512: 2.0, 16384: 2.02}, NOISE),
    ({512: 1.6}, {512: 2.0}, CANNOT),
])
def test_largest_code_overfits(train, test, outcome):
    assert claims.largest_code_overfits(train, test, margin=0.05).outcome == outcome


def test_recognisable_bands():
    assert claims.recognisable(0.8, digits_low=0.6, digits_floor=0.4) == HOLDS
    assert claims.recognisable(0.5, digits_low=0.6, digits_floor=0.4) == CANNOT
    assert claims.recognisable(0.1, digits_low=0.6, digits_floor=0.4) == FAILS
    assert claims.recognisable(-0.1, digits_low=-0.2, digits_floor=-0.5) == FAILS  # no better than a flat answer
    with pytest.raises(ValueError, match="digits_floor"):
        claims.recognisable(0.5, digits_low=0.4, digits_floor=0.6)


@pytest.mark.parametrize("outcomes, outcome", [
    ({"Ai": HOLDS, "skeleton": FAILS, "photograph": FAILS, "inverted 2": FAILS}, HOLDS),
    ({"Ai": HOLDS, "skeleton": HOLDS, "photograph": FAILS, "inverted 2": FAILS}, PARTLY),
    ({"Ai": FAILS, "skeleton": FAILS, "photograph": FAILS, "inverted 2": FAILS}, FAILS),
    ({"Ai": CANNOT, "skeleton": FAILS, "photograph": FAILS, "inverted 2": FAILS}, CANNOT),
    ({"Ai": HOLDS, "skeleton": CANNOT, "photograph": FAILS, "inverted 2": FAILS}, CANNOT),
])
def test_only_ai(outcomes, outcome):
    v = claims.only_ai(outcomes)
    assert v.outcome == outcome
    if outcome == PARTLY:
        assert v.evidence.startswith("recognisable: Ai and skeleton")


def test_only_ai_reads_a_ranking_where_no_image_matches_real_digits():
    none = {"Ai": FAILS, "skeleton": FAILS, "photograph": FAILS, "inverted 2": FAILS}
    best = claims.only_ai(none, {"Ai": 0.60, "skeleton": 0.56, "photograph": 0.41, "inverted 2": -4.8},
                          margin={"Ai": 0.02, "skeleton": 0.01})
    assert best.outcome == PARTLY and "ranks 1 of 4" in best.evidence and "0.560 for skeleton" in best.evidence
    second = claims.only_ai(none, {"Ai": 0.50, "skeleton": 0.56, "photograph": 0.41, "inverted 2": -4.8},
                            margin={"Ai": 0.02})
    assert second.outcome == FAILS and "ranks 2 of 4" in second.evidence


def test_a_ranking_decided_by_less_than_its_margin_cannot_be_told():
    # 04 in the quick profile, mlp-2048: "Ai" 0.68572 against the skeleton's 0.68599 on one image and one seed
    none = {"Ai": FAILS, "skeleton": FAILS, "photograph": FAILS, "inverted 2": FAILS}
    scores = {"Ai": 0.68572, "skeleton": 0.68599, "photograph": 0.41, "inverted 2": -4.8}
    tie = claims.only_ai(none, scores, margin={"Ai": 0.004, "skeleton": 0.01}, margin_origin="a one-pixel shift")
    assert tie.outcome == CANNOT
    assert "a gap of 0.000, within the margin of 0.010 (a one-pixel shift)" in tie.evidence
    ahead = claims.only_ai(none, {**scores, "Ai": 0.68610}, margin={"skeleton": 0.01})  # best, but by a tie
    assert ahead.outcome == CANNOT
    assert claims.only_ai(none, scores).outcome == FAILS  # with no margin at all, 0.0003 would decide
    with pytest.raises(ValueError, match="margin"):
        claims.only_ai(none, scores, margin={"Ai": -1})


@pytest.mark.parametrize("image, outcome", [(FAILS, HOLDS), (HOLDS, FAILS), (CANNOT, CANNOT)])
def test_inverted_two_fails(image, outcome):
    assert claims.inverted_two_fails(image).outcome == outcome


@pytest.mark.parametrize("conv, mlp, seeds, outcome", [
    (0.0288, 0.0322, ([0.0288, 0.0289], [0.0322, 0.0323]), HOLDS),
    (0.0288, 0.0322, ([0.0288, 0.0298], [0.0322, 0.0332]), NOISE),  # margin 4.3 x 0.001: the gap is a tie
    (0.035, 0.0322, ([0.035, 0.0351], [0.0322, 0.0323]), FAILS),
    (0.0288, 0.0322, ([0.0288], [0.0322]), CANNOT),  # one training each: no margin
])
def test_conv_better(conv, mlp, seeds, outcome):
    assert claims.conv_better(conv, mlp, seeds, "claim").outcome == outcome
