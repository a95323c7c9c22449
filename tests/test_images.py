import warnings

import numpy as np
import pytest
import torch
from PIL import Image

from aelib import images
from aelib.images import load_image, mnist_steps, to_mnist


@pytest.fixture(scope="module")
def builtin(mnist):
    return images.builtin_images(mnist.test_images, mnist.test_labels)


def _com(t: torch.Tensor) -> tuple[float, float]:
    a = t.squeeze().double()
    idx = torch.arange(a.shape[0], dtype=torch.float64)
    return float((a.sum(1) * idx).sum() / a.sum()), float((a.sum(0) * idx).sum() / a.sum())


def _bbox(t: torch.Tensor) -> tuple[int, int]:
    rows, cols = np.nonzero(t.squeeze().numpy() > 0)
    return rows.max() - rows.min() + 1, cols.max() - cols.min() + 1


# --- built-in images --------------------------------------------------------------------------

def test_builtin_images(builtin, mnist):
    assert list(builtin) == list(images.BUILTIN_NAMES) == ["skeleton", "photograph", "inverted 2", "Ai"]
    assert set(images.REPORT_SAYS) == set(builtin)
    for name in ("skeleton", "Ai"):  # white drawing on black, at a decent resolution
        a = np.asarray(builtin[name])
        assert builtin[name].size == (256, 256) and a.max() == 255
        assert a[0, 0] == a[-1, -1] == 0 and 0.03 < (a > 128).mean() < 0.4
    assert builtin["photograph"].mode == "RGB" and min(builtin["photograph"].size) >= 256
    first_two = mnist.test_images[int((mnist.test_labels == 2).nonzero()[0])]
    assert np.array_equal(np.asarray(builtin["inverted 2"]), 255 - first_two.numpy())


def test_builtin_images_are_deterministic(mnist):
    a = images.builtin_images(mnist.test_images, mnist.test_labels)
    b = images.builtin_images(mnist.test_images, mnist.test_labels)
    assert all(np.array_equal(np.asarray(a[k]), np.asarray(b[k])) for k in a)


def test_inverted_digit_without_that_digit():
    with pytest.raises(ValueError, match="no 2 among the 3 labels"):
        images.inverted_digit(torch.zeros(3, 28, 28, dtype=torch.uint8), torch.tensor([0, 1, 3]))


def test_photograph_is_bundled_not_fetched():
    with pytest.raises(FileNotFoundError, match="not bundled"):
        images.photograph("no-such-photo.png")


# --- to_mnist ---------------------------------------------------------------------------------

def test_to_mnist_contract(builtin):
    for name, img in builtin.items():
        x = to_mnist(img)
        assert x.shape == (1, 28, 28) and x.dtype == torch.float32, name
        assert 0.0 <= float(x.min()) and float(x.max()) <= 1.0, name


def test_to_mnist_fits_a_20x20_box_and_centres_the_mass(builtin):
    for name in ("skeleton", "Ai", "photograph"):
        x = to_mnist(builtin[name])
        h, w = _bbox(x)
        assert max(h, w) == 20 and min(h, w) >= 5, name
        r, c = _com(x)
        assert abs(r - 14) <= 0.5 and abs(c - 14) <= 0.5, name  # whole-pixel shifts


def test_to_mnist_keeps_the_aspect_ratio():
    img = Image.new("L", (300, 300), 0)
    img.paste(255, (50, 100, 250, 200))  # a 200 x 100 white bar on black
    steps = mnist_steps(img)
    assert steps.box.size == (20, 10)
    assert _bbox(steps.result) == (10, 20)


def test_to_mnist_does_not_invert(builtin):
    # the inverted 2 stays bright with a dark stroke: the model is shown what the reader sees
    x = to_mnist(builtin["inverted 2"])
    assert float(x.mean()) > 0.7
    white = Image.new("RGB", (100, 60), (255, 255, 255))
    assert float(to_mnist(white).max()) == 1.0 and float(to_mnist(white).mean()) > 0.2


def test_to_mnist_leaves_mnist_digits_alone(mnist):
    for digit in mnist.test_images[:20]:
        x = to_mnist(Image.fromarray(digit.numpy()))
        assert torch.equal(x, digit.unsqueeze(0).float() / 255)
        assert torch.equal(to_mnist(Image.fromarray((x[0].numpy() * 255).round().astype(np.uint8))), x)


def test_to_mnist_of_an_enlarged_digit_is_close_to_the_digit(mnist):
    # MNIST's normalisation undoes an enlargement: the result is near the digit itself
    for digit in mnist.test_images[:10]:
        big = Image.fromarray(digit.numpy()).resize((280, 280), Image.Resampling.BICUBIC)
        x = to_mnist(big)
        assert float((x - digit.float() / 255).abs().mean()) < 0.05


