"""The compression pages' tables and sentences (aelib.book.compression: ratio_page,
real_page, real_prose) on hand-made inputs: every branch of the prose renders as a sentence."""
from types import SimpleNamespace

import pandas as pd
import pytest
import torch

from aelib.book import claims
from aelib.book.sections import page_jobs
from aelib.book.compression import ratio_page, real_page, real_prose
from aelib.compress import curves, ratio
from aelib.config import TrainConfig
from aelib.zoo import build_model


# --- 05_compression_ratio -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def page():
    torch.manual_seed(0)
    latents = [512, 128, 16]
    models = {k: build_model(TrainConfig(latent=k, hidden=32)).eval() for k in latents}
    test = torch.rand(12, 1, 28, 28)
    return ratio_page.RatioPage(latents, ratio_page.ratio_rows(latents), ratio_page.cost_rows(models, 190.0),
                                ratio_page.quality_rows(models, test), 190.0, len(test), report_applies=True)


def test_tables_count_bytes_and_pay_offs(page):
    assert page.ratios.loc[128, "ratio, values"] == 6.125 and page.ratios.loc[128, "code bytes, float16"] == 256
    dec = page.cost.loc[16, "decoder bytes"]
    assert dec == 4 * (16 * 32 + 32 + 32 * 784 + 784)  # hidden 32: latent -> 32 -> 784
    assert page.cost.loc[16, "images to pay off, float32, against raw"] == ratio.images_to_pay_off(dec, 64, 784)
    assert page.cost.loc[16, "images to pay off, float16, against zlib"] == ratio.images_to_pay_off(dec, 32, 190)
    assert pd.isna(page.cost.loc[512, "images to pay off, float16, against raw"])  # a 1,024-byte code
    assert set(page.quality.columns) == {"difference", "PSNR", "difference, float16", "PSNR, float16"}


def test_summary_and_results(page):
    s = ratio_page.summary(page)
    assert s["at"] == 128 and s["decoder_verdict"] == claims.PARTLY and s["code_at"] == 512
    assert s["dec_share"] == pytest.approx(s["dec_mb_at"] / (s["dec_mb_at"] + s["codes_mb"]))
    r = ratio_page.results(page)
    assert r["latent"] == [512, 128, 16] and r["report_ratio"] == [1.5, 6.1, 49]
    assert r["images_to_pay_off_zlib"][0] is None and isinstance(r["images_to_pay_off"][2], int)
    assert r["verdict_decoder_not_a_factor"]["outcome"] == claims.PARTLY
    assert "report_ratio" not in ratio_page.results(
        ratio_page.RatioPage(**{**page.__dict__, "report_applies": False}))


def test_values_text_for_every_case(page):
    assert ratio_page.values_text(page) == ("Counting values, 784 / k reproduces the report's table: at latent 128 "
                                            "the ratio is 6.12 (the report: 6.1).")
    other = ratio_page.RatioPage(**{**page.__dict__, "latents": [30, 20, 10], "report_applies": True})
    assert other.at == 20 and "the report's table has no latent 20." in ratio_page.values_text(other)
    assert ratio_page.values_text(ratio_page.RatioPage(**{**page.__dict__, "report_applies": False})) == \
        "Counting values, the ratio at latent 128 is 6.12."


def test_bigger_text_for_every_case():
    assert ratio_page.bigger_text([16, 1]).startswith("No code of this sweep")
    assert ratio_page.bigger_text([256, 16]).endswith("as float32, latent 256; as float16, none.")
    assert ratio_page.bigger_text([1024, 512, 1]).endswith("as float32, latents 1,024 and 512; as float16, "
                                                           "latents 1,024 and 512.")


def _cost(raw32, raw16, z32, z16):
    return pd.DataFrame({"images to pay off, float32, against raw": [raw32],
                         "images to pay off, float16, against raw": [raw16],
                         "images to pay off, float32, against zlib": [z32],
                         "images to pay off, float16, against zlib": [z16]}, index=[128])


@pytest.mark.parametrize("row, words", [
    ((6886, 3548, 20000, 9000), ["raw images until 6,886 images have been sent (3,548 with float16 codes)",
                                 "zlib's lossless files until 20,000 images"]),
    ((1, 1, None, 500), ["until 1 image has been sent", "zlib's lossless files for good with float32 codes, "
                                                        "and until 500 images with float16 codes"]),
    ((None, None, None, None), ["raw images for good, since neither", "zlib's lossless files for good"]),
])
def test_payoff_text_for_every_case(row, words):
    text = ratio_page.payoff_text(_cost(*row), 128)
    assert text.startswith("A receiver that does not have the decoder yet is better off") and text.endswith(".")
    for w in words:
        assert w in text


