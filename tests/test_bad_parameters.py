"""Issue 7.1: each class of bad notebook parameter fails at once with one error that names the
parameter and what it allows: through the validators the notebooks call in their first code cells
(cases tests/test_config.py, test_denoise.py and test_noise.py already try are not repeated), then
through real executions, which must stop before any data is loaded or model trained."""
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from aelib.config import MAX_LATENT, MODEL_KINDS, TrainConfig, check_float_list, check_int_list
from aelib.book.page import declared_parameters, literal, parameters_box

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "tools"))
import execute  # noqa: E402  (tools/execute.py: what `make book` runs)

# (id "class-what", the call a notebook makes, its exception, words the message must hold)
BAD = [
    ("type-batch_size-float", lambda: TrainConfig(batch_size=64.0), TypeError, ["batch_size", "int", "64.0"]),
    ("type-seed-str", lambda: TrainConfig(seed="0"), TypeError, ["seed", "int"]),
    ("type-epochs-not-a-list", lambda: check_int_list("epochs", 5, 0, 10_000), TypeError, ["epochs", "list"]),
    ("type-epochs-entry-str", lambda: check_int_list("epochs", [1, "2"], 0, 10_000), TypeError, ["epochs", "int"]),
    ("type-lrs-entry-str", lambda: check_float_list("lrs", ["nan"], 0, 10, positive=True), TypeError,
     ["lrs", "number", "'nan'"]),
    ("type-lr-none", lambda: TrainConfig(lr=None), TypeError, ["lr", "number"]),
    ("empty-lrs", lambda: check_float_list("lrs", [], 0, 10, positive=True), TypeError, ["lrs", "non-empty list"]),
    ("empty-latents", lambda: check_int_list("latents", (), 1, MAX_LATENT), TypeError, ["latents", "non-empty"]),
    ("epochs-negative-entry", lambda: check_int_list("epochs", [0, 5, -1], 0, 10_000), ValueError,
     ["epochs", "[0, 10000]", "-1"]),
    ("epochs-negative", lambda: TrainConfig(epochs=-3), ValueError, ["epochs", ">= 0", "-3"]),
    ("latent-zero-entry", lambda: check_int_list("latents", [16, 0], 1, MAX_LATENT), ValueError,
     ["latents", f"[1, {MAX_LATENT}]", "0"]),
    ("latent-negative", lambda: TrainConfig(latent=-8), ValueError, ["latent", f"[1, {MAX_LATENT}]"]),
    ("lr-negative", lambda: TrainConfig(lr=-1e-3), ValueError, ["lr", "finite number > 0"]),
    ("lr-nan", lambda: TrainConfig(lr=math.nan), ValueError, ["lr", "finite number > 0", "nan"]),
    ("lr-minus-inf", lambda: TrainConfig(lr=-math.inf), ValueError, ["lr", "finite"]),
    ("lr-nan-entry", lambda: check_float_list("lrs", [1e-3, math.nan], 0, 10, positive=True), ValueError,
     ["lrs", "finite number in [0, 10] and > 0", "nan"]),
    ("lr-inf-entry", lambda: check_float_list("lrs", [math.inf], 0, 10, positive=True), ValueError, ["lrs", "finite"]),
    ("lr-negative-entry", lambda: check_float_list("lrs", [-1e-4], 0, 10, positive=True), ValueError, ["lrs", "> 0"]),
    ("noise-negative", lambda: TrainConfig(train_noise=-0.1), ValueError, ["train_noise", "[0.0, 1.0]"]),
    ("noise-nan", lambda: TrainConfig(train_noise=math.nan), ValueError, ["train_noise", "[0.0, 1.0]"]),
    ("noise-nan-entry", lambda: check_float_list("noise_factors", [0.1, math.nan], 0.0, 1.0), ValueError, ["noise_factors", "[0.0, 1.0]"]),
    ("model-uppercase", lambda: TrainConfig(model="MLP"), ValueError, ["model", str(list(MODEL_KINDS)), "'MLP'"]),
    ("model-none", lambda: TrainConfig(model=None), ValueError, ["model", "one of"]),
    ("batch-negative", lambda: TrainConfig(batch_size=-64), ValueError, ["batch_size", ">= 1", "-64"]),
    ("unknown-name-page", lambda: parameters_box("01_epochs", {"In": ["# Parameters\nlatnet = 3\n"]},
                                                 ROOT / "notebooks"), ValueError,
     ["'latnet'", "01_epochs", "epochs, latent, lr"]),
]


