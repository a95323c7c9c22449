"""Judging the report's claims about denoising (its section 7): each a function from measured
numbers to an `aelib.book.claims.Verdict`, tested on hand-made inputs for every outcome
(tests/test_claims_denoising.py). The pages call them through aelib.book.denoising.findings."""
from __future__ import annotations

from aelib.book.claims import CANNOT, FAILS, HOLDS, NOISE, PARTLY, Verdict, _join, all_of  # noqa: F401 (re-exported)

# --- section 7: denoising (07_denoising, 07b_denoising_benchmark) ----------------------------------
# The report judged its denoising from pictures. "Most of the noise" is read in the terms PSNR and
# MSE use, power: a network removes most of the noise where less than half of the noise's power
# reaches its output, a noise gain below 1/2 (-3 dB; `aelib.denoise.scores.Evaluation.noise_gain`).
# With one training per model a gap means little, so each model's value at a factor is a band:
# lowest to highest across the seeds trained, each widened by the 95% interval of its test-set
# mean. Two bands that overlap, or a band around a mark, are "within noise".
MOST = 0.5
ABOUT = 0.1  # "about 0.3": one step of the report's grid of noise factors (0.1 apart)


def band_order(lo: float, hi: float, other_lo: float, other_hi: float) -> bool | None:
    """True when the band [lo, hi] lies wholly above [other_lo, other_hi], False when wholly
    below, None when they overlap (NaN bounds overlap everything)."""
    if lo > other_hi:
        return True
    if hi < other_lo:
        return False
    return None


def factors_text(noise, chosen) -> str:
    """'every factor', 'f = 0.3', 'f = 0.1 and 0.4', 'f = 0.2–0.6' (three or more neighbours in
    the grid `noise` become a range)."""
    noise, chosen = list(noise), set(chosen)
    if len(noise) > 1 and chosen == set(noise):
        return "every factor"
    idx = [i for i, f in enumerate(noise) if f in chosen]
    runs, parts = [], []
    for i in idx:
        if runs and i == runs[-1][-1] + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    for run in runs:
        parts += [f"{noise[run[0]]:g}–{noise[run[-1]]:g}"] if len(run) >= 3 else [f"{noise[i]:g}" for i in run]
    return "f = " + _join(parts)


def _failed(claim: str, failed, names) -> Verdict | None:
    dead = [n for n in names if n in failed]
    if not dead:
        return None
    return Verdict(claim, CANNOT, f"{_join(dead)} did not learn (the same output whatever the input), so there is "
                                  f"nothing to judge")


def by_factor(claim: str, noise, states, yes: str, no: str, tie: str, numbers: str) -> Verdict:
    """A claim made for every noise factor, from its state at each: True (holds there), False
    (does not), None (within noise). HOLDS when it holds at every factor, FAILS when it holds at
    none and fails somewhere, PARTLY when it holds at some and fails at others, NOISE when it
    fails nowhere but cannot be told somewhere. `yes`/`no`/`tie` describe each case."""
    noise, states = list(noise), list(states)
    if len(noise) != len(states) or not noise:
        raise ValueError(f"need one state per noise factor, got {len(states)} for {len(noise)}")
    at = {s: [f for f, x in zip(noise, states) if x is s] for s in (True, False, None)}
    parts = [f"{text} at {factors_text(noise, at[s])}" for s, text in ((True, yes), (False, no), (None, tie)) if at[s]]
    if not at[False] and not at[None]:
        outcome = HOLDS
    elif at[True] and at[False]:
        outcome = PARTLY
    elif at[False]:
        outcome = FAILS
    else:
        outcome = NOISE
    return Verdict(claim, outcome, f"{'; '.join(parts)} ({numbers})")


def _per_factor(noise, *series, fmt: str = ".2f", sep: str = " / ") -> str:
    return ", ".join(sep.join(f"{v[i]:{fmt}}" for v in series) + f" at {f:g}" for i, f in enumerate(noise))


