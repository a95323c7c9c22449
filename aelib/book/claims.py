"""Judging the lab report's claims: each claim the book tests is a function here, taking measured
numbers and returning a `Verdict`, so that every outcome it can reach is unit-tested on hand-made
inputs (tests/test_claims.py) and the pages only call it.

A verdict has one of five outcomes. "within noise" is used where the gap between two measured
figures is smaller than the noise margin that separates a real difference from run-to-run
variation (`seed_margin`, from the seed-to-seed spread, where there are several seeds, else a
margin whose origin the page states); "cannot tell" where the measurements cannot test the claim
at all (a sweep that lacks the values the claim is about, a profile that trains less than the
report did, one training where the claim needs the seed-to-seed noise). A tie, an overlap or a
straddle of a threshold never prints "holds" or "does not hold".
"""
from __future__ import annotations

import math
from dataclasses import dataclass

HOLDS, PARTLY, FAILS, NOISE, CANNOT = "holds", "holds in part", "does not hold", "within noise", "cannot tell"
OUTCOMES = (HOLDS, PARTLY, FAILS, NOISE, CANNOT)


@dataclass(frozen=True)
class Verdict:
    claim: str  # what the report says, in its own terms
    outcome: str  # one of OUTCOMES
    evidence: str  # one sentence with the measured numbers behind the outcome

    def __post_init__(self):
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {list(OUTCOMES)}, got {self.outcome!r}")

    def to_dict(self) -> dict:
        return {"claim": self.claim, "outcome": self.outcome, "evidence": self.evidence}


def compare(a: float, b: float, margin: float) -> str:
    """Whether a is below b by more than `margin` (HOLDS), above it by more than `margin` (FAILS),
    or neither (NOISE). `margin` >= 0 is the smallest gap taken as real."""
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin}")
    if b - a > margin:
        return HOLDS
    if a - b > margin:
        return FAILS
    return NOISE


def all_of(outcomes) -> str:
    """The outcome of a claim that joins several parts ("clears the noise at low factors and fails
    at high ones"): HOLDS when every part holds; where a part does not hold, PARTLY if another
    holds (even in part), else FAILS; NOISE when no part fails but one is within noise; else CANNOT."""
    outcomes = list(outcomes)
    if not outcomes:
        raise ValueError("all_of needs at least one outcome")
    if all(o == HOLDS for o in outcomes):
        return HOLDS
    if any(o in (FAILS, PARTLY) for o in outcomes):
        return PARTLY if any(o in (HOLDS, PARTLY) for o in outcomes) else FAILS
    return NOISE if NOISE in outcomes else CANNOT


def seed_margin(a: list[float], b: list[float]) -> tuple[float | None, str]:
    """The smallest gap between two single trainings (one of setting a, one of b) taken as real,
    and a sentence saying where it comes from: the half-width of a 95% prediction interval for the
    difference of two trainings, t(df) * s * sqrt(2), with s the seed-to-seed standard deviation
    pooled over `a` and `b` (each a list of one setting's values, one per seed) and df its degrees
    of freedom. With two seeds each (df = 2, t = 4.30) a gap must exceed about 4.3 times the seed
    range. (None, why) when neither setting has two seeds: no measure of the noise at all."""
    from scipy.stats import t as student
    import numpy as np
    a, b = [float(x) for x in a], [float(x) for x in b]
    df = max(len(a) - 1, 0) + max(len(b) - 1, 0)
    if df < 1:
        return None, "each setting was trained once, so nothing measures how far a result moves between trainings"
    ss = sum(float(np.sum((np.asarray(v) - np.mean(v)) ** 2)) for v in (a, b) if len(v) > 1)
    s = math.sqrt(ss / df)
    q = float(student.ppf(0.975, df))
    margin = q * s * math.sqrt(2)
    return margin, (f"a gap counts as real beyond {margin:.4f}, the half-width of a 95% prediction interval for the "
                    f"gap between two trainings (t with {df} degree{'s' * (df != 1)} of freedom, {q:.2f}, times the "
                    f"seed-to-seed standard deviation pooled over {len(a)} and {len(b)} seeds, {s:.4f}, times √2)")


