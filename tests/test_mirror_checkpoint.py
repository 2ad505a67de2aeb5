"""The checkpoint's issue table (schema 2): migrated from version 1 files, saved all or nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bridge.checkpoint import SCHEMA_VERSION, Checkpoint
from bridge.checkpoint.schema import APPLICATION_ID
from bridge.errors import CheckpointError

#: The schema scbridge wrote before the issue table existed, exactly as version 1 made it.
V1_SCHEMA = f"""
BEGIN IMMEDIATE;
CREATE TABLE items (source_id INTEGER PRIMARY KEY, target_id TEXT, slug TEXT NOT NULL,
  state TEXT NOT NULL, written_hash TEXT, target_updated_at TEXT, error TEXT,
  updated_at TEXT NOT NULL);
CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, command TEXT NOT NULL,
  dry_run INTEGER NOT NULL, pid INTEGER NOT NULL, started_at TEXT NOT NULL, finished_at TEXT,
  summary TEXT, exit_code INTEGER);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO items VALUES (7, 'abc', 'v1-0', 'created', 'h', NULL, NULL, '2026-01-01T00:00:00Z');
INSERT INTO meta VALUES ('source', 'http://gitlab.example g/p');
PRAGMA application_id = {APPLICATION_ID};
PRAGMA user_version = 1;
COMMIT;
"""  # noqa: S608  a fixed script, no outside input


@pytest.fixture
def v1_file(tmp_path: Path) -> Path:
    path = tmp_path / "checkpoint"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(V1_SCHEMA)
    conn.close()
    return path


def user_version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


class TestMigration:
    def test_version_1_file_is_migrated_keeping_its_records(self, v1_file: Path) -> None:
        """A locked open upgrades a version 1 file to the current schema; records and notes stay."""
        assert SCHEMA_VERSION == 3
        with Checkpoint.open(v1_file) as cp:
            assert cp.records("milestone")[7].key == "v1-0"
            assert cp.meta() == {"source": "http://gitlab.example g/p"}
            cp.save_issues([(1, 7, "opened", "2026-01-02T00:00:00Z")])
            assert cp.issue_total() == 1
        assert user_version(v1_file) == SCHEMA_VERSION

    def test_readonly_open_of_version_1_reads_an_empty_issue_table(self, v1_file: Path) -> None:
        """A dry run on an old file changes no byte; its private copy reads as today's schema."""
        before = v1_file.read_bytes()
        with Checkpoint.open(v1_file, readonly=True) as view:
            assert view.version == SCHEMA_VERSION
            assert (view.issue_total(), view.issue_tally(), view.issue_rows([1])) == (0, [], {})
            assert view.records("milestone")[7].target_id == "abc"
        assert v1_file.read_bytes() == before

    def test_failed_migration_leaves_the_file_as_it_was(self, v1_file: Path) -> None:
        """A version 1 file that already has an `issues` table of its own is refused untouched."""
        conn = sqlite3.connect(v1_file, isolation_level=None)
        conn.execute("CREATE TABLE issues (x TEXT)")
        conn.close()
        before = v1_file.read_bytes()
        with pytest.raises(CheckpointError, match="not a usable scbridge checkpoint"):
            Checkpoint.open(v1_file)
        assert v1_file.read_bytes() == before
        assert user_version(v1_file) == 1


class TestIssueTable:
    def test_tally_groups_by_milestone_and_state(self, tmp_path: Path) -> None:
        """The tally counts saved issues per milestone and state, leaving out unassigned ones."""
        with Checkpoint.open(tmp_path / "cp") as cp:
            cp.save_issues([(1, 5, "opened", None), (2, 5, "closed", None), (3, 5, "opened", None),
                            (4, None, "opened", None), (5, 6, "reopened", None)])
            assert sorted(cp.issue_tally()) == [(5, "closed", 1), (5, "opened", 2),
                                                (6, "reopened", 1)]
            assert cp.issue_rows([2, 4, 99]) == {2: (2, 5, "closed", None),
                                                 4: (4, None, "opened", None)}

    def test_upsert_unlink_prune_and_notes_in_one_save(self, tmp_path: Path) -> None:
        """A save replaces rows, unlinks a deleted milestone, prunes rows of older scans, notes."""
        with Checkpoint.open(tmp_path / "cp") as cp:
            cp.save_issues([(1, 5, "opened", "a"), (2, 6, "opened", "a")], scan=1)
            cp.save_issues([(1, 6, "closed", "b"), (3, 5, "opened", "b")], scan=2, unlink={5},
                           prune=True, meta={"bookmark": "b"})
            assert cp.issue_rows(range(10)) == {1: (1, 6, "closed", "b"),
                                                3: (3, None, "opened", "b")}
            assert cp.meta()["bookmark"] == "b"

    def test_a_failed_save_writes_nothing(self, tmp_path: Path) -> None:
        """A save that fails half-way (a bad row) is rolled back, notes included."""
        with Checkpoint.open(tmp_path / "cp") as cp:
            cp.save_issues([(1, 5, "opened", "a")])
            bad = [(2, 5, "opened", "a"), (3, 5, None, "a")]  # state may not be NULL
            with pytest.raises(sqlite3.IntegrityError):
                cp.save_issues(bad, meta={"bookmark": "z"})  # type: ignore[arg-type]
            assert cp.issue_total() == 1
            assert "bookmark" not in cp.meta()

    def test_many_ids_are_read_in_batches(self, tmp_path: Path) -> None:
        """Looking up more ids than one SQL statement may bind still finds every row."""
        with Checkpoint.open(tmp_path / "cp") as cp:
            cp.save_issues([(i, i % 7, "opened", None) for i in range(1, 2501)])
            assert len(cp.issue_rows(range(2600))) == 2500

    def test_readonly_view_refuses_to_save(self, tmp_path: Path) -> None:
        """A dry run may read the issue table but never save to it."""
        Checkpoint.open(tmp_path / "cp").close()
        with Checkpoint.open(tmp_path / "cp", readonly=True) as view, \
                pytest.raises(CheckpointError, match="read-only"):
            view.save_issues([(1, None, "opened", None)])