def test_to_mnist_of_black_and_tiny_images():
    assert torch.equal(to_mnist(Image.new("L", (50, 40), 0)), torch.zeros(1, 28, 28))
    x = to_mnist(Image.new("L", (1, 1), 255))  # a single white pixel becomes a 20x20 square
    assert _bbox(x) == (20, 20) and float(x.max()) == 1.0
    assert to_mnist(Image.new("L", (3, 1), 200)).shape == (1, 28, 28)


def test_to_mnist_ignores_faint_background_noise():
    rng = np.random.default_rng(0)
    a = rng.integers(0, images.INK_LEVEL + 1, size=(200, 200)).astype(np.uint8)  # JPEG-like noise
    a[60:140, 90:110] = 255  # a tall white bar: the crop must find it, not the noise
    steps = mnist_steps(Image.fromarray(a))
    assert steps.box.size == (5, 20)


# --- load_image -------------------------------------------------------------------------------

def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.png.*does not exist"):
        load_image(tmp_path / "nope.png")


def test_directory_is_not_an_image(tmp_path):
    with pytest.raises(ValueError, match="is a directory"):
        load_image(tmp_path)


def test_not_an_image(tmp_path):
    p = tmp_path / "notes.png"
    p.write_text("these are words, not pixels")
    with pytest.raises(ValueError, match=r"notes\.png.*not an image file"):
        load_image(p)
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match=r"empty\.jpg.*not an image file"):
        load_image(empty)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_truncated_image(tmp_path, fmt):
    rng = np.random.default_rng(0)
    p = tmp_path / f"cut.{fmt.lower()}"
    Image.fromarray(rng.integers(0, 256, (128, 128, 3), dtype=np.uint8)).save(p, fmt)
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])
    with pytest.raises(ValueError, match=rf"cut\.{fmt.lower()}.*truncated or damaged"):
        load_image(p)


def _save(tmp_path, img, name, **kw):
    p = tmp_path / name
    img.save(p, **kw)
    return p


def test_rgba_transparency_becomes_black(tmp_path):
    a = np.zeros((40, 40, 4), dtype=np.uint8)
    a[..., :3] = 255  # white everywhere, but only the middle is opaque
    a[10:30, 10:30, 3] = 255
    img = load_image(_save(tmp_path, Image.fromarray(a, "RGBA"), "a.png"))
    assert img.mode == "RGB"
    g = np.asarray(img.convert("L"))
    assert g[0, 0] == 0 and g[20, 20] == 255


def test_palette_and_grey_alpha_and_bilevel(tmp_path):
    p = Image.new("P", (30, 20), 1)
    p.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    assert load_image(_save(tmp_path, p, "p.png")).mode == "RGB"
    assert load_image(_save(tmp_path, p, "pt.png", transparency=1)).getpixel((0, 0)) == (0, 0, 0)
    la = Image.new("LA", (10, 10), (200, 255))
    assert load_image(_save(tmp_path, la, "la.png")).mode == "L"
    assert load_image(_save(tmp_path, Image.new("1", (10, 10), 1), "b.png")).getpixel((0, 0)) == 255
    gif = _save(tmp_path, Image.new("L", (12, 12), 90).convert("P"), "g.gif")
    assert load_image(gif).size == (12, 12)


def test_16_bit_and_float_greyscale_are_scaled(tmp_path):
    a = np.full((20, 20), 65535, dtype=np.uint16)
    a[:, :10] = 0
    img = load_image(_save(tmp_path, Image.fromarray(a), "deep.png"))
    assert img.mode == "L" and img.getpixel((0, 0)) == 0 and img.getpixel((15, 0)) == 255
    f = Image.fromarray(np.linspace(0, 1, 400, dtype=np.float32).reshape(20, 20))
    img = load_image(_save(tmp_path, f, "f.tiff"))
    assert img.mode == "L" and img.getpixel((0, 0)) == 0 and img.getpixel((19, 19)) == 255


def test_cmyk_is_converted(tmp_path):
    img = load_image(_save(tmp_path, Image.new("CMYK", (16, 16), (0, 0, 0, 0)), "c.jpg"))
    assert img.mode == "RGB" and min(img.getpixel((8, 8))) > 240  # no ink: white


