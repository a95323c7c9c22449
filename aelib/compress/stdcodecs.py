"""The codecs people use, applied to 28x28 MNIST digits: bytes per image and what comes back.

Every image codec goes through Pillow, one 8-bit greyscale image per file. Two byte counts:

- whole file: every byte Pillow writes for one image (signature, container, headers, tables);
  the headline figure, since that is what a file on disk or on the wire costs.
- payload: the entropy-coded data alone, counted by parsing the file. Per format it is
  - png: the data of the IDAT chunks (the zlib stream of the filtered rows); it drops the
    8-byte signature and the IHDR and IEND chunks and each chunk's 12-byte frame.
  - jpeg: the entropy-coded scan, from the end of the SOS segment to the EOI marker; it drops
    SOI, JFIF APP0, DQT (quantization table), SOF, DHT (Huffman tables), SOS and EOI.
  - webp, webp-lossless: the VP8 / VP8L bitstream chunk's data less its frame header (10 bytes
    for VP8: frame tag, start code, size; 5 for VP8L: signature, size, flags); it drops the
    RIFF header and chunk framing. VP8's first partition (segment, quantizer and probability
    updates) cannot be separated from the coefficients and stays in.
  - jpeg2000: written as a bare J2K codestream (no JP2 boxes) without OpenJPEG's 39-byte
    comment (the software's name, even in the whole file); the tile-part bit-stream data after
    each SOD marker; it drops SOC, SIZ, COD, QCD, SOT, SOD and EOC.
  - avif: the mdat box's content, the AV1 OBUs (its sequence header OBU included); it drops the
    ftyp and meta boxes (item info, locations, properties, av1C, ...).
  - gzip: the raw deflate stream; it drops gzip's 10-byte header and 8-byte trailer.
  - xz: the raw LZMA2 stream with the same filter settings; it drops xz's stream header,
    block header, index, footer and CRC64 check.

gzip and xz compress the raw 784 pixel bytes, one image at a time or the whole set as one
stream (`whole_set_bytes`).
"""
from __future__ import annotations

import gzip
import io
import lzma
import struct
import time
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