def conv_removes_most_noise(conv: str, noise, gain, lo, hi, failed=()) -> Verdict:
    """The report: "for every single test, the model with convolution ... does away with most of
    the noise". Per factor: holds where the convolutional model's noise-gain band lies below 1/2."""
    claim = "the convolutional model does away with most of the noise at every noise factor"
    return _failed(claim, failed, [conv]) or by_factor(
        claim, noise, [band_order(MOST, MOST, l, h) for l, h in zip(lo, hi)],
        f"{conv} lets less than half of the noise's power through", f"{conv} lets half or more through",
        f"{conv}'s band includes one half", f"noise gain {_per_factor(noise, gain)}")


def mlp_noisier(conv: str, mlp: str, noise, conv_gain, conv_lo, conv_hi, mlp_gain, mlp_lo, mlp_hi,
                failed=()) -> Verdict:
    """The report: "the simpler model ... is noisier for every test". Both models compared at
    every factor: holds where the MLP's noise-gain band lies above the convolutional model's."""
    claim = "the MLP's output is noisier than the convolutional model's at every noise factor"
    return _failed(claim, failed, [conv, mlp]) or by_factor(
        claim, noise, [band_order(a, b, c, d) for a, b, c, d in zip(mlp_lo, mlp_hi, conv_lo, conv_hi)],
        f"{mlp} lets more of the noise through than {conv}", f"{mlp} lets less through than {conv}",
        f"the bands of {mlp} and {conv} overlap",
        f"noise gain {mlp} / {conv}: {_per_factor(noise, mlp_gain, conv_gain)}")


def mlp_fails_from(mlp: str, noise, gain, lo, hi, about: float = 0.3, failed=()) -> Verdict:
    """The report, of the MLP: "most of the noise has disappeared for noise factors 0.1 and 0.2",
    then "the task of reducing noise is a complete failure". Two parts, judged apart and joined
    by `all_of`: at the low factors (up to `about` - `ABOUT`) its noise-gain band must lie below
    1/2 (holds), above it (fails) or straddle it (within noise); and its gain must reach 1/2 from
    a factor within `ABOUT` of `about` on, and stay there: HOLDS when its band lies above 1/2 from
    such a factor on; PARTLY when it does from another factor; NOISE when it only touches 1/2 from
    there on; FAILS when it stays below at the largest factor. CANNOT when the factors do not
    reach `about`, or include no low factor."""
    claim = (f"the MLP removes most of the noise at low factors (up to {about - ABOUT:g}) and fails from about "
             f"{about:g} on")
    if dead := _failed(claim, failed, [mlp]):
        return dead
    noise = list(noise)
    numbers = f"noise gain {_per_factor(noise, gain)}"
    low = [i for i, f in enumerate(noise) if f <= about - ABOUT + 1e-9]
    if not noise or max(noise) < about - ABOUT - 1e-9 or not low:
        return Verdict(claim, CANNOT, f"the noise factors do not reach both the low factors (up to {about - ABOUT:g}) "
                                      f"and the high ones, where the claimed failure would begin ({numbers})")
    below = [band_order(MOST, MOST, lo[i], hi[i]) for i in low]  # True: the band lies below one half
    low_f = [noise[i] for i in low]
    low_out = HOLDS if all(b is True for b in below) else FAILS if False in below else NOISE
    low_text = {HOLDS: f"at {factors_text(noise, low_f)} less than half of the noise's power gets through {mlp}",
                FAILS: f"at {factors_text(noise, [f for f, b in zip(low_f, below) if b is False])} half or more of "
                       f"the noise's power already gets through {mlp}",
                NOISE: f"at {factors_text(noise, [f for f, b in zip(low_f, below) if b is None])} {mlp}'s "
                       f"noise-gain band includes one half"}[low_out]
    high = _fails_from(mlp, noise, lo, hi, about)
    return Verdict(claim, all_of([low_out, high.outcome]), f"{low_text}; {high.evidence} ({numbers})")


