"""Group commit: records made at once share one transaction, each durable before it returns."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from bridge.checkpoint import Checkpoint
from bridge.checkpoint.group import GroupCommit
from bridge.errors import CheckpointError

WAITING = 3


class _Disk:
    """A commit that holds its first batch until `WAITING` more rows are queued behind it."""

    def __init__(self, fail_on: int | None = None) -> None:
        self.batches: list[list[int]] = []
        self.first_started = threading.Event()
        self.release_first = threading.Event()
        self.fail_on = fail_on

    def commit(self, rows: Sequence[int]) -> None:
        if not self.batches:
            self.first_started.set()
            assert self.release_first.wait(timeout=10)
        self.batches.append(list(rows))
        if self.fail_on is not None and self.fail_on in rows:
            raise OSError("disk full")


def _run(disk: _Disk) -> tuple[GroupCommit[int], dict[int, BaseException | None]]:
    group: GroupCommit[int] = GroupCommit(disk.commit)
    outcome: dict[int, BaseException | None] = {}

    def write(row: int) -> None:
        try:
            group.write(row)
            outcome[row] = None
        except BaseException as exc:  # the test reads what each writer got
            outcome[row] = exc

    first = threading.Thread(target=write, args=(0,))
    first.start()
    assert disk.first_started.wait(timeout=10)
    others = [threading.Thread(target=write, args=(row,)) for row in range(1, WAITING + 1)]
    for thread in others:
        thread.start()
    with group._changed:  # all three are queued behind the running commit
        assert group._changed.wait_for(lambda: len(group._queue) == WAITING, timeout=10)
    assert outcome == {}  # nobody returned before its commit
    disk.release_first.set()
    for thread in [first, *others]:
        thread.join(timeout=10)
    return group, outcome


def test_rows_queued_during_a_commit_share_the_next_one() -> None:
    """Row 0 alone, then rows 1-3 (queued while it was written) in one commit, in order."""
    disk = _Disk()
    _, outcome = _run(disk)
    assert outcome == dict.fromkeys(range(WAITING + 1))
    assert disk.batches[0] == [0]
    assert sorted(disk.batches[1]) == [1, 2, 3]
    assert len(disk.batches) == 2


def test_a_failed_commit_fails_every_row_it_held_and_only_those() -> None:
    """The batch that failed raises in each of its writers; the next write goes through."""
    disk = _Disk(fail_on=2)
    group, outcome = _run(disk)
    assert outcome[0] is None
    errors = [outcome[row] for row in (1, 2, 3)]
    assert all(isinstance(error, OSError | CheckpointError) for error in errors)
    assert sum(isinstance(error, OSError) for error in errors) == 1  # the leader's own
    assert all("disk full" in str(error) for error in errors)
    group.write(9)
    assert disk.batches[-1] == [9]


def test_records_from_many_threads_are_all_durable(tmp_path: Path) -> None:
    """Eight threads recording at once: every record is there after the file is reopened."""
    path = tmp_path / "checkpoint"
    with Checkpoint.open(path) as checkpoint:
        def records(n: int) -> None:
            for i in range(25):
                checkpoint.record("milestone", n * 100 + i, key=f"m{n}-{i}", state="created",
                                  target_id=f"id-{n}-{i}")

        threads = [threading.Thread(target=records, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    with Checkpoint.open(path, readonly=True) as reopened:
        stored = reopened.records("milestone").snapshot()
    assert len(stored) == 200
    assert stored[305].target_id == "id-3-5"


def test_a_read_only_checkpoint_refuses_a_record_before_queueing(tmp_path: Path) -> None:
    """The read-only refusal is the same one line as before group commit."""
    with Checkpoint.open(tmp_path / "checkpoint", readonly=True) as checkpoint, \
            pytest.raises(CheckpointError, match="read-only"):
        checkpoint.record("milestone", 1, key="m", state="created")


class _FullDisk:
    """A connection whose writes SQLite refuses, as on a full disk; reads still work."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def _refuse(self, sql: str) -> None:
        if not sql.lstrip().upper().startswith(("SELECT", "PRAGMA", "BEGIN", "ROLLBACK")):
            raise sqlite3.OperationalError("database or disk is full")

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        self._refuse(sql)
        return self._conn.execute(sql, *args)

    def executemany(self, sql: str, *args: Any) -> sqlite3.Cursor:
        self._refuse(sql)
        return self._conn.executemany(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


@pytest.mark.parametrize("write", [
    pytest.param(lambda cp: cp.record("milestone", 1, key="m", state="created"), id="record"),
    pytest.param(lambda cp: cp.set_meta("source", "x"), id="meta"),
    pytest.param(lambda cp: cp.save_seen("issue", {1: "s"}), id="transaction"),
])
def test_sqlite_refusing_a_write_is_one_checkpoint_error(
        tmp_path: Path, write: Callable[[Checkpoint], None]) -> None:
    """A full disk ends the run with exit 2 and one line naming the file, not an internal error."""
    path = tmp_path / "checkpoint"
    with Checkpoint.open(path) as checkpoint:
        real = checkpoint._conn
        assert real is not None
        checkpoint._conn = _FullDisk(real)  # type: ignore[assignment]
        with pytest.raises(CheckpointError, match="disk is full") as caught:
            write(checkpoint)
        checkpoint._conn = real
        checkpoint.record("milestone", 2, key="n", state="created")  # the next write goes on
    assert caught.value.exit_code == 2
    assert str(path) in str(caught.value)


def test_every_writer_of_a_refused_group_commit_gets_the_same_error(tmp_path: Path) -> None:
    """The leader of the commit and the writers queued behind it: one kind of error, one text."""
    with Checkpoint.open(tmp_path / "checkpoint") as checkpoint:
        real = checkpoint._conn
        assert real is not None
        checkpoint._conn = _FullDisk(real)  # type: ignore[assignment]
        errors: list[BaseException] = []
        start = threading.Barrier(6)

        def write(n: int) -> None:
            start.wait(timeout=10)
            try:
                checkpoint.record("milestone", n, key=f"m{n}", state="created")
            except BaseException as exc:  # the test reads what each writer got
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
        checkpoint._conn = real
    assert len(errors) == 6
    assert {type(error) for error in errors} == {CheckpointError}
    assert {str(error) for error in errors} == {str(errors[0])}
    assert "disk is full" in str(errors[0])
