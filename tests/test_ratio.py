import pytest
import torch

from aelib.compress import ratio
from aelib.book import report
from aelib.config import TrainConfig
from aelib.models import count_parameters
from aelib.zoo import build_model


def test_value_ratio_reproduces_the_reports_table():
    ours = [ratio.ratio_floats(n) for n in report.COMPRESSION_RATIO["latent"]]
    # the report rounds: 1.53 -> 1.5, 6.125 -> 6.1, 49 and 784 exactly
    assert [round(r, 1) for r in ours[:2]] == report.COMPRESSION_RATIO["ratio"][:2]
    assert ours[2:] == report.COMPRESSION_RATIO["ratio"][2:]


def test_byte_ratio_counts_8_bit_pixels_against_float_codes():
    assert ratio.IMAGE_BYTES == 784
    assert ratio.code_bytes(128) == 512 and ratio.code_bytes(128, ratio.FLOAT16_BYTES) == 256
    assert ratio.ratio_bytes(128) == pytest.approx(784 / 512)  # not the report's 6.1
    assert ratio.ratio_bytes(128, ratio.FLOAT16_BYTES) == pytest.approx(784 / 256)
    assert ratio.ratio_bytes(1) == 196.0
    assert ratio.ratio_bytes(512) < 1  # a 512-float code is larger than the image


@pytest.mark.parametrize("bad", [0, -3, 1.5, True, "128"])
def test_latent_must_be_a_positive_int(bad):
    with pytest.raises(ValueError, match="latent must be an int >= 1"):
        ratio.code_bytes(bad)


@pytest.mark.parametrize("kind", ["mlp", "conv"])
def test_model_and_decoder_bytes(kind):
    model = build_model(TrainConfig(model=kind, latent=16))
    assert ratio.parameter_bytes(model) == 4 * count_parameters(model)  # float32
    dec = ratio.decoder_bytes(model)
    assert 0 < dec < ratio.parameter_bytes(model)
    assert dec + ratio.parameter_bytes(model.g_a) == ratio.parameter_bytes(model)


def test_mlp_decoder_bytes_by_hand():
    # latent 128 -> 512 -> 784: (128*512 + 512) + (512*784 + 784) float32 parameters
    model = build_model(TrainConfig(model="mlp", latent=128))
    assert ratio.decoder_bytes(model) == 4 * (128 * 512 + 512 + 512 * 784 + 784)
    assert ratio.parameter_bytes(model.half()) == 2 * count_parameters(model)  # as stored


def test_images_to_pay_off_is_the_smallest_n():
    dec = 1_872_960  # the MLP decoder at latent 128
    n = ratio.images_to_pay_off(dec, ratio.code_bytes(128), ratio.IMAGE_BYTES)
    assert n == 6886  # ceil(1,872,960 / (784 - 512))
    assert n * 784 >= n * 512 + dec and (n - 1) * 784 < (n - 1) * 512 + dec
    assert ratio.images_to_pay_off(0, ratio.code_bytes(1), ratio.IMAGE_BYTES) == 0
    assert ratio.images_to_pay_off(720, ratio.code_bytes(16), ratio.IMAGE_BYTES) == 1  # saving 720 B at once
    assert ratio.images_to_pay_off(1000, 10, 110) == 10 and ratio.images_to_pay_off(1001, 10, 110) == 11
    assert ratio.images_to_pay_off(1000, 10, 110.5) == 10  # a mean byte count need not be whole


def test_images_to_pay_off_never_when_ours_is_not_smaller():
    assert ratio.images_to_pay_off(10, ratio.code_bytes(512), ratio.IMAGE_BYTES) is None  # 2048 B > 784 B
    assert ratio.images_to_pay_off(10, ratio.code_bytes(196), ratio.IMAGE_BYTES) is None  # 784 B: nothing saved
    assert ratio.images_to_pay_off(10, ratio.code_bytes(512, ratio.FLOAT16_BYTES), ratio.IMAGE_BYTES) is None
    assert ratio.images_to_pay_off(0, ratio.code_bytes(128, ratio.FLOAT16_BYTES), ratio.IMAGE_BYTES) == 0
    assert ratio.images_to_pay_off(10, ratio.code_bytes(128), 190.3) is None  # a 512 B code against zlib
    with pytest.raises(ValueError, match="model_bytes must be a byte count"):
        ratio.images_to_pay_off(-1, 64, 784)


@pytest.mark.parametrize("kind", ["mlp", "conv"])
def test_reconstruct_stored_matches_float32_and_rounds_in_float16(kind):
    torch.manual_seed(0)
    model = build_model(TrainConfig(model=kind, latent=8)).eval()
    x = torch.rand(5, 1, 28, 28)
    with torch.inference_mode():
        ref = model(x)
        y16 = model.decode(model.encode(x).half().float())
    assert torch.equal(ratio.reconstruct_stored(model, x, torch.float32), ref)
    out = ratio.reconstruct_stored(model, x)
    assert out.shape == x.shape and out.dtype == torch.float32
    assert torch.equal(out, y16)
    assert ratio.reconstruct_stored(model, x[:0]).shape == (0, 1, 28, 28)


def test_zlib_bytes_is_lossless_and_per_image(mnist):
    import zlib
    x = mnist.test_images[:50]
    sizes = ratio.zlib_bytes(x)
    assert len(sizes) == 50 and all(isinstance(n, int) for n in sizes)
    assert 0 < min(sizes) and max(sizes) < ratio.IMAGE_BYTES  # digits are mostly black: they shrink
    blob = zlib.compress(x[0].numpy().tobytes(), 9)
    assert len(blob) == sizes[0] and zlib.decompress(blob) == x[0].numpy().tobytes()
    assert ratio.zlib_bytes(torch.zeros(1, 28, 28, dtype=torch.uint8))[0] < 30
    with pytest.raises(ValueError, match="uint8"):
        ratio.zlib_bytes(x.float())
