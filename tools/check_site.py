"""Open every page of the built site in headless Chromium, as a reader would, and check it.

    python tools/check_site.py [_build/html] [--screenshots DIR]

The site is served on 127.0.0.1 only. For each page: no request leaves the machine (math is
rendered from the local MathJax copy), no broken image, no error output or traceback in a cell,
no stderr or progress-bar debris, and every section page has a captioned figure. Each live demo
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

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
        "--disable-background-networking", "--disable-component-update"]
# Every Jupyter Book 1.x page defines THEBE_JS_URL twice: a known, harmless console error.
# pydata-sphinx-theme logs "invalid theme mode" on a first visit with empty local storage.
# Failed loads are reported once, from the response, with their address.
ALLOWED_CONSOLE = ("THEBE_JS_URL", "Got invalid theme mode", "Failed to load resource")

PAGE_PROBLEMS_JS = """() => {
  const out = [];
  for (const img of document.images)
    if (!img.complete || img.naturalWidth === 0) out.push('broken image ' + img.getAttribute('src'));
  for (const el of document.querySelectorAll('.output.error, .output.traceback, .output.stderr'))
    out.push('error or stderr output: ' + el.innerText.slice(0, 120));
  const text = document.body.innerText;
  if (text.includes('Traceback (most recent call last)')) out.push('a traceback in the page text');
  if (/\\d+%\\|[█▏▎▍▌▋▊▉ ]*\\|/.test(text) || text.includes('\\r')) out.push('progress-bar debris');
  // a table wider than the text column must sit in a container that scrolls, or its right part is lost
  const column = document.querySelector('article.bd-article, main');
  const right = column ? column.getBoundingClientRect().right : window.innerWidth;
  for (const t of document.querySelectorAll('article table')) {
    if (t.getBoundingClientRect().right <= right + 1) continue;
    let el = t.parentElement, scrolls = false;
    for (; el && el !== document.body; el = el.parentElement)
      if (['auto', 'scroll'].includes(getComputedStyle(el).overflowX) && el.scrollWidth > el.clientWidth) scrolls = true;
    if (!scrolls) out.push('a table is cut off at the right edge: ' + t.innerText.slice(0, 60).replace(/\\s+/g, ' '));
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


def check(html: Path, screenshots: Path | None = None, demos: list[dict] | None = None) -> list[str]:
    """The problems found, one line each. Each live demo found is appended to `demos` (if given)
    as {page, id, kind, state, first_inference_ms}."""
    problems: list[str] = []
    server = serve.start(html)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for path in pages(html):
                rel = path.relative_to(html).as_posix()
                page = browser.new_page(viewport={"width": 1280, "height": 900})
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
    problems = check(args.html, args.screenshots, demos)
    for p in problems:
        print(p)
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