def _fails_from(mlp: str, noise, lo, hi, about: float) -> Verdict:
    """The failing half of `mlp_fails_from`: does the MLP's gain reach 1/2 from about `about` on?"""
    states = [band_order(l, h, MOST, MOST) for l, h in zip(lo, hi)]  # True: half or more gets through

    def onset(ok) -> float | None:  # the smallest factor from which on every state passes `ok`
        start = None
        for f, s in sorted(zip(noise, states)):
            start = (start if start is not None else f) if ok(s) else None
        return start

    def near(f: float | None) -> bool:
        return f is not None and abs(f - about) <= ABOUT + 1e-9

    strict, loose = onset(lambda s: s is True), onset(lambda s: s is not False)
    claim = f"fails from about {about:g} on"
    if near(strict):
        return Verdict(claim, HOLDS, f"from f = {strict:g} on, half or more gets through")
    if near(loose):
        ties = factors_text(noise, [f for f, s in zip(noise, states) if s is None and f >= loose])
        return Verdict(claim, NOISE, f"from f = {loose:g} on its band reaches one half, but at {ties} it includes "
                                     f"one half, so the onset of the failure cannot be placed")
    if strict is not None:
        return Verdict(claim, PARTLY, f"it does fail, but from f = {strict:g} on, not from about {about:g}")
    if loose is not None:
        return Verdict(claim, NOISE, f"from f = {loose:g} on its band includes or passes one half, so where it "
                                     f"fails cannot be told")
    return Verdict(claim, FAILS, f"at the largest factor, f = {max(noise):g}, less than half still gets through")


def conv_better_output(measure: str, conv: str, mlp: str, noise, conv_value, conv_lo, conv_hi, mlp_value, mlp_lo,
                       mlp_hi, failed=()) -> Verdict:
    """The report's overall comparison, "the model with convolution ... does away with most of the
    noise, while the simpler model ... is noisier for every test", read on the distance to the
    clean digit by `measure` (higher is better): holds where the convolutional model's band lies
    above the MLP's."""
    claim = f"the convolutional model's output is closer to the clean digit than the MLP's at every factor ({measure})"
    fmt = ".3f" if measure.lower() == "ssim" else ".2f"
    return _failed(claim, failed, [conv, mlp]) or by_factor(
        claim, noise, [band_order(a, b, c, d) for a, b, c, d in zip(conv_lo, conv_hi, mlp_lo, mlp_hi)],
        f"{conv} scores higher than {mlp}", f"{conv} scores lower than {mlp}", f"the bands of {conv} and {mlp} overlap",
        f"{measure} {conv} / {mlp}: {_per_factor(noise, conv_value, mlp_value, fmt=fmt)}")


def denoising_target(method: str, noise, rows, margin_db: float = 5.0, margin_from: float = 0.3) -> Verdict:
    """Our target (an engineering goal, not a claim of the report): `method` beats every classical
    method at every factor in mean PSNR and mean SSIM, by at least `margin_db` in PSNR from
    `margin_from` on. `rows` (aelib.denoise.bench.versus_classical), one per factor: the best
    classical method scored on every test digit, with the paired gains over all of them, and
    each slow method (BM3D), scored on a subset only, with the gains over that subset. A factor
    is met when every interval lies above its mark, missed when one lies below, within noise
    when one straddles it: a subset judges its own method's comparison, never the others'."""
    claim = (f"our target: {method} beats every classical denoiser at every factor in PSNR and SSIM, by at least "
             f"{margin_db:g} dB from f = {margin_from:g} on")
    states, text = [], []
    for f, row in zip(noise, rows):
        need = margin_db if f >= margin_from - 1e-9 else 0.0
        marks = []
        for c in row["comparisons"]:
            marks += [band_order(c["psnr_gain"] - c["psnr_gain_ci"], c["psnr_gain"] + c["psnr_gain_ci"], need, need),
                      band_order(c["ssim_gain"] - c["ssim_gain_ci"], c["ssim_gain"] + c["ssim_gain_ci"], 0.0, 0.0)]
        states.append(False if False in marks else None if None in marks else True)
        fast = [c for c in row["comparisons"] if not c["slow"]]
        shown = [*([min(fast, key=lambda c: c["psnr_gain"])] if fast else []), *(c for c in row["comparisons"]
                                                                                 if c["slow"])]
        text.append(f"at {f:g}, " + ", ".join(f"{c['psnr_gain']:+.2f} ± {c['psnr_gain_ci']:.2f} dB and SSIM "
                                               f"{c['ssim_gain']:+.3f} ± {c['ssim_gain_ci']:.3f} against {c['name']} "
                                               f"({c['n_images']:,} digits)" for c in shown))
    return by_factor(claim, noise, states, f"{method} meets the target", f"{method} misses the target",
                     "an interval straddles the mark",
                     f"{method}'s smallest lead over a method scored on every test digit, and its lead over each "
                     f"one scored on a subset: {'; '.join(text)}")


