"""The live demos: the book's own trained models, run in the reader's browser by onnxruntime-web.

Each function below exports the models a demo needs (checked against PyTorch, see
`aelib.book.onnx_export`), writes them and a few test digits into `live_dir/data/`, and returns
the HTML a notebook cell displays (tag the cell `remove-input`):

    demos.draw_digit(mlp, conv, test, live_dir=LIVE)         # draw; both models rebuild it
    demos.walk_code(mlp2, test, test_labels, live_dir=LIVE)  # move through a 2-number code
    demos.turn_up_noise(dae, test, live_dir=LIVE)            # noise slider, denoiser, median filter

A denoiser told the noise level (`at_level(f)`) is told the slider's factor in the browser.

`live_dir` is the folder the site serves as `live/` at its root: the repository's `demos/live`,
copied into `_build/html/live` by Sphinx (`html_extra_path`). It holds the browser modules
(`*.mjs`, committed) and the runtime (`ort/`, copied there by `make setup`); this module adds
`data/`. The HTML finds `live/` from the page's `data-content_root`, so it works at any depth.
Without JavaScript, or opened from `file://`, each demo is one line of text: the page's static
figures carry the same story.
"""
from __future__ import annotations

import base64
import hashlib
import json
import shutil
from html import escape
from pathlib import Path

import torch
from IPython.display import HTML
from torch import nn

from aelib.book import onnx_export
from aelib.book.onnx_export import Exported
from aelib.denoise.conditional import AtLevel, ConditionalDenoiser
from aelib.models import ConvAutoencoder, MLPAutoencoder
from aelib.noise import check_noise_factor, noisy_copy, with_noise_level

N_DIGITS = 100  # test digits shipped with a demo (the "random test digit" button picks among them)
N_CHECK = 16  # test digits (or their codes) each export is checked on
N_SCATTER = 2000  # test digits whose codes the walk demo's pad shows
NEEDED = ("common.mjs", "demos.css", "ort/ort.wasm.min.mjs", "ort/ort-wasm-simd-threaded.mjs",
          "ort/ort-wasm-simd-threaded.wasm")

NOTES = {  # what a reader sees in place of the demo without JavaScript
    "draw": "Live demo (needs JavaScript and the book served over HTTP): draw a digit and watch both "
            "autoencoders rebuild it.",
    "walk": "Live demo (needs JavaScript and the book served over HTTP): move through the 2-number code "
            "and watch the decoder draw each point.",
    "noise": "Live demo (needs JavaScript and the book served over HTTP): turn up the noise on a digit and "
             "compare the denoising autoencoder with a median filter.",
}
FILE_NOTE = ("Live demo: it runs when the book is served over HTTP (make serve, or any static host), "
             "not opened from a file.")

# A classic inline script, so that it also runs from file:// (where ES modules do not load) and
# can say so; over HTTP it imports live/<kind>.mjs relative to the site's root. The preloads fetch
# the modules and the runtime at once instead of one after the other (about 0.3 s sooner).
_BOOT = """<script>(function () {
  var el = document.getElementById(%(id)s), note = el.querySelector(".aelib-demo-note");
  if (location.protocol === "file:") { note.textContent = %(file_note)s; return; }
  var live = new URL("live/", new URL(document.documentElement.dataset.content_root || "./", location.href));
  [["modulepreload", "common.mjs"], ["modulepreload", "ort/ort.wasm.min.mjs"],
   ["modulepreload", "ort/ort-wasm-simd-threaded.mjs"], ["preload", "ort/ort-wasm-simd-threaded.wasm"]]
    .forEach(function (p) {
      var href = new URL(p[1], live).href;
      if (document.querySelector('link[href="' + href + '"]')) return;
      var link = Object.assign(document.createElement("link"), {rel: p[0], href: href});
      if (p[0] === "preload") { link.as = "fetch"; link.crossOrigin = "anonymous"; }  // as the runtime fetches it
      document.head.appendChild(link);
    });
  import(new URL(el.dataset.demo + ".mjs", live).href).then(function (m) { return m.mount(el); })
    .catch(function (e) { el.dataset.state = "error"; note.textContent = "The live demo could not start: " + e.message;
                          console.error(e); });
})();</script>"""


