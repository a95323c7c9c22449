"""Open every page of the built site in headless Chromium, as a reader would, and check it.

    python tools/check_site.py [_build/html] [--screenshots DIR]

The site is served on 127.0.0.1 only. For each page: no request leaves the machine (math is
rendered from the local MathJax copy), no broken image, no error output or traceback in a cell,
no stderr or progress-bar debris, no console or uncaught error, no table wider than the text
column, no figure text under 9 px in a 1280-px window (the figure's own record of its smallest
text, times the scale the page shows it at), and every section page has a captioned figure. Each live demo
(aelib.book.demos) must start, running its models in the page; the count of demos and each one's
time to first inference (from the page's navigation start) are reported. A full-page screenshot
of each page is saved for review. Exit status 1 and one line per problem otherwise.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

import serve  # tools/serve.py: the content types the live demos need
from aelib.plots import MIN_TEXT_PX, PNG_TEXT_KEY  # the smallest figure text a page may show in WINDOW

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
        "--disable-background-networking", "--disable-component-update"]
# Failed loads are reported once, from the response, with their address; any other console error
# or uncaught error is a problem.
ALLOWED_CONSOLE = ("Failed to load resource",)
WINDOW = {"width": 1280, "height": 900}  # the reader's window in which tables and figure text are measured

PAGE_PROBLEMS_JS = """() => {
  const out = [];
  for (const img of document.images)
    if (!img.complete || img.naturalWidth === 0) out.push('broken image ' + img.getAttribute('src'));
  for (const el of document.querySelectorAll('.output.error, .output.traceback, .output.stderr'))
    out.push('error or stderr output: ' + el.innerText.slice(0, 120));
  const text = document.body.innerText;
  if (text.includes('Traceback (most recent call last)')) out.push('a traceback in the page text');
  if (/\\d+%\\|[█▏▎▍▌▋▊▉ ]*\\|/.test(text) || text.includes('\\r')) out.push('progress-bar debris');
  // every table fits the text column (its parameter boxes opened): no part of it to scroll to or lose
  for (const d of document.querySelectorAll('details')) d.open = true;
  const column = document.querySelector('article.bd-article, main') || document.body;
  const box = column.getBoundingClientRect(), style = getComputedStyle(column);
  const right = box.right - parseFloat(style.paddingRight || 0);
  for (const t of document.querySelectorAll('table')) {
    const r = t.getBoundingClientRect();
    if (r.width > 0 && r.right > right + 1)
      out.push(`a table is ${Math.round(r.right - right)} px wider than the text column: ` +
               t.innerText.slice(0, 60).replace(/\\s+/g, ' '));
  }
  for (const d of document.querySelectorAll('details')) d.open = false;
  return out;
}"""

# Each figure IPython showed records the size in image pixels of its smallest text (a PNG text
# chunk, aelib.plots.PNG_TEXT_KEY); times the image's scale on the page, that is its size on screen.
FIGURE_TEXT_JS = """async (key) => {
  async function recorded(src) {  // the PNG's tEXt chunk `key`, or null
    const b = new Uint8Array(await (await fetch(src)).arrayBuffer()), v = new DataView(b.buffer);
    for (let i = 8; i + 8 <= b.length;) {
      const n = v.getUint32(i), type = String.fromCharCode(...b.slice(i + 4, i + 8));
      if (type === 'tEXt') {
        const [k, value] = new TextDecoder('latin1').decode(b.slice(i + 8, i + 8 + n)).split('\\0');
        if (k === key) return Number(value);
      }
      if (type === 'IEND') break;
      i += 12 + n;
    }
    return null;
  }
  const out = [];
  for (const img of document.querySelectorAll('.cell_output img, figure img')) {
    if (!img.currentSrc.endsWith('.png') || !img.naturalWidth) continue;
    const px = await recorded(img.currentSrc);
    const fig = img.closest('figure'), caption = fig && fig.querySelector('figcaption');
    const label = caption ? caption.innerText.replace(/\\s+/g, ' ').slice(0, 70) : img.getAttribute('src');
    out.push({label, image_px: px, scale: img.getBoundingClientRect().width / img.naturalWidth});
  }
  return out;
}"""


DEMO_START_S = 30  # a live demo that has not run its models by then has failed
DEMOS_SETTLED_JS = """() => [...document.querySelectorAll('.aelib-demo')]
  .every(d => d.dataset.state === 'ready' || d.dataset.state === 'error')"""
DEMOS_JS = """() => [...document.querySelectorAll('.aelib-demo')].map(d => ({
  id: d.id, kind: d.dataset.demo, state: d.dataset.state, note: d.innerText.slice(0, 200),
  first_inference_ms: d.dataset.firstInferenceMs ? Number(d.dataset.firstInferenceMs) : null}))"""


def pages(html: Path) -> list[Path]:
    return sorted(p for p in html.rglob("*.html")
                  if not p.name.startswith(("genindex", "search")) and "_static" not in p.parts
                  and p != html / "index.html")  # the top-level index.html only redirects to the root page


def check(html: Path, screenshots: Path | None = None, demos: list[dict] | None = None,
          figures: list[dict] | None = None) -> list[str]:
    """The problems found, one line each. Each live demo found is appended to `demos` (if given)
    as {page, id, kind, state, first_inference_ms}; each figure to `figures` (if given) as {page,
    label, text_px}: its smallest text in pixels as the window shows it."""
    problems: list[str] = []
    server = serve.start(html)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for path in pages(html):
                rel = path.relative_to(html).as_posix()
                page = browser.new_page(viewport=WINDOW)
                outside, console, missing, errors = [], [], [], []
                # Record any request for another host and abort it, so that nothing leaves the machine.
                page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base)
                           else (outside.append(route.request.url), route.abort()))
                page.on("response", lambda r: missing.append(f"{r.status} {r.url}") if r.status >= 400 else None)
                page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.goto(base + rel, wait_until="networkidle")
                problems += _check_demos(page, rel, demos)
                problems += [f"{rel}: request leaves the machine: {u}" for u in outside]
                problems += [f"{rel}: failed to load: {m}" for m in missing]
                problems += [f"{rel}: console error: {t}" for t in console if not any(a in t for a in ALLOWED_CONSOLE)]
                problems += [f"{rel}: uncaught error: {e}" for e in errors if not any(a in e for a in ALLOWED_CONSOLE)]
                problems += [f"{rel}: {p}" for p in page.evaluate(PAGE_PROBLEMS_JS)]
                problems += _check_figure_text(page, rel, figures)
                if rel.startswith("book/") and rel.split("/")[-1][:2].isdigit():
                    if page.locator("figure figcaption").count() == 0:
                        problems.append(f"{rel}: no captioned figure")
                if page.locator(".math").count() and not page.locator("mjx-container").count():
                    problems.append(f"{rel}: math present but not rendered")
                if screenshots is not None:
                    screenshots.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(screenshots / (rel.replace("/", "_")[:-5] + ".png")), full_page=True)
                page.close()
            browser.close()
    finally:
        server.shutdown()
    return problems


def _check_figure_text(page, rel: str, figures: list[dict] | None) -> list[str]:
    """A problem for each figure whose smallest text shows below MIN_TEXT_PX, or that records no size."""
    out = []
    for f in page.evaluate(FIGURE_TEXT_JS, PNG_TEXT_KEY):
        if f["image_px"] is None:
            out.append(f"{rel}: figure records no text size (not shown through aelib.plots.set_style): {f['label']}")
            continue
        px = f["image_px"] * f["scale"]
        if figures is not None:
            figures.append({"page": rel, "label": f["label"], "text_px": px})
        if px < MIN_TEXT_PX:
            out.append(f"{rel}: figure text {px:.1f} px, under {MIN_TEXT_PX:g} px in a {WINDOW['width']}-px window: "
                       f"{f['label']}")
    return out


def _check_demos(page, rel: str, demos: list[dict] | None) -> list[str]:
    """Wait for the page's live demos to run their models; a problem for each that did not."""
    if not page.locator(".aelib-demo").count():
        return []
    try:
        page.wait_for_function(DEMOS_SETTLED_JS, timeout=DEMO_START_S * 1000)
    except PlaywrightTimeout:
        pass  # reported below, demo by demo
    found = page.evaluate(DEMOS_JS)
    if demos is not None:
        demos += [{"page": rel, **{k: d[k] for k in ("id", "kind", "state", "first_inference_ms")}} for d in found]
    return [f"{rel}: live demo {d['id']} did not start ({d['state']}): {d['note']}" for d in found
            if d["state"] != "ready"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("html", nargs="?", type=Path, default=Path("_build/html"))
    ap.add_argument("--screenshots", type=Path, help="save a full-page PNG of every page here")
    args = ap.parse_args(argv)
    if not (args.html / "index.html").exists():
        print(f"{args.html} has no index.html: build the site first (make book)", file=sys.stderr)
        return 2
    demos: list[dict] = []
    figures: list[dict] = []
    problems = check(args.html, args.screenshots, demos, figures)
    for p in problems:
        print(p)
    for f in sorted(figures, key=lambda f: f["text_px"])[:5]:
        print(f"smallest figure text {f['text_px']:.1f} px: {f['page']}: {f['label']}")
    for d in demos:
        ms = f"first inference {d['first_inference_ms']:.0f} ms after the page was requested" if d["first_inference_ms"] else d["state"]
        print(f"live demo {d['kind']:<6} {d['page']}: {ms}")
    print(f"{len(demos)} live demo(s), {sum(d['state'] == 'ready' for d in demos)} running")
    n = len(pages(args.html))
    mb = sum(f.stat().st_size for f in args.html.rglob("*") if f.is_file()) / 1e6
    print(f"site size {mb:.1f} MB, of which live/ (demo models and runtime) "
          f"{sum(f.stat().st_size for f in (args.html / 'live').rglob('*') if f.is_file()) / 1e6:.1f} MB")
    print(f"checked {n} pages: {len(problems)} problem(s)" + (f"; screenshots in {args.screenshots}" if args.screenshots else ""))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