SIDE = 28
PIXELS = SIDE * SIDE
LOSSLESS = ("png", "webp-lossless", "gzip", "xz")
LOSSY = ("webp", "jpeg", "jpeg2000", "avif")
CODECS = LOSSLESS + LOSSY
# xz's strongest preset; one image is 784 bytes, so a 4 KiB dictionary loses nothing and spares
# the 64 MiB allocation per call that makes preset 9 take ~0.2 s an image (the whole set keeps it).
XZ_FILTERS = [{"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME, "dict_size": 4096}]
XZ_SET_FILTERS = [{"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME}]

# Fixed encoder options, part of the standard-codec points' cache key (aelib.compress.rd).
# AVIF: libavif 1.4 with libaom tunes for perceived image quality by default ("tune=iq"): at its
# lowest quality that mode still spends bits to hold ~33 dB on a 28x28 digit (measured: 372-byte
# files, 33.2 dB on 100 test digits), far above the rates where the other codecs and ours meet.
# tune=psnr lets the quantizer go as coarse as quality asks (quality 0: ~22 dB). Greyscale images
# are coded 4:0:0 (no chroma planes) by default. speed 6 is libavif's default: slower presets
# cost 4-10 times the time for a byte or two; faster ones lose quality at the same bytes.
PIL_FORMATS = {"png": "PNG", "webp-lossless": "WEBP", "webp": "WEBP", "jpeg": "JPEG", "jpeg2000": "JPEG2000",
               "avif": "AVIF"}
OPTIONS: dict[str, dict] = {
    "png": {"optimize": True},
    "webp-lossless": {"lossless": True, "quality": 100, "method": 6},
    "webp": {"method": 6},
    "jpeg": {"optimize": True},
    # 9/7 wavelet (lossy); 3 resolution levels because a 28-pixel side allows no more than
    # 28 / 2^(levels-1) >= 1 per band with 32x32 code-blocks clipped to the image.
    "jpeg2000": {"no_jp2": True, "irreversible": True, "quality_mode": "dB", "num_resolutions": 3},
    "avif": {"speed": 6, "max_threads": 1, "advanced": {"tune": "psnr"}},
}
AVIF_LIBAVIF_TUNING = {"speed": 6, "max_threads": 1}  # libavif's own default (tune=iq), for comparison

# The settings swept by default: from each codec's lowest quality up to near-transparent.
# jpeg2000's number is the PSNR (dB) asked of OpenJPEG's rate control; its "rates" mode cannot go
# below ~160-byte files here, where the header alone is ~130 bytes. AVIF's files cannot go below
# ~315 bytes whatever the quality: ~270 of them are the HEIF container's boxes (file type, item
# info and locations, image properties), which Pillow writes in full. WebP, the reference of the
# 25 dB target, is swept finely at its low end, where that target lies: on MNIST its quality 0
# gives about 22.8 dB and quality 1 already 25.3, so between them no setting exists.
DEFAULT_SETTINGS: dict[str, list[int | None]] = {
    "png": [None], "webp-lossless": [None], "gzip": [None], "xz": [None],
    "webp": [0, 1, 2, 5, 10, 25, 50, 75, 90],
    "jpeg": [5, 10, 25, 50, 75, 90],
    "jpeg2000": [18, 22, 26, 30, 34, 38],
    "avif": [0, 5, 10, 25, 50, 90],
}


def setting_label(codec: str, value) -> str:
    if value is None:
        return "lossless"
    return f"{value:g} dB" if codec == "jpeg2000" else f"q{value:g}"


# --- one image ---------------------------------------------------------------------------------

def encode(codec: str, image: np.ndarray, value=None, options: dict | None = None) -> bytes:
    """One (28, 28) uint8 image -> the whole file `codec` writes at setting `value`, with the
    encoder's fixed `options` (default: OPTIONS[codec])."""
    if codec == "gzip":
        return gzip.compress(image.tobytes(), compresslevel=9, mtime=0)
    if codec == "xz":
        return lzma.compress(image.tobytes(), format=lzma.FORMAT_XZ, filters=XZ_FILTERS)
    im = Image.fromarray(np.ascontiguousarray(image, dtype=np.uint8), mode="L")
    buf = io.BytesIO()
    if codec not in PIL_FORMATS:
        raise ValueError(f"unknown codec {codec!r}; choose one of {list(CODECS)}")
    setting = {} if value is None else {"quality_layers": [value]} if codec == "jpeg2000" else {"quality": value}
    im.save(buf, PIL_FORMATS[codec], **setting, **(OPTIONS[codec] if options is None else options))
    return _strip_j2k_comment(buf.getvalue()) if codec == "jpeg2000" else buf.getvalue()


def _strip_j2k_comment(b: bytes) -> bytes:
    """Drop OpenJPEG's COM segment ("Created by OpenJPEG version ...", 39 bytes): optional
    metadata that names the software, not part of the image; the codestream stays valid."""
    pos = 2  # after SOC
    while pos + 4 <= len(b) and b[pos:pos + 2] != b"\xff\x90":  # main header ends at the first SOT
        length = struct.unpack(">H", b[pos + 2:pos + 4])[0]
        if b[pos:pos + 2] == b"\xff\x64":
            return b[:pos] + b[pos + 2 + length:]
        pos += 2 + length
    return b


def decode(codec: str, blob: bytes) -> np.ndarray:
    """A file written by `encode` -> (28, 28) uint8."""
    if codec == "gzip":
        raw = gzip.decompress(blob)
    elif codec == "xz":
        raw = lzma.decompress(blob, format=lzma.FORMAT_XZ)
    else:
        with Image.open(io.BytesIO(blob)) as im:
            return np.asarray(im.convert("L"))  # WebP decodes to RGB: grey levels are replicated
    return np.frombuffer(raw, dtype=np.uint8).reshape(SIDE, SIDE)


def payload_bytes(codec: str, blob: bytes) -> int:
    """The entropy-coded part of a file written by `encode` (see the module's docstring)."""
    if codec == "gzip":
        return len(blob) - 10 - 8
    if codec == "xz":
        raw = lzma.decompress(blob, format=lzma.FORMAT_XZ)
        return len(lzma.compress(raw, format=lzma.FORMAT_RAW, filters=XZ_FILTERS))
    parse = {"png": _png_payload, "webp": _webp_payload, "webp-lossless": _webp_payload,
             "jpeg": _jpeg_payload, "jpeg2000": _j2k_payload, "avif": _avif_payload}[codec]
    return parse(blob)


def _png_payload(b: bytes) -> int:
    pos, total = 8, 0  # after the signature
    while pos + 8 <= len(b):
        length, kind = struct.unpack(">I4s", b[pos:pos + 8])
        if kind == b"IDAT":
            total += length
        pos += 12 + length  # length, type, data, CRC
    return total


def _jpeg_payload(b: bytes) -> int:
    pos, total = 2, 0  # after SOI
    while pos + 4 <= len(b):
        marker, length = struct.unpack(">HH", b[pos:pos + 4])
        if marker == 0xFFDA:  # SOS: the scan's entropy-coded data runs to the next marker
            start = pos + 2 + length
            end = start
            while end + 1 < len(b) and not (b[end] == 0xFF and b[end + 1] not in (0x00, *range(0xD0, 0xD8))):
                end += 1  # 0xFF00 is a stuffed byte and 0xFFD0-D7 restart markers: both inside the scan
            total += end - start
            pos = end
            if b[pos:pos + 2] == b"\xff\xd9":
                break
        else:
            pos += 2 + length
    return total


def _webp_payload(b: bytes) -> int:
    pos, total = 12, 0  # after "RIFF", size, "WEBP"
    while pos + 8 <= len(b):
        kind, size = struct.unpack("<4sI", b[pos:pos + 8])
        if kind == b"VP8 ":
            total += size - 10
        elif kind == b"VP8L":
            total += size - 5
        elif kind == b"ALPH":
            total += size
        pos += 8 + size + (size & 1)  # chunks are padded to an even size
    return total


def _j2k_payload(b: bytes) -> int:
    pos, total = 2, 0  # after SOC
    while pos + 4 <= len(b):
        marker = struct.unpack(">H", b[pos:pos + 2])[0]
        if marker == 0xFF90:  # SOT: Lsot, Isot, Psot (tile-part length from SOT's first byte)
            psot = struct.unpack(">I", b[pos + 6:pos + 10])[0]
            end = pos + psot if psot else len(b) - 2
            sod = b.find(b"\xff\x93", pos + 12, end)
            total += end - (sod + 2)
            pos = end
        elif marker == 0xFFD9:  # EOC
            break
        else:
            pos += 2 + struct.unpack(">H", b[pos + 2:pos + 4])[0]
    return total


def _avif_payload(b: bytes) -> int:
    pos, total = 0, 0
    while pos + 8 <= len(b):
        size, kind = struct.unpack(">I4s", b[pos:pos + 8])
        header = 8
        if size == 1:  # 64-bit size
            size, header = struct.unpack(">Q", b[pos + 8:pos + 16])[0], 16
        if kind == b"mdat":
            total += size - header
        pos += size if size else len(b)
    return total


# --- a set of images ---------------------------------------------------------------------------

@dataclass
class Coded:
    """One codec at one setting over a set of images."""
    codec: str
    setting: str
    file_bytes: np.ndarray  # (N,) whole-file bytes per image
    payload_bytes: np.ndarray  # (N,) payload bytes per image
    decoded: np.ndarray  # (N, 28, 28) uint8
    seconds: float  # encode + decode wall time for the whole set
    extra: dict = field(default_factory=dict)


def run_codec(codec: str, images: np.ndarray, value=None, options: dict | None = None) -> Coded:
    """Encode and decode each (28, 28) image of `images` (N, 28, 28) uint8 on its own (`options`:
    as for `encode`)."""
    images = np.asarray(images, dtype=np.uint8)
    sizes, payloads, out = [], [], np.empty_like(images)
    t0 = time.perf_counter()
    for i, img in enumerate(images):
        blob = encode(codec, img, value, options)
        out[i] = decode(codec, blob)
        sizes.append(len(blob))
        payloads.append(payload_bytes(codec, blob))
    seconds = time.perf_counter() - t0
    if codec in LOSSLESS and not np.array_equal(out, images):
        raise AssertionError(f"{codec} is lossless but did not give the images back exactly")
    return Coded(codec, setting_label(codec, value), np.asarray(sizes), np.asarray(payloads), out, seconds)


def whole_set_bytes(codec: str, images: np.ndarray) -> tuple[int, int]:
    """(whole-file, payload) bytes of the whole set's raw pixels compressed as one stream."""
    raw = np.ascontiguousarray(images, dtype=np.uint8).tobytes()
    if codec == "gzip":
        blob = gzip.compress(raw, compresslevel=9, mtime=0)
        return len(blob), len(blob) - 18
    if codec == "xz":
        return (len(lzma.compress(raw, format=lzma.FORMAT_XZ, filters=XZ_SET_FILTERS)),
                len(lzma.compress(raw, format=lzma.FORMAT_RAW, filters=XZ_SET_FILTERS)))
    raise ValueError(f"whole-set streams are measured for gzip and xz, not {codec!r}")
