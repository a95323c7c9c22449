"""`make notebooks` starts the slowest section pages first, so that a long page does not start
last and run alone: by the book's own last execution in that profile, or, in a fresh clone, by
the committed build record's cold seconds (tools/execute.py)."""
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import execute  # noqa: E402


def _timing(out: Path, stem: str, profile: str, seconds: float) -> None:
    (out / "timings").mkdir(parents=True, exist_ok=True)
    (out / "timings" / f"{stem}.json").write_text(json.dumps({"notebook": stem, "profile": profile,
                                                             "seconds": seconds, "inputs": "k"}))


def test_a_fresh_book_takes_the_records_cold_seconds(tmp_path):
    record = tmp_path / "build_times.json"
    record.write_text(json.dumps({"quick": {"cold": {"a": 5.0, "b": 70.0}}, "full": {"cold": {"a": 900.0}}}))
    assert execute.last_seconds(tmp_path / "book", "quick", record) == {"a": 5.0, "b": 70.0}
    assert execute.last_seconds(tmp_path / "book", "tiny", record) == {}  # a profile never recorded
    assert execute.last_seconds(tmp_path / "book", "quick", tmp_path / "missing.json") == {}


def test_the_books_own_execution_in_that_profile_comes_first(tmp_path):
    record = tmp_path / "build_times.json"
    record.write_text(json.dumps({"quick": {"cold": {"a": 5.0, "b": 70.0}}}))
    out = tmp_path / "book"
    _timing(out, "a", "quick", 80.0)
    _timing(out, "b", "tiny", 1.0)  # another profile's time says nothing of this one
    assert execute.last_seconds(out, "quick", record) == {"a": 80.0, "b": 70.0}


def test_sections_start_slowest_first_and_readers_last(tmp_path, monkeypatch):
    started = []
    monkeypatch.setattr(execute, "last_seconds", lambda out, profile: {"01_epochs": 1.0, "07b": 60.0, "05b": 70.0})
    monkeypatch.setattr(execute, "execute", lambda stem, *a, **k: started.append(stem) or 0.0)
    stems = ["01_epochs", "05b", "new_page", "07b", "index", "performance"]
    times = execute.execute_all(stems, "quick", tmp_path / "book", {}, None, jobs=1)
    assert started == ["05b", "07b", "01_epochs", "new_page", "index", "performance"]
    assert list(times) == stems
