"""Every list parameter of every page takes its YAML text through papermill's `-p`, as the README
says (`-p latents "[30, 128]"`): papermill hands such a value to the page as a string, and the
page's set-up reads it as the list it names, for every cell after it.

Each case builds the page's namespace the way papermill's kernel does (the parameters cell, then
the cell papermill injects for `-p NAME TEXT`) without starting a kernel, then runs what `setup`
runs on it before loading any data."""
import html
import json
import shlex
from pathlib import Path

import pytest
import yaml
from papermill.cli import _resolve_type
from papermill.translators import translate_parameters

from aelib.book.page import declared_parameters, literal, parameters_box, read_list_texts
from aelib.book.sections import check_common, page_jobs

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXAMPLES = {"image_paths": ["digit.png"]}  # a value for each list parameter whose default is empty


def _list_parameters():
    for nb in NOTEBOOKS:
        for name, p in declared_parameters(nb).items():
            if isinstance(literal(p["default"]), list):
                yield nb, name


CASES = list(_list_parameters())


def _namespace(nb: Path, name: str, text: str) -> dict:
    cells = json.loads(nb.read_text())["cells"]
    source = "".join(next(c for c in cells if "parameters" in c["metadata"].get("tags", []))["source"])
    injected = translate_parameters("python3", "python", {name: _resolve_type(text)}, "Parameters")
    ns = {"In": ["", source, injected]}  # IPython's input history, which the box reads the injected names from
    exec(source, ns)
    exec(injected, ns)
    return ns


def test_the_walk_finds_the_pages_list_parameters():
    names = {(nb.stem, name) for nb, name in CASES}
    assert {("04_foreign_images", "image_paths"), ("01_epochs", "epochs"), ("07b_denoising_benchmark", "dae_channels"),
            ("05b_real_compression", "lambdas")} <= names


@pytest.mark.parametrize("nb, name", CASES, ids=[f"{nb.stem}-{name}" for nb, name in CASES])
def test_a_list_parameter_takes_its_yaml_text_through_p(nb, name):
    value = literal(declared_parameters(nb)[name]["default"]) or EXAMPLES.get(name)
    assert value, f"{nb.stem}: give {name} (empty by default) a value in EXAMPLES"
    text = json.dumps(value)  # what a reader types: -p image_paths '["digit.png"]'
    ns = _namespace(nb, name, text)
    assert ns[name] == text  # papermill hands the page a string
    assert "setup(" in nb.read_text(), f"{nb.stem} has a list parameter but never calls setup, which reads it"
    declared = declared_parameters(nb)
    assert read_list_texts(declared, ns) == [name] and ns[name] == value  # the list itself, in the page's globals
    command = parameters_box(nb.stem, ns, ROOT / "notebooks").data.split("<pre>")[1]
    if name in EXAMPLES:  # not the default: the box's re-run command passes it the same way
        assert f"-p {name} {shlex.quote(yaml.safe_dump(value, default_flow_style=True).strip())}</pre>" in html.unescape(command)
    page_jobs(nb.stem, check_common({n: ns[n] for n in declared}))  # the page's trainings accept it


def test_text_that_is_no_list_is_named():
    nb = ROOT / "notebooks" / "04_foreign_images.ipynb"
    ns = _namespace(nb, "image_paths", "digit.png")
    with pytest.raises(TypeError, match=r"image_paths must be a list, written as YAML such as \[\], got the text "
                                        r"'digit.png'"):
        read_list_texts(declared_parameters(nb), ns)
    ns = _namespace(nb, "mlp_latents", "[16, 128")
    with pytest.raises(ValueError, match="mlp_latents must be a list"):
        read_list_texts(declared_parameters(nb), ns)