class Demo(HTML):
    """The page's HTML for one demo, with what was exported (each model's check) for the page's JSON."""

    def __init__(self, html: str, exports: list[Exported]):
        super().__init__(html)
        self.exports = [e.record() for e in exports]


def draw_digit(mlp: nn.Module, conv: nn.Module, test_images: torch.Tensor, *, live_dir: str | Path,
               name: str = "draw") -> Demo:
    """Draw a digit: a drawing pad, the digit downsampled the MNIST way, and both models'
    reconstructions with their difference and PSNR, live."""
    test_images, out = check_images(test_images), _data_dir(live_dir)
    checks = test_images[:N_CHECK]
    exports = [onnx_export.export(mlp, checks, f"{name}-mlp"), onnx_export.export(conv, checks, f"{name}-conv")]
    models = [_write_model(out, e, _label(m, test_images)) for e, m in zip(exports, (mlp, conv))]
    config = {"models": models, "digits": _write_digits(out, name, test_images)}
    return Demo(_html("draw", name, config), exports)


def walk_code(model: nn.Module, test_images: torch.Tensor, test_labels: torch.Tensor, *,
              live_dir: str | Path, name: str = "walk") -> Demo:
    """Walk the code: a pad over the test digits' 2-number codes (coloured by label) that picks
    a code, and the decoder's image of it, live."""
    test_images, out = check_images(test_images), _data_dir(live_dir)
    if not isinstance(test_labels, torch.Tensor) or test_labels.shape != (len(test_images),):
        raise ValueError(f"test_labels must be a tensor of shape ({len(test_images)},), one label per test image, "
                         f"got {onnx_export._describe(test_labels)}")
    codes = _encode(model, test_images[:N_SCATTER])
    if codes.shape[1] != 2:
        raise ValueError(f"walk_code needs a model with a 2-number code, got one with a code of {codes.shape[1]} "
                         f"numbers (train the same recipe with latent=2)")
    lo, hi = torch.quantile(codes, 0.005, dim=0), torch.quantile(codes, 0.995, dim=0)
    lo, hi = lo - 0.1 * (hi - lo), hi + 0.1 * (hi - lo)  # a margin, so that the pad reaches past the data
    corners = torch.tensor([[lo[0], lo[1]], [lo[0], hi[1]], [hi[0], lo[1]], [hi[0], hi[1]]])
    export = onnx_export.export(onnx_export.decoder(model), torch.cat([codes[:N_CHECK], corners]), f"{name}-decoder")
    points = {"codes": [round(float(v), 4) for v in codes.flatten()],  # (N, 2) -> x0, y0, x1, y1, ...
              "labels": [int(v) for v in test_labels[:N_SCATTER]]}
    config = {"models": [_write_model(out, export, _label(model, test_images))],
              "points": _write(out, f"{name}-codes.json", json.dumps(points).encode()),
              "range": [float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])],
              "start": [float(v) for v in codes[0]]}
    return Demo(_html("walk", name, config), [export])


def turn_up_noise(model: nn.Module, test_images: torch.Tensor, *, live_dir: str | Path, factor: float = 0.5,
                  title: str = "denoising autoencoder", name: str = "noise") -> Demo:
    """Turn up the noise: a test (or drawn) digit, x + f N(0, 1) clipped to [0, 1] with a seeded
    pattern and a slider for f (starting at `factor`), the model's output (shown under `title`)
    and a 3x3 median filter's. A denoiser told the noise level (`AtLevel`) is exported with its
    level as a second input channel, which the browser fills with the slider's factor."""
    test_images, out = check_images(test_images), _data_dir(live_dir)
    factor = check_noise_factor(factor)
    clean = test_images[:N_CHECK]
    noisy = noisy_copy(clean, factor, seed=0)  # the book's Gaussian noise model
    half = N_CHECK // 2
    checks = torch.cat([clean[:half], noisy[half:]])  # what the demo feeds it: both kinds
    if isinstance(model, AtLevel):  # each check image with the factor its noise was made with (0: clean)
        model = model.model
        checks = with_noise_level(checks, (torch.arange(len(checks)) >= half) * factor)
    export = onnx_export.export(model, checks, f"{name}-denoiser")
    config = {"models": [_write_model(out, export, _label(model, checks))],
              "digits": _write_digits(out, name, test_images), "factor": factor, "title": str(title)}
    return Demo(_html("noise", name, config), [export])


