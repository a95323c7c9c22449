"""Images from outside MNIST, and how they are made to look like MNIST input.

Four built-in images need nothing downloaded: a skeleton drawn here, a photograph that
scikit-image ships inside its package, an inverted MNIST "2" and the text "Ai" in a font that
matplotlib ships. `load_image` reads a reader's own file into RGB or greyscale; `to_mnist` applies
MNIST's own normalisation (LeCun et al., "The MNIST database": digits were fitted into a 20x20
box keeping their aspect ratio, then placed in a 28x28 field with their centre of mass at its
centre).
"""
from __future__ import annotations

import importlib.resources
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError
from torchvision.transforms.v2 import InterpolationMode
from torchvision.transforms.v2 import functional as TF

SIDE = 28  # MNIST's field
BOX = 20  # MNIST's digits fit a 20x20 box inside it
CENTRE = 14.0  # where MNIST puts the centre of mass: (row, column) index (14.0, 14.0) on average
INK_LEVEL = 8  # grey levels <= this count as background when cropping (JPEG noise on black)
MAX_SIDE = 1024  # a larger file is reduced to this on its longer side: ample for a 20x20 result
PHOTO = "chelsea.png"  # a photograph inside scikit-image's package (skimage.data.chelsea())
BUILTIN_NAMES = ("skeleton", "photograph", "inverted 2", "Ai")

# What the report says of each image ("Testing our model with other types of images", MLP at
# latent 128; "Convolutional approach's results on different images" says the same): only "Ai" is
# reconstructed recognisably, "though with some errors"; the others fail.
REPORT_SAYS = {"skeleton": "fails", "photograph": "fails", "inverted 2": "fails",
               "Ai": "recognisable (some errors)"}


# --- reading a file ---------------------------------------------------------------------------

def load_image(path: str | Path) -> Image.Image:
    """The image in `path` as an RGB or greyscale ("L") Pillow image of at most MAX_SIDE pixels
    a side. Transparency, palettes, 16-bit and float pixels, CMYK and EXIF rotation are converted;
    a missing, unreadable or truncated file raises an error that names it."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"image file {str(p)!r} does not exist")
    if p.is_dir():
        raise ValueError(f"{str(p)!r} is a directory, not an image file")
    try:
        with warnings.catch_warnings():
            # Pillow warns above 89 M pixels; such an image is reduced right below, so it is fine.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(p) as im:
                im.draft(None, (MAX_SIDE, MAX_SIDE))  # JPEG: decode at a reduced scale directly
                im.load()
                im = ImageOps.exif_transpose(im)  # phone photos store their rotation apart
                out = _to_rgb_or_grey(im)
    except Image.DecompressionBombError as e:  # > 179 M pixels: Pillow's guard against bombs
        raise ValueError(f"{str(p)!r} is too large to decode safely ({e})") from None
    except UnidentifiedImageError:
        raise ValueError(f"{str(p)!r} is not an image file that Pillow can read "
                         f"(unknown or unsupported format)") from None
    except Exception as e:  # truncated data, broken chunks, bad headers...
        raise ValueError(f"{str(p)!r} could not be decoded: the file looks truncated or damaged "
                         f"({type(e).__name__}: {e})") from None
    out.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    return out


def _to_rgb_or_grey(im: Image.Image) -> Image.Image:
    """Any Pillow mode -> "L" or "RGB"; transparent pixels become black, MNIST's background."""
    mode = im.mode
    if mode in ("1", "L", "RGB"):
        return im.convert("L") if mode == "1" else im.copy()
    if mode.startswith("I") or mode == "F":  # 16-bit, 32-bit integer or float greyscale
        return Image.fromarray(_to_uint8(np.asarray(im)))
    if mode in ("LA", "La", "PA", "RGBA", "RGBa") or "transparency" in im.info:
        black = Image.new("RGBA", im.size, (0, 0, 0, 255))
        rgb = Image.alpha_composite(black, im.convert("RGBA")).convert("RGB")
        return rgb.convert("L") if mode in ("LA", "La") else rgb
    return im.convert("RGB")  # palette, CMYK, YCbCr, LAB, HSV


def _to_uint8(a: np.ndarray) -> np.ndarray:
    """Greyscale of more than 8 bits -> 0..255, scaled by the range its type implies."""
    a = a.astype(np.float64)
    lo, hi = float(a.min()), float(a.max())
    if lo >= 0 and hi <= 1.0:
        scale = 1.0  # float image in [0, 1]
    elif lo >= 0 and hi <= 255:
        scale = 255.0  # 8-bit values in a wider type
    elif lo >= 0 and hi <= 65535:
        scale = 65535.0  # 16-bit
    else:
        a, scale = a - lo, (hi - lo) or 1.0  # anything else: stretch its own range
    return np.clip(np.rint(a / scale * 255), 0, 255).astype(np.uint8)


