import io
import struct

import numpy as np
import pytest
from PIL import Image

from aelib.compress import stdcodecs as sc


@pytest.fixture(scope="module")
def images(mnist):
    return mnist.test_images[:6].numpy()


@pytest.mark.parametrize("codec", sc.LOSSLESS)
def test_lossless_codecs_give_the_pixels_back(codec, images):
    c = sc.run_codec(codec, images)
    assert np.array_equal(c.decoded, images) and c.setting == "lossless"
    assert (c.payload_bytes < c.file_bytes).all() and (c.payload_bytes > 0).all()


@pytest.mark.parametrize("codec, value", [("webp", 0), ("webp", 90), ("jpeg", 10), ("jpeg", 90),
                                          ("jpeg2000", 22), ("jpeg2000", 38), ("avif", 0), ("avif", 75)])
def test_lossy_codecs_round_trip_and_higher_quality_costs_more(codec, value, images):
    c = sc.run_codec(codec, images, value)
    assert c.decoded.shape == images.shape and c.decoded.dtype == np.uint8
    assert (c.payload_bytes < c.file_bytes).all() and (c.payload_bytes > 0).all()
    err = np.abs(c.decoded.astype(int) - images).mean()
    assert err < 40


def test_quality_buys_fidelity(images):
    lo, hi = sc.run_codec("jpeg", images, 5), sc.run_codec("jpeg", images, 95)
    err = lambda c: np.abs(c.decoded.astype(int) - images).mean()  # noqa: E731
    assert hi.file_bytes.mean() > lo.file_bytes.mean() and err(hi) < err(lo)


def test_png_payload_is_the_idat_data(images):
    blob = sc.encode("png", images[0])
    idat = blob.index(b"IDAT")
    (length,) = struct.unpack(">I", blob[idat - 4:idat])
    assert sc.payload_bytes("png", blob) == length
    assert len(blob) - length == 8 + 25 + 12 + 12  # signature, IHDR, IDAT frame, IEND


def test_jpeg_payload_is_the_scan_alone(images):
    blob = sc.encode("jpeg", images[0], 50)
    sos = blob.index(b"\xff\xda")
    (seg,) = struct.unpack(">H", blob[sos + 2:sos + 4])
    assert sc.payload_bytes("jpeg", blob) == len(blob) - (sos + 2 + seg) - 2  # up to EOI
    assert len(blob) - sc.payload_bytes("jpeg", blob) > 150  # tables and headers: JPEG's fixed cost


def test_webp_payload_drops_riff_and_frame_headers(images):
    lossy, lossless = sc.encode("webp", images[0], 50), sc.encode("webp-lossless", images[0])
    assert lossy[12:16] == b"VP8 " and len(lossy) - sc.payload_bytes("webp", lossy) == 12 + 8 + 10
    assert lossless[12:16] == b"VP8L" and len(lossless) - sc.payload_bytes("webp-lossless", lossless) in (25, 26)


def test_jpeg2000_is_a_bare_codestream_without_the_software_comment(images):
    blob = sc.encode("jpeg2000", images[0], 30)
    assert blob[:2] == b"\xff\x4f" and b"OpenJPEG" not in blob and b"\xff\x64" not in blob[:blob.index(b"\xff\x90")]
    assert sc.decode("jpeg2000", blob).shape == (28, 28)
    assert 0 < sc.payload_bytes("jpeg2000", blob) < len(blob) - 40


def test_avif_payload_is_the_mdat_content(images):
    blob = sc.encode("avif", images[0], 50)
    m = blob.index(b"mdat")
    (size,) = struct.unpack(">I", blob[m - 4:m])
    assert sc.payload_bytes("avif", blob) == size - 8
    with Image.open(io.BytesIO(blob)) as im:
        assert im.size == (28, 28)


def test_gzip_and_xz_payloads_and_whole_set(images):
    g, x = sc.encode("gzip", images[0]), sc.encode("xz", images[0])
    assert sc.payload_bytes("gzip", g) == len(g) - 18 and sc.payload_bytes("xz", x) < len(x) - 40
    whole, payload = sc.whole_set_bytes("xz", images)
    assert payload < whole < sum(len(sc.encode("xz", im)) for im in images)
    with pytest.raises(ValueError, match="gzip and xz"):
        sc.whole_set_bytes("png", images)


def test_unknown_codec_is_refused(images):
    with pytest.raises(ValueError, match="unknown codec"):
        sc.encode("bmp", images[0])
