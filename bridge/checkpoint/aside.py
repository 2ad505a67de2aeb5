"""`move_aside`, for `--fresh`: the old checkpoint is renamed, never deleted."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

from bridge.checkpoint import lock, wal
from bridge.checkpoint.records import utc_now
from bridge.checkpoint.store import Clock
from bridge.errors import CheckpointError


def move_aside(path: Path, *, clock: Clock = utc_now) -> Path | None:
    """Rename the checkpoint to `<path>.<UTC timestamp>.bak`; its new path, or None if absent.

    Takes the run lock while it works, so a `--fresh` run never pulls the
    file from under a running job (LockHeldError instead).
    """
    path = Path(path)
    if not path.exists():
        return None
    lock_fd = lock.acquire(path, clock())
    try:
        # Fold a dead run's WAL in (or roll its crashed commit back) first, so the file
        # never parts from what it needs: a rename of three files is not atomic.
        wal.settle(path)
        stamp = clock().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        new, n = path.with_name(f"{path.name}.{stamp}.bak"), 1
        while new.exists():
            new, n = path.with_name(f"{path.name}.{stamp}.{n}.bak"), n + 1
        path.rename(new)
        for suffix in ("-journal", "-wal", "-shm"):
            if lock.sidecar(path, suffix).exists():
                lock.sidecar(path, suffix).rename(lock.sidecar(new, suffix))
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot move the checkpoint aside: {exc}") from exc
    finally:
        lock.release(lock_fd)
    return new
