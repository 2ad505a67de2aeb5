"""How the checkpoint scales: resuming with many recorded items, and the cost of one record.

Recording is one upsert by primary key, committed and fsync'd at once; its cost must not
grow with what is already recorded. The file is filled in bulk (one transaction) so the
measurement is of `Checkpoint.record` and of a resume, not of the filling.

A resume is timed as a run resumes: open (integrity check, migrations, WAL), take the
records view and its `len`, and read the records of one batch of `batch` GitLab ids
(`records_for`). Reading every record at once (`snapshot`, what a caller that looks up
most of them pays) is timed too, apart.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from bridge.checkpoint import Checkpoint
from bridge.checkpoint.schema import UPSERT_ITEM

_STAMP = "2026-01-01T00:00:00Z"


def _fill(path: Path, start: int, stop: int) -> None:
    """Add items start..stop-1 in one transaction, as a long history of runs would have."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(UPSERT_ITEM, (
            ("milestone", sid, f"id-{sid}", f"milestone-{sid}", "closed", "0" * 64, _STAMP, None,
             _STAMP, None)
            for sid in range(start, stop)))
        conn.execute("COMMIT")
    finally:
        conn.close()


def _record_batch(path: Path, first: int, count: int) -> float:
    """Seconds for `count` new records through the real API (each durable on return)."""
    with Checkpoint.open(path) as checkpoint:
        started = time.perf_counter()
        for sid in range(first, first + count):
            checkpoint.record("milestone", sid, key=f"milestone-{sid}", state="created",
                              target_id=f"id-{sid}", written_hash="0" * 64,
                              target_updated_at=_STAMP)
        return time.perf_counter() - started


def run(folder: Path, *, items: int = 100_000, batch: int = 1_000,
        tries: int = 3) -> dict[str, float]:
    """Resume time with `items` recorded, and seconds per `batch` records when small and full.

    Each timing is the best of `tries`: an fsync's cost varies with whatever else the disk
    is doing, and the question is how the cost grows, not how noisy the machine is.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "checkpoint-bench.sqlite"
    with Checkpoint.open(path):
        pass  # creates the schema
    _fill(path, 0, batch)
    small = min(_record_batch(path, 10_000_000 + n * batch, batch) for n in range(tries))
    filled = items - tries * batch  # ids 0..filled-1; one batch of them from the middle
    _fill(path, 0, filled)
    first = max(0, filled // 2 - batch // 2)
    middle = range(first, min(filled, first + batch))
    resume = snapshot = float("inf")
    for _ in range(tries):
        started = time.perf_counter()
        with Checkpoint.open(path) as checkpoint:
            count = len(checkpoint.records("milestone"))
            found = len(checkpoint.records_for("milestone", middle))
            resume = min(resume, time.perf_counter() - started)
            started = time.perf_counter()
            every = len(checkpoint.records("milestone").snapshot())
            snapshot = min(snapshot, time.perf_counter() - started)
    if (count, every, found) != (items, items, len(middle)):
        raise RuntimeError(f"read {count}, {every} and {found}, not {items} and {len(middle)}")
    full = min(_record_batch(path, 20_000_000 + n * batch, batch) for n in range(tries))
    return {"items": float(count), "resume_s": resume, "snapshot_s": snapshot,
            "batch": float(batch), "record_batch_small_s": small, "record_batch_full_s": full}
