"""The reader's-eye checker must catch what it promises to catch (tested on a synthetic site)."""
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
check_site = pytest.importorskip("check_site")

pytestmark = pytest.mark.skipif(not Path(check_site.CHROMIUM).exists(), reason="needs Debian's chromium (make browser)")

GOOD = "<html><body><h1>Fine</h1><figure id='fig-x'><img src='a.png'><figcaption>c</figcaption></figure></body></html>"
BAD = ("<html><body><img src='missing.png'><img src='https://cdn.invalid/x.png'>"
       "<pre>Traceback (most recent call last):</pre><div class='output stderr'>warn</div></body></html>")


def test_checker_passes_a_clean_page_and_catches_each_problem(tmp_path):
    png = Path(__file__).parent / "data" / "tiny.png"
    (tmp_path / "book").mkdir()
    shutil.copy(png, tmp_path / "book" / "a.png")
    (tmp_path / "index.html").write_text(GOOD)
    (tmp_path / "book" / "01_good.html").write_text(GOOD)
    assert check_site.check(tmp_path) == []
    (tmp_path / "book" / "02_bad.html").write_text(BAD)
    problems = "\n".join(check_site.check(tmp_path, screenshots=tmp_path / "shots"))
    for expected in ("broken image", "leaves the machine: https://cdn.invalid", "traceback",
                     "error or stderr output", "02_bad.html: no captioned figure"):
        assert expected in problems
    assert (tmp_path / "shots" / "book_02_bad.png").exists()
