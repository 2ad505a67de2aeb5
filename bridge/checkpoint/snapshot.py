"""A read-only open (dry run, `status`) reads a private copy: it never locks or alters the files.

Why a copy: a run holds SQLite's lock on its checkpoint from open to close (see `wal`),
so a reader could not share the file for long; and a file a killed run left in WAL
mode (or with a hot journal) cannot be read in place without creating or rewriting
files beside it. The copy is taken once, at open:

- a file at rest (rollback mode) through SQLite's backup API, on a read-only
  connection that holds a shared lock for the copy only;
- a file with a hot journal (a run died mid-commit in rollback mode) byte for byte
  with its journal, rolled back in the copy;
- a file in WAL mode (a run is writing, or was killed) byte for byte with its `-wal`;
  SQLite recovers the copy, which then holds every transaction committed when the WAL
  was read. It is coherent because a WAL only grows until it restarts, and a restart
  rewrites its header (new salts): the header is read before the database file is
  copied and again after the WAL is, and any change starts the copy again. Pages the
  writer folded into the database file during the copy are all in the copied WAL,
  which recovery applies over them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path

from bridge.checkpoint.lock import sidecar
from bridge.checkpoint.wal import in_wal_mode
from bridge.errors import CheckpointError

ATTEMPTS = 20  # a copy that raced a writer is taken again; twenty races in a row is a fault
READ_TIMEOUT_S = 0.5  # then look again: a run that holds SQLite's lock is about to be in WAL
_WAL_HEADER = 32
#: Copies the database file in WAL mode; tests replace it to let a writer move mid-copy.
copy_database: Callable[[Path, Path], object] = shutil.copyfile


def connect_readonly(path: Path) -> tuple[sqlite3.Connection, str]:
    """A connection to a private copy of the checkpoint, and the folder to remove at close.

    A file SQLite refuses is returned as a read-only connection to the file itself, for
    `schema.prepare` to name the problem.
    """
    scratch = tempfile.mkdtemp(prefix="scbridge-")
    copy = Path(scratch) / "checkpoint"
    try:
        for _ in range(ATTEMPTS):
            conn = _copy_wal(path, copy) if in_wal_mode(path) else _copy_at_rest(path, copy)
            if conn is not None:
                return conn, scratch
            _discard(copy)
    except OSError as exc:
        shutil.rmtree(scratch, ignore_errors=True)
        raise CheckpointError(f"{path}: cannot read the checkpoint: {exc}") from exc
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    shutil.rmtree(scratch, ignore_errors=True)
    raise CheckpointError(f"{path}: the checkpoint kept changing while it was read; try again")


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None, check_same_thread=False)


def _copy_at_rest(path: Path, copy: Path) -> sqlite3.Connection | None:
    """Back the file up through SQLite; None if a run holds it (it will be in WAL mode)."""
    source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None,
                             check_same_thread=False, timeout=READ_TIMEOUT_S)
    try:
        source.execute("SELECT count(*) FROM sqlite_master").fetchone()
        target = _connect(copy)
        try:
            source.backup(target)
        except BaseException:
            target.close()
            raise
    except sqlite3.DatabaseError as exc:
        name = getattr(exc, "sqlite_errorname", "")
        if name.startswith("SQLITE_BUSY"):
            source.close()
            return None
        if name == "SQLITE_READONLY_ROLLBACK":  # a hot journal: a read-only open may not roll back
            source.close()
            return _copy_files(path, copy, "-journal")
        return source  # not a database, damaged...: `prepare` says so
    source.close()
    return target


def _copy_files(path: Path, copy: Path, suffix: str) -> sqlite3.Connection:
    shutil.copyfile(path, copy)
    shutil.copyfile(sidecar(path, suffix), sidecar(copy, suffix))
    return _connect(copy)


def _copy_wal(path: Path, copy: Path) -> sqlite3.Connection | None:
    """Copy the file and its WAL as one moment of the WAL; None if a writer moved under us."""
    wal = sidecar(path, "-wal")
    try:
        fd = os.open(wal, os.O_RDONLY)
    except FileNotFoundError:
        fd = None  # WAL mode, WAL already folded in (closed without leaving WAL mode)
    try:
        head = os.pread(fd, _WAL_HEADER, 0) if fd is not None else b""
        before = path.stat()
        copy_database(path, copy)
        if fd is not None:
            with sidecar(copy, "-wal").open("wb") as out:
                offset, chunk = 0, os.pread(fd, 1 << 20, 0)
                while chunk:
                    out.write(chunk)
                    offset += len(chunk)
                    chunk = os.pread(fd, 1 << 20, offset)
        after = path.stat()
        if fd is None:
            # No WAL to replay: the file itself must not have changed during the copy.
            same = (before.st_ino, before.st_size, before.st_mtime_ns) == (
                after.st_ino, after.st_size, after.st_mtime_ns) and not wal.exists()
        else:
            # The same WAL, not restarted; if the run closed meanwhile, read the file at rest.
            same = (before.st_ino == after.st_ino and os.pread(fd, _WAL_HEADER, 0) == head
                    and _inode(wal) == os.fstat(fd).st_ino)
    finally:
        if fd is not None:
            os.close(fd)
    return _connect(copy) if same else None


def _inode(path: Path) -> int | None:
    try:
        return path.stat().st_ino
    except FileNotFoundError:
        return None


def _discard(copy: Path) -> None:
    for name in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            sidecar(copy, name).unlink()
