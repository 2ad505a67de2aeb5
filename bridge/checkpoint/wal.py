"""A locked run writes its checkpoint in WAL mode, one fsync per record; at rest it is one file.

Why: a run records three times per closed milestone, on the loader's critical path,
one commit each. In rollback mode (`journal_mode=DELETE`) a durable commit creates,
syncs and deletes a journal and syncs the database: several fsyncs, 7-10 ms on a busy
disk. In WAL mode it appends the changed pages to `<path>-wal` and syncs that one file:
0.2-0.8 ms. `synchronous=FULL` stays, so crash safety is unchanged: a commit is in the
WAL and synced before `record()` returns, and survives SIGKILL and power loss alike
(NORMAL would skip that fsync: still safe on SIGKILL, since the appended frames are in
the kernel's cache, but the last commits could be rolled back by a power loss).

`locking_mode=EXCLUSIVE`: the run holds SQLite's lock for as long as the file is open
(the run lock already excludes every other writer), so the WAL index lives in the
process's memory and no `-shm` file is ever made. Readers never open the real file
while it is in WAL mode; they read a copy (`snapshot`).

At close, `journal_mode=DELETE` copies the WAL into the database file and deletes it:
at rest the checkpoint is one file, mode 0600, readable without companions. A run
killed in WAL mode leaves `-wal` beside it, holding every commit that `record()`
acknowledged; the next locked open (or `move_aside`) folds it back in.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
from pathlib import Path

from bridge.checkpoint.lock import sidecar

BUSY_TIMEOUT_S = 5.0  # how long a locked open waits for a reader's copy to finish
_MAGIC = b"SQLite format 3\x00"


def connect(path: Path) -> sqlite3.Connection:
    """A connection for the run that holds the lock; SQLite's own lock is kept until close."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                           timeout=BUSY_TIMEOUT_S)
    # Before the first read: a WAL left by a killed run is then recovered in memory, not
    # through a new `-shm` file.
    conn.execute("PRAGMA locking_mode = EXCLUSIVE")
    return conn


def private(path: Path) -> bool:
    """Create `path` empty with mode 0600, or make an existing one 0600; True if created."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        created = True
    except FileExistsError:
        fd, created = os.open(path, os.O_RDWR), False
    try:
        if stat.S_IMODE(os.fstat(fd).st_mode) & 0o077:
            os.fchmod(fd, 0o600)  # os.open's mode is cut by the umask, never widened
    finally:
        os.close(fd)
    return created


def enter(conn: sqlite3.Connection, path: Path) -> bool:
    """Switch a prepared, locked connection to WAL mode; False if it stays in rollback mode.

    The `-wal` file is made 0600 before SQLite writes a byte to it (SQLite would copy
    the database file's mode too; this does not depend on it, nor on the umask).
    """
    wal = sidecar(path, "-wal")
    created = private(wal)
    try:
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    except sqlite3.OperationalError:
        mode = None  # a foreign reader held the file past BUSY_TIMEOUT_S
    if mode == "wal":
        return True
    if created and wal.stat().st_size == 0:
        wal.unlink()  # an empty `-wal` would make other connections think the file is in WAL
    # Rollback mode with one lock for the whole run would shut readers out: take turns.
    conn.execute("PRAGMA locking_mode = NORMAL")
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # releases the lock
    return False


def leave(conn: sqlite3.Connection, path: Path) -> None:
    """Fold the WAL into the database file and delete it, before the connection closes.

    A failure (a full disk, say) leaves the WAL beside the file, which loses nothing:
    the next open folds it in. So it is not raised over whatever else is ending the run.
    """
    with contextlib.suppress(sqlite3.Error):
        if conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0] != "delete":
            return
        # SQLite leaves the `-wal` that `enter` made if no transaction ever opened it; it
        # is empty, and this connection still holds the exclusive lock.
        wal = sidecar(path, "-wal")
        with contextlib.suppress(FileNotFoundError):
            if wal.stat().st_size == 0:
                wal.unlink()


def in_wal_mode(path: Path) -> bool:
    """Whether the file has a `-wal` beside it or its header says WAL (read-only check)."""
    if sidecar(path, "-wal").exists():
        return True
    try:
        with path.open("rb") as handle:
            head = handle.read(20)
    except OSError:
        return False
    return head.startswith(_MAGIC) and 2 in (head[18], head[19])  # 1 = rollback, 2 = WAL


def settle(path: Path) -> None:
    """Fold a dead run's WAL, or roll back its hot journal, so the file can move on its own.

    A file SQLite cannot open is left as it is (its companions then move with it).
    """
    if not (in_wal_mode(path) or sidecar(path, "-journal").exists()):
        return
    with contextlib.suppress(sqlite3.DatabaseError), contextlib.closing(connect(path)) as conn:
        conn.execute("PRAGMA journal_mode = DELETE").fetchone()
