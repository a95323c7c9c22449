"""Helpers for the book's pages: values glued into the prose (myst-nb) as plain Python types."""
from __future__ import annotations

import ast
import io
import json
import shlex
import tokenize
from html import escape
from pathlib import Path

import yaml
from IPython.display import HTML
from myst_nb import glue

from aelib.book.results import plain
from aelib.config import as_list


def glue_values(**values) -> None:
    """Glue each value under its name, without displaying it. NumPy and torch scalars become
    Python numbers first: myst-nb cannot format a stored `np.float64(...)`."""
    for name, value in values.items():
        glue(name, plain(value, json_safe=False), display=False)


def plural(n: int, noun: str) -> str:
    """"1 epoch", "2 epochs", "1,000 images": a count with its noun, for prose."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def parameters_box(stem: str, values: dict, notebooks_dir: str | Path = "notebooks") -> HTML:
    """A folded box with the parameters this page was executed with and the papermill command
    that re-runs it (only the values that differ from the notebook's defaults are passed)."""
    source = Path(notebooks_dir) / f"{stem}.ipynb"
    declared = declared_parameters(source)
    unknown = sorted(set(injected_names(values)) - set(declared))
    if unknown:
        raise ValueError(f"unknown parameter(s) {unknown} for {stem}; it takes: {', '.join(declared)}")
    rows, args = [], []
    for name, p in declared.items():
        value = values.get(name)
        default = literal(p["default"])
        rows.append(f"<tr><td><code>{escape(name)}</code></td><td><code>{escape(repr(value))}</code></td>"
                    f"<td>{escape(p['help'] or '')}</td></tr>")
        if value != default and name not in ("cache_dir", "results_dir"):
            text = yaml.safe_dump(value, default_flow_style=True).strip() if isinstance(value, list) else value
            args.append(f"-p {name} {_cli_value(text)}")  # a list as its YAML text: what read_list_texts reads
    command = " ".join([f"papermill {source} out.ipynb", *args])
    return HTML(
        "<details class='aelib-params'><summary>Executed with these parameters; re-run with other ones</summary>"
        f"<table><thead><tr><th>parameter</th><th>value</th><th>meaning</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
        f"<p>Re-run this page with the same parameters (change any of them with <code>-p name value</code>):</p>"
        f"<pre>{escape(command)}</pre></details>")


def read_list_texts(declared: dict[str, dict[str, str]], namespace: dict) -> list[str]:
    """Every declared list parameter that arrived as text (papermill's `-p name "[1, 2]"` delivers
    a list so) read as YAML, into `namespace` itself: the page's later cells see the list, as if
    it had come with `-y`. Returns the names read; text that is no list fails, naming the parameter."""
    read = []
    for name, p in declared.items():
        default, value = literal(p["default"]), namespace.get(name)
        if isinstance(default, list) and isinstance(value, str):
            parsed = as_list(name, value)
            if not isinstance(parsed, list):
                raise TypeError(f"{name} must be a list, written as YAML such as {p['default']}, got the text {value!r}")
            namespace[name] = parsed
            read.append(name)
    return read


def declared_parameters(notebook: str | Path) -> dict[str, dict[str, str]]:
    """The parameters a notebook declares in its cell tagged "parameters" (lines `name: type =
    value  # help`): name -> {"default": value's source text, "help": the comment}. What
    `papermill.inspect_notebook` returns, without importing papermill and nbformat's validator
    (about a second of every page's start-up)."""
    cells = json.loads(Path(notebook).read_text())["cells"]
    cell = next((c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])), None)
    if cell is None:
        return {}
    source = "".join(cell["source"])
    comments = {tok.start[0]: tok.string.lstrip("#").strip()
                for tok in tokenize.generate_tokens(io.StringIO(source).readline) if tok.type == tokenize.COMMENT}
    out = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            target = node.target if isinstance(node, ast.AnnAssign) else node.targets[0]
            if isinstance(target, ast.Name):
                out[target.id] = {"default": ast.get_source_segment(source, node.value),
                                  "help": comments.get(node.end_lineno, "")}
    return out


def literal(text: str):
    """A parameter's declared default as a value (its source text if it is an expression)."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _cli_value(value) -> str:
    return shlex.quote(str(value))


def injected_names(namespace: dict) -> list[str]:
    """Names assigned by papermill's injected-parameters cell (it starts with "# Parameters"),
    read back from IPython's input history; [] when the page runs without injection."""
    for source in reversed(namespace.get("In") or []):
        if source.lstrip().startswith("# Parameters"):
            tree = ast.parse(source)
            return [t.id for node in tree.body if isinstance(node, ast.Assign)
                    for t in node.targets if isinstance(t, ast.Name)]
    return []
