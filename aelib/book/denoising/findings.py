"""What the two denoising pages conclude: each claim judged by its `aelib.book.denoising.claims` function,
the values glued into their prose (every branch a complete sentence) and their results JSON."""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch

from aelib.book.denoising import claims
from aelib.book.common import Section
from aelib.denoise import bench, classical
from aelib.book.denoising.pages import ReportModels, bench_names
from aelib.denoise.scores import Evaluation
from aelib.noise import background_mean, noisy_copy

MEASURES = ("psnr", "ssim", "noise_gain")
DEAD_SPREAD = 1e-3  # outputs varying less than this across test digits: the same image whatever the input


def where(noise: Sequence[float], chosen: Sequence[float]) -> str:
    return claims.factors_text(noise, chosen) if chosen else "no factor"


def _list(items: Sequence[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def failed(result: Evaluation, names: Sequence[str]) -> list[str]:
    """The networks whose output on clean digits is the same image whatever the input."""
    return [n for n in names if result.on_clean[n].spread < DEAD_SPREAD]


def bands(result: Evaluation, groups: Mapping[str, Sequence[str]]) -> dict[str, dict[str, dict[str, list]]]:
    """{measure: {model: {"value", "lo", "hi"}}}: per factor, the model's value at its first
    name (the page's seed) and its band, lowest to highest across its names (one per seed), each
    widened by the 95% interval of its test-set mean (no interval, one test image: unbounded)."""
    out: dict[str, dict] = {m: {} for m in MEASURES}
    for model, names in groups.items():
        scores = [result.scores(n) for n in names]
        for m in MEASURES:
            values = [getattr(s, m) for s in scores]
            halves = [[math.inf if math.isnan(h) else h for h in getattr(s, m + "_ci")] for s in scores]
            lo = [min(v[i] - h[i] for v, h in zip(values, halves)) for i in range(len(result.noise))]
            hi = [max(v[i] + h[i] for v, h in zip(values, halves)) for i in range(len(result.noise))]
            out[m][model] = {"value": list(values[0]), "lo": lo, "hi": hi}
    return out


# --- 07_denoising --------------------------------------------------------------------------------------

def report_verdicts(result: Evaluation, m: ReportModels) -> dict[str, claims.Verdict]:
    b = bands(result, {m.conv: m.seeds_of(m.conv), m.mlp: m.seeds_of(m.mlp)})
    dead, noise = failed(result, list(m.models)), result.noise

    def band(measure, name):
        x = b[measure][name]
        return x["value"], x["lo"], x["hi"]

    return {"most": claims.conv_removes_most_noise(m.conv, noise, *band("noise_gain", m.conv), dead),
            "noisier": claims.mlp_noisier(m.conv, m.mlp, noise, *band("noise_gain", m.conv),
                                          *band("noise_gain", m.mlp), dead),
            "fails": claims.mlp_fails_from(m.mlp, noise, *band("noise_gain", m.mlp), failed=dead),
            "psnr": claims.conv_better_output("PSNR", m.conv, m.mlp, noise, *band("psnr", m.conv),
                                              *band("psnr", m.mlp), dead),
            "ssim": claims.conv_better_output("SSIM", m.conv, m.mlp, noise, *band("ssim", m.conv),
                                              *band("ssim", m.mlp), dead)}


def report_glue(s: Section, result: Evaluation, m: ReportModels, verdicts: Mapping[str, claims.Verdict]) -> dict:
    noise, seed = result.noise, s.params["seed"]
    seeds = [m.configs[n].seed for n in m.seeds_of(m.conv)]
    dead = failed(result, list(m.models))
    if dead:
        health = (f"Training failed for {_list(dead)}: the output is the same image whatever the input (its pixels "
                  f"vary across test digits by {max(result.on_clean[n].spread for n in dead):.1e} on average), so "
                  f"it removes all noise and every digit with it. Its numbers below describe that failure, not "
                  f"what the architecture can do, and the verdicts that involve it cannot be judged.")
    else:
        health = "Every model learned: on clean digits each output follows its input."
    if len(seeds) > 1:
        spread = (f"Both models were also trained with seed {_list([str(x) for x in seeds[1:]])}, only to see how far a "
                  f"result moves from one training to the next; the figures show seed {seed}. A model's band at "
                  f"a factor runs from its lowest to its highest value across the {len(seeds)} seeds, each widened "
                  f"by the 95% interval of its mean over the test digits.")
    else:
        spread = ("With one training seed per model (the parameter spread_seeds is empty), a model's band at a factor is only "
                  "the 95% interval of its mean over the test digits: it leaves out the spread between trainings, "
                  "so a verdict may call a gap real that another seed would close.")
    beats = {}
    for name, key in ((m.conv, "conv"), (m.mlp, "mlp")):
        for metric in ("psnr", "ssim"):
            rows = result.paired(name, "noisy input", metric)
            beats[f"{key}_beats_{metric}"] = where(noise, [f for f, (g, h) in zip(noise, rows) if g - h > 0])
    data = s.data.name
    return {
        "n_train": s.n_train(m.configs[m.conv]), "n_test": f"{result.n_test:,}", "epochs": m.configs[m.conv].epochs,
        "device": str(s.device), "conv_name": m.conv, "mlp_name": m.mlp, "noise_seed": result.seed,
        "n_factors": len(noise), "health": health, "spread_note": spread,
        "data_note": ("MNIST, the report's own data" if s.report_applies else
                      f"{data}, not the report's MNIST, so they say whether its claims carry over"),
        **{f"{k}_verdict": v.outcome for k, v in verdicts.items()},
        **{f"{k}_evidence": v.evidence for k, v in verdicts.items()},
        **beats,
        "psnr_conv_clean": result.clean_summary(m.conv)["psnr"], "psnr_mlp_clean": result.clean_summary(m.mlp)["psnr"],
        "psnr_noisy_min": result.scores("noisy input").psnr[noise.index(min(noise))],
    }


def report_results(s: Section, result: Evaluation, m: ReportModels, verdicts: Mapping[str, claims.Verdict]) -> dict:
    main = [m.conv, m.mlp]
    scores = {n: result.scores(n) for n in m.models}
    noisy = result.scores("noisy input")
    return {"dataset": s.data.name, "noise": list(result.noise), "noise_seed": result.seed, "n_test": result.n_test,
            "psnr_noisy": noisy.psnr, "ssim_noisy": noisy.ssim, "mse_noisy": noisy.mse,
            **{k: {n: getattr(scores[n], k) for n in main} for k in ("psnr", "ssim", "mse", "noise_gain")},
            "clean": {n: result.clean_summary(n) for n in main}, "models": main,
            "seeds": [m.configs[n].seed for n in m.seeds_of(m.conv)], "failed": failed(result, list(m.models)),
            "per_seed": {n: sc.to_dict() for n, sc in scores.items()},
            "bands": bands(result, {n: m.seeds_of(n) for n in main}),
            "verdicts": {k: v.to_dict() for k, v in verdicts.items()},
            "configs": {n: c.to_dict() for n, c in m.configs.items()},
            "cache_keys": {n: s.cache_key(c) for n, c in m.configs.items()}}


# --- 07b_denoising_benchmark ---------------------------------------------------------------------------

TARGET_DB, TARGET_FROM = 5.0, 0.3  # our engineering goal for the denoising autoencoder, not the report's


def _control(names: Mapping[str, str]) -> tuple[str, str | None]:
    """(the clean-trained model built like the denoising one, the report's convolutional model
    where that is another one, else None), by the names the page shows (`pages.bench_names`)."""
    if bench.CONTROL in names:
        return names[bench.CONTROL], names[bench.CLEAN_CONV]
    return names[bench.CLEAN_CONV], None


def bench_verdicts(result: Evaluation, p: Mapping) -> dict[str, claims.Verdict]:
    rows = bench.versus_classical(result, "dae-conv")
    control, report_conv = _control(bench_names(p))
    equal = bench.gains(result, "dae-conv", control)
    code = bench.gains(result, control, report_conv) if report_conv else None
    return {"target": claims.denoising_target("dae-conv", result.noise, rows, TARGET_DB, TARGET_FROM),
            "noisy_training": claims.noisy_training_helps(
                result.noise, equal["gain"], equal["ci"], None if code is None else code["gain"],
                None if code is None else code["ci"], p["dae_latent"], p["conv_latent"], equal["n_images"],
                p["channels"], p["dae_channels"]),
            **one_model_verdicts(result, p)}


def one_model_verdicts(result: Evaluation, p: Mapping) -> dict[str, claims.Verdict]:
    """The blind and the noise-conditional models against the per-level ones: {"blind": ...,
    "conditional": ...}, "cannot tell" where the page lacks either side."""
    out = {}
    for key, how in (("blind", "range"), ("conditional", "conditional")):
        name = bench.VARIANTS[how]
        claim = claims.one_model_claim(name)
        if p["dae_training"] != "each":
            out[key] = claims.Verdict(claim, claims.CANNOT, "this execution trains no model per noise level to "
                                                            "compare with: they are trained with dae_training "
                                                            "\"each\"")
        elif name not in result.outputs:
            out[key] = claims.Verdict(claim, claims.CANNOT, "this execution does not train it")
        else:
            g = bench.gains(result, name, "dae-conv")
            out[key] = claims.one_model_suffices(name, result.noise, g["gain"], g["ci"], g["n_images"])
    return out


def noise_bias(clean: torch.Tensor, factors: Sequence[float], seed: int, kind: str) -> list[float]:
    """The mean noise on background pixels at each factor (see `aelib.noise.background_mean`)."""
    return [background_mean(clean, noisy_copy(clean, f, seed, kind)) for f in factors]


# The classical methods that do not take the clipped noise for zero-mean: the median (no mean at
# all), the thresholds (which zero the brightened background) and non-local means with the bias
# taken out (aelib.denoise.classical.unbias).
BIAS_AWARE = ("median", "threshold", "median-threshold", "nlmeans-debiased")


def bench_glue(result: Evaluation, p: Mapping, tuned: Mapping[str, dict], bias: Sequence[float],
               verdicts: Mapping[str, claims.Verdict]) -> dict:
    noise, kind = result.noise, result.kind
    rows = bench.versus_classical(result, "dae-conv")
    best = [r["best"] for r in rows]
    lead = [r["comparisons"][0] for r in rows]  # against the best method scored on every test digit
    high = [c["psnr_gain"] for r, c in zip(rows, lead) if r["noise"] >= TARGET_FROM - 1e-9]
    aware = [m for m in best if m in BIAS_AWARE]
    if kind == "gaussian":
        bias_text = (f"Clipping to [0, 1] makes the noise one-sided on the black background: a black pixel can only "
                     f"brighten, so there the noise adds {bias[-1]:.3f} on average at f = {noise[-1]:g}, not 0. BM3D "
                     f"and non-local means are built for zero-mean Gaussian noise and leave that offset in place; a "
                     f"median filter does not assume a mean, and a threshold sets the brightened background back "
                     f"to 0")
        bias_text += (f", which is why {_list(sorted(set(aware)))} "
                      f"{'is' if len(set(aware)) == 1 else 'are'} the best classical method at "
                      f"{where(noise, [f for f, b in zip(noise, best) if b in BIAS_AWARE])}." if aware else
                      ", though here none of these is the best classical method at any factor.")
        clip_text = (f"At f = {noise[0]:g} the noisy input scores {result.scores('noisy input').psnr[0]:.1f} dB, where "
                     f"unclipped noise of that strength would give {-20 * math.log10(noise[0]):.1f} dB: clipping "
                     f"removes part of the noise, the part that pushes black pixels below 0 and white ones above 1."
                     if noise[0] > 0 else "At f = 0 the noisy input is the clean digit itself.")
    else:
        bias_text = (f"Salt-and-pepper noise is not zero-mean on the black background either (a hit pixel there "
                     f"turns white or stays black: {bias[-1]:.3f} on average at f = {noise[-1]:g}), and it is not "
                     f"Gaussian at all, the case a median filter is the textbook remedy for"
                     + (f"; {_list(sorted(set(aware)))} {'is' if len(set(aware)) == 1 else 'are'} the best classical "
                        f"method at {where(noise, [f for f, b in zip(noise, best) if b in BIAS_AWARE])}." if aware
                        else "; here none of the methods that handle it is the best classical method at any factor."))
        clip_text = "Salt-and-pepper noise needs no clipping: each hit pixel becomes exactly 0 or 1."
    names = bench_names(p)
    control, report_conv = _control(names)
    variants = [n for n in bench.VARIANTS.values() if n in result.outputs]
    return {
        "kind_text": {"gaussian": "Gaussian, clipped to [0, 1] as on the report's page",
                      "salt-pepper": "salt and pepper: each pixel turns black or white with probability f"}[kind],
        "dae_training_text": training_text(p, noise),
        "variants_text": _variants_text(variants, p["dae_training"]),
        "conv_name": names[bench.CLEAN_CONV], "mlp_name": names[bench.CLEAN_MLP], "control_name": control,
        "control_text": (f"{control} is the control: the convolutional model trained on clean digits with the "
                         f"denoising model's code of {p['dae_latent']} and its widths, so that comparing it with "
                         f"dae-conv isolates what training on noisy inputs does." if report_conv else
                         f"{control} already has the denoising model's code of {p['dae_latent']} and its widths, so it "
                         f"is itself the control at equal code size."),
        "n_val": f"{p['n_val']:,}", "n_val_slow": f"{p['n_val_slow']:,}", "n_subset": f"{result.n_subset:,}",
        "n_test": f"{result.n_test:,}", "conv_latent": p["conv_latent"], "mlp_latent": p["mlp_latent"],
        "dae_latent": p["dae_latent"], "target_db": TARGET_DB, "target_from": TARGET_FROM,
        **{f"{k}_verdict": v.outcome for k, v in verdicts.items()},
        **{f"{k}_evidence": v.evidence for k, v in verdicts.items()},
        "lead_text": _lead([c["psnr_gain"] for c in lead], high, result.n_test),
        "best_text": "; ".join(f"{b} at {where(noise, [f for f, x in zip(noise, best) if x == b])}"
                               for b in dict.fromkeys(best)),
        "slow_text": _slow_text(rows, result.n_subset),
        "survive_text": survive_text(rows, kind),
        "bias_text": bias_text, "clip_text": clip_text,
        "one_model_text": one_model_text(result, p),
        "sec_bm3d": result.scores("bm3d").seconds_per_image,
        "sec_dae": result.scores("dae-conv").seconds_per_image,
    }


def _one_model_recipe(p: Mapping) -> str:
    return (f"{p['one_model_epochs']} epochs, its learning rate decaying along a cosine from "
            f"{p['one_model_lr']:g} to 0")


def training_text(p: Mapping, noise: Sequence[float]) -> str:
    """How the page's denoising autoencoders are trained, recipe included."""
    shared = f"the clean-trained models' recipe ({p['epochs']} epochs at a learning rate of {p['lr']:g})"
    drawn = f"each training image with its own factor drawn uniformly from 0 to {max(noise):g}"
    return {"each": f"one model per noise factor, trained at that factor on {shared}",
            "fixed": f"one model for every factor, trained at f = {p['dae_noise']:g} on {shared}",
            "range": f"one model for every factor, {drawn}, never told the factor; dae-conv trained for "
                     f"{_one_model_recipe(p)}, dae-mlp on {shared}",
            "conditional": f"one model for every factor, {drawn}; dae-conv is told it as a second input channel and "
                           f"trained for {_one_model_recipe(p)}; dae-mlp, which has no such channel, is trained "
                           f"across the factors blind, on {shared}"}[p["dae_training"]]


def one_model_text(result: Evaluation, p: Mapping) -> str:
    """What the page measures of one model for every noise level against one per level, before
    the two verdicts: the mark, and where this execution has no per-level models, why it cannot
    judge it and what it measures instead (told the level against blind)."""
    mark = f"mark is to come within {claims.ONE_MODEL_DB:g} dB of the per-level models at every factor."
    if p["dae_training"] == "each":
        if not any(n in result.outputs for n in bench.VARIANTS.values()):
            return f"Our {mark} This execution trains no such model (variants is false)."
        return f"the variants, each trained once across the factors for {_one_model_recipe(p)}; our {mark}"
    if p["dae_training"] == "fixed":
        return (f"Our {mark} This execution trains dae-conv at one level and no model per level "
                f"(those need dae_training \"each\").")
    text = (f"here dae-conv is itself one model for every level, {'told' if p['dae_training'] == 'conditional' else 'never told'} "
            f"the level, in place of one model per level, which would need as many trainings as there are "
            f"factors ({len(result.noise)}). Our {mark} It is judged only where the page trains "
            f"the per-level models as well (dae_training \"each\"); this execution does not.")
    other = bench.VARIANTS["range" if p["dae_training"] == "conditional" else "conditional"]
    if other in result.outputs:
        g = bench.gains(result, "dae-conv", other)
        text += (f" Against {other}, the same network trained the same way but "
                 f"{'blind' if other == 'dae-conv-blind' else 'told the level'}, dae-conv's PSNR differs by "
                 + ", ".join(f"{x:+.2f} ± {h:.2f} dB at {f:g}" for f, x, h in zip(g["noise"], g["gain"], g["ci"]))
                 + f", paired over {g['n_images']:,} test digits.")
    return text


VARIANT_WORDS = {"dae-conv-blind": "blind",
                 "dae-conv-cond": "told each image's noise level as a second input channel (the noise-level map "
                                  "of FFDNet, Zhang et al. 2018)"}


def _variants_text(variants: Sequence[str], training: str) -> str:
    """What the introduction says of the one-model variants: only those this execution has."""
    if not variants:
        return f"dae-conv is trained {'once per factor' if training == 'each' else 'once across the factors'}; " \
               f"this execution trains no other variant of it."
    described = "; ".join(f"{n}, {VARIANT_WORDS[n]}" for n in variants)
    way = "another way" if len(variants) == 1 else "two other ways"
    return f"Beside dae-conv stands the same network trained once across the factors in {way}: {described}."


def _slow_text(rows: Sequence[dict], n_subset: int) -> str:
    """The slow methods' comparisons, each named with the subset it was run on."""
    slow = [c for r in rows for c in r["comparisons"] if c["slow"]]
    if not slow:
        return ""
    names = list(dict.fromkeys(c["name"] for c in slow))
    parts = [f"{c['psnr_gain']:+.1f} ± {c['psnr_gain_ci']:.1f} dB at {r['noise']:g}" for r in rows
             for c in r["comparisons"] if c["slow"]]
    return (f"{_list(names)}, run on the first {n_subset:,} test digits only, is compared on those digits alone: "
            f"dae-conv's PSNR lead over it is {', '.join(parts)}.")


def survive_text(rows: Sequence[dict], kind: str) -> str:
    """Whether dae-conv's lead survives the classical methods that handle the background's bias
    (`BIAS_AWARE`): per factor, against the best of them on every test digit, by the paired 95%
    interval of the PSNR gain."""
    states, parts = [], []
    for r in rows:
        aware = [c for c in r["comparisons"] if c["name"] in BIAS_AWARE and not c["slow"]]
        if not aware:
            continue
        c = max(aware, key=lambda c: c["psnr_other"])
        lo, hi = c["psnr_gain"] - c["psnr_gain_ci"], c["psnr_gain"] + c["psnr_gain_ci"]
        states.append((r["noise"], True if lo > 0 else False if hi < 0 else None))
        parts.append(f"{c['psnr_gain']:+.2f} ± {c['psnr_gain_ci']:.2f} dB against {c['name']} at {r['noise']:g}")
    if not states:
        return ""
    noise = [f for f, _ in states]
    said = {True: "survives", False: "is lost", None: "cannot be told"}
    verdict = "; ".join(f"it {said[v]} at {where(noise, [f for f, x in states if x is v])}"
                        for v in (True, False, None) if any(x is v for _, x in states))
    what = "clipped" if kind == "gaussian" else "salt-and-pepper"
    return (f"Against the classical methods that do not take the {what} noise for zero-mean (the median filter, a "
            f"threshold alone and after a 3×3 median, non-local means with the bias taken out), the denoising "
            f"autoencoder's lead: {verdict} ({', '.join(parts)}, paired over every test digit).")


def _db(x: float) -> str:
    """A PSNR difference to 0.1 dB, or to 0.01 dB below 1 dB, where 0.1 dB would blur a small
    lead into a tie (0.05 is not 0.0)."""
    return f"{x:.1f}" if abs(x) >= 1 else f"{x:.2f}"


def _lead(gains: Sequence[float], high: Sequence[float], n: int) -> str:
    """The denoising autoencoder's PSNR against the best classical method, in words that fit the sign."""
    lo, hi, digits = min(gains), max(gains), f"On the {n:,} test digits"
    if lo > 0:
        return (f"{digits} its PSNR lead over the best classical method ranges from {_db(lo)} to {_db(hi)} dB"
                + (f", and is at least {_db(min(high))} dB from f = {TARGET_FROM:g} on." if high else "."))
    if hi <= 0:
        return f"{digits} it trails the best classical method by {_db(-hi)} to {_db(-lo)} dB in PSNR."
    return f"{digits} its PSNR differs from the best classical method's by {lo:+.2f} to {hi:+.2f} dB."


def bench_results(s: Section, result: Evaluation, p: Mapping, configs, tuned, bias, verdicts) -> dict:
    names = bench_names(p)
    control, report_conv = _control(names)
    return {"dataset": s.data.name, **result.to_dict(), "tuning": tuned,
            "networks": bench.describe_configs(configs, s.data.sha256), "dae_training": p["dae_training"],
            "clean_models": {"conv": names[bench.CLEAN_CONV], "mlp": names[bench.CLEAN_MLP],
                             "control": names.get(bench.CONTROL)},
            "dae_noise": p["dae_noise"], "slow_methods": [n for n, d in classical.DENOISERS.items() if d.slow],
            "versus_classical": bench.versus_classical(result, "dae-conv"),
            "equal_code": {"control": control, **bench.gains(result, "dae-conv", control)},
            "code_size": bench.gains(result, control, report_conv) if report_conv else None,
            "background_mean": list(bias), "verdicts": {k: v.to_dict() for k, v in verdicts.items()}}
