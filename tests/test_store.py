"""The one store behind every cache: keys, atomic writes, damaged entries, the lock, no store."""
import json
import multiprocessing as mp

import pytest
import torch

from aelib import store
from aelib.store import JSON, NPZ, TORCH, Store, cached, key


def test_key_covers_kind_version_parts_and_tensor_bytes(monkeypatch):
    t = torch.arange(6.0)
    k = key("rdpoints", {"a": 1}, (t,))
    assert k == key("rdpoints", {"a": 1}, (t.clone(),))
    assert k != key("stdcodecs", {"a": 1}, (t,))  # kind
    assert k != key("rdpoints", {"a": 2}, (t,))  # parts
    assert k != key("rdpoints", {"a": 1}, (t + 1,))  # tensor values
    assert k != key("rdpoints", {"a": 1}, (t.reshape(2, 3),))  # tensor shape
    monkeypatch.setitem(store.VERSIONS, "rdpoints", 99)
    assert k != key("rdpoints", {"a": 1}, (t,))  # version
    with pytest.raises(ValueError, match="unknown store kind 'nope'"):
        key("nope", {})


@pytest.mark.parametrize("fmt, value", [(JSON, {"x": [1, 2]}), (NPZ, {"a": torch.arange(3).numpy()}),
                                        (TORCH, {"w": torch.ones(2)})])
def test_computes_once_then_reads_back(tmp_path, fmt, value):
    calls = []
    s = Store(tmp_path)

    def compute():
        calls.append(1)
        return value

    first = s.cached("tuning", {"n": 1}, compute, fmt)
    again = s.cached("tuning", {"n": 1}, compute, fmt)
    assert len(calls) == 1
    assert json.dumps({k: v.tolist() if hasattr(v, "tolist") else v for k, v in again.items()}) == \
        json.dumps({k: v.tolist() if hasattr(v, "tolist") else v for k, v in first.items()})
    assert [p.suffix for p in (tmp_path / "tuning").iterdir() if not p.name.endswith(".lock")] == [fmt.suffix]


@pytest.mark.parametrize("fmt, damage", [(JSON, b'{"x": [1, '), (NPZ, b"PK\x03\x04 not a zip"), (TORCH, b"\x80\x02junk")])
def test_a_damaged_entry_is_computed_again(tmp_path, fmt, damage):
    s = Store(tmp_path)
    s.cached("tuning", {"n": 2}, lambda: {"x": torch.ones(1).numpy()} if fmt is NPZ else {"x": [1]}, fmt)
    (path,) = [p for p in (tmp_path / "tuning").iterdir() if p.suffix == fmt.suffix]
    path.write_bytes(damage)
    calls = []
    s.cached("tuning", {"n": 2}, lambda: calls.append(1) or ({"x": torch.ones(1).numpy()} if fmt is NPZ else {"x": [1]}), fmt)
    assert calls == [1]
    s.cached("tuning", {"n": 2}, lambda: pytest.fail("the rewritten entry was not read back"), fmt)


def test_a_failing_compute_leaves_nothing(tmp_path):
    def boom():
        raise RuntimeError("no")
    with pytest.raises(RuntimeError):
        Store(tmp_path).cached("tuning", {"n": 3}, boom)
    assert not [p for p in (tmp_path / "tuning").iterdir() if not p.name.endswith(".lock")]


def test_no_store_computes_every_time():
    calls = []
    for _ in range(2):
        cached(None, "tuning", {}, lambda: calls.append(1) or 1)
    assert calls == [1, 1]


def test_atomic_write_never_leaves_a_partial_file(tmp_path):
    target = tmp_path / "f.json"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with store.atomic_write(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert target.read_text() == "old" and list(tmp_path.iterdir()) == [target]


def _slow_entry(root, out):
    import time

    def compute():
        out.put("computed")
        time.sleep(0.5)
        return {"v": 1}
    Store(root).cached("tuning", {"same": True}, compute)
    out.put("done")


@pytest.mark.slow  # starts two Pythons that import torch
def test_two_processes_compute_one_entry_once(tmp_path):
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=_slow_entry, args=(tmp_path, q)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    msgs = [q.get(timeout=5) for _ in range(3)]
    assert sorted(msgs) == ["computed", "done", "done"]