@pytest.mark.parametrize("call, exc, words", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_value_names_the_parameter_and_what_it_allows(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    for w in words:
        assert w in str(info.value), (w, str(info.value))


@pytest.mark.parametrize("notebook", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_pages_read_their_parameters_as_papermill_does(notebook):
    import papermill  # the pages parse their own parameters cell: papermill's import costs them a second
    inspected = papermill.inspect_notebook(str(notebook))
    expected = {k: {"default": v["default"], "help": v["help"]} for k, v in inspected.items()}
    assert declared_parameters(notebook) == expected and list(declared_parameters(notebook)) == list(expected)


def test_unknown_name_is_refused_by_the_build_before_anything_runs(tmp_path, capsys):
    with pytest.raises(SystemExit, match=r"01_epochs: unknown parameter\(s\) \['latnet'\].*'latent'"):
        execute.main(["01_epochs", "--profile", "tiny", "--out", str(tmp_path / "book"), "-p", "latnet", "3"])
    assert not (tmp_path / "book").exists()


def test_the_build_names_folders_relative_to_the_repository(tmp_path, monkeypatch):
    """The folders the build passes reach each page's parameter box and re-run command: relative
    to the repository, they are the notebook's own defaults for the book, and no page prints a
    path of the machine that built it."""
    passed = {}
    monkeypatch.setattr(execute.pm, "execute_notebook", lambda src, dest, parameters, **kw: passed.update(parameters))
    monkeypatch.setattr(execute, "clean", lambda path: None)
    execute.execute("01_epochs", "tiny", tmp_path / "book", {}, "1/1", cache_dir=str(tmp_path / "cache"))
    assert not any(Path(v).is_absolute() for k, v in passed.items() if k.endswith("_dir")), passed
    for name, folder in (("cache_dir", tmp_path / "cache"), ("results_dir", tmp_path / "book" / "results"),
                         ("live_dir", tmp_path / "demos" / "live")):
        assert (ROOT / passed[name]).resolve() == folder.resolve()  # from the repository, the kernel's cwd
    declared = declared_parameters(ROOT / "notebooks" / "01_epochs.ipynb")
    for name, folder in (("results_dir", ROOT / "book" / "results"), ("live_dir", ROOT / "demos" / "live")):
        assert execute.relative(folder) == literal(declared[name]["default"])  # the book's own: the defaults


def test_numbers_typed_for_the_build_are_numbers():
    """`-p lr 1e-3` once reached the notebook as the string '1e-3' (YAML 1.1) and was refused."""
    assert execute.parse_value("1e-3") == 1e-3 and execute.parse_value("-2E+5") == -2e5
    assert execute.parse_value("[1e-4, 1.0e-3, 1]") == [1e-4, 1e-3, 1]
    assert execute.parse_value("[0, 1, 2]") == [0, 1, 2] and execute.parse_value("0.5") == 0.5
    assert execute.parse_value(".nan") != execute.parse_value(".nan")  # YAML's NaN reaches the check
    assert execute.parse_value("1e") == "1e" and execute.parse_value("mlp") == "mlp"


# Real executions, the two ways a reader runs a page: the book's tool, and papermill as each page's
# parameter box shows. Each must stop in the page's set-up, which checks every parameter before it
# loads any data or trains anything.
RUNS = {
    "epochs-negative-via-build": (
        lambda out, cache: [sys.executable, str(ROOT / "tools" / "execute.py"), "01_epochs", "--profile", "tiny",
                            "--out", str(out), "-p", "cache_dir", str(cache), "-p", "epochs", "[2, -1]"],
        "01_epochs", "ValueError", ["each entry of epochs", "[0, 10000]", "-1"]),
    "lr-nan-via-papermill": (
        lambda out, cache: [str(BIN / "papermill"), str(ROOT / "notebooks" / "02_learning_rate.ipynb"),
                            str(out / "02_learning_rate.ipynb"), "--cwd", str(ROOT), "-y", "lrs: [1.0e-3, .nan]",
                            "-p", "cache_dir", str(cache), "-p", "results_dir", str(out / "results")],
        "02_learning_rate", "ValueError", ["each entry of lrs", "finite number", "nan"]),
    "unknown-name-via-papermill": (
        lambda out, cache: [str(BIN / "papermill"), str(ROOT / "notebooks" / "01_epochs.ipynb"),
                            str(out / "01_epochs.ipynb"), "--cwd", str(ROOT), "-p", "latnet", "3",
                            "-p", "cache_dir", str(cache), "-p", "results_dir", str(out / "results")],
        "01_epochs", "ValueError", ["unknown parameter(s) ['latnet']", "epochs, latent"]),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(RUNS))
def test_a_real_execution_stops_before_training_with_one_clear_error(tmp_path, case):
    command, stem, ename, words = RUNS[case]
    out, cache = tmp_path / "book", tmp_path / "cache"
    out.mkdir()
    proc = subprocess.run(command(out, cache), capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    for w in words:
        assert w in proc.stderr, (w, proc.stderr[-3000:])
    nb = json.loads((out / f"{stem}.ipynb").read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    errors = [(i, o) for i, c in enumerate(code) for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert len(errors) == 1 and errors[0][1]["ename"] == ename  # one error, of the parameter's kind
    set_up = next(i for i, c in enumerate(code) if "setup(" in "".join(c["source"]))
    assert errors[0][0] == set_up and all(c.get("execution_count") is None for c in code[set_up + 1:])
    assert not cache.exists() or not list(cache.rglob("*"))  # no data converted, no model written
    assert not (out / "results").exists()