def short_budget(verdict: Verdict, ours: str, theirs: str) -> Verdict:
    """`verdict` for a profile that cannot test the claim as the report stated it (fewer training
    steps, a smaller code): "cannot tell in this profile", the measured evidence kept after the
    reason. `ours` and `theirs` say what each trained, e.g. "780 Adam steps" and "about 3,900"."""
    return Verdict(verdict.claim, CANNOT, f"this profile tests {ours} against the report's {theirs}, so it cannot "
                                          f"test the claim as stated; measured here, {verdict.evidence}")


def _join(items) -> str:
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else "none"


# --- section 1: epochs ------------------------------------------------------------------------------

def epoch_time(seconds: list[float], trend_limit: float = 0.15, spread_limit: float = 0.25,
               at_once: int = 1) -> Verdict:
    """The report: every epoch takes the same time, so training time grows linearly with the epochs.

    Judged on the per-epoch times after the first (the first also pays one-off start-up costs,
    reported apart): HOLDS when their median drifts by at most `trend_limit` between the first
    and the second half and their interquartile range is within `spread_limit` of the median;
    FAILS when they drift by more (epochs get systematically slower or faster); PARTLY when they
    do not drift but scatter more. CANNOT with fewer than three epochs."""
    import numpy as np
    claim = "each epoch takes the same time, so training time grows linearly with the number of epochs"
    if len(seconds) < 3:
        return Verdict(claim, CANNOT, f"only {len(seconds)} timed epoch{'s' * (len(seconds) != 1)}: too few to tell")
    steady = np.asarray(seconds[1:], dtype=float)
    med = float(np.median(steady))
    half = len(steady) // 2
    trend = (float(np.median(steady[half:])) - float(np.median(steady[:half] if half else steady))) / med
    q1, q3 = np.percentile(steady, [25, 75])
    spread = float(q3 - q1) / med
    evidence = (f"after the first epoch ({seconds[0]:.2f} s, start-up included), the median epoch takes {med:.2f} s, "
                f"the second half's median differs from the first half's by {trend:+.0%}, and the middle half of "
                f"the epochs lies within {spread:.0%} of the median")
    if at_once > 1:
        return Verdict(claim, CANNOT, f"this run trained beside {at_once - 1} other training"
                                      f"{'s' * (at_once > 2)} that shared its cores, so its epoch times cannot test "
                                      f"the claim (re-execute the page alone to test it); measured here, {evidence}")
    if abs(trend) > trend_limit:
        return Verdict(claim, FAILS, evidence)
    return Verdict(claim, HOLDS if spread <= spread_limit else PARTLY, evidence)


# --- section 2: learning rate ---------------------------------------------------------------------

def best_rates(difference: dict[float, float], seeds: dict[float, list[float]], pair=(1e-3, 1e-4)) -> Verdict:
    """The report: over five epochs the rates 0.001 and 0.0001 work best (by its difference).

    `difference`: each rate's difference at the page's seed; `seeds`: each rate's differences at
    every seed trained (the page's included). HOLDS when both rank above every other rate by more
    than `seed_margin` of the two rates compared; FAILS when another rate beats one of the two by
    more than that; NOISE when the gap is within it; CANNOT when the sweep lacks one of the two or
    has no other rate, or when no rate was trained at two seeds (no margin)."""
    claim = "learning rates of 0.001 and 0.0001 work best"
    others = {lr: d for lr, d in difference.items() if lr not in pair}
    if not set(pair) <= set(difference) or not others:
        return Verdict(claim, CANNOT, "the sweep lacks 0.001 or 0.0001, or has no other rate to compare with")
    worst_pair = max(pair, key=difference.get)
    best_other = min(others, key=others.get)
    a, b = difference[worst_pair], others[best_other]
    margin, origin = seed_margin(seeds.get(worst_pair, [a]), seeds.get(best_other, [b]))
    evidence = (f"the weaker of the two, lr {worst_pair:g}, has a difference of {a:.4f}; the best other rate, "
                f"lr {best_other:g}, {b:.4f}; {origin}")
    if margin is None:
        return Verdict(claim, CANNOT, evidence)
    return Verdict(claim, compare(a, b, margin), evidence)


