"""The `.ael` file: a small header, then the range-coded integers of one or more images.

File format, version 2 (what `Codec.compress` writes):

    one image        0xAE  key  check check              4 bytes
    several images   0xAF  key  N...  check check        5 bytes up to 127 images

    0xAE/AF  magic and version in one byte: "aelib, version 2, one image / several". No common
             format starts with them (PNG 0x89, JPEG 0xFF, GIF 'G', BMP 'B', RIFF/WebP 'R', TIFF
             'I' or 'M', PGM/PPM 'P', gzip 0x1F, xz 0xFD, AVIF 0x00), they are not ASCII, and as
             UTF-8 continuation bytes no UTF-8 text starts with them.
    key      the first byte of the codec's sha256 (`Codec.digest`: network config, data checksum,
             step, probability table and decoder weights). It only says which cached codecs to try
             (`codec.for_file` tries each, and refuses a file that two of them pass); the check
             below decides.
    N        the number of images (LEB128: one byte up to 127); a one-image file has none.
    check    CRC-16 (CCITT, `binascii.crc_hqx`), little-endian, of the codec's whole 32-byte
             sha256, the header before the check and the decoded integers (int32, little-endian).
             A damaged or truncated file, or one decoded with the wrong codec, passes it once in
             65,536 times; a 16-bit CRC also never misses a change of one bit, or an odd number of
             bits, in what it covers, where the low half of a CRC-32 does not promise that.
    rest     the payload: the N x D integers, range-coded (aelib.compress.entropy), which ends where
             the file ends (the encoder already leaves off every byte the decoder can do without).

Against version 1 (below), a one-image file saves 4 bytes and trades strengths: damage goes
undetected once in 65,536 instead of once in 256; a wrong codec is accepted only if it shares
the key byte and passes the check, once in 2^24 pairs of codecs instead of 2^32 (3 key bytes,
then the 8-bit check). Damage is by far the likelier accident, so the trade is a gain. A foreign
file starting with 0xAE or 0xAF fails the key or the check (MissingModel, CorruptFile) instead of
the magic (NotOurFile): the message changes, the refusal does not.

Version 1, still read (users' caches hold such files): b"AE", version byte 1, the first 3 bytes
of the sha256 as the key, N (LEB128), a check byte (the low byte of the CRC-32 of the header
before it and the decoded integers), the payload: 8 header bytes for one image. A later
version is to start with b"AE" and its version byte, so that every reader since version 1 names
it (UnsupportedVersion).

The image size (28x28), the code size D, the step and the table belong to the codec, and are not
repeated. Neither the network nor the table is in the file: a receiver needs them once
(`Codec.model_bytes`), then only files.
"""
from __future__ import annotations

import binascii
import zlib
from dataclasses import dataclass

import numpy as np

VERSION = 2  # what the encoder writes; read_header also reads version 1
ONE, MANY = 0xAE, 0xAF  # version 2's first byte: one image, several images
KEY_BYTES = {1: 3, 2: 1}  # bytes of the codec's sha256 a file's header names it by, per version
CHECK_BYTES = {1: 1, 2: 2}
ONE_IMAGE_HEADER = 1 + KEY_BYTES[VERSION] + CHECK_BYTES[VERSION]  # magic and version, key, check
V1_MAGIC = b"AE"
MAX_IMAGES = 100_000  # a file claiming more is refused before anything is allocated
# A header's image count is refused up front when even the likeliest images would need more bits
# than the payload holds, give or take this much (the end of a range-coded stream can save a few
# bytes, never 32): a damaged count then fails at once instead of decoding garbage at length.
SLACK_BITS = 256


class CodecError(ValueError):
    """A file this codec cannot decode, or a codec that cannot be built; the message says why
    and what to do."""


class NotOurFile(CodecError):
    pass


class UnsupportedVersion(CodecError):
    pass


class TruncatedFile(CodecError):
    pass


class CorruptFile(CodecError):
    pass


class MissingModel(CodecError):
    pass


# --- the file's header -------------------------------------------------------------------------

def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


@dataclass(frozen=True)
class Header:
    version: int  # 1 or 2
    key: bytes  # KEY_BYTES[version]: the first bytes of the codec's sha256
    count: int  # images in the file
    check: int  # 0..255 (version 1), 0..65535 (version 2)
    size: int  # header bytes, check included

    def prefix(self) -> bytes:
        """The header's bytes before the check, written the one way the encoder writes them (so
        a header spelled any other way fails the check)."""
        if self.version == 1:
            return V1_MAGIC + bytes([1]) + self.key + varint(self.count)
        return bytes([ONE]) + self.key if self.count == 1 else bytes([MANY]) + self.key + varint(self.count)

    def expected_check(self, digest: bytes, q: np.ndarray) -> int:
        """The check a file of this header holds for the integers q (N, D) of the codec `digest`."""
        data = np.ascontiguousarray(q, dtype="<i4").tobytes()
        if self.version == 1:
            return zlib.crc32(data, zlib.crc32(self.prefix())) & 0xFF
        return binascii.crc_hqx(data, binascii.crc_hqx(self.prefix(), binascii.crc_hqx(digest, 0)))


def write_header(digest: bytes, q: np.ndarray) -> bytes:
    """The version-2 header of a file holding the integers q (N, D) of the codec `digest`."""
    h = Header(VERSION, digest[:KEY_BYTES[VERSION]], len(q), 0, 0)
    return h.prefix() + h.expected_check(digest, q).to_bytes(CHECK_BYTES[VERSION], "little")


def _truncated() -> TruncatedFile:
    return TruncatedFile("truncated: the file ends inside its header")


def _read_count(blob: bytes, pos: int) -> tuple[int, int]:
    count, shift = 0, 0
    while True:
        if pos >= len(blob):
            raise _truncated()
        byte = blob[pos]
        pos += 1
        count |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
        if shift > 21:  # more than 3 varint bytes is beyond MAX_IMAGES anyway
            raise CorruptFile("damaged header: the image count is not a valid number")
    if not 1 <= count <= MAX_IMAGES:
        raise CorruptFile(f"damaged header: it claims {count} images (expected 1..{MAX_IMAGES})")
    return count, pos


def read_header(blob: bytes) -> Header:
    """Parse and validate the header (version 2 or 1); raises a CodecError subclass naming the
    problem. The key and the check are the caller's to verify, against a codec."""
    if blob[:1] in (bytes([ONE]), bytes([MANY])):
        version, pos = 2, 1
    elif blob[:2] == V1_MAGIC:
        if len(blob) < 3:
            raise _truncated()
        if blob[2] > VERSION:
            raise UnsupportedVersion(f"format version {blob[2]}, but this aelib reads versions 1 and {VERSION} only")
        if blob[2] != 1:  # version 2 never starts with 'AE'
            raise CorruptFile(f"damaged header: 'AE' then version {blob[2]}, which no aelib writes")
        version, pos = 1, 3
    else:
        raise NotOurFile(f"not an aelib file (it starts with neither the byte 0x{ONE:02X} or 0x{MANY:02X} nor 'AE')")
    end = pos + KEY_BYTES[version]
    if len(blob) < end:
        raise _truncated()
    key = blob[pos:end]
    count, pos = (1, end) if blob[0] == ONE else _read_count(blob, end)
    end = pos + CHECK_BYTES[version]
    if len(blob) < end:
        raise _truncated()
    return Header(version, key, count, int.from_bytes(blob[pos:end], "little"), end)
