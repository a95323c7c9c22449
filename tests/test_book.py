"""Every notebook executed by papermill with the `tiny` profile, its result file checked, then
the whole book built with warnings as errors: all in a temporary copy of the book."""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PROFILES = sorted(p.stem for p in (ROOT / "profiles").glob("*.yaml"))  # a page per profile file
SOURCES = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
sys.path.insert(0, str(ROOT / "tools"))
from execute import pages  # noqa: E402

STEMS = pages()  # in the order `make notebooks` executes them

# The keys each section's JSON must have (the issues' contracts).
REQUIRED = {
    "01_epochs": {"epochs", "difference", "mse", "seconds", "verdict_epoch_time", "demo_exports"},
    "02_learning_rate": {"lr", "difference", "diverged", "val_loss"},
    "03_latent_size": {"latent", "difference_test", "difference_train", "se_per_image_test",
                       "pca_se_per_image_test", "verdict_largest_overfits", "demo_exports"},
    "03b_thirty_numbers": {"latent", "paper", "methods", "verdicts", "deep_cost"},
    "04_foreign_images": {"images", "difference"},
    "05_compression_ratio": {"latent", "ratio_floats", "ratio_bytes", "model_bytes", "verdict_decoder_not_a_factor"},
    "05b_real_compression": {"points", "target", "chosen", "model_bytes", "near", "rate_training"},
    "06_conv_vs_linear": {"model", "latent", "difference", "seconds", "parameters", "pca"},
    "07_denoising": {"noise", "psnr_noisy", "psnr", "ssim", "verdicts"},
    "07b_denoising_benchmark": {"noise", "methods", "versus_classical", "equal_code", "verdicts", "demo_exports"},
    "index": {"sections", "rows", "profiles"},
    "performance": {"bench", "engine", "build_targets", "build_profiles", "timings"},
    "reproducibility": {"commit", "machine", "packages", "timings", "models"},
}
SECTIONS = [stem for stem in REQUIRED if stem[0].isdigit()]
for _stem in SECTIONS:
    REQUIRED[_stem] = REQUIRED[_stem] | {"n_test"}  # every section says which test set it measured


pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def book(tmp_path_factory, cache_dir):
    root = tmp_path_factory.mktemp("book")
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy(ROOT / name, root / name)
    shutil.copytree(ROOT / "book", root / "book", ignore=shutil.ignore_patterns("*.ipynb", "results", "timings"))
    shutil.copytree(ROOT / "demos", root / "demos", ignore=shutil.ignore_patterns("data"))  # the live demos' files
    shutil.copytree(ROOT / "_static", root / "_static")  # the book's style sheet
    # as `make book` does: the planned job trains every model first, one per core, then the pages read them
    subprocess.run([sys.executable, str(ROOT / "tools" / "models.py"), "--profile", "tiny", "--cache", str(cache_dir)],
                   check=True)
    subprocess.run([sys.executable, str(ROOT / "tools" / "execute.py"), *STEMS, "--profile", "tiny", "--jobs", "2",
                    "--out", str(root / "book"), "--cache-dir", str(cache_dir)], check=True)
    return root


def test_every_page_is_executed_and_in_the_table_of_contents():
    """A page with a profile file that `make notebooks` skips, or that the table of contents
    leaves out, would never reach the site."""
    toc = (ROOT / "_toc.yml").read_text()
    assert sorted(STEMS) == PROFILES
    assert all(re.search(rf"(file|root): book/{stem}\n", toc) for stem in STEMS)
    assert STEMS.index("reproducibility") == len(STEMS) - 1  # it lists what every other page used
    assert max(STEMS.index(s) for s in STEMS if s[0].isdigit()) < STEMS.index("index")  # sections first


@pytest.mark.parametrize("stem", STEMS)
def test_result_file_has_the_keys(book, stem):
    results = json.loads((book / "book" / "results" / f"{stem}.json").read_text())
    assert REQUIRED[stem] <= set(results)


def test_every_section_measured_the_same_test_digits(book):
    sizes = {stem: json.loads((book / "book" / "results" / f"{stem}.json").read_text())["n_test"] for stem in SECTIONS}
    assert len(set(sizes.values())) == 1, sizes