# --- the built-in images ----------------------------------------------------------------------

def skeleton(size: int = 256) -> Image.Image:
    """A cartoon skeleton, white on black: skull with eye sockets, spine, ribs, arms, legs."""
    im = Image.new("L", (256, 256), 0)
    d = ImageDraw.Draw(im)
    w = 7  # bone width
    cx = 128
    d.ellipse((cx - 24, 8, cx + 24, 58), fill=255)  # skull
    d.rounded_rectangle((cx - 15, 46, cx + 15, 66), radius=5, fill=255)  # jaw
    for dx in (-10, 10):
        d.ellipse((cx + dx - 7, 24, cx + dx + 7, 38), fill=0)  # eye sockets
    d.polygon([(cx, 40), (cx - 4, 48), (cx + 4, 48)], fill=0)  # nose
    for tx in range(cx - 9, cx + 10, 6):
        d.line((tx, 56, tx, 64), fill=0, width=2)  # teeth
    d.line((cx, 66, cx, 168), fill=255, width=w)  # spine
    d.line((cx - 36, 78, cx + 36, 78), fill=255, width=w)  # collarbones
    for i, y in enumerate(range(88, 140, 13)):  # ribs: hoops narrowing downwards
        half = 34 - 3 * i
        d.arc((cx - half, y, cx + half, y + 28), start=190, end=350, fill=255, width=5)
    d.ellipse((cx - 28, 156, cx + 28, 184), fill=255)  # pelvis
    d.ellipse((cx - 12, 164, cx + 12, 178), fill=0)
    for s in (-1, 1):  # arms and legs, mirrored
        d.line([(cx + s * 36, 78), (cx + s * 52, 122), (cx + s * 60, 160)], fill=255, width=w, joint="curve")
        d.ellipse((cx + s * 60 - 7, 156, cx + s * 60 + 7, 170), fill=255)  # hand
        d.line([(cx + s * 16, 180), (cx + s * 24, 214), (cx + s * 26, 244)], fill=255, width=w, joint="curve")
        d.line((cx + s * 26, 244, cx + s * 42, 246), fill=255, width=w)  # foot
    return im if size == 256 else im.resize((size, size), Image.Resampling.LANCZOS)


def text_image(text: str = "Ai", size: int = 256) -> Image.Image:
    """`text` in white on black, centred, in DejaVu Sans (the font matplotlib ships)."""
    from matplotlib import font_manager  # a font file inside an installed package: no download

    path = font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans"), fallback_to_default=False)
    font = ImageFont.truetype(path, int(size * 0.55))
    im = Image.new("L", (size, size), 0)
    ImageDraw.Draw(im).text((size / 2, size / 2), text, fill=255, font=font, anchor="mm")
    return im


def photograph(name: str = PHOTO) -> Image.Image:
    """A photograph bundled inside scikit-image's package (never fetched from the network)."""
    ref = importlib.resources.files("skimage.data") / name
    if not ref.is_file():
        raise FileNotFoundError(f"{name} is not bundled with the installed scikit-image "
                                f"(looked in {ref}); reinstall scikit-image")
    with importlib.resources.as_file(ref) as path:
        return load_image(path)


def inverted_digit(images: torch.Tensor, labels: torch.Tensor, digit: int = 2) -> Image.Image:
    """The first `digit` of a (N, 28, 28) uint8 set, with its grey levels inverted (255 - x)."""
    hits = (labels == digit).nonzero()
    if len(hits) == 0:
        raise ValueError(f"no {digit} among the {len(labels)} labels")
    return Image.fromarray(255 - images[int(hits[0])].cpu().numpy())  # one image, wherever the set lives


def builtin_images(test_images: torch.Tensor, test_labels: torch.Tensor) -> dict[str, Image.Image]:
    """The four foreign images of the report, by name. The inverted "2" is the first "2" of
    MNIST's test set, hence the arguments (`data.test_images`, `data.test_labels`)."""
    made = (skeleton(), photograph(), inverted_digit(test_images, test_labels, 2), text_image("Ai"))
    return dict(zip(BUILTIN_NAMES, made))


def check_paths(name: str, values) -> list[str]:
    """A notebook parameter that must be a (possibly empty) list of file paths."""
    if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple)) \
            or not all(isinstance(v, str) and v for v in values):
        raise TypeError(f"{name} must be a list of file paths (strings), got {values!r}")
    return list(values)


