"""The live demos (aelib.book.demos): each export agrees with PyTorch or is refused, bad input
fails with a message that names it, and, in headless Chromium, a throwaway book whose four
pages run small untrained models (agreement with PyTorch needs no training): every demo starts
with no request leaving 127.0.0.1, draws what PyTorch computes for the same input within 1e-3,
follows a pointer stroke and the noise slider, and from file:// is one line of text."""
import json
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from aelib.book import demos, onnx_export
from aelib.denoise.conditional import ConditionalDenoiser
from aelib.models import ConvAutoencoder, MLPAutoencoder
from aelib.noise import with_noise_level

ROOT = Path(__file__).resolve().parent.parent
LIVE = ROOT / "demos" / "live"
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "tools"))


def fake_digits(n: int = 120, seed: int = 0) -> torch.Tensor:
    """Sparse random (n, 1, 28, 28) images of values k / 255, as aelib.data.to_float makes."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 256, (n, 1, 28, 28), generator=g).float() / 255
    return x * (torch.rand(x.shape, generator=g) < 0.2)


@pytest.fixture
def fake_live(tmp_path):
    """A live_dir with empty stand-ins for the browser files: enough for the Python side."""
    for name in demos.NEEDED:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).touch()
    return tmp_path


@pytest.mark.slow  # each export takes a second or two
def test_export_agrees_with_pytorch_and_stores_float16_weights():
    torch.manual_seed(0)
    model, x = MLPAutoencoder(16, hidden=64), fake_digits(8)
    e = onnx_export.export(model, x, "m")
    assert e.weights == "float16" and e.max_abs_diff <= onnx_export.TOLERANCE and e.n_checked == 8
    sess = onnx_export.session(e.onnx)
    got = sess.run(None, {"x": x[:1].numpy()})[0]
    assert np.abs(got - model(x[:1]).detach().numpy()).max() <= 1e-3
    assert model.training  # the caller's model is left as it was


@pytest.mark.slow
def test_weights_stay_float32_where_float16_is_too_coarse():
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    nn.init.constant_(model[1].weight, 1.2345678)  # every product rounds the same way in float16: errors add up
    e = onnx_export.export(model, fake_digits(4), "wide")
    assert e.weights == "float32" and e.max_abs_diff <= 1e-3


@pytest.mark.slow
def test_an_export_that_differs_from_pytorch_is_refused(monkeypatch):
    torch.manual_seed(0)
    model, other = MLPAutoencoder(4, hidden=32), MLPAutoencoder(4, hidden=32)
    real = onnx_export._to_onnx
    monkeypatch.setattr(onnx_export, "_to_onnx", lambda m, *a: real(other.eval(), *a))  # the wrong weights
    with pytest.raises(onnx_export.ExportMismatch, match="draw-mlp: the ONNX export's output differs from PyTorch's"):
        onnx_export.export(model, fake_digits(4), "draw-mlp")


@pytest.mark.parametrize("images, message", [
    (torch.rand(4, 28, 28), r"shape \(N, 1, 28, 28\).*shape \(4, 28, 28\)"),
    (torch.zeros(4, 1, 28, 28, dtype=torch.uint8), "float tensor"),
    (torch.rand(4, 1, 28, 28) * 2, r"values in \[0, 1\]"),
    (torch.rand(0, 1, 28, 28), "N >= 1"),
])
def test_bad_test_images_are_named(images, message):
    with pytest.raises(ValueError, match=message):
        demos.check_images(images)


def test_walk_needs_a_two_number_code(fake_live):
    with pytest.raises(ValueError, match="2-number code, got one with a code of 16"):
        demos.walk_code(MLPAutoencoder(16, hidden=32), fake_digits(20), torch.zeros(20, dtype=torch.long),
                        live_dir=fake_live)
    with pytest.raises(ValueError, match=r"test_labels must be a tensor of shape \(20,\)"):
        demos.walk_code(MLPAutoencoder(2, hidden=32), fake_digits(20), torch.zeros(3), live_dir=fake_live)


def test_live_dir_must_be_the_sites_live_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(demos, "REPO_LIVE", tmp_path / "no-runtime-here")  # a checkout before make setup
    with pytest.raises(FileNotFoundError, match="lacks common.mjs"):
        demos.turn_up_noise(MLPAutoencoder(4, hidden=32), fake_digits(4), live_dir=tmp_path / "live")


def test_a_denoiser_told_the_level_is_exported_with_a_channel_for_it(fake_live):
    torch.manual_seed(0)
    demo = demos.turn_up_noise(ConditionalDenoiser(4, (4, 8)).at_level(0.3), fake_digits(20), live_dir=fake_live)
    (model,) = json.loads(_attribute(demo.data, "data-config"))["models"]
    assert model["shape"] == [1, 2, 28, 28] and model["label"] == "convolutional, told the noise level, code of 4"


def test_a_new_live_dir_receives_the_browser_files(tmp_path, fake_live, monkeypatch):
    """A reader's re-run with `-p live_dir my-live` gets the modules and runtime copied in."""
    monkeypatch.setattr(demos, "REPO_LIVE", fake_live)
    demos.turn_up_noise(MLPAutoencoder(4, hidden=32), fake_digits(4), live_dir=tmp_path / "my-live")
    assert all((tmp_path / "my-live" / p).is_file() for p in demos.NEEDED)
    assert any((tmp_path / "my-live" / "data").iterdir())


