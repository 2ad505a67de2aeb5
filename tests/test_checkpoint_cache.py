"""The checkpoint keeps the records of the kind last read whole, and never serves them stale."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

from bridge.checkpoint import Checkpoint


def clock() -> datetime:
    return datetime(2026, 3, 1, 12, 30, 5, tzinfo=UTC)


def _traced(cp: Checkpoint) -> list[str]:
    statements: list[str] = []
    assert cp._conn is not None
    cp._conn.set_trace_callback(statements.append)
    return statements


def test_one_kind_read_once_then_served_from_memory(tmp_path: Path) -> None:
    """records() twice and a get() per item: one SELECT, the same records as from the file."""
    with Checkpoint.open(tmp_path / "cp", clock=clock) as cp:
        for sid in range(1, 51):
            cp.record("issue", sid, key=f"k{sid}", state="created", target_id=f"t{sid}")
        statements = _traced(cp)
        first = cp.records("issue")
        again = cp.records("issue")
        got = [cp.get("issue", sid) for sid in range(1, 52)]
        assert len(statements) == 1
        assert statements[0].startswith("SELECT")
    assert first == again
    assert got[:50] == [first[sid] for sid in range(1, 51)]
    assert got[50] is None


def test_a_write_is_seen_at_once(tmp_path: Path) -> None:
    """Recording an item of the cached kind drops the cache: the next read has the new state."""
    with Checkpoint.open(tmp_path / "cp", clock=clock) as cp:
        cp.record("issue", 1, key="a", state="pending")
        assert cp.records("issue")[1].state == "pending"
        cp.record("issue", 1, key="a", state="created", target_id="t1")
        cp.record("issue", 2, key="b", state="created", target_id="t2")
        fresh = cp.get("issue", 1)
        assert fresh is not None
        assert (fresh.state, fresh.target_id) == ("created", "t1")
        assert set(cp.records("issue")) == {1, 2}
        cp.record("comment", 9, key="c", state="created")  # another kind: cache kept, still right
        assert cp.records("issue")[2].target_id == "t2"
        assert cp.get("comment", 9) is not None


def test_each_caller_gets_a_dict_of_its_own(tmp_path: Path) -> None:
    """A caller changing what records() returned changes nothing for the next caller."""
    with Checkpoint.open(tmp_path / "cp", clock=clock) as cp:
        cp.record("issue", 1, key="a", state="created")
        mine = cp.records("issue")
        mine.clear()
        assert set(cp.records("issue")) == {1}
        assert cp.get("issue", 1) is not None


def test_only_the_last_kind_read_is_kept(tmp_path: Path) -> None:
    """Reading another kind whole replaces the cache: at most one kind's records in memory."""
    with Checkpoint.open(tmp_path / "cp", clock=clock) as cp:
        cp.record("issue", 1, key="a", state="created")
        cp.record("comment", 2, key="b", state="created")
        cp.records("issue")
        cp.records("comment")
        statements = _traced(cp)
        assert cp.get("issue", 1) is not None  # from the file again
        assert cp.get("comment", 2) is not None  # from memory
        assert len(statements) == 1


def test_writers_and_readers_in_threads_agree(tmp_path: Path) -> None:
    """Loader threads recording while others read: every record read back is the last written."""
    with Checkpoint.open(tmp_path / "cp", clock=clock) as cp:
        for sid in range(200):
            cp.record("issue", sid, key=f"k{sid}", state="pending")
        cp.records("issue")
        stale: list[int] = []

        def work(lane: int) -> None:
            for sid in range(lane, 200, 4):
                cp.record("issue", sid, key=f"k{sid}", state="created", target_id=f"t{sid}")
                got = cp.get("issue", sid)
                if got is None or got.target_id != f"t{sid}":
                    stale.append(sid)
                cp.records("issue")

        threads = [threading.Thread(target=work, args=(lane,)) for lane in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert stale == []
        assert {r.target_id for r in cp.records("issue").values()} == {f"t{s}" for s in range(200)}
