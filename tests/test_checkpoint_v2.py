"""A checkpoint written by scbridge before kinds (schema 2) keeps working: migrated in place."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
import reliability_support as support

from bridge.checkpoint import SCHEMA_VERSION, Checkpoint
from bridge.sandbox import Sandbox

#: Made by `scbridge migrate` then `scbridge mirror` on the demo sandbox at commit 930a0cd
#: (the last scbridge with schema 2): 13 milestone records, 150 issue rows, scan bookmarks.
V2_FILE = Path(__file__).parent / "data" / "checkpoints" / "v2-demo-migrate-mirror.db"


def _rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


@pytest.fixture
def v2_copy(tmp_path: Path) -> Path:
    path = tmp_path / "checkpoint.db"
    shutil.copyfile(V2_FILE, path)
    path.chmod(0o600)
    return path


class TestVersion2Checkpoint:
    def test_the_fixture_is_a_version_2_file(self) -> None:
        """The file under test really is what the old scbridge wrote."""
        assert _rows(V2_FILE, "PRAGMA user_version") == [(2,)]
        assert _rows(V2_FILE, "SELECT count(*) FROM items") == [(13,)]

    def test_a_locked_open_migrates_every_record_as_a_milestone(self, v2_copy: Path) -> None:
        """Each old record becomes a milestone record with its slug as key; the cache is kept."""
        old = {row[0]: row[1:] for row in _rows(
            V2_FILE, "SELECT source_id, target_id, slug, state, written_hash FROM items")}
        with Checkpoint.open(v2_copy) as cp:
            records = cp.records("milestone")
            assert {sid: (r.target_id, r.key, r.state, r.written_hash)
                    for sid, r in records.items()} == old
            assert cp.records("issue") == {}
            assert cp.issue_total() == 150
            assert "issues.bookmark" in cp.meta()
        assert _rows(v2_copy, "PRAGMA user_version") == [(SCHEMA_VERSION,)]

    def test_a_dry_run_reads_it_without_changing_a_byte(self, v2_copy: Path) -> None:
        """A read-only open migrates its private copy only: the file stays version 2."""
        before = v2_copy.read_bytes()
        with Checkpoint.open(v2_copy, readonly=True) as view:
            assert len(view.records("milestone")) == 13
        assert v2_copy.read_bytes() == before

    @pytest.mark.slow
    def test_the_recurring_mirror_job_goes_on_without_fresh(self, v2_copy: Path,
                                                            tmp_path: Path) -> None:
        """The old file (pointed at a new, empty target) needs no --fresh: migrate, then mirror.

        The records name SourceCraft ids the new sandbox never had, so migrate creates the
        13 milestones again (by slug, no conflict) and the mirror after it writes nothing.
        """
        with Sandbox() as sb:
            support.write_config(tmp_path, sb)
            conn = sqlite3.connect(v2_copy)  # the old run's sandbox had another port
            conn.execute("UPDATE meta SET value = ? WHERE key = 'source'",
                         (f"{sb.gitlab_url} {sb.project_path}",))
            conn.commit()
            conn.close()
            config = support.write_config(tmp_path, sb)
            env = support.token_env(sb)
            migrated = support.cli(["migrate", "-c", str(config)], env)
            assert migrated.returncode == 0, migrated.stderr
            assert "created 13" in migrated.stdout
            sb.log.clear()
            result = support.cli(["mirror", "-c", str(config)], env)
            assert result.returncode == 0, result.stderr
            assert "unchanged 13" in result.stdout
            assert sb.log.count("target_write") == 0