def test_the_noise_factor_is_checked(fake_live):
    with pytest.raises(ValueError, match=r"noise factor must be a finite number in \[0, 1\], got 1.5"):
        demos.turn_up_noise(MLPAutoencoder(4, hidden=32), fake_digits(4), live_dir=fake_live, factor=1.5)


@pytest.mark.slow
def test_a_demo_writes_its_files_and_names_them_in_its_html(fake_live):
    torch.manual_seed(0)
    demo = demos.draw_digit(MLPAutoencoder(8, hidden=32), ConvAutoencoder(4, (4, 8, 8)), fake_digits(150),
                            live_dir=fake_live)
    config = json.loads(_attribute(demo.data, "data-config"))
    assert [m["name"] for m in config["models"]] == ["draw-mlp", "draw-conv"]
    assert [r["weights"] for r in demo.exports] == ["float16", "float16"]
    for url in [m["url"] for m in config["models"]] + [config["digits"]]:
        assert (fake_live / url.split("?v=")[0]).stat().st_size > 0
    digits = json.loads((fake_live / "data" / "draw-digits.json").read_text())
    assert digits["count"] == demos.N_DIGITS


def _attribute(html: str, name: str) -> str:
    found = []

    class P(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.extend(v for k, v in attrs if k == name)

    P().feed(html)
    return found[0]


# --- in the browser ----------------------------------------------------------------------------

# A book build and a browser: about 40 s on two cores, hence the slow marks.
PAGES = {"draw": "book/draw", "walk": "book/deeper/walk", "noise": "book/noise",  # one page two levels down
         "noise-told": "book/noise-told"}


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    """A throwaway Jupyter Book with one page per demo, built with the project's _config.yml."""
    check_site = pytest.importorskip("check_site")
    if not Path(check_site.CHROMIUM).exists():
        pytest.skip("needs Debian's chromium (make browser)")
    if not all((LIVE / n).is_file() for n in demos.NEEDED):
        pytest.skip("needs the runtime in demos/live/ort (make setup runs npm ci)")
    return build_book(tmp_path_factory.mktemp("demobook"))


def build_book(root: Path) -> dict:
    shutil.copy(ROOT / "_config.yml", root)
    shutil.copytree(ROOT / "demos", root / "demos", ignore=shutil.ignore_patterns("data"))
    torch.manual_seed(0)
    models = {"mlp": MLPAutoencoder(16, hidden=64), "conv": ConvAutoencoder(8, (4, 8, 8)),
              "walk": MLPAutoencoder(2, hidden=64), "dae": ConvAutoencoder(8, (4, 8, 8)),
              "told": ConditionalDenoiser(8, (4, 8, 8))}
    test, labels = fake_digits(), torch.arange(120) % 10
    live = root / "demos" / "live"
    html = {"draw": demos.draw_digit(models["mlp"], models["conv"], test, live_dir=live),
            "walk": demos.walk_code(models["walk"], test, labels, live_dir=live),
            "noise": demos.turn_up_noise(models["dae"], test, live_dir=live, factor=0.4),
            "noise-told": demos.turn_up_noise(models["told"].at_level(0.4), test, live_dir=live, factor=0.4,
                                              name="noise-told")}
    (root / "book").mkdir()
    (root / "book" / "index.md").write_text("# Demos\n\nFour live demos.\n")
    for kind, page in PAGES.items():
        (root / page).parent.mkdir(parents=True, exist_ok=True)
        (root / f"{page}.ipynb").write_text(json.dumps(_notebook(kind, html[kind].data)))
    toc = "format: jb-book\nroot: book/index\nchapters:\n" + "".join(f"  - file: {p}\n" for p in PAGES.values())
    (root / "_toc.yml").write_text(toc)
    done = subprocess.run([str(BIN / "jupyter-book"), "build", str(root), "--all", "-W", "-n", "--keep-going", "-q"],
                          capture_output=True, text=True)
    if done.returncode:
        pytest.fail(f"the demo book did not build:\n{(done.stdout + done.stderr)[-3000:]}")
    return {"html": root / "_build" / "html", "models": models, "test": test}


def _notebook(kind: str, html: str) -> dict:
    out = {"output_type": "display_data", "metadata": {}, "data": {"text/html": html, "text/plain": f"<{kind} demo>"}}
    return {"nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                         "language_info": {"name": "python"}},
            "cells": [{"cell_type": "markdown", "id": "title", "metadata": {}, "source": f"# The {kind} demo"},
                      {"cell_type": "code", "id": "demo", "metadata": {"tags": ["remove-input"]},
                       "execution_count": 1, "source": f"demos.{kind}(...)", "outputs": [out]}]}


@pytest.fixture(scope="module")
def browser(book):
    import check_site
    import serve
    from playwright.sync_api import sync_playwright

    server = serve.start(book["html"])
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=check_site.CHROMIUM, args=check_site.ARGS)
        yield b, f"http://127.0.0.1:{server.server_address[1]}/"
        b.close()
    server.shutdown()


