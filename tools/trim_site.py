"""Drop the parts of the built site that no page loads: most of the offline MathJax copy, the
theme's source maps and its translation catalogues.

    python tools/trim_site.py _build/html

`sphinx-mathjax-offline` copies the whole MathJax 3 distribution (about 24 MB) into
_static/mathjax, while the pages load only `tex-chtml.js`, which then fetches its CommonHTML
fonts, TeX extensions it autoloads, and the menu and accessibility parts on demand. Every other
combined file (SVG output, MathML input, the speech engine `sre`, ...) is removed, and so are the
theme's `*.map` files (read by a browser's developer tools only), `_static/locales` (message
catalogues Sphinx reads at build time) and the icon fonts' TrueType fallbacks (the WOFF2 copies
stay), which keeps the whole site within its 30 MB budget. tools/check_site.py opens every page afterwards and reports
any request that fails, so a part removed here that a page needs does not go unnoticed.
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

KEEP = ("tex-chtml.js", "output/chtml", "output/chtml.js", "input/tex", "input/tex.js", "ui", "a11y")


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size


def trim(html: Path) -> int:
    """Remove what KEEP does not name under <html>/_static/mathjax, the source maps and the
    message catalogues; returns the bytes removed."""
    root = html / "_static" / "mathjax"
    if not (root / "tex-chtml.js").is_file():
        raise SystemExit(f"{root} holds no tex-chtml.js: is {html} a built site?")
    kept = {root / k for k in KEEP}
    removed = 0
    for path in sorted(root.rglob("*"), key=lambda p: -len(p.parts)):
        if not path.exists() or any(path == k or k in path.parents for k in kept):
            continue
        if any(path in k.parents for k in kept):
            continue  # a folder on the way to something kept
        removed += _size(path)
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    # the icon fonts' TrueType copies are the fallback after WOFF2, which every current browser reads
    extra = [*(html / "_static").rglob("*.map"), html / "_static" / "locales",
             *(html / "_static" / "vendor" / "fontawesome" / "webfonts").glob("*.ttf")]
    for path in (p for p in extra if p.exists()):
        removed += _size(path)
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    return removed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("html", type=Path, help="the built site, e.g. _build/html")
    args = ap.parse_args(argv)
    removed = trim(args.html)
    print(f"trimmed the site: {removed / 1e6:.1f} MB removed; now {_size(args.html) / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