def test_every_notebook_makes_a_page():
    import yaml
    sources = {yaml.safe_load((ROOT / "profiles" / f"{p}.yaml").read_text()).get("source", p) for p in STEMS}
    assert sources == set(SOURCES)


@pytest.mark.parametrize("stem", SOURCES)
def test_source_notebook_is_clean_and_parameterized(stem):
    nb = json.loads((ROOT / "notebooks" / f"{stem}.ipynb").read_text())
    tagged = [c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", [])]
    assert len(tagged) == 1
    assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")
    for line in "".join(tagged[0]["source"]).splitlines():
        if line.strip():  # `name: type = value  # help`, so --help-notebook documents each one
            assert ":" in line.split("=")[0] and "  # " in line, line


@pytest.fixture(scope="module")
def site(book):
    proc = subprocess.run([str(BIN / "jupyter-book"), "build", str(book), "-W", "-n", "--keep-going"],
                          capture_output=True, text=True)
    if proc.returncode == 0:  # as `make site` does
        subprocess.run([sys.executable, str(ROOT / "tools" / "trim_site.py"), str(book / "_build" / "html")], check=True)
    return proc, book / "_build" / "html"


def test_book_builds_with_warnings_as_errors(site):
    proc, html = site
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert (html / "index.html").exists()
    for stem in STEMS:
        assert (html / "book" / f"{stem}.html").exists()


def test_no_page_holds_a_path_of_the_build_machine(site, cache_dir):
    """The executed pages and the built site name folders relative to the repository (the
    parameter boxes' re-run commands included), never as this machine's absolute paths. This
    build runs in a temporary copy, so those folders show as relative paths that leave the
    repository (../..): each absolute path below is refused where it does not follow such a `..`."""
    _, html = site
    book = html.parents[1]
    machine = {str(ROOT), str(book), str(Path(cache_dir).resolve()), str(Path.home()), sys.prefix,
               str(Path(sys.prefix).resolve())}
    pattern = re.compile("|".join(rf"(?<![\w.]){re.escape(p)}(?![\w-])" for p in sorted(machine, key=len, reverse=True)))
    pages = [*sorted((book / "book").glob("*.ipynb")), *sorted(html.rglob("*.html"))]
    assert len(pages) > len(STEMS)
    found = {str(p.relative_to(book)): m.group(0) for p in pages if (m := pattern.search(p.read_text(errors="replace")))}
    assert not found, found


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs Debian's chromium (make browser)")
def test_every_page_reads_well_in_a_browser(site):
    sys.path.insert(0, str(ROOT / "tools"))
    import check_site

    proc, html = site
    assert proc.returncode == 0
    assert check_site.check(html, screenshots=html.parent / "screenshots") == []


def test_the_reproducibility_page_lists_every_planned_model(book, mnist):
    """Every model the tiny profile's plan names (what `make models` trains), and only those, with
    how each was trained: the planned job's one-thread workers."""
    from models import profile_jobs  # tools/models.py
    from aelib.runs import cache_key
    listed = json.loads((book / "book" / "results" / "reproducibility.json").read_text())["models"]
    assert {m["cache_key"] for m in listed} == {cache_key(j.config, mnist.sha256) for j in profile_jobs("tiny")}
    at_once = min(len(os.sched_getaffinity(0)), len({m["cache_key"] for m in listed}))
    assert all(m["how"]["threads"] == 1 and m["how"]["at_once"] == at_once for m in listed)


def test_a_page_whose_inputs_did_not_change_is_kept(book, cache_dir):
    """Executed again into the same book, the landing page is kept as it is; --force executes it."""
    run = lambda *extra: subprocess.run(  # noqa: E731
        [sys.executable, str(ROOT / "tools" / "execute.py"), "index", "--profile", "tiny", "--out", str(book / "book"),
         "--cache-dir", str(cache_dir), *extra], check=True, capture_output=True, text=True).stdout
    assert "unchanged since it was executed, kept" in run()
    assert "index done in" in run("--force")
