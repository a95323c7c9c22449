"""The sentences the real-compression page glues into its prose (aelib.book.compression.real_page measures
what they say). Each function reads as written for every outcome it can meet; the tests render
every branch.

The target judged here is our own engineering goal for the codec, not a claim of the lab report:
our best curve below every standard lossy codec's wherever both reach, and at the target PSNR at
most 1/factor of WebP's bytes.
"""
from __future__ import annotations

from aelib.book.page import plural
from aelib.compress import curves, ratio
from aelib.compress.fileformat import ONE_IMAGE_HEADER

HOLDS, FAILS, CANNOT = curves.HOLDS, curves.FAILS, curves.CANNOT
NAMES = {"webp": "WebP", "jpeg": "JPEG", "jpeg2000": "JPEG 2000", "avif": "AVIF", "png": "PNG",
         "webp-lossless": "WebP lossless", "gzip": "gzip", "xz": "xz"}


def summary(m) -> dict:
    """The values and sentences the page's prose glues in (`m`: a real_page.RealPage)."""
    best, t = m.near["ours"], m.target
    webp_low = min((p for p in m.theirs if p["codec"] == "webp"), key=lambda p: p["bpp"])
    avif_low = min((p for p in m.theirs if p["codec"] == "avif"), key=lambda p: p["bpp"])
    model = m.codecs[best["setting"]].model_bytes()
    std_seconds = sum(p["seconds"] for p in m.theirs)
    return {
        "n_test": f"{len(m.x):,}", "target_psnr": t["psnr"], "factor": t["factor"], "header_bytes": ONE_IMAGE_HEADER,
        "best_setting": best["setting"], "best_latent": best["latent"], "best_bytes_file": best["bytes"],
        "best_bytes_stream": best["bytes_stream"], "best_bytes_entropy": best["bytes_entropy"],
        "best_psnr": best["psnr"], "best_ssim": best["ssim"], "best_ratio_floats": ratio.PIXELS / best["latent"],
        "best_ratio_file": ratio.IMAGE_BYTES / best["bytes"], "header_share": ONE_IMAGE_HEADER / best["bytes"],
        "webp_low_bytes": webp_low["bytes"], "webp_low_psnr": webp_low["psnr"],
        "avif_low_setting": avif_low["setting"], "avif_low_psnr": avif_low["psnr"],
        "avif_low_bytes": avif_low["bytes"], "avif_low_payload": avif_low["bytes_payload"],
        "avif_container": avif_low["bytes"] - avif_low["bytes_payload"],
        "avif_libavif_psnr": m.avif_libavif["psnr"], "avif_libavif_bytes": m.avif_libavif["bytes"],
        "avif_libavif_n": f"{m.avif_libavif['n_images']:,}",
        "model_kb": model["total"] / 1e3, "decoder_kb": model["decoder"] / 1e3, "table_kb": model["table"] / 1e3,
        "payoff_text": model_payoff(m)[0], "std_seconds": std_seconds,
        "std_per_10k": std_seconds / len(m.x) * 10_000, "slowest": slowest(m.theirs),
        "ours_seconds": m.ours_seconds, "verdict_below": t["verdict_below"], "verdict_factor": t["verdict_factor"],
        "below_text": below_text(t), "factor_text": factor_text(t), **recipes(m.specs),
        "rate_seconds": m.rate_cost["seconds"], "rate_tflop": m.rate_cost["tflop"],
    }


def recipes(specs) -> dict:
    """The two training recipes in words: the rate-aware models' own and the post-hoc models'
    shared one (the page always trains both kinds)."""
    rate = next(s.config for s in specs if s.config.model == "rate")
    post_hoc = next(s.config for s in specs if s.config.model != "rate")
    return {"rate_recipe": f"{plural(rate.epochs, 'epoch')} with the learning rate decaying along a cosine "
                           f"from {rate.lr:g} to 0",
            "shared_recipe": f"{plural(post_hoc.epochs, 'epoch')} at a constant learning rate of {post_hoc.lr:g}"}