def noisy_training_helps(noise, equal_gain, equal_ci, code_gain, code_ci, dae_latent: int, ae_latent: int,
                         n_images: int, ae_widths=None, dae_widths=None) -> Verdict:
    """Ours: training on noisy inputs, not a larger code, is what lifts the denoising
    autoencoder above the clean-trained model. Judged at equal code size and widths
    (`equal_gain`: the denoising model minus the clean-trained one built like it, paired mean PSNR
    differences with 95% half-widths); `code_gain` (the clean-trained model built like the
    denoising one minus the report's, at `ae_latent` and `ae_widths`) shows what the architecture
    change alone does, None when the two are built alike."""
    claim = "training on noisy inputs, not the larger code, is what makes the denoising autoencoder better"

    def db(x: float) -> str:  # +0.0 rather than -0.0 for a gain that rounds to nothing
        return f"{round(x, 1) + 0.0:+.1f}"

    numbers = (f"at equal code size, {dae_latent}, the denoising autoencoder's PSNR minus the clean-trained "
               f"model's is {db(min(equal_gain))} to {db(max(equal_gain))} dB")
    changes = ([f"the code from {ae_latent} to {dae_latent}"] if ae_latent != dae_latent else []) + (
        [f"the widths from {list(ae_widths)} to {list(dae_widths)}"] if list(ae_widths or []) != list(dae_widths or [])
        else [])
    if code_gain is None or not changes:
        numbers += "; the clean-trained model is already built like the denoising one"
    else:
        numbers += (f"; with clean training, changing {' and '.join(changes)} changes PSNR by "
                    f"{db(min(code_gain))} to {db(max(code_gain))} dB")
    states = [band_order(g - h, g + h, 0.0, 0.0) for g, h in zip(equal_gain, equal_ci)]
    return by_factor(claim, noise, states, "training on noise helps", "training on noise hurts",
                     "the 95% interval includes 0",
                     numbers + f"; mean per-image differences over {n_images:,} test digits")


ONE_MODEL_DB = 0.2  # how close one model for every level must come to the per-level models, in PSNR


def one_model_claim(name: str, tolerance_db: float = ONE_MODEL_DB) -> str:
    return f"{name}, one model for every noise level, comes within {tolerance_db:g} dB of one model per level"


def one_model_suffices(name: str, noise, gain, ci, n_images: int, tolerance_db: float = ONE_MODEL_DB) -> Verdict:
    """Ours: one denoiser trained across the noise levels (`name`) comes within `tolerance_db`
    of one model per level at every factor. `gain`: its PSNR minus the per-level models', paired
    mean differences with 95% half-widths. A factor is met when the interval lies above
    -tolerance_db, missed when below, within noise when it straddles it."""
    claim = one_model_claim(name, tolerance_db)
    states = [band_order(g - h, g + h, -tolerance_db, -tolerance_db) for g, h in zip(gain, ci)]
    return by_factor(claim, noise, states, "within the tolerance", "short of it", "the 95% interval straddles the mark",
                     "PSNR against the per-level models " + ", ".join(f"{g:+.2f} ± {h:.2f} dB at {f:g}" for f, g, h
                                                                      in zip(noise, gain, ci))
                     + f", over {n_images:,} test digits")
