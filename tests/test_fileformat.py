"""The `.ael` header on its own (aelib.compress.fileformat), and the payload's end
(aelib.compress.entropy): no network needed. Files made by real codecs are in test_codec.py."""
import gzip
import io
import lzma
import zlib

import numpy as np
import pytest
from PIL import Image

from aelib.compress import entropy
from aelib.compress import fileformat as F

DIGEST = bytes(range(0x40, 0x60))  # a stand-in for a codec's 32-byte sha256


def v1_header(digest: bytes, q: np.ndarray) -> bytes:
    """A version-1 header, written as aelib wrote it before version 2."""
    prefix = b"AE\x01" + digest[:3] + F.varint(len(q))
    return prefix + bytes([zlib.crc32(q.astype("<i4").tobytes(), zlib.crc32(prefix)) & 0xFF])


def test_a_one_image_header_is_four_bytes_magic_key_check():
    q = np.array([[3, -1, 0, 7]], dtype=np.int32)
    blob = F.write_header(DIGEST, q)
    h = F.read_header(blob + b"payload")
    assert len(blob) == F.ONE_IMAGE_HEADER == 4 and blob[:2] == bytes([0xAE, DIGEST[0]])
    assert (h.version, h.key, h.count, h.size) == (2, DIGEST[:1], 1, 4)
    assert h.check == int.from_bytes(blob[2:4], "little") == h.expected_check(DIGEST, q)


@pytest.mark.parametrize("n, size", [(2, 5), (127, 5), (128, 6), (300, 6), (F.MAX_IMAGES, 7)])
def test_several_images_add_their_count(n, size):
    q = np.zeros((n, 2), dtype=np.int32)
    h = F.read_header(F.write_header(DIGEST, q))
    assert h.size == size and h.count == n and h.version == 2 and F.write_header(DIGEST, q)[0] == 0xAF


def test_the_check_binds_the_whole_digest_the_header_and_the_integers():
    q = np.array([[3, -1, 0, 7]], dtype=np.int32)
    h = F.read_header(F.write_header(DIGEST, q))
    other = DIGEST[:1] + bytes(31)  # same key byte, another codec
    assert h.expected_check(other, q) != h.check
    assert h.expected_check(DIGEST[:31] + b"\x00", q) != h.check  # even its last byte counts
    assert h.expected_check(DIGEST, q + np.array([[0, 0, 0, 1]])) != h.check
    assert F.Header(2, h.key, 2, 0, 0).expected_check(DIGEST, q) != h.check  # the header counts too


def test_a_version_1_header_still_reads():
    q = np.array([[5, 6]], dtype=np.int32)
    h = F.read_header(v1_header(DIGEST, q))
    assert (h.version, h.key, h.count, h.size) == (1, DIGEST[:3], 1, 8)
    assert h.expected_check(DIGEST, q) == h.check


@pytest.mark.parametrize("blob, error, words", [
    (b"", F.NotOurFile, "not an aelib file"),
    (b"\x89PNG\r\n\x1a\n....", F.NotOurFile, "not an aelib file"),
    (b"A", F.NotOurFile, "not an aelib file"),
    (b"\xae", F.TruncatedFile, "truncated"),
    (b"\xaeK\x01", F.TruncatedFile, "truncated"),
    (b"\xafK", F.TruncatedFile, "truncated"),
    (b"\xafK\x05\x00", F.TruncatedFile, "truncated"),
    (b"\xafK\x00\x00\x00", F.CorruptFile, "claims 0 images"),
    (b"\xafK\xff\xff\xff\xff\x00", F.CorruptFile, "count"),
    (b"\xafK" + F.varint(F.MAX_IMAGES + 1) + b"\x00\x00", F.CorruptFile, "claims 100001 images"),
    (b"AE", F.TruncatedFile, "truncated"),
    (b"AE\x07abc\x01\x00", F.UnsupportedVersion, "version 7"),
    (b"AE\x02abc\x01\x00", F.CorruptFile, "version 2, which no aelib writes"),
    (b"AE\x01ab", F.TruncatedFile, "truncated"),
    (b"AE\x01abc\x00\x00", F.CorruptFile, "claims 0 images"),
    (b"AE\x01abc\xff\xff\xff\xff\x00", F.CorruptFile, "count"),
    (b"AE\x01abc\x01", F.TruncatedFile, "truncated"),
])
def test_bad_headers_name_the_problem(blob, error, words):
    with pytest.raises(error, match=words):
        F.read_header(blob)


def _foreign_files() -> dict[str, bytes]:
    img = Image.fromarray(np.arange(784, dtype=np.uint8).reshape(28, 28), mode="L")
    out = {}
    for fmt in ("PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP", "PPM"):
        buf = io.BytesIO()
        img.save(buf, format=fmt)
        out[fmt] = buf.getvalue()
    out |= {"gzip": gzip.compress(b"digits", mtime=0), "xz": lzma.compress(b"digits"), "text": "Ædigits ®".encode(),
            "json": b'{"a": 1}', "zeros": bytes(16)}
    return out


@pytest.mark.parametrize("name, blob", _foreign_files().items())
def test_common_formats_are_not_ours(name, blob):
    with pytest.raises(F.NotOurFile):
        F.read_header(blob)


def test_no_payload_ends_in_a_byte_the_decoder_restores():
    """The range coder's payload is already as short as it can be: the decoder reads a missing
    tail as zero bytes, so a payload ending in a zero byte would waste it. Random tables, random
    images, every one back exactly."""
    rng = np.random.default_rng(0)
    ends_in_zero = 0
    for trial in range(8):
        d = int(rng.integers(2, 24))
        train = np.round(rng.normal(0, rng.uniform(0.5, 6), size=(400, d))).astype(np.int64)
        table = entropy.fit_histogram(train)
        q = table.clip(np.round(rng.normal(0, 3, size=(60, d))).astype(np.int64))
        for row in q:
            payload = entropy.encode(row[None], table)
            assert np.array_equal(entropy.decode(payload, table, 1), row[None])
            ends_in_zero += payload[-1] == 0
    assert ends_in_zero == 0