def test_large_and_small_images_are_converted(tmp_path):
    big = load_image(_save(tmp_path, Image.new("RGB", (4000, 1000), (9, 9, 9)), "big.png"))
    assert big.size == (images.MAX_SIDE, images.MAX_SIDE // 4)
    big_jpeg = load_image(_save(tmp_path, Image.new("L", (3000, 3000), 50), "big.jpg"))
    assert max(big_jpeg.size) <= images.MAX_SIDE
    assert load_image(_save(tmp_path, Image.new("L", (1, 1), 7), "dot.png")).size == (1, 1)


def test_decompression_bomb_limits(tmp_path, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # large but allowed: no warning reaches the page
        assert load_image(_save(tmp_path, Image.new("L", (40, 40)), "warn.png")).size == (40, 40)
    with pytest.raises(ValueError, match=r"bomb\.png.*too large"):
        load_image(_save(tmp_path, Image.new("L", (50, 50)), "bomb.png"))


def test_exif_rotation_is_applied(tmp_path):
    img = Image.new("L", (40, 20), 0)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    p = _save(tmp_path, img, "r.jpg", exif=exif)
    assert load_image(p).size == (20, 40)


def test_reader_images_get_unique_names(tmp_path):
    # files without an extension are fine: Pillow reads the header
    a = _save(tmp_path, Image.new("L", (5, 5)), "Ai", format="PNG")
    (tmp_path / "sub").mkdir()
    b = _save(tmp_path / "sub", Image.new("L", (5, 5)), "Ai", format="PNG")
    got = images.reader_images([str(a), str(b)])  # "Ai" is a built-in image's name
    assert list(got) == ["Ai (2)", "Ai (3)"]
    assert list(images.reader_images([str(a), str(a)], taken=())) == ["Ai", "Ai (2)"]


def test_check_paths():
    assert images.check_paths("image_paths", []) == []
    assert images.check_paths("image_paths", ("a.png",)) == ["a.png"]
    for bad in ("a.png", [1], [""], None):
        with pytest.raises(TypeError, match="image_paths must be a list of file paths"):
            images.check_paths("image_paths", bad)


def test_claim_verdict():
    labels = ["mlp-128", "mlp-16384"]
    assert images.claim_verdict(labels, labels) == "holds for every model"
    assert images.claim_verdict([], labels) == "does not hold for any model"
    assert images.claim_verdict(["mlp-128"], labels) == "holds for mlp-128 only"


def test_to_mnist_never_pushes_ink_out_of_the_field():
    a = np.zeros((100, 100), dtype=np.uint8)
    a[:30, :30] = 255  # a heavy blob top left ...
    a[99, 99] = 255  # ... and one pixel far away: the centre of mass sits near the blob
    steps = mnist_steps(Image.fromarray(a))
    r0, c0 = steps.offset
    assert 0 <= r0 <= 8 and 0 <= c0 <= 8  # clipped: the 20x20 box stays inside 28x28
    assert float(steps.result.sum()) == pytest.approx(np.asarray(steps.box, dtype=np.float64).sum() / 255, rel=1e-6)


def _pillow_only(img: Image.Image) -> torch.Tensor:
    """MNIST's normalisation in Pillow and NumPy alone (as before aelib used torchvision for it)."""
    grey = img.convert("L")
    a = np.asarray(grey)
    rows, cols = np.nonzero(a > images.INK_LEVEL)
    crop = grey.crop((cols.min(), rows.min(), cols.max() + 1, rows.max() + 1))
    scale = 20 / max(crop.size)
    box = np.asarray(crop.resize((max(1, round(crop.width * scale)), max(1, round(crop.height * scale))),
                                 Image.Resampling.LANCZOS))
    b = box.astype(np.float64)
    r = round(14 - (b.sum(1) * np.arange(b.shape[0])).sum() / b.sum())
    c = round(14 - (b.sum(0) * np.arange(b.shape[1])).sum() / b.sum())
    r, c = int(np.clip(r, 0, 28 - b.shape[0])), int(np.clip(c, 0, 28 - b.shape[1]))
    field = np.zeros((28, 28), dtype=np.uint8)
    field[r:r + b.shape[0], c:c + b.shape[1]] = box
    return torch.from_numpy(field.astype(np.float32) / 255.0).unsqueeze(0)


def test_torchvision_steps_equal_pillow_to_the_bit(builtin, mnist):
    # transforms.v2 on Pillow images calls Pillow: the inputs are exactly those of the Pillow-only steps
    rng = np.random.default_rng(0)
    cases = [img for name, img in builtin.items() if name != "inverted 2"]
    cases += [Image.fromarray(d.numpy()).resize((int(s), int(s * 0.7)), Image.Resampling.BICUBIC)
              for d, s in zip(mnist.test_images[:10], rng.integers(30, 300, 10))]
    cases += [Image.fromarray(rng.integers(0, 256, (37, 91, 3), dtype=np.uint8))]
    for img in cases:
        assert torch.equal(to_mnist(img), _pillow_only(img))
