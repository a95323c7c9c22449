"""The README stays true: it names every module of aelib, and its build costs are the build
record's (measurements/build_times.json, which tools/measure_build.py writes)."""
import json
import math
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_the_readme_names_every_module_and_package():
    missing = [str(p.relative_to(ROOT)) for p in sorted((ROOT / "aelib").rglob("*.py"))
               if p.name not in ("__init__.py", "__main__.py") and f"`{p.name}`" not in README]
    missing += [f"aelib/{p.relative_to(ROOT / 'aelib')}/" for p in sorted((ROOT / "aelib").rglob("__init__.py"))
                if p.parent != ROOT / "aelib" and f"`aelib/{p.parent.relative_to(ROOT / 'aelib').as_posix()}/`" not in README]
    assert not missing, f"the README's layout does not name {missing}"


def test_the_readme_states_the_build_record():
    record = json.loads((ROOT / "measurements" / "build_times.json").read_text())
    full, quick = record["full"], record["quick"]
    costs = re.sub(r"\s+", " ", README.split("## Two commands", 1)[1].split("```", 1)[0])  # the text before the commands
    assert f"with {full['machine']['cpu_count']} CPU cores" in costs and quick["machine"]["cpu_count"] == 2
    assert f"`make book PROFILE=quick` took {round(quick['cold_total'] / 60)} minutes from an empty cache on " \
           f"{quick['date']}" in costs
    assert f"took {round(full['cold_total'] / 60)} minutes on {full['date']}, of which " \
           f"{round(full['cold_models'] / 60)} trained its {full['models']} models" in costs
    assert ("minutes more" in costs) == ("added_models" in full)  # models trained on a recorded build's cache
    if "added_models" in full:
        assert f"took {round(full['added_models'] / 60)} minutes more" in costs
    assert f"the quick book took {quick['warm_total']:.0f} s" in costs


def test_the_readme_says_when_the_quick_record_is_older_than_the_book():
    record = json.loads((ROOT / "measurements" / "build_times.json").read_text())
    pages = [line for line in (ROOT / "profiles" / "pages.txt").read_text().splitlines() if line and line[0] != "#"]
    older = set(record["quick"]["cold"]) != set(pages)
    assert ("recorded before the book's latest page changes" in re.sub(r"\s+", " ", README)) == older