def check_images(images) -> torch.Tensor:
    """Test digits as the models take them: a float tensor (N, 1, 28, 28) with values in [0, 1]."""
    if not isinstance(images, torch.Tensor) or not images.is_floating_point() or images.dim() != 4 \
            or tuple(images.shape[1:]) != (1, 28, 28) or len(images) == 0:
        raise ValueError(f"test_images must be a float tensor of shape (N, 1, 28, 28) with N >= 1, got "
                         f"{onnx_export._describe(images)} (aelib.data.to_float makes one from uint8 digits)")
    images = images.detach().cpu().float()
    if images.min() < 0 or images.max() > 1:
        raise ValueError(f"test_images must have values in [0, 1], got [{images.min():g}, {images.max():g}]")
    return images


REPO_LIVE = Path(__file__).resolve().parents[2] / "demos" / "live"  # the browser modules and, after make setup, the runtime


def _data_dir(live_dir) -> Path:
    """<live_dir>/data, made ready: a new folder (a reader's re-run with `-p live_dir my-live`)
    first receives the browser modules and runtime from the repository's demos/live."""
    live = Path(live_dir)
    missing = [p for p in NEEDED if not (live / p).is_file()]
    if missing and live.resolve() != REPO_LIVE and all((REPO_LIVE / p).is_file() for p in NEEDED):
        for p in [*NEEDED, *(f.name for f in REPO_LIVE.glob("*.mjs"))]:
            (live / p).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(REPO_LIVE / p, live / p)
        missing = []
    if missing:
        raise FileNotFoundError(f"live_dir {live} must be the folder the site serves as live/ (the repository's "
                                f"demos/live, with its runtime from `make setup`); it lacks {', '.join(missing)}")
    (live / "data").mkdir(exist_ok=True)
    return live / "data"


def _write(out: Path, filename: str, data: bytes) -> str:
    """Write one file of the demo; its address (relative to live/) names a digest of the contents, so
    that a browser never runs a cached model of an older build."""
    path = out / filename
    if not path.exists() or path.read_bytes() != data:
        path.write_bytes(data)
    return f"data/{filename}?v={hashlib.sha256(data).hexdigest()[:12]}"


def _write_model(out: Path, e: Exported, label: str) -> dict:
    return {"url": _write(out, f"{e.name}.onnx", e.onnx), "label": label, "input": "y" if e.name.endswith("-decoder")
            else "x", "shape": list(e.input_shape), **e.record()}


def _write_digits(out: Path, name: str, images: torch.Tensor) -> str:
    pixels = (images[:N_DIGITS] * 255).round().to(torch.uint8)  # exact for digits made by to_float (k / 255)
    digits = {"count": len(pixels), "side": 28,
              "pixels": base64.b64encode(pixels.numpy().tobytes()).decode()}  # (N, 1, 28, 28) row-major
    return _write(out, f"{name}-digits.json", json.dumps(digits).encode())


@torch.inference_mode()
def _encode(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    if not hasattr(model, "encode") or not hasattr(model, "decode"):
        raise TypeError(f"expected an autoencoder with encode and decode, got {type(model).__name__}")
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        return torch.cat([model.encode(images[i:i + 500].to(device)).cpu() for i in range(0, len(images), 500)])
    finally:
        model.train(was_training)


def _label(model: nn.Module, images: torch.Tensor) -> str:
    kind = {MLPAutoencoder: "MLP", ConvAutoencoder: "convolutional",
            ConditionalDenoiser: "convolutional, told the noise level"}.get(type(model), type(model).__name__)
    return f"{kind}, code of {_encode(model, images[:1]).shape[1]:,}"


def _html(kind: str, name: str, config: dict) -> str:
    el_id = f"aelib-demo-{name}"
    boot = _BOOT % {"id": json.dumps(el_id), "file_note": json.dumps(FILE_NOTE)}
    return (f'<div class="aelib-demo" id="{el_id}" data-demo="{kind}" data-state="static" '
            f'data-config="{escape(json.dumps(config), quote=True)}">\n'
            f'<p class="aelib-demo-note">{escape(NOTES[kind])}</p>\n</div>\n{boot}')
