"""`records()` is a view read as it is used, answering as of when it was taken; `records_for`."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.checkpoint import Checkpoint, Record, view, view_reads


@pytest.fixture
def cp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Checkpoint]:
    monkeypatch.setattr(view, "_CHUNK", 3)  # many chunks from a few rows
    with Checkpoint.open(tmp_path / "checkpoint") as checkpoint:
        for sid in (-2, 1, 2, 3, 4, 5, 6, 7):
            checkpoint.record("issue", sid, key=f"k{sid}", state="created", target_id=f"t{sid}")
        checkpoint.record("label", 1, key="bug", state="created")
        yield checkpoint


def _as_dict(cp: Checkpoint) -> dict[int, Record]:
    return {sid: record for sid in range(-5, 30)
            if (record := cp.get("issue", sid)) is not None}


def _statements(cp: Checkpoint) -> list[str]:
    seen: list[str] = []
    assert cp._conn is not None
    cp._conn.set_trace_callback(seen.append)
    return seen


def test_taking_a_view_reads_nothing_and_len_is_one_count(cp: Checkpoint) -> None:
    """The O(1) resume: no row is read until asked, and len() is a COUNT, not a scan."""
    seen = _statements(cp)
    records = cp.records("issue")
    assert seen == []
    assert len(records) == 8
    assert len(seen) == 1
    assert "count(*)" in seen[0]
    assert records[3].key == "k3"
    assert len(seen) == 2
    assert seen[1].endswith("AND source_id = 3")


def test_it_reads_like_the_dict_it_replaced(cp: Checkpoint) -> None:
    """Every mapping operation agrees with the records one by one, in GitLab-id order."""
    before = _as_dict(cp)
    records = cp.records("issue")
    assert list(records) == [-2, 1, 2, 3, 4, 5, 6, 7]
    assert dict(records.items()) == before == records.snapshot() == dict(records)
    assert list(records.values()) == list(before.values())
    assert records == before
    assert records != {}
    assert (3 in records, 99 in records, "3" in records) == (True, False, False)
    assert records.get(99) is None
    with pytest.raises(KeyError):
        records[99]
    assert set(cp.records("label")) == {1}


def test_a_view_keeps_its_moment_while_the_run_records(cp: Checkpoint) -> None:
    """Updated records read as they were, records made since are not there, len unchanged;
    also midway through a streamed read (chunks of 3), and a new view sees everything."""
    before = _as_dict(cp)
    records = cp.records("issue")
    items = iter(records.items())
    first = [next(items) for _ in range(4)]  # the second chunk is being read
    cp.record("issue", 2, key="k2", state="failed", error="boom")  # read already
    cp.record("issue", 6, key="changed", state="deleted")  # not yet read
    cp.record("issue", 8, key="new", state="created")  # after the last
    cp.record("issue", 0, key="new", state="created")  # before the read position
    cp.record("label", 6, key="other kind", state="created")
    assert dict([*first, *items]) == before
    assert records[6] == before[6]
    assert records[6].key == "k6"
    assert 8 not in records
    assert 0 not in records
    assert records.get(8) is None
    assert len(records) == 8
    assert list(records) == sorted(before)
    assert records.snapshot() == before
    fresh = cp.records("issue")
    assert (len(fresh), fresh[6].key, fresh[2].state) == (10, "changed", "failed")
    assert len(cp.records("label")) == 2


def test_a_view_read_while_loader_threads_write_sees_only_its_moment(cp: Checkpoint) -> None:
    """Threads recording on the shared connection never show through a view taken before."""
    before = _as_dict(cp)
    records = cp.records("issue")
    go = threading.Event()

    def write(first: int) -> None:
        go.wait()
        for sid in range(first, first + 100):
            cp.record("issue", sid % 12, key=f"w{sid}", state="updated")

    threads = [threading.Thread(target=write, args=(n * 100,)) for n in range(3)]
    for thread in threads:
        thread.start()
    go.set()
    reads = [dict(records.items()) for _ in range(5)]
    for thread in threads:
        thread.join()
    assert reads == [before] * 5
    assert (len(records), list(records)) == (8, sorted(before))
    assert len(cp.records("issue")) == 13  # -2 and 0..11


def test_a_view_outlives_the_checkpoint_it_came_from(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Taken inside `with` and read after it, as the dict could be: from memory, as of then;
    a read that the close overtook goes on to the end."""
    monkeypatch.setattr(view, "_CHUNK", 3)
    with Checkpoint.open(tmp_path / "checkpoint") as cp:
        for sid in range(1, 11):
            cp.record("milestone", sid, key="a", state="created")
        records = cp.records("milestone")
        keys, values = iter(records), iter(records.values())
        started = ([next(keys) for _ in range(4)], [next(values).source_id for _ in range(2)])
        cp.record("milestone", 1, key="b", state="created")
        cp.record("milestone", 11, key="b", state="created")
    assert cp._conn is None
    assert (len(records), records[1].key, 11 in records, 2 in records) == (10, "a", False, True)
    assert [*started[0], *keys] == [*started[1], *(r.source_id for r in values)] == list(
        range(1, 11))
    assert list(records) == list(range(1, 11))
    assert {r.key for r in records.values()} == {"a"}
    with Checkpoint.open(tmp_path / "checkpoint", readonly=True) as view_of:
        seen = view_of.records("milestone")
    assert dict(seen.items())[1].key == "b"
    assert len(seen) == 11


