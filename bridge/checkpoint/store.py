"""`Checkpoint`: the open checkpoint file of one project, locked for a run or read-only."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from bridge.checkpoint import lock, schema, snapshot, wal
from bridge.checkpoint.group import GroupCommit
from bridge.checkpoint.issue_table import IssueTable
from bridge.checkpoint.records import STATES, Record, RunInfo, by_source_id, iso, utc_now
from bridge.checkpoint.view import RecordView, Views
from bridge.checkpoint.view_reads import read_some
from bridge.errors import CheckpointError

Clock = Callable[[], datetime]

class Checkpoint(IssueTable):
    """The checkpoint of one project: one record per (kind, GitLab id), the runs, a few notes."""

    def __init__(self, path: Path, conn: sqlite3.Connection | None, *, lock_fd: int | None,
                 readonly: bool, clock: Clock = utc_now, scratch: str | None = None,
                 version: int = schema.SCHEMA_VERSION) -> None:
        self.path = path
        self.readonly = readonly
        self.version = version  # a read-only view of an older file keeps that file's version
        self._conn = conn
        self._lock_fd = lock_fd
        self._clock = clock
        self._scratch = scratch  # the folder of the private copy a read-only view reads
        self._mutex = threading.Lock()  # one connection, shared by the loader's threads
        self._views = Views()  # what `records()` handed out: pinned before writes, frozen at close
        # record() from many threads at once: one transaction, one fsync for all of them.
        self._records: GroupCommit[tuple[Any, ...]] = GroupCommit(self._commit_records)

    @classmethod
    def open(cls, path: Path, *, readonly: bool = False, clock: Clock = utc_now) -> Checkpoint:
        """Lock and open the checkpoint, creating it (mode 0600) if absent.

        `readonly` (dry run, status) takes no lock, creates nothing and writes
        nothing: it reads a private copy taken now; a missing file reads as an
        empty checkpoint.
        """
        path = Path(path)
        if readonly:
            return cls._open_readonly(path, clock)
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise CheckpointError(f"{path.parent}: cannot create the folder: {exc}") from exc
        lock_fd = lock.acquire(path, clock())
        conn = None
        try:
            # Created 0600 before SQLite sees it, so it is never readable by others, not even
            # for an instant; a copy left readable by others is tightened.
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                if stat.S_IMODE(os.fstat(fd).st_mode) & 0o077:
                    os.fchmod(fd, 0o600)
            finally:
                os.close(fd)
            conn = wal.connect(path)
            schema.prepare(conn, path, writable=True)
            wal.enter(conn, path)
        except BaseException as exc:
            if conn is not None:
                conn.close()
            lock.release(lock_fd)
            if isinstance(exc, OSError):
                raise CheckpointError(f"{path}: cannot open the checkpoint: {exc}") from exc
            raise
        return cls(path, conn, lock_fd=lock_fd, readonly=False, clock=clock)

    @classmethod
    def _open_readonly(cls, path: Path, clock: Clock) -> Checkpoint:
        if not path.exists():
            return cls(path, None, lock_fd=None, readonly=True, clock=clock)
        conn, scratch = snapshot.connect_readonly(path)
        try:
            version = schema.prepare(conn, path, writable=False, upgrade=scratch is not None)
        except BaseException:
            conn.close()
            if scratch:
                shutil.rmtree(scratch, ignore_errors=True)
            raise
        if version == 0:  # created but not yet initialised: nothing recorded
            conn.close()
            return cls(path, None, lock_fd=None, readonly=True, clock=clock, scratch=scratch)
        return cls(path, conn, lock_fd=None, readonly=True, clock=clock, scratch=scratch,
                   version=version)

    def get(self, kind: str, source_id: int) -> Record | None:
        """The record of one GitLab object, or None if scbridge never recorded it."""
        rows = self._read(schema.SELECT_ITEM, (kind, source_id))
        return Record(*rows[0]) if rows else None

    def records(self, kind: str) -> RecordView:
        """Every record of one kind, by GitLab id, as of now: a view read as it is used.

        Taking it reads nothing; it keeps answering as of this call while the run records
        (see `bridge.checkpoint.view`). `.snapshot()` reads it all into a dict at once
        (`dict(view)` would read one row per key); `records_for` reads a few ids. A view
        held while the run records keeps the old row of each record written since (to
        answer as of now): take one per phase, not one for a whole run's loading.
        """
        with self._mutex:
            return self._views.add(RecordView(kind, lambda: self._conn, self._mutex))

    def records_for(self, kind: str, source_ids: Iterable[int]) -> dict[int, Record]:
        """The records of just these GitLab ids of one kind (those recorded), read now.

        One hold of the mutex for all of them (one read per 500 ids), so they agree
        with each other; a batch of thousands waits the loader's threads a few ms.
        """
        if self._conn is None:
            return {}
        with self._mutex:
            return by_source_id(read_some(self._conn, kind, source_ids))

    def counts(self) -> dict[str, dict[str, int]]:
        """How many records of each kind are in each state, for `status`."""
        out: dict[str, dict[str, int]] = {}
        for kind, state, n in self._read(schema.COUNT_ITEMS):
            out.setdefault(str(kind), {})[str(state)] = int(n)
        return out

    def record(self, kind: str, source_id: int, *, key: str, state: str,
               target_id: str | None = None, written_hash: str | None = None,
               target_updated_at: str | None = None, error: str | None = None,
               target_slug: str | None = None) -> None:
        """Replace the record of one object: one upsert, durable once this returns."""
        if state not in STATES:
            raise ValueError(f"unknown checkpoint state {state!r}")
        if self.readonly or self._conn is None:
            raise CheckpointError(f"{self.path} is open read-only; nothing may be recorded")
        self._records.write((kind, source_id, target_id, key, state, written_hash,
                             target_updated_at, error, iso(self._clock()), target_slug))

    def _commit_records(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Upsert `rows` (in order) in one transaction; the live views pin each first."""
        if len(rows) > 1:
            with self._transaction() as conn:
                for row in rows:
                    self._views.before_write(conn, row[0], row[1])
                conn.executemany(schema.UPSERT_ITEM, rows)
            return
        with self._writing():  # one row: one statement, its own commit
            if self._conn is None:
                raise CheckpointError(f"{self.path} is closed; nothing may be recorded")
            self._views.before_write(self._conn, rows[0][0], rows[0][1])
            self._conn.execute(schema.UPSERT_ITEM, rows[0])

    def begin_run(self, command: str, *, dry_run: bool = False) -> int:
        """Note that a run started; returns its id for `end_run`."""
        row_id = self._write(schema.INSERT_RUN,
                             (command, int(dry_run), os.getpid(), iso(self._clock())))
        return int(row_id or 0)

    def end_run(self, run_id: int, *, summary: Mapping[str, int], exit_code: int) -> None:
        """Note how a run ended: its summary counts and its exit code."""
        self._write(schema.FINISH_RUN, (iso(self._clock()), json.dumps(dict(summary),
                                                                       sort_keys=True),
                                        exit_code, run_id))

    def last_run(self) -> RunInfo | None:
        """The latest run begun on this checkpoint, finished or not."""
        rows = self._read(schema.LAST_RUN)
        if not rows:
            return None
        run_id, command, started, finished, summary, code, dry_run = rows[0]
        return RunInfo(run_id, command, started, finished, json.loads(summary or "{}"), code,
                       bool(dry_run))

    def seen(self, kind: str) -> dict[int, str]:
        """The stamps saved for `kind`'s objects whose children were all moved, by GitLab id."""
        return {int(sid): str(stamp) for sid, stamp in self._read(schema.SELECT_SEEN, (kind,))}

    def save_seen(self, kind: str, stamps: Mapping[int, str]) -> None:
        """Save stamps, in one durable transaction."""
        if stamps:
            with self._transaction() as conn:
                conn.executemany(schema.UPSERT_SEEN,
                                 ((kind, sid, stamp) for sid, stamp in sorted(stamps.items())))

    def meta(self) -> dict[str, str]:
        """Notes kept between runs: the source the checkpoint belongs to, scan bookmarks."""
        return {str(key): str(value) for key, value in self._read(schema.SELECT_META)}

    def set_meta(self, key: str, value: str) -> None:
        """Set one note, durably."""
        self._write(schema.UPSERT_META, (key, value))

    def close(self) -> None:
        """Close the file and release the run lock; closing twice is harmless."""
        with self._mutex:
            held = self._views.held()
        for view in held:  # a view still held keeps answering, from memory
            view.freeze()
        with self._mutex:
            if self._conn is not None:
                if not self.readonly:
                    self._conn.set_trace_callback(None)  # a caller's trace watched its own work
                    wal.leave(self._conn, self.path)  # at rest the checkpoint is one file
                self._conn.close()
                self._conn = None
            if self._lock_fd is not None:
                lock.release(self._lock_fd)
                self._lock_fd = None
            if self._scratch is not None:
                shutil.rmtree(self._scratch, ignore_errors=True)
                self._scratch = None

    def __enter__(self) -> Checkpoint:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