def test_zlib_text_for_every_case(page):
    text = ratio_page.zlib_text(page)
    assert "takes 512 bytes, 2.7 times as many," in text and text.endswith(
        "Only the float32 codes of latent 16 are smaller than zlib's output.")
    cheap = ratio_page.RatioPage(**{**page.__dict__, "zlib_mean": 5000.0})
    assert "takes 512 bytes, and loses" in ratio_page.zlib_text(cheap)
    assert ratio_page.zlib_text(cheap).endswith("Every float32 code of this sweep is smaller than zlib's output.")
    dear = ratio_page.RatioPage(**{**page.__dict__, "zlib_mean": 10.0})
    assert ratio_page.zlib_text(dear).endswith("No float32 code of this sweep is smaller than zlib's output.")


# --- 05b_real_compression -------------------------------------------------------------------------

PARAMS = dict(dataset="mnist", mlp_latents=[16], conv_latents="[16, 32]", steps=[0.5, 1.0], rate_latent=8,
              rate_epochs=3, rate_lr=2e-3, lambdas=[1e-4, 1e-3], target_psnr=25.0, epochs=2, lr=1e-3, batch_size=64, seed=0,
              train_size=1000, test_size=200, cache_dir=".cache", results_dir="book/results")


def test_codec_specs_and_the_registered_trainings():
    specs = real_page.codec_specs(PARAMS)
    assert [s.name for s in specs] == ["mlp-16 step 0.5", "mlp-16 step 1", "conv-16 step 0.5", "conv-16 step 1",
                                       "conv-32 step 0.5", "conv-32 step 1", "rate-8 lambda 0.0001",
                                       "rate-8 lambda 0.001"]
    assert all(s.config.epochs == (3 if s.config.model == "rate" else 2) and s.config.train_size == 1000
               for s in specs)
    # the rate-aware models' own recipe: a cosine from rate_lr; the post-hoc models the shared one
    assert {(s.config.lr, s.config.lr_schedule) for s in specs if s.config.model == "rate"} == {(2e-3, "cosine")}
    assert {(s.config.lr, s.config.lr_schedule) for s in specs if s.config.model != "rate"} == {(1e-3, "constant")}
    assert real_prose.recipes(specs) == {
        "rate_recipe": "3 epochs with the learning rate decaying along a cosine from 0.002 to 0",
        "shared_recipe": "2 epochs at a constant learning rate of 0.001"}
    jobs = page_jobs(real_page.STEM, PARAMS)  # several steps share one network
    assert len(jobs) == 5 and {j.config for j in jobs} == {s.config for s in specs}


@pytest.mark.parametrize("bad, match", [({"steps": [0.0]}, "steps"), ({"lambdas": []}, "lambdas"),
                                        ({"rate_latent": 0}, "rate_latent"), ({"target_psnr": 200}, "target_psnr"),
                                        ({"rate_lr": 0}, "rate_lr")])
def test_bad_page_parameters_are_named(bad, match):
    with pytest.raises((ValueError, TypeError), match=match):
        real_page.codec_specs({**PARAMS, **bad})


def _target(**changes):
    t = {"psnr": 25.0, "factor": 6.0, "reference": "webp", "bpp_ours": 0.1, "bpp_reference": 0.8,
         "bytes_ours": 9.8, "bytes_reference": 78.4, "ratio": 8.0, "verdict_factor": curves.HOLDS,
         "verdict_below": curves.HOLDS, "not_compared": [], "thin": [], "min_overlap": 0.1,
         "per_codec": {"webp": {"not_below": [], "below": True, "overlap": [22.0, 30.0]},
                       "jpeg": {"not_below": [], "below": True, "overlap": [20.0, 28.0]}}}
    return {**t, **changes}


