"""The `.ael` file: a small header, then the range-coded integers of one or more images.

File format, version 1 (`.ael`):

    offset  bytes  field
    0       2      magic b"AE"
    2       1      format version (1)
    3       3      model key: the first 3 bytes of the sha256 of the codec (network config,
                   data checksum, step, probability table and decoder weights): names the
                   codec in the cache
    6       1+     N, the number of images (LEB128: one byte up to 127)
    ...     1      check: the low byte of the CRC-32 of the header before it and the decoded
                   integers, so a truncated, damaged or foreign file fails (255 times in 256)
    ...     rest   payload: the N x D integers, range-coded (aelib.entropy)

That is 8 bytes of header for a single image. The image size (28x28), the code size D, the step
and the table belong to the codec the key names, and are not repeated. Neither the network nor
the table is in the file: a receiver needs them once (`Codec.model_bytes`), then only files.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

MAGIC = b"AE"
VERSION = 1
KEY_BYTES = 3
ONE_IMAGE_HEADER = len(MAGIC) + 1 + KEY_BYTES + 1 + 1  # magic, version, key, count (1 byte up to 127), check
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
    key: bytes  # KEY_BYTES
    count: int  # images in the file
    check: int  # 0..255
    size: int  # header bytes, check byte included

    def prefix(self) -> bytes:
        return MAGIC + bytes([VERSION]) + self.key + varint(self.count)


def check_byte(prefix: bytes, q: np.ndarray) -> int:
    return zlib.crc32(q.astype("<i4").tobytes(), zlib.crc32(prefix)) & 0xFF


def read_header(blob: bytes) -> Header:
    """Parse and validate the header; raises a CodecError subclass naming the problem."""
    if len(blob) < len(MAGIC) or blob[:len(MAGIC)] != MAGIC:
        raise NotOurFile("not an aelib file (it does not start with the bytes 'AE')")
    if len(blob) < 3:
        raise TruncatedFile("truncated: the file ends inside its header")
    if blob[2] != VERSION:
        raise UnsupportedVersion(f"format version {blob[2]}, but this aelib reads version {VERSION} only")
    pos = 3 + KEY_BYTES
    if len(blob) < pos:
        raise TruncatedFile("truncated: the file ends inside its header")
    key, count, shift = blob[3:pos], 0, 0
    while True:
        if pos >= len(blob):
            raise TruncatedFile("truncated: the file ends inside its header")
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
    if pos >= len(blob):
        raise TruncatedFile("truncated: the file ends inside its header")
    return Header(key=key, count=count, check=blob[pos], size=pos + 1)