def large_rates_rise(val_loss: dict[float, list[float]], nonfinite: dict[float, bool],
                     constant: dict[float, bool] | None = None, threshold: float = 1e-2) -> Verdict:
    """The report: at large rates (0.01 and above) Adam "does not manage to find a minimum and we
    even get increasing loss instead of decreasing loss".

    A rate fails to find a minimum when its validation loss ends above its start, turns
    non-finite, or its model collapses to a constant output (the same image whatever the input,
    `constant`), whatever its loss did on the way: a flat loss at a constant output is no
    minimum. HOLDS when every such rate fails so; PARTLY when some do, or the loss rises in some
    epochs; FAILS when at every such rate the model learned and the loss fell in every epoch;
    CANNOT when the sweep has no such rate."""
    claim = ("at large learning rates (0.01 and above) Adam does not find a minimum, the loss even increasing "
             "instead of decreasing")
    constant = constant or {}
    large = sorted(lr for lr in val_loss if lr >= threshold)
    if not large:
        return Verdict(claim, CANNOT, f"the sweep has no rate of {threshold:g} or more")
    no_minimum = [lr for lr in large if nonfinite[lr] or constant.get(lr) or val_loss[lr][-1] > val_loss[lr][0]]
    rose = [lr for lr in large if any(b > a for a, b in zip(val_loss[lr], val_loss[lr][1:]))]

    def part(lr: float) -> str:
        end = "a non-finite value" if nonfinite[lr] else f"{val_loss[lr][-1]:.4f}"
        text = f"at lr {lr:g} the validation loss goes from {val_loss[lr][0]:.4f} to {end}"
        return text + (", and the model's output is the same image whatever the input (constant output)"
                       if constant.get(lr) else "")
    evidence = "; ".join(part(lr) for lr in large)
    if len(no_minimum) == len(large):
        return Verdict(claim, HOLDS, evidence)
    if no_minimum or rose:
        found = [f"no minimum at lr {_join(f'{lr:g}' for lr in no_minimum)}"] if no_minimum else []
        found += [f"the loss rises in at least one epoch at lr {_join(f'{lr:g}' for lr in rose)}"] if rose else []
        return Verdict(claim, PARTLY, evidence + "; " + "; ".join(found))
    return Verdict(claim, FAILS, evidence + ", falling in every epoch")


# --- section 3: code size ---------------------------------------------------------------------------

def larger_code_better(se_test: dict[int, float], margin: float, max_latent: int = 784) -> Verdict:
    """The report: a larger code reconstructs better. Tested on the codes no larger than the image
    (`max_latent`; the report set its 16,384 code apart): HOLDS when the test error falls at every
    step by more than `margin` (relative); PARTLY when it falls overall but not at every step;
    NOISE when no step moves it by more than the margin; FAILS when it rises overall."""
    claim = "a larger code reconstructs better"
    ks = sorted(k for k in se_test if k <= max_latent)
    if len(ks) < 2:
        return Verdict(claim, CANNOT, f"fewer than two code sizes of at most {max_latent}")
    steps = {(a, b): compare(se_test[b], se_test[a], margin * min(se_test[a], se_test[b])) for a, b in zip(ks, ks[1:])}
    evidence = (f"from code {ks[0]:,} to {ks[-1]:,} the squared error per test image goes from {se_test[ks[0]]:.2f} "
                f"to {se_test[ks[-1]]:.2f}")
    not_better = [f"{a:,} to {b:,}" for (a, b), o in steps.items() if o != HOLDS]
    if all(o == HOLDS for o in steps.values()):
        return Verdict(claim, HOLDS, evidence + ", falling at every step")
    if all(o == NOISE for o in steps.values()):
        return Verdict(claim, NOISE, evidence + f"; no step changes it by more than {margin:.0%}")
    overall = compare(se_test[ks[-1]], se_test[ks[0]], margin * min(se_test[ks[0]], se_test[ks[-1]]))
    if overall == FAILS:
        return Verdict(claim, FAILS, evidence)
    return Verdict(claim, PARTLY, evidence + f", but not lower by more than {margin:.0%} from {_join(not_better)}")


