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


DIFF = {1e-6: 0.14, 1e-4: 0.034, 1e-3: 0.022, 1e-2: 0.05, 1e-1: 0.12}


@pytest.mark.parametrize("diff, spread, outcome", [
    (DIFF, {}, HOLDS),
    ({**DIFF, 1e-2: 0.030}, {}, FAILS),  # 0.01 beats 0.0001 by more than the spread
    ({**DIFF, 1e-2: 0.033}, {1e-2: 0.002, 1e-4: 0.001}, NOISE),  # beats it by less than the seed range
    ({1e-3: 0.02, 1e-2: 0.05}, {}, CANNOT),  # no 0.0001
    ({1e-3: 0.02, 1e-4: 0.03}, {}, CANNOT),  # nothing else to compare with
])
def test_best_rates(diff, spread, outcome):
    v = claims.best_rates(diff, spread)
    assert v.outcome == outcome


def test_best_rates_names_the_rates_compared():
    v = claims.best_rates({**DIFF, 1e-2: 0.030}, {})
    assert "lr 0.0001" in v.evidence and "lr 0.01" in v.evidence


@pytest.mark.parametrize("losses, nonfinite, outcome", [
    ({1e-2: [0.1, 0.2, 0.3], 1e-1: [0.1, 0.05, math.nan]}, {1e-2: False, 1e-1: True}, HOLDS),
    ({1e-2: [0.1, 0.05, 0.04], 1e-1: [0.1, 0.2, 0.3]}, {1e-2: False, 1e-1: False}, PARTLY),
    ({1e-2: [0.1, 0.05, 0.06, 0.04]}, {1e-2: False}, PARTLY),  # ends lower but rose once
    ({1e-2: [0.1, 0.05, 0.04], 1e-1: [0.1, 0.09, 0.08]}, {1e-2: False, 1e-1: False}, FAILS),
    ({1e-3: [0.1, 0.05]}, {1e-3: False}, CANNOT),
])
def test_large_rates_rise(losses, nonfinite, outcome):
    assert claims.large_rates_rise(losses, nonfinite).outcome == outcome


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
    best = claims.only_ai(none, {"Ai": 0.60, "skeleton": 0.56, "photograph": 0.41, "inverted 2": -4.8})
    assert best.outcome == PARTLY and "ranks 1 of 4" in best.evidence and "0.560 for skeleton" in best.evidence
    second = claims.only_ai(none, {"Ai": 0.50, "skeleton": 0.56, "photograph": 0.41, "inverted 2": -4.8})
    assert second.outcome == FAILS and "ranks 2 of 4" in second.evidence


@pytest.mark.parametrize("image, outcome", [(FAILS, HOLDS), (HOLDS, FAILS), (CANNOT, CANNOT)])
def test_inverted_two_fails(image, outcome):
    assert claims.inverted_two_fails(image).outcome == outcome


@pytest.mark.parametrize("conv, mlp, margin, outcome", [
    (0.0288, 0.0322, 0.001, HOLDS), (0.0288, 0.0322, 0.005, NOISE), (0.035, 0.0322, 0.001, FAILS)])
def test_conv_better(conv, mlp, margin, outcome):
    assert claims.conv_better(conv, mlp, margin, "claim").outcome == outcome