def open_demo(browser, kind):
    """The page of `kind` with its demo running; also returns the requests that left 127.0.0.1 and
    the page's errors (both must stay empty)."""
    b, base = browser
    page = b.new_page(viewport={"width": 1280, "height": 900})
    outside, errors = [], []
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base)
               else (outside.append(r.request.url), r.abort()))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(base + PAGES[kind] + ".html")
    page.wait_for_function("() => ['ready', 'error'].includes(document.querySelector('.aelib-demo').dataset.state)",
                           timeout=30_000)
    assert demo_state(page) == "ready", page.locator(".aelib-demo").inner_text()
    return page, page.locator(".aelib-demo"), outside, errors


def unexpected(errors: list[str]) -> list[str]:
    """A page's errors, less the harmless ones every Jupyter Book 1.x page logs (check_site's list)."""
    import check_site

    return [e for e in errors if not any(a in e for a in check_site.ALLOWED_CONSOLE)]


def demo_state(page) -> str:
    return page.locator(".aelib-demo").get_attribute("data-state")


def outputs(demo) -> dict:
    return demo.evaluate("async el => { await el.aelibDemo.idle(); return el.aelibDemo.outputs(); }")


def image(values) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float32).reshape(1, 1, 28, 28)


def assert_close(page_values, torch_values, tol=1e-3):
    diff = np.abs(np.asarray(page_values, dtype=np.float64) - torch_values.detach().numpy().ravel()).max()
    assert diff <= tol, f"the page differs from PyTorch by {diff:.3g}"


@pytest.mark.slow
def test_check_site_counts_four_running_demos(book):
    import check_site

    found = []
    assert check_site.check(book["html"], demos=found) == []
    assert sorted(d["kind"] for d in found) == ["draw", "noise", "noise", "walk"]
    assert all(d["state"] == "ready" and d["first_inference_ms"] > 0 for d in found)


