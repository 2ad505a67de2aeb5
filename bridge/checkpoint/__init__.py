"""The resumable checkpoint: what scbridge last did on SourceCraft for each GitLab milestone.

Why SQLite from the standard library: each `record()` is one upsert by primary
key (its cost does not grow with the number of items) committed at once with
`synchronous=FULL`, so after a SIGKILL at any instant the file holds every
acknowledged record and never a torn one; `PRAGMA user_version` versions the
schema inside the file. `journal_mode=DELETE` rather than WAL: the rollback
journal exists only while a commit is under way and SQLite gives it the
database file's mode (0600), and a read-only open (dry run, `status`) needs no
`-shm` file, so it leaves the checkpoint's folder exactly as it found it.

The run lock is an `flock` on `<path>.lock`: the kernel drops it when the
holder dies, so a crashed run never leaves a stale lock to clear by hand.
No token is ever passed to this package; the schema has nowhere to keep one.

- `records`: the Record and RunInfo rows and `content_hash`;
- `schema`: the SQL, and the checks that a file is a checkpoint we can read;
- `lock`: the run lock;
- `store`: the `Checkpoint` itself, and the issue table mirror runs count from (schema 2);
- `aside`: `move_aside`, for `--fresh`.
"""

from bridge.checkpoint.aside import move_aside
from bridge.checkpoint.records import STATES, Record, RunInfo, canonical, content_hash
from bridge.checkpoint.schema import SCHEMA_VERSION
from bridge.checkpoint.store import Checkpoint, IssueRow

__all__ = ["SCHEMA_VERSION", "STATES", "Checkpoint", "IssueRow", "Record", "RunInfo",
           "canonical", "content_hash", "move_aside"]