def test_records_for_reads_just_those_ids_in_a_few_queries(cp: Checkpoint) -> None:
    """Ids not recorded are left out; more than one `IN (...)` batch; nothing asked, no read."""
    seen = _statements(cp)
    assert cp.records_for("issue", []) == {}
    assert seen == []
    got = cp.records_for("issue", [7, 3, 99, 3, -2])
    assert got == {-2: cp.get("issue", -2), 3: cp.get("issue", 3), 7: cp.get("issue", 7)}
    assert list(got) == [-2, 3, 7]
    assert cp.records_for("label", [3]) == {}
    assert list(cp.records_for("issue", (i for i in (5, 1)))) == [1, 5]
    seen.clear()
    many = cp.records_for("issue", range(-1000, 1000))
    assert sorted(many) == [-2, 1, 2, 3, 4, 5, 6, 7]
    assert len(seen) == 4  # 2,000 ids, 500 a statement


def test_a_missing_checkpoint_reads_as_empty(tmp_path: Path) -> None:
    """A dry run on a new project: an empty view and no records, and no file is made."""
    with Checkpoint.open(tmp_path / "none", readonly=True) as cp:
        records = cp.records("issue")
        assert (len(records), list(records), records.snapshot(), records) == (0, [], {}, {})
        assert cp.records_for("issue", [1]) == {}
    assert records == {}
    assert not (tmp_path / "none").exists()


def test_slugs_read_three_columns_as_of_the_view(cp: Checkpoint) -> None:
    """The records with a slug, (key, slug, state) in GitLab-id order: one narrow read while
    nothing was written since the view was taken, else the rows as of the view."""
    cp.record("issue", 5, key="k5", state="deleted", target_slug="50")
    cp.record("issue", 3, key="k3", state="created", target_slug="")
    cp.record("issue", 1, key="k1", state="created", target_slug="10")
    cp.record("label", 2, key="bug", state="created", target_slug="bug")
    records = cp.records("issue")
    expected = [("k1", "10", "created"), ("k3", "", "created"), ("k5", "50", "deleted")]
    seen = _statements(cp)
    assert records.slugs() == expected
    assert len(seen) == 1
    assert "natural_key, target_slug, state" in seen[0]
    cp.record("issue", 1, key="k1", state="updated", target_slug="11")  # pins the view
    cp.record("issue", 0, key="k0", state="created", target_slug="1")  # after the view
    assert records.slugs() == expected
    assert cp.records("issue").slugs() == [("k0", "1", "created"), ("k1", "11", "updated"),
                                           *expected[1:]]


def test_where_by_key_reads_keys_then_only_the_rows_kept(cp: Checkpoint) -> None:
    """A KeyScope gives what the same filter over every record gives, reading two columns
    of each row and whole rows only of those it keeps; as of the view while the run
    records (a key changed since is judged as it was, a record added since is not there)."""
    wanted = view_reads.KeyScope(lambda key: key in {"k1", "k3", "k6", "new"})
    records = cp.records("issue")
    every = {sid: rec for sid, rec in records.items() if wanted(rec)}
    assert sorted(every) == [1, 3, 6]
    seen = _statements(cp)
    assert records.where(wanted) == every
    assert all("natural_key FROM items" in sql for sql in seen[:-1])
    assert "source_id IN (1, 3, 6)" in seen[-1]
    cp.record("issue", 6, key="renamed", state="updated")
    cp.record("issue", 2, key="k3", state="updated")
    cp.record("issue", 9, key="new", state="created")
    assert records.where(wanted) == every
    assert list(records.where(wanted)) == [1, 3, 6]
    assert records.where(lambda record: record.key == "k6") == {6: every[6]}  # any filter
    assert sorted(cp.records("issue").where(wanted)) == [1, 2, 3, 9]
    seen.clear()
    assert records.where(view_reads.KeyScope(wanted.keep, nothing=True)) == {}
    assert seen == []  # known to keep nothing: nothing read


def test_where_on_a_view_outliving_its_checkpoint(tmp_path: Path) -> None:
    """After the close the frozen rows answer, as for every other read."""
    with Checkpoint.open(tmp_path / "checkpoint") as cp:
        for sid in range(1, 5):
            cp.record("comment", sid, key=f"u/issues/{sid % 2}#note_{sid}", state="created")
        records = cp.records("comment")
    kept = records.where(view_reads.KeyScope(lambda key: key.startswith("u/issues/1#")))
    assert sorted(kept) == [1, 3]
    nothing = view_reads.KeyScope(lambda key: True, nothing=True)
    assert records.where(nothing) == {}
    assert not nothing(records[1])
    with Checkpoint.open(tmp_path / "none", readonly=True) as empty:
        assert empty.records("comment").where(view_reads.KeyScope(lambda key: True)) == {}


def test_any_in_stops_at_the_first_record_in_those_states(cp: Checkpoint) -> None:
    """One query while nothing was written since the view; as of the view afterwards."""
    records = cp.records("issue")
    seen = _statements(cp)
    assert not records.any_in(("pending", "failed"))
    assert records.any_in(("created",))
    assert not records.any_in(())
    assert len(seen) == 2
    assert all("LIMIT 1" in sql for sql in seen)
    cp.record("issue", 4, key="k4", state="failed", error="boom")
    assert not records.any_in(("failed",))  # not as of the view
    assert cp.records("issue").any_in(("failed",))
    assert not cp.records("label").any_in(("failed",))
