"""The run lock: an `flock` on `<path>.lock`, so two runs never write one checkpoint at once.

`flock` belongs to the open file, and the kernel drops it when the process
dies, however it dies: no stale lock is ever left to clear by hand. The lock
file is never deleted, since deleting it would let two runs lock two
different files of the same name.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from datetime import datetime
from pathlib import Path

from bridge.checkpoint.records import iso
from bridge.errors import CheckpointError, LockHeldError


def sidecar(path: Path, suffix: str) -> Path:
    """`path` with `suffix` appended to its name (`-journal`, `.lock`)."""
    return path.with_name(path.name + suffix)


def acquire(path: Path, now: datetime) -> int:
    """Take the lock of the checkpoint at `path` without waiting; LockHeldError if it is held."""
    lock_path = sidecar(path, ".lock")
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise CheckpointError(f"{lock_path}: cannot open the lock file: {exc.strerror}") from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        who = ""
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            holder = json.loads(os.pread(fd, 4096, 0))
            who = f" (pid {int(holder['pid'])}, started {holder['started_at']})"
        os.close(fd)
        raise LockHeldError(f"another scbridge run holds the lock on {lock_path}{who}; "
                            "this run wrote nothing") from None
    # Who holds it, for the message the next run prints: informative only, never trusted.
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps({"pid": os.getpid(), "started_at": iso(now)}).encode(), 0)
    return fd


def release(fd: int) -> None:
    """Drop the lock taken by `acquire`."""
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)