def largest_code_overfits(se_train: dict[int, float], se_test: dict[int, float], margin: float) -> Verdict:
    """The report: the largest code overfits (it does worse on new images because it memorised
    the training images). Overfitting means a training error no worse than the next smaller
    code's together with a worse test error. FAILS when its training error is worse too (then
    it fits its training images worse: an optimisation effect, not memorisation); HOLDS when it
    is worse on test images only; NOISE when its test error is within the margin; CANNOT with a
    single code size."""
    claim = "the largest code overfits"
    ks = sorted(se_test)
    if len(ks) < 2:
        return Verdict(claim, CANNOT, "the sweep has a single code size")
    big, ref = ks[-1], ks[-2]
    test = compare(se_test[ref], se_test[big], margin * min(se_test[ref], se_test[big]))  # HOLDS: big is worse
    train = compare(se_train[ref], se_train[big], margin * min(se_train[ref], se_train[big]))
    evidence = (f"code {big:,} against {ref:,}: squared error per image {se_test[big]:.2f} against {se_test[ref]:.2f} "
                f"on test images and {se_train[big]:.2f} against {se_train[ref]:.2f} on training images")
    if test == NOISE:
        return Verdict(claim, NOISE, evidence)
    if test == FAILS:
        return Verdict(claim, FAILS, evidence + ": the larger code does better on test images")
    if train == HOLDS:
        return Verdict(claim, FAILS, evidence + ": it is worse on its own training images too, which is under-fitting "
                                                "(an optimisation effect), not memorisation")
    return Verdict(claim, HOLDS, evidence)


# --- section 4: foreign images ----------------------------------------------------------------------

def recognisable(score: float, digits_low: float, digits_floor: float) -> str:
    """One image's reconstruction, by its explained share (aelib.metrics.explained), against the
    model's own real digits: HOLDS (recognisable) when it scores at least `digits_low` (a low
    percentile of real test digits' scores) and above 0 (better than any flat answer); FAILS below
    `digits_floor` (a lower percentile) or at 0 and below; CANNOT in between."""
    if digits_floor > digits_low:
        raise ValueError(f"digits_floor ({digits_floor}) must not exceed digits_low ({digits_low})")
    if score <= 0 or score < digits_floor:
        return FAILS
    return HOLDS if score >= digits_low else CANNOT


def only_ai(outcomes: dict[str, str], scores: dict[str, float] | None = None, margin: dict[str, float] | None = None,
            margin_origin: str = "") -> Verdict:
    """The report: of its foreign images only "Ai" comes back recognisable. `outcomes`: image name
    -> `recognisable(...)` for one model; `scores`: each image's explained share; `margin`: per
    image, how far its share moves for reasons that say nothing of the model (a ranking of two
    images needs a gap above the larger of their two; `margin_origin` says where it comes from).
    HOLDS when "Ai" is recognisable and no other is; PARTLY when "Ai" is and some other is
    too, or when none is by the strict yardstick of real digits but "Ai" comes back best of the
    images by more than `margin` (the report's "recognisable, with some errors" read as a ranking);
    FAILS when "Ai" is not recognisable and another image beats it by more than `margin`; CANNOT
    when "Ai", or every other image, lies in the band where the test cannot separate, or when the
    ranking is decided by less than `margin`."""
    claim = 'only "Ai" comes back recognisable'
    margin = margin or {}
    if any(m < 0 for m in margin.values()):
        raise ValueError(f"every margin must be >= 0, got {margin}")
    others = {n: o for n, o in outcomes.items() if n != "Ai"}
    yes = [n for n, o in others.items() if o == HOLDS]
    unsure = [n for n, o in outcomes.items() if o == CANNOT]
    shown = (["Ai"] if outcomes.get("Ai") == HOLDS else []) + yes
    evidence = f"recognisable: {_join(shown)}" + (f"; cannot tell: {_join(unsure)}" if unsure else "")
    if "Ai" not in outcomes or outcomes["Ai"] == CANNOT:
        return Verdict(claim, CANNOT, evidence)
    if outcomes["Ai"] == FAILS:
        if scores and "Ai" in scores and len(scores) > 1:
            rank = sorted(scores, key=scores.get, reverse=True)
            runner = rank[1] if rank[0] == "Ai" else rank[0]
            evidence += (f"; by explained share \"Ai\" ranks {rank.index('Ai') + 1} of {len(rank)} "
                         f"({scores['Ai']:.3f}, against {scores[runner]:.3f} for {runner})")
            tie = max(margin.get("Ai", 0.0), margin.get(runner, 0.0))
            if abs(scores["Ai"] - scores[runner]) <= tie:
                return Verdict(claim, CANNOT, evidence + f", a gap of {abs(scores['Ai'] - scores[runner]):.3f}, "
                                                         f"within the margin of {tie:.3f}" +
                               (f" ({margin_origin})" if margin_origin else "") + ", so the ranking cannot be told")
            if rank[0] == "Ai":
                return Verdict(claim, PARTLY, evidence + ", best of the images though below the model's real digits")
        return Verdict(claim, FAILS, evidence)
    if yes:
        return Verdict(claim, PARTLY, evidence)
    if unsure:
        return Verdict(claim, CANNOT, evidence)
    return Verdict(claim, HOLDS, evidence)