def below_text(t: dict) -> str:
    """The first part of the target: our best curve below every standard lossy codec's, codec by
    codec, each over the PSNR range both curves reach."""
    per, thin = t["per_codec"], t.get("thin", [])
    judged = [c for c in per if c not in t["not_compared"]]
    over = lambda c: f"{per[c]['overlap'][0]:.3f}–{per[c]['overlap'][1]:.3f} dB"  # noqa: E731
    below = [c for c in judged if per[c]["below"]]
    parts = ([f"below {_join([f'{NAMES.get(c, c)} over {over(c)}' for c in below])}"] if below else [])
    parts += [f"not below {NAMES.get(c, c)} from {a:.1f} to {b:.1f} dB" for c in judged if not per[c]["below"]
              for a, b in per[c]["not_below"]]
    unsure = ([f"{_names(thin)} share{'s' * (len(thin) == 1)} less than {t.get('min_overlap', 0):g} dB of PSNR with "
               f"ours ({_join([over(c) for c in thin])}), too little to compare"] if thin else [])
    none = [c for c in t["not_compared"] if c not in thin]
    unsure += [f"{_names(none)} {'reaches' if len(none) == 1 else 'reach'} no PSNR that ours reach"] if none else []
    evidence = "; ".join(parts + unsure)
    if t["verdict_below"] == HOLDS:
        return f"holds: ours is {evidence}"
    if t["verdict_below"] == FAILS:
        return f"does not hold: ours is {evidence}" if parts else f"does not hold: {evidence}"
    return (f"cannot tell against every codec: ours is {evidence}" if parts else f"cannot tell: {evidence}")


def factor_text(t: dict) -> str:
    """The second part: at the target PSNR, at most 1/factor of the reference codec's bytes."""
    ref, psnr = NAMES.get(t["reference"], t["reference"]), t["psnr"]
    if t["ratio"] is None:
        short = _join([who for who, b in (("our best curve", t["bpp_ours"]), (f"{ref}'s curve", t["bpp_reference"]))
                       if b is None])
        return f"cannot tell, since {short} {'does' if ' and ' not in short else 'do'} not reach {psnr:.0f} dB"
    there = (f"at {psnr:.0f} dB ours needs {t['bytes_ours']:.1f} bytes per image and {ref} "
             f"{t['bytes_reference']:.1f}, ")
    there += f"{_times(t['ratio'], t['factor'])} times fewer" if t["ratio"] >= 1 else f"{1 / t['ratio']:.1f} times more"
    if t["verdict_factor"] == HOLDS:
        return f"holds, since {there}"
    return f"does not hold, since {there}, where the target asks for {t['factor']:g} times fewer"


def _times(ratio: float, factor: float) -> str:
    """The ratio to one decimal, or to as many more as it takes not to print the factor itself
    for a ratio on the other side of it (5.996 beside a target of 6 reads 5.996, not 6.0)."""
    for digits in range(1, 6):
        text = f"{ratio:.{digits}f}"
        if (float(text) >= factor) == (ratio >= factor):
            return text
    return text


def cheapest_words(same: dict) -> str:
    """Which standard codec `curves.cheapest_at` read, and whether a file of it was made or its
    size read off the codec's curve between two settings."""
    name = NAMES.get(same["codec"], same["codec"])
    return (f"{name} at {same['psnr']:.2f} dB, read off its curve between two of its settings"
            if same["interpolated"] else f"a {name} file at {same['psnr']:.2f} dB")


def model_payoff(m) -> tuple[str, int | None]:
    """After how many images the decoder and tables, sent once, have paid for themselves against
    the fewest bytes a standard lossy codec needs at our chosen codec's PSNR or above: (sentence, n)."""
    best = m.near["ours"]
    same = curves.cheapest_at([p for p in m.theirs if not p["lossless"]], best["psnr"])
    if same is None:
        return (f"no standard lossy codec reaches {best['psnr']:.2f} dB, so there is nothing to pay back", None)
    theirs, at = same["bytes"], cheapest_words(same)
    n = ratio.images_to_pay_off(m.codecs[best["setting"]].model_bytes()["total"], best["bytes"], theirs)
    if n is None:
        return (f"the fewest bytes a standard lossy codec needs at {best['psnr']:.2f} dB or above ({at}) are "
                f"{theirs:.1f} per image, no more than ours, so the model never pays for itself", None)
    return (f"against the fewest bytes a standard lossy codec needs at {best['psnr']:.2f} dB or above ({at}: "
            f"{theirs:.1f} per image), the model has paid for itself after {n:,} images", n)


def slowest(points: list[dict], n: int = 2) -> str:
    """The `n` standard codecs that took longest over all their settings: "AVIF 61 s and JPEG 2000 20 s"."""
    total: dict[str, float] = {}
    for p in points:
        total[p["codec"]] = total.get(p["codec"], 0.0) + p["seconds"]
    top = sorted(total, key=total.get, reverse=True)[:n]
    return _join([f"{NAMES.get(c, c)} {total[c]:.0f} s" for c in top])


def _names(codecs: list[str]) -> str:
    return _join([NAMES.get(c, c) for c in codecs])


def _join(items: list[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    if not items:
        return ""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