def test_below_text_for_every_outcome():
    assert real_prose.below_text(_target()) == ("holds: ours is below WebP over 22.000–30.000 dB and JPEG over "
                                                "20.000–28.000 dB")
    # the quick book's case: JPEG shares 0.013 dB with ours, WebP and AVIF none
    per = {"jpeg": {"not_below": [], "below": True, "overlap": [20.705, 20.718]},
           "webp": {"overlap": None}, "avif": {"overlap": None}}
    thin = _target(verdict_below=curves.CANNOT, per_codec=per, thin=["jpeg"], not_compared=["avif", "jpeg", "webp"])
    assert real_prose.below_text(thin) == ("cannot tell: JPEG shares less than 0.1 dB of PSNR with ours "
                                           "(20.705–20.718 dB), too little to compare; AVIF and WebP reach no PSNR "
                                           "that ours reach")
    partial = _target(verdict_below=curves.CANNOT, not_compared=["avif"],
                      per_codec={**_target()["per_codec"], "avif": {"overlap": None}})
    assert real_prose.below_text(partial) == ("cannot tell against every codec: ours is below WebP over "
                                              "22.000–30.000 dB and JPEG over 20.000–28.000 dB; AVIF reaches no PSNR "
                                              "that ours reach")
    fails = _target(verdict_below=curves.FAILS,
                    per_codec={"webp": {"not_below": [[22.81, 25.12]], "below": False, "overlap": [22.0, 30.0]},
                               "jpeg2000": {"not_below": [[30.0, 31.0]], "below": False, "overlap": [29.0, 31.0]}})
    assert real_prose.below_text(fails) == ("does not hold: ours is not below WebP from 22.8 to 25.1 dB; not below "
                                            "JPEG 2000 from 30.0 to 31.0 dB")
    none = _target(verdict_below=curves.CANNOT, not_compared=["jpeg", "webp"],
                   per_codec={"webp": {"overlap": None}, "jpeg": {"overlap": None}})
    assert real_prose.below_text(none) == "cannot tell: JPEG and WebP reach no PSNR that ours reach"


def test_factor_text_for_every_outcome():
    assert real_prose.factor_text(_target()) == ("holds, since at 25 dB ours needs 9.8 bytes per image and WebP 78.4, "
                                                 "8.0 times fewer")
    short = _target(ratio=2.0, bytes_reference=19.6, verdict_factor=curves.FAILS)
    assert real_prose.factor_text(short).endswith("2.0 times fewer, where the target asks for 6 times fewer")
    # a ratio just short of the factor is not printed as the factor itself, nor one just past it below
    near = _target(ratio=5.996, bytes_reference=58.76, verdict_factor=curves.FAILS)
    assert real_prose.factor_text(near).endswith("5.996 times fewer, where the target asks for 6 times fewer")
    assert real_prose.factor_text(_target(ratio=6.04)).endswith("6.0 times fewer")
    assert real_prose.factor_text(_target(ratio=5.96, verdict_factor=curves.FAILS)).endswith(
        "5.96 times fewer, where the target asks for 6 times fewer")
    worse = _target(ratio=0.5, bytes_reference=4.9, verdict_factor=curves.FAILS)
    assert "2.0 times more, where" in real_prose.factor_text(worse)
    for ours, theirs, who in ((None, 0.8, "our best curve does"), (0.1, None, "WebP's curve does"),
                              (None, None, "our best curve and WebP's curve do")):
        t = _target(ratio=None, bpp_ours=ours, bpp_reference=theirs, verdict_factor=curves.CANNOT)
        assert real_prose.factor_text(t) == f"cannot tell, since {who} not reach 25 dB"


def _fake(ours_bytes, theirs):
    codec = SimpleNamespace(model_bytes=lambda: {"total": 1000, "decoder": 900, "table": 100})
    return SimpleNamespace(near={"ours": {"setting": "rate-8 lambda 0.001", "psnr": 25.0, "bytes": ours_bytes}},
                           theirs=theirs, codecs={"rate-8 lambda 0.001": codec})


def test_model_payoff_for_every_case():
    webp = [{"codec": "webp", "lossless": False, "bpp": b * 8 / 784, "psnr": q} for b, q in ((50, 20), (200, 30))]
    text, n = real_prose.model_payoff(_fake(20.0, webp))
    assert n == ratio.images_to_pay_off(1000, 20.0, 100.0) == 13 and text.endswith("paid for itself after 13 images")
    assert "(WebP at 25.00 dB, read off its curve between two of its settings: 100.0 per image)" in text
    text, n = real_prose.model_payoff(_fake(150.0, webp))
    assert n is None and text.endswith("no more than ours, so the model never pays for itself")
    # every setting gives more than our 25 dB: the cheapest of them is what we are set against
    text, n = real_prose.model_payoff(_fake(20.0, [{**p, "psnr": p["psnr"] + 10} for p in webp]))
    assert n == 34 and "(a WebP file at 30.00 dB: 50.0 per image)" in text  # ceil(1000 / 30)
    text, n = real_prose.model_payoff(_fake(20.0, [{**p, "psnr": p["psnr"] - 10} for p in webp]))
    assert n is None and text == "no standard lossy codec reaches 25.00 dB, so there is nothing to pay back"


def test_slowest_names_the_codecs_that_took_longest():
    pts = [{"codec": "avif", "seconds": 30.0}, {"codec": "avif", "seconds": 31.0}, {"codec": "jpeg2000", "seconds": 20},
           {"codec": "png", "seconds": 1.0}]
    assert real_prose.slowest(pts) == "AVIF 61 s and JPEG 2000 20 s"
    assert real_prose.slowest(pts, n=1) == "AVIF 61 s"