# --- section 6: convolutional against MLP ------------------------------------------------------------

def conv_better(conv: float, mlp: float, seeds: tuple[list[float], list[float]], claim: str) -> Verdict:
    """A claim that the convolutional model reconstructs better than the MLP, judged on the mean
    difference at the page's seed (lower is better) against `seed_margin` of the two models'
    differences at every seed (`seeds`: conv's, then the MLP's); CANNOT with one training each."""
    margin, origin = seed_margin(*seeds)
    evidence = f"difference {conv:.4f} (convolutional) against {mlp:.4f} (MLP); {origin}"
    return Verdict(claim, CANNOT if margin is None else compare(conv, mlp, margin), evidence)


def inverted_two_fails(outcome: str) -> Verdict:
    """The report: the inverted "2" fails. `outcome` is `recognisable(...)` for that image."""
    claim = 'the inverted "2" fails'
    result = {FAILS: HOLDS, HOLDS: FAILS}.get(outcome, CANNOT)
    return Verdict(claim, result, {FAILS: "its reconstruction explains less of it than nearly every real digit's",
                                   HOLDS: "its reconstruction explains as much of it as of real digits",
                                   }.get(outcome, "it lies in the band where the test cannot separate"))


# --- compression: the model's own size (05_compression_ratio) -------------------------------------

# A decoder under 1 % of the bytes sent changes a byte ratio such as 6.1 by less than the last
# digit the report quotes its ratios to: below that share its size is "not a factor" in practice.
NEGLIGIBLE_SHARE = 0.01


def decoder_not_a_factor(decoder_bytes: float, code_bytes: float, n_images: int, raw_bytes: float,
                         zlib_bytes: float, negligible: float = NEGLIGIBLE_SHARE) -> Verdict:
    """The report: "the size of the encoder and decoder are not a factor in the compression
    ratio". True by its definition (784 / k counts one code's values, so no model size enters
    it). In practice a receiver must first be sent the decoder: HOLDS when the decoder is under
    `negligible` of all the bytes that carry `n_images` codes of `code_bytes` to a new receiver;
    PARTLY ("true as defined, misleading in practice") otherwise; CANNOT when no image is sent.
    The evidence counts the images after which the decoder has paid for itself against raw
    images (`raw_bytes` each) and against zlib's lossless files (`zlib_bytes` each)."""
    from aelib.compress.ratio import images_to_pay_off
    claim = "the size of the encoder and decoder are not a factor in the compression ratio"
    if min(decoder_bytes, code_bytes, raw_bytes, zlib_bytes) < 0 or not 0 < negligible < 1:
        raise ValueError("byte counts must be >= 0 and negligible a share in (0, 1)")
    defined = "true as defined, since 784 / k counts the values of one code and no model size enters it"
    if n_images < 1:
        return Verdict(claim, CANNOT, f"{defined.capitalize()}; with no image sent there is nothing to weigh "
                                      "the decoder against in practice")
    share = decoder_bytes / (decoder_bytes + n_images * code_bytes)

    def after(theirs: float, name: str) -> str:
        n = images_to_pay_off(decoder_bytes, code_bytes, theirs)
        return (f"{name} after {n:,} images" if n is not None else
                f"{name} never, since a code of {code_bytes:,.0f} bytes is not smaller")

    small = share < negligible
    note = f" (under the {negligible:.0%} we take as negligible)" if small else ""
    raw, zlib = f"against raw {raw_bytes:,.0f}-byte images", f"against zlib's {zlib_bytes:,.0f} bytes per image"
    practice = (f"sending {n_images:,} images to a receiver that lacks the decoder takes "
                f"{n_images * code_bytes / 1e6:.3g} MB of codes plus {decoder_bytes / 1e6:.3g} MB of decoder, "
                f"which is {share:.1%} of all the bytes{note}; "
                f"the decoder pays for itself {after(raw_bytes, raw)} and {after(zlib_bytes, zlib)}")
    if small:
        return Verdict(claim, HOLDS, f"{defined.capitalize()}, and in practice too: {practice}")
    return Verdict(claim, PARTLY, f"{defined.capitalize()}, but misleading in practice: {practice}")
