"""The resumable checkpoint: what scbridge last did on SourceCraft for each GitLab milestone.

Why SQLite from the standard library: each `record()` is one upsert by primary
key (its cost does not grow with the number of items) committed at once with
`synchronous=FULL`, so after a SIGKILL at any instant the file holds every
acknowledged record and never a torn one; `PRAGMA user_version` versions the
schema inside the file.

Journal modes: while a run holds the lock the file is in WAL mode, with SQLite's
lock held too (`locking_mode=EXCLUSIVE`, so no `-shm` file): a durable commit is
one append and one fsync of `<path>-wal` (0.2-0.8 ms) instead of the rollback
journal's several fsyncs (2-10 ms), and the loader's threads, which take turns on
one connection, wait that much less. `-wal` is created 0600 before SQLite writes
to it. At close the WAL is folded into the file and the file goes back to
`journal_mode=DELETE`, so at rest it is one 0600 file that any reader opens
without companions. A run killed in WAL mode leaves `-wal` beside the file with
every acknowledged commit in it: the next locked open (and `move_aside`) folds it
in; a read-only open (dry run, `status`) reads a private copy of the file and its
WAL, taken coherently even while a run writes, and never creates, locks or
changes a file beside the checkpoint. Kept FULL rather than NORMAL: with NORMAL a
SIGKILL would still lose nothing (the appended WAL frames are in the kernel's
cache), but a power loss could roll back the last commits.

The run lock is an `flock` on `<path>.lock`: the kernel drops it when the
holder dies, so a crashed run never leaves a stale lock to clear by hand.
No token is ever passed to this package; the schema has nowhere to keep one.

- `records`: the Record and RunInfo rows and `content_hash`;
- `schema`: the SQL, and the checks that a file is a checkpoint we can read;
- `lock`: the run lock;
- `access`: the connection's reads and durable writes, SQLite's refusal of a write as
  `CheckpointError` (the base of `issue_table` and `store`);
- `store`: the `Checkpoint` itself; its records made at once share a commit (`group`);
- `issue_table`: the issue table mirror runs count from (schema 2), a part of `Checkpoint`;
- `view`: what `records(kind)` returns: the records read as they are used, as of the call;
- `view_reads`: the view's reads of a few columns (keys, slugs, states), as of the call too;
- `wal`: WAL mode while locked, one file at rest;
- `snapshot`: the private copy a read-only open reads;
- `aside`: `move_aside`, for `--fresh`.
"""

from bridge.checkpoint.aside import move_aside
from bridge.checkpoint.issue_table import IssueRow
from bridge.checkpoint.records import STATES, Record, RunInfo, canonical, content_hash
from bridge.checkpoint.schema import SCHEMA_VERSION
from bridge.checkpoint.store import Checkpoint

__all__ = ["SCHEMA_VERSION", "STATES", "Checkpoint", "IssueRow", "Record", "RunInfo",
           "canonical", "content_hash", "move_aside"]
