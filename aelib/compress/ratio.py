"""Compression ratios counted two ways, and what the model itself costs.

The report divides 784 pixels by `latent` values. A file holds bytes, though: an MNIST pixel is
one byte (8-bit grey level), a latent value four (float32) or two (float16). And a receiver
needs the decoder before it can read any code, so the decoder's own bytes are paid once and
earned back image by image.
"""
from __future__ import annotations

import math
import zlib

import torch
from torch import nn

PIXELS = 28 * 28  # values in an MNIST image
PIXEL_BYTES = 1  # MNIST stores each grey level in one byte (uint8)
IMAGE_BYTES = PIXELS * PIXEL_BYTES  # 784
FLOAT32_BYTES = 4
FLOAT16_BYTES = 2
EVAL_BATCH = 2048


def ratio_floats(latent: int, pixels: int = PIXELS) -> float:
    """The report's ratio: values in, values out (784 / latent), whatever each value costs."""
    _check_latent(latent)
    return pixels / latent


def code_bytes(latent: int, value_bytes: int = FLOAT32_BYTES) -> int:
    """Bytes of one image's code: `latent` values of `value_bytes` each."""
    _check_latent(latent)
    return latent * value_bytes


def ratio_bytes(latent: int, value_bytes: int = FLOAT32_BYTES, image_bytes: int = IMAGE_BYTES) -> float:
    """Bytes in over bytes out: 784 one-byte pixels / (latent * value_bytes). Below 1 the code is
    larger than the image it encodes."""
    return image_bytes / code_bytes(latent, value_bytes)


def parameter_bytes(module: nn.Module) -> int:
    """Bytes of a module's parameters and buffers as stored (float32: 4 bytes each)."""
    tensors = list(module.parameters()) + list(module.buffers())
    return sum(t.numel() * t.element_size() for t in tensors)


def decoder_bytes(model: nn.Module) -> int:
    """Bytes a receiver needs to decode: everything but the encoder `g_a` (for aelib's models,
    the MLP's `g_s`, the convolutional model's `g_s_linear` and `g_s`)."""
    return parameter_bytes(model) - parameter_bytes(model.g_a)


def images_to_pay_off(model_bytes: float, ours_bytes: float, theirs_bytes: float) -> int | None:
    """The smallest n with n * theirs_bytes >= model_bytes + n * ours_bytes: how many images must
    be sent before the model (sent once) plus our n files cost no more than their n files (raw
    images, or another codec's files). None when ours saves nothing per image: no n ever pays off."""
    if model_bytes < 0:
        raise ValueError(f"model_bytes must be a byte count >= 0, got {model_bytes}")
    saving = theirs_bytes - ours_bytes  # bytes saved per image sent
    if saving <= 0:
        return None
    return math.ceil(model_bytes / saving)


@torch.inference_mode()
def reconstruct_stored(model: nn.Module, x: torch.Tensor, dtype: torch.dtype = torch.float16) -> torch.Tensor:
    """Reconstructions when each code is stored as `dtype` and read back before decoding:
    decode(float32(dtype(encode(x)))). A code beyond float16's range (65504) turns infinite and
    its reconstruction shows it. Batched on the model's device; returns a CPU tensor like x."""
    device = next(model.parameters()).device
    model.eval()
    out = []
    for i in range(0, len(x), EVAL_BATCH):
        y = model.encode(x[i:i + EVAL_BATCH].to(device))  # (B, latent) float32
        out.append(model.decode(y.to(dtype).float()).cpu())
    return torch.cat(out) if out else x.clone()


def zlib_bytes(images: torch.Tensor, level: int = 9) -> list[int]:
    """Bytes of each uint8 image (N, H, W) compressed alone, losslessly, by zlib (DEFLATE, as in
    PNG and gzip), header and checksum included: the lossless reference a codec has to beat."""
    if images.dtype != torch.uint8:
        raise ValueError(f"zlib_bytes takes uint8 images (the stored pixels), got {images.dtype}")
    return [len(zlib.compress(im.numpy().tobytes(), level)) for im in images]


def _check_latent(latent: int) -> None:
    if isinstance(latent, bool) or not isinstance(latent, int) or latent < 1:
        raise ValueError(f"latent must be an int >= 1, got {latent!r}")
