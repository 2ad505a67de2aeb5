"""The checkpoint refuses files it cannot trust, reads without writing, records what it is told."""

from __future__ import annotations

import dataclasses
import fcntl
import gc
import hashlib
import json
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bridge.checkpoint import (
    SCHEMA_VERSION,
    Checkpoint,
    Record,
    RunInfo,
    content_hash,
    move_aside,
)
from bridge.errors import CheckpointError, LockHeldError


def clock() -> datetime:
    return datetime(2026, 3, 1, 12, 30, 5, tzinfo=UTC)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "checkpoint"


def sqlite_file(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in statements:
        conn.execute(statement)
    conn.close()


def garbage(path: Path) -> None:
    path.write_bytes(b"this is not a database\n" * 200)


def damaged_page(path: Path) -> None:
    with Checkpoint.open(path) as cp:
        for i in range(200):
            cp.record("milestone", i, key="s" * 60, state="created")
    data = bytearray(path.read_bytes())
    data[4096 * 2:4096 * 2 + 12] = b"\xff" * 12  # a b-tree page header
    path.write_bytes(bytes(data))


def foreign_tables(path: Path) -> None:
    sqlite_file(path, "CREATE TABLE users (name TEXT)")


def foreign_application(path: Path) -> None:
    sqlite_file(path, "PRAGMA application_id = 1234", "PRAGMA user_version = 1")


def missing_table(path: Path) -> None:
    Checkpoint.open(path).close()
    sqlite_file(path, "DROP TABLE meta")


def newer_version(path: Path) -> None:
    Checkpoint.open(path).close()
    sqlite_file(path, f"PRAGMA user_version = {SCHEMA_VERSION + 1}")


BAD_FILES: list[tuple[Callable[[Path], None], str]] = [
    (garbage, "not a usable scbridge checkpoint"),
    # SQLite words a damaged page variously ("malformed", "btreeInitPage() returns error ...").
    (damaged_page, "not a usable scbridge checkpoint"),
    (foreign_tables, "that scbridge did not write"),
    (foreign_application, "that scbridge did not write"),
    (missing_table, "tables missing: meta"),
    (newer_version, f"was written by a newer scbridge (checkpoint version {SCHEMA_VERSION + 1}"),
]


class TestBadFiles:
    @pytest.mark.parametrize("readonly", [False, True], ids=["run", "dry-run"])
    @pytest.mark.parametrize(("make", "words"), BAD_FILES, ids=[m.__name__ for m, _ in BAD_FILES])
    def test_refused_with_the_file_named_and_left_intact(
            self, path: Path, make: Callable[[Path], None], words: str, readonly: bool) -> None:
        """An untrustworthy file is a CheckpointError (exit 2) naming it; it is left untouched."""
        path.parent.mkdir()
        make(path)
        before = path.read_bytes()
        with pytest.raises(CheckpointError) as caught:
            Checkpoint.open(path, readonly=readonly)
        assert caught.value.exit_code == 2
        assert str(path) in str(caught.value)
        assert words in str(caught.value)
        assert path.read_bytes() == before
        with Path(f"{path}.lock").open("a+b") as handle:  # the failed open released its lock
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def test_an_empty_file_becomes_a_checkpoint(self, path: Path) -> None:
        """A file left empty by a run killed right after creating it is initialised, not refused."""
        path.parent.mkdir()
        path.touch()
        with Checkpoint.open(path, readonly=True) as view:
            assert view.records("milestone") == {}
        with Checkpoint.open(path) as cp:
            cp.record("milestone", 3, key="c", state="created")
        assert path.read_bytes().startswith(b"SQLite format 3\x00")


class TestReadonly:
    def test_missing_checkpoint_reads_empty_and_creates_nothing(self, path: Path) -> None:
        """A dry run on a new project sees an empty checkpoint and leaves no file or folder."""
        with Checkpoint.open(path, readonly=True) as view:
            got = (view.records("milestone"), view.get("milestone", 1), view.meta(),
                   view.last_run())
            assert got == ({}, None, {},
                                                                                   None)
        assert not path.parent.exists()

    @pytest.mark.parametrize("write", [
        lambda cp: cp.record("milestone", 1, key="a", state="created"),
        lambda cp: cp.begin_run("migrate"),
        lambda cp: cp.set_meta("k", "v"),
    ], ids=["record", "begin_run", "set_meta"])
    def test_writes_are_refused(self, path: Path, write: Callable[[Checkpoint], object]) -> None:
        """Every write on a read-only checkpoint is a CheckpointError and changes no byte."""
        Checkpoint.open(path).close()
        before = path.read_bytes()
        with Checkpoint.open(path, readonly=True) as view, pytest.raises(CheckpointError):
            write(view)
        assert path.read_bytes() == before
        assert sorted(p.name for p in path.parent.iterdir()) == ["checkpoint", "checkpoint.lock"]


class TestRecords:
    def test_record_round_trips_with_the_clock(self, path: Path) -> None:
        """A record reads back field for field, stamped by the injected clock."""
        with Checkpoint.open(path, clock=clock) as cp:
            cp.record("milestone", 7, key="v1", state="closed", target_id="t-7", written_hash="h",
                      target_updated_at="2026-01-01T00:00:00Z", error=None)
        with Checkpoint.open(path, readonly=True) as view:
            assert view.get("milestone", 7) == Record("milestone", 7, "t-7", "v1", "closed", "h",
                                                      "2026-01-01T00:00:00Z",
                                         None, "2026-03-01T12:30:05.000Z")

    @pytest.mark.parametrize("gc_enabled", [True, False])
    def test_records_are_true_frozen_records(self, path: Path, gc_enabled: bool) -> None:
        """`records()` (built by a fast path, streamed or as a snapshot) gives the very Records
        `get` gives: equal, frozen, usable with `dataclasses.replace`; and it leaves the
        garbage collector as it found it."""
        with Checkpoint.open(path, clock=clock) as cp:
            cp.record("milestone", 7, key="v1", state="closed", target_id="t-7", written_hash="h")
            cp.record("milestone", 8, key="v2", state="failed", error="boom", target_slug="s")
            cp.record("label", 7, key="bug", state="created")
            (gc.enable if gc_enabled else gc.disable)()
            try:
                records = cp.records("milestone").snapshot()
                streamed = dict(cp.records("milestone").items())
                assert gc.isenabled() is gc_enabled
                assert streamed == records
            finally:
                gc.enable()
            assert sorted(records) == [7, 8]
            for sid, record in records.items():
                assert type(record) is Record
                assert record == cp.get("milestone", sid)
                assert hash(record) == hash(cp.get("milestone", sid))
            assert (records[8].target_slug, records[8].error) == ("s", "boom")
            with pytest.raises(dataclasses.FrozenInstanceError):
                records[7].state = "open"  # type: ignore[misc]
            assert dataclasses.replace(records[7], state="open").state == "open"

    def test_record_replaces_every_field(self, path: Path) -> None:
        """Recording again replaces the whole record: fields not given become None."""
        with Checkpoint.open(path) as cp:
            cp.record("milestone", 7, key="v1", state="created", target_id="t-7", written_hash="h")
            cp.record("milestone", 7, key="v1", state="failed", error="boom")
            record = cp.get("milestone", 7)
        assert record is not None
        assert (record.state, record.target_id, record.written_hash, record.error) == (
            "failed", None, None, "boom")

    def test_record_is_one_upsert(self, path: Path) -> None:
        """Recording runs exactly one statement, an upsert by primary key: O(1) per item."""
        statements: list[str] = []
        with Checkpoint.open(path) as cp:
            cp.record("milestone", 1, key="a", state="created")
            assert cp._conn is not None
            cp._conn.set_trace_callback(statements.append)
            cp.record("milestone", 2, key="b", state="pending")
        assert len(statements) == 1
        assert statements[0].startswith("INSERT INTO items")
        assert "ON CONFLICT(kind, source_id) DO UPDATE" in statements[0]

    def test_unknown_state_is_refused(self, path: Path) -> None:
        """A state outside the documented set is a programming error, not a silent row."""
        with Checkpoint.open(path) as cp, pytest.raises(ValueError, match="'done'"):
            cp.record("milestone", 1, key="a", state="done")

    def test_threads_record_concurrently(self, path: Path) -> None:
        """The loader's threads share one checkpoint; every record they make is kept."""
        with Checkpoint.open(path) as cp:
            def work(base: int) -> None:
                for i in range(base, base + 25):
                    cp.record("milestone", i, key=f"s{i}", state="created")
            threads = [threading.Thread(target=work, args=(n * 100,)) for n in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert len(cp.records("milestone")) == 200

    def test_runs_and_meta(self, path: Path) -> None:
        """Runs are remembered, finished or not, and notes keep their last value."""
        with Checkpoint.open(path, clock=clock) as cp:
            first = cp.begin_run("migrate")
            cp.end_run(first, summary={"create": 3, "failed": 0}, exit_code=0)
            assert cp.last_run() == RunInfo(first, "migrate", "2026-03-01T12:30:05.000Z",
                                            "2026-03-01T12:30:05.000Z",
                                            {"create": 3, "failed": 0}, 0)
            second = cp.begin_run("mirror")
            cp.set_meta("source", "a")
            cp.set_meta("source", "b")
        with Checkpoint.open(path, readonly=True) as view:
            assert view.last_run() == RunInfo(second, "mirror", "2026-03-01T12:30:05.000Z",
                                              None, {}, None)
            assert view.meta() == {"source": "b"}


class TestContentHash:
    def test_hash_is_sha256_of_canonical_json(self) -> None:
        """The hash ignores key order and equals sha256 of the sorted compact JSON."""
        fields = {"name": "v1", "deadline": None, "status": "open"}
        expected = hashlib.sha256(json.dumps(dict(sorted(fields.items())),
                                             separators=(",", ":")).encode()).hexdigest()
        assert content_hash(fields) == expected
        assert content_hash(dict(reversed(fields.items()))) == expected
        assert content_hash({**fields, "status": "closed"}) != expected

    @pytest.mark.parametrize(("written", "listed", "same"), [
        ({"deadline": "2016-07-22T00:00:00Z"}, {"deadline": "2016-07-22T00:00:00.000+00:00"}, True),
        ({"deadline": "2016-07-22T00:00:00Z"}, {"deadline": "2016-07-22T03:00:00+03:00"}, True),
        ({"deadline": "2016-07-22T00:00:00Z"}, {"deadline": "2016-07-23T00:00:00Z"}, False),
        ({"description": ""}, {"description": None}, True),
        ({"name": "2016-07-22T00:00:00Z"}, {"name": "2016-07-22T00:00:00.000Z"}, False),
    ], ids=["fraction", "zone", "other-day", "null-description", "names-stay-verbatim"])
    def test_hash_sees_content_not_spelling(self, written: dict[str, object],
                                            listed: dict[str, object], same: bool) -> None:
        """One instant in two spellings, or a null and an empty description, hash alike."""
        assert (content_hash(written) == content_hash(listed)) is same


class TestMoveAside:
    def test_absent_checkpoint_is_not_moved(self, path: Path) -> None:
        """--fresh on a new project moves nothing and creates nothing."""
        assert move_aside(path) is None
        assert not path.parent.exists()

    def test_renamed_with_a_timestamp_and_kept(self, path: Path) -> None:
        """The old file is renamed with its UTC time (distinct names in one second), never lost."""
        for expected in ("checkpoint.20260301T123005Z.bak", "checkpoint.20260301T123005Z.1.bak"):
            with Checkpoint.open(path) as cp:
                cp.record("milestone", 1, key="a", state="created")
            moved = move_aside(path, clock=clock)
            assert moved == path.with_name(expected)
            assert not path.exists()
            with Checkpoint.open(moved, readonly=True) as view:
                assert list(view.records("milestone")) == [1]

    def test_refused_while_a_run_holds_the_lock(self, path: Path) -> None:
        """--fresh never pulls the file from under a running job."""
        with Checkpoint.open(path), pytest.raises(LockHeldError):
            move_aside(path)
        assert path.exists()
