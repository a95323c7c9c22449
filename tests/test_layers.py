"""How aelib's modules depend on one another, read statically with `ast` (nothing is imported).

Every `import` and `from ... import` statement counts, wherever it stands: at module level, inside
a function, under `if TYPE_CHECKING`. `from pkg import name` is an edge to the module `pkg.name`
when that is a module of aelib, else to `pkg`. Not counted: the implicit import of a module's
parent packages (their `__init__.py` files import nothing of aelib). A module named in a string and
imported with `importlib` would hide an edge from this reading, so aelib names none."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOMAIN = ("aelib.compress", "aelib.denoise")  # the codec and the denoisers: they know nothing of the book


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(package: Path) -> dict[str, dict[str, int]]:
    """{module: {imported module of the same package: line of the first such import}}."""
    root = package.parent
    files = {module_name(p, root): p for p in sorted(package.rglob("*.py"))}
    graph: dict[str, dict[str, int]] = {}
    for name, path in files.items():
        is_package = path.name == "__init__.py"
        edges = graph.setdefault(name, {})
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: from the module's own package, one level up per extra dot
                    here = name.split(".") if is_package else name.split(".")[:-1]
                    here = here[:len(here) - node.level + 1]
                    base = ".".join(here + ([base] if base else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in files else base for a in node.names]
            for t in targets:
                while t and t not in files:  # `import aelib.x.y` of a name inside a module: that module
                    t = t.rpartition(".")[0]
                if t and t != name:
                    edges.setdefault(t, node.lineno)
    return graph


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), each as a sorted list."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


@pytest.fixture(scope="module")
def graph():
    return import_graph(ROOT / "aelib")


def test_the_graph_sees_every_kind_of_import(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from pkg.sub import b\n")
    (pkg / "sub" / "b.py").write_text("def f():\n    from ..c import X\n")  # relative, inside a function
    (pkg / "c.py").write_text("import typing\nif typing.TYPE_CHECKING:\n    import pkg.a\n")
    (pkg / "d.py").write_text("from . import c\n")
    g = import_graph(pkg)
    assert g["pkg.a"] == {"pkg.sub.b": 1} and g["pkg.sub.b"] == {"pkg.c": 2} and g["pkg.c"] == {"pkg.a": 3}
    assert g["pkg.d"] == {"pkg.c": 1}
    assert cycles(g) == [["pkg.a", "pkg.c", "pkg.sub.b"]]


def test_the_graph_reads_every_module(graph):
    assert {"aelib.config", "aelib.noise", "aelib.book.sections", "aelib.book.denoising.pages",
            "aelib.compress.codec"} <= set(graph)
    assert "aelib.book.compression.real_page" in graph["aelib.book.sections"]


def test_the_codec_and_the_denoisers_import_nothing_of_the_book(graph):
    wrong = [f"{m} imports {t} (line {line})" for m, edges in graph.items() if m.startswith(DOMAIN)
             for t, line in edges.items() if t == "aelib.book" or t.startswith("aelib.book.")]
    assert not wrong, "the domain packages must not depend on the book: " + "; ".join(wrong)


def test_no_module_is_imported_by_a_string():
    """aelib imports its own modules with import statements only, so that the graph is the whole graph."""
    hidden = []
    for path in sorted((ROOT / "aelib").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("aelib.") \
                    and " " not in node.value:
                hidden.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value!r}")
            if isinstance(node, ast.Attribute) and node.attr == "import_module":
                hidden.append(f"{path.relative_to(ROOT)}:{node.lineno} import_module")
    assert not hidden, "modules named in strings: " + "; ".join(hidden)


def test_no_import_cycles_in_aelib(graph):
    found = cycles(graph)
    detail = ["; ".join(f"{m} -> {t} (line {graph[m][t]})" for m in c for t in graph[m] if t in c) for c in found]
    assert not found, "import cycles: " + " | ".join(detail)
