"""The compression section's verdict on hand-made numbers, one test per outcome it can reach."""
import pytest

from aelib.book import claims

DEC = 1_872_960  # the MLP decoder at latent 128, float32


def test_true_as_defined_misleading_in_practice():
    v = claims.decoder_not_a_factor(DEC, 512, 10_000, 784, 190)
    assert v.outcome == claims.PARTLY
    assert v.evidence.startswith("True as defined") and "misleading in practice" in v.evidence
    assert "26.8% of all the bytes" in v.evidence  # 1.87 MB against 5.12 MB of codes
    assert "raw 784-byte images after 6,886 images" in v.evidence
    assert "190 bytes per image never" in v.evidence  # a 512-byte code is not smaller than zlib's files


def test_holds_when_the_decoder_is_negligible_in_practice_too():
    v = claims.decoder_not_a_factor(100_000, 4, 10_000_000, 784, 190)
    assert v.outcome == claims.HOLDS and "in practice too" in v.evidence and "0.2% of all the bytes" in v.evidence
    assert "after 538 images" in v.evidence  # ceil(100,000 / (190 - 4)): the code beats zlib's files
    assert "misleading" not in v.evidence


def test_the_margin_decides_between_the_two():
    # 99 MB of codes beside a 1 MB decoder: a share of exactly 1 %, not under it
    assert claims.decoder_not_a_factor(1e6, 99, 1_000_000, 784, 190).outcome == claims.PARTLY
    assert claims.decoder_not_a_factor(1e6, 99, 1_000_000, 784, 190, negligible=0.02).outcome == claims.HOLDS


def test_cannot_tell_in_practice_when_nothing_is_sent():
    v = claims.decoder_not_a_factor(DEC, 512, 0, 784, 190)
    assert v.outcome == claims.CANNOT and v.evidence.startswith("True as defined")


@pytest.mark.parametrize("args", [(-1, 512, 10, 784, 190), (DEC, -4, 10, 784, 190), (DEC, 512, 10, 784, -1)])
def test_negative_byte_counts_are_refused(args):
    with pytest.raises(ValueError, match="byte counts"):
        claims.decoder_not_a_factor(*args)


def test_the_verdict_quotes_the_report():
    v = claims.decoder_not_a_factor(DEC, 512, 10_000, 784, 190)
    assert v.claim == "the size of the encoder and decoder are not a factor in the compression ratio"
    assert v.to_dict()["outcome"] == "holds in part"
