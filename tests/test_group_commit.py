"""Group commit: records made at once share one transaction, each durable before it returns."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

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
