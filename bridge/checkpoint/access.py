"""How `Checkpoint` touches its one SQLite connection: reads, and writes made durable.

Every statement runs under the checkpoint's mutex (the loader's threads share the
connection). A write is committed (and fsync'd) before it returns; SQLite's refusal of one
(a full disk, an I/O error, a damaged file) is one `CheckpointError`, exit 2.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bridge.errors import CheckpointError


class Access:
    """The read and write primitives (mixed into `Checkpoint`, which opens the connection)."""

    path: Path
    readonly: bool
    _conn: sqlite3.Connection | None
    _mutex: threading.Lock

    def _write(self, sql: str, args: tuple[Any, ...]) -> int | None:
        """Run one statement, committed (and fsync'd) before this returns; the new row id."""
        if self.readonly or self._conn is None:
            raise CheckpointError(f"{self.path} is open read-only; nothing may be recorded")
        with self._writing():
            return self._conn.execute(sql, args).lastrowid

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """Several statements committed (and fsync'd) together, or after a crash none."""
        if self.readonly or self._conn is None:
            raise CheckpointError(f"{self.path} is open read-only; nothing may be recorded")
        with self._writing():
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                with contextlib.suppress(sqlite3.Error):  # SQLite may have rolled back itself
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """The write lock held; SQLite's refusal (a full disk, an I/O error, a damaged file)
        as one clear CheckpointError (exit 2), the same on every thread. A row SQLite finds
        wrong (a constraint, a bad binding) is our bug and stays an internal error."""
        with self._mutex:
            try:
                yield
            except (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError):
                raise
            except sqlite3.DatabaseError as exc:
                raise CheckpointError(f"cannot record in the checkpoint {self.path}: "
                                      f"{exc}") from exc

    def _read(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if self._conn is None:
            return []  # a read-only view of a checkpoint that does not exist yet
        with self._mutex:
            return self._conn.execute(sql, args).fetchall()