def reader_images(paths: list[str], taken=BUILTIN_NAMES) -> dict[str, Image.Image]:
    """The reader's files by name (the file name, made unique against `taken` and each other)."""
    out: dict[str, Image.Image] = {}
    for path in paths:
        name = base = Path(path).name
        k = 2
        while name in out or name in taken:
            name, k = f"{base} ({k})", k + 1
        out[name] = load_image(path)
    return out


# --- MNIST's normalisation --------------------------------------------------------------------

@dataclass(frozen=True)
class Steps:
    grey: Image.Image  # step 1: greyscale ("L", ITU-R 601-2 luma), full size
    box: Image.Image  # step 2: cropped to its content, fitted into BOX x BOX keeping aspect ratio
    offset: tuple[int, int]  # step 3: (row, column) of `box`'s top left corner in the 28x28 field
    result: torch.Tensor  # (1, 28, 28) float32 in [0, 1]


def mnist_steps(img: Image.Image) -> Steps:
    """Every step of `to_mnist`, so that a page can show them.

    1. Greyscale. Grey levels are kept as they are: no inversion, no contrast stretch, so a
       dark-on-light image stays dark-on-light (the reader sees what the model is given).
    2. Crop to the content: the bounding box of the pixels brighter than INK_LEVEL (MNIST fitted
       the digit, not the sheet, into its box; on a bright image the box is the whole image).
       Fit the crop into a 20x20 box keeping its aspect ratio (the longer side becomes 20),
       anti-aliased (Lanczos).
    3. Paste it into a black 28x28 field so that its centre of mass lands as near as a whole pixel
       allows on (14, 14), MNIST's own centring, but never pushed past the field's edge. An image
       without any bright pixel is centred by its box instead.

    An image that is already 28x28 is taken to be in MNIST's format and only made greyscale.
    """
    # torchvision's transforms.v2 do the steps any pipeline has (greyscale, crop, resize, pad,
    # to tensor). The image stays a Pillow image until the last, so that v2 calls Pillow itself and
    # the results are today's to the bit: v2's Lanczos on a uint8 tensor is up to 4 grey levels
    # off Pillow's on 2.6% of the pixels (300 random images shrunk to fit 20x20).
    grey = TF.rgb_to_grayscale(img)  # "L": ITU-R 601-2 luma
    if grey.size == (SIDE, SIDE):
        return Steps(grey, grey, (0, 0), _tensor(grey))
    a = np.asarray(grey)
    rows, cols = np.nonzero(a > INK_LEVEL)
    if len(rows):
        top, left = int(rows.min()), int(cols.min())
        crop = TF.crop(grey, top, left, int(rows.max()) + 1 - top, int(cols.max()) + 1 - left)
    else:
        crop = grey
    w, h = crop.size
    scale = BOX / max(w, h)
    # The size is ours, not v2.Resize(max_size=20)'s: it truncates the shorter side, MNIST rounds it.
    size = [max(1, round(h * scale)), max(1, round(w * scale))]
    box = TF.resize(crop, size, interpolation=InterpolationMode.LANCZOS)
    # torchvision has no centring by the centre of mass: computed here, then v2 pads to 28x28.
    b = np.asarray(box, dtype=np.float64)
    bh, bw = b.shape
    if b.sum() > 0:
        com_r = (b.sum(1) * np.arange(bh)).sum() / b.sum()
        com_c = (b.sum(0) * np.arange(bw)).sum() / b.sum()
    else:
        com_r, com_c = (bh - 1) / 2, (bw - 1) / 2
    r0 = int(np.clip(round(CENTRE - com_r), 0, SIDE - bh))
    c0 = int(np.clip(round(CENTRE - com_c), 0, SIDE - bw))
    field = TF.pad(box, [c0, r0, SIDE - c0 - bw, SIDE - r0 - bh], fill=0)  # left, top, right, bottom
    return Steps(grey, box, (r0, c0), _tensor(field))


def to_mnist(img: Image.Image) -> torch.Tensor:
    """`img` as MNIST would have it: (1, 28, 28) float32 in [0, 1]. See `mnist_steps`."""
    return mnist_steps(img).result


def _tensor(img: Image.Image) -> torch.Tensor:
    # v2.ToDtype(torch.float32, scale=True) multiplies by 1/255, one float32 ulp away from the
    # division for 126 of the 256 grey levels; dividing, as data.to_float does, keeps an MNIST
    # digit given as a file equal to the test set's own input to the bit.
    return TF.pil_to_tensor(img).float().div_(255.0)  # (28, 28) "L" -> (1, 28, 28)


def claim_verdict(holding: list[str], labels: list[str]) -> str:
    """A claim checked once per model, in words: for which of `labels` it holds."""
    if labels and len(holding) == len(labels):
        return "holds for every model"
    if not holding:
        return "does not hold for any model"
    return f"holds for {' and '.join(holding)} only"