@pytest.mark.slow
def test_draw_shows_what_pytorch_computes_and_follows_a_stroke(book, browser):
    page, demo, outside, errors = open_demo(browser, "draw")
    demo.evaluate("el => el.aelibDemo.showDigit(7)")
    before = outputs(demo)
    assert before["input"] == book["test"][7].flatten().tolist()  # the digit as shipped: exact
    with torch.inference_mode():
        for name, key in (("draw-mlp", "mlp"), ("draw-conv", "conv")):
            assert_close(before[name], book["models"][key].eval()(image(before["input"])))
    box = page.locator("canvas.aelib-pad").bounding_box()
    page.mouse.move(box["x"] + 0.3 * box["width"], box["y"] + 0.2 * box["height"])
    page.mouse.down()
    for t in np.linspace(0, 1, 12):
        page.mouse.move(box["x"] + (0.3 + 0.4 * t) * box["width"], box["y"] + (0.2 + 0.6 * t) * box["height"])
    page.mouse.up()
    after = outputs(demo)
    assert after["input"] != before["input"] and after["draw-mlp"] != before["draw-mlp"]
    with torch.inference_mode():
        assert_close(after["draw-conv"], book["models"]["conv"](image(after["input"])))
    assert outside == [] and unexpected(errors) == []


@pytest.mark.slow
def test_walk_decodes_the_chosen_code_as_pytorch_does(book, browser):
    page, demo, outside, errors = open_demo(browser, "walk")
    demo.evaluate("el => el.aelibDemo.setCode(0.3, -0.7)")
    out = outputs(demo)
    assert out["code"] == [0.3, -0.7]
    with torch.inference_mode():
        assert_close(out["decoded"], book["models"]["walk"].eval().decode(torch.tensor([[0.3, -0.7]])))
    box = page.locator("canvas.aelib-walk-pad").bounding_box()
    page.mouse.click(box["x"] + 0.8 * box["width"], box["y"] + 0.1 * box["height"])
    moved = outputs(demo)
    assert moved["code"] != out["code"] and moved["decoded"] != out["decoded"]
    assert outside == [] and unexpected(errors) == []


@pytest.mark.slow
def test_noise_slider_changes_the_outputs_which_match_pytorch_and_scipy(book, browser):
    from scipy import ndimage

    page, demo, outside, errors = open_demo(browser, "noise")
    demo.evaluate("el => el.aelibDemo.showDigit(3)")
    low = outputs(demo)
    assert low["factor"] == pytest.approx(0.4)
    page.locator(".aelib-demo input[type=range]").fill("0.8")  # the reader moves the slider
    high = outputs(demo)
    assert high["factor"] == pytest.approx(0.8)
    assert high["noisy"] != low["noisy"] and high["denoised"] != low["denoised"] and high["median"] != low["median"]
    with torch.inference_mode():
        assert_close(high["denoised"], book["models"]["dae"].eval()(image(high["noisy"])))
    median = ndimage.median_filter(np.asarray(high["noisy"], dtype=np.float32).reshape(28, 28), size=3, mode="nearest")
    assert_close(high["median"], torch.from_numpy(median), tol=1e-6)
    noiseless = demo.evaluate("async el => { await el.aelibDemo.setNoise(0); return el.aelibDemo.outputs(); }")
    assert noiseless["noisy"] == noiseless["clean"] == book["test"][3].flatten().tolist()
    assert outside == [] and unexpected(errors) == []


@pytest.mark.slow
def test_a_page_without_a_demo_loads_none_of_it(browser):
    b, base = browser
    page = b.new_page()
    page.goto(base + "book/index.html", wait_until="networkidle")
    loaded = page.evaluate("performance.getEntriesByType('resource').map(r => r.name)")
    assert loaded and not [u for u in loaded if "/live/" in u]
    page.close()


@pytest.mark.slow
def test_from_a_file_each_demo_is_one_line_of_text(book, browser):
    b, _ = browser
    page = b.new_page()
    page.goto((book["html"] / f"{PAGES['walk']}.html").as_uri())
    demo = page.locator(".aelib-demo")
    assert demo.get_attribute("data-state") == "static"
    assert demo.inner_text().strip() == demos.FILE_NOTE
    page.close()


@pytest.mark.slow
def test_a_denoiser_told_the_level_is_told_the_sliders_factor(book, browser):
    page, demo, outside, errors = open_demo(browser, "noise-told")
    demo.evaluate("el => el.aelibDemo.showDigit(3)")
    for f in ("0.8", "0.1"):
        page.locator(".aelib-demo input[type=range]").fill(f)
        out = outputs(demo)
        with torch.inference_mode():
            assert_close(out["denoised"], book["models"]["told"].eval()(with_noise_level(image(out["noisy"]), float(f))))
    assert outside == [] and unexpected(errors) == []
