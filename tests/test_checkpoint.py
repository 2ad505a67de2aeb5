"""The checkpoint keeps every acknowledged record through a SIGKILL, stays private, and locks."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.checkpoint import Checkpoint, move_aside
from bridge.errors import LockHeldError

ROOT = Path(__file__).resolve().parents[1]
RECORDER = """
import sys
from pathlib import Path
from bridge.checkpoint import Checkpoint, move_aside
cp = Checkpoint.open(Path(sys.argv[1]))
start = int(sys.argv[2])
for i in range(start, start + 100_000):
    cp.record("milestone", i, key=f"m-{i}", state="created", target_id=f"t-{i}",
              written_hash="h" * 64)
    print(i, flush=True)  # acknowledged: record() has returned
"""
HOLDER = """
import sys
from pathlib import Path
from bridge.checkpoint import Checkpoint, move_aside
cp = Checkpoint.open(Path(sys.argv[1]))
print("locked", flush=True)
sys.stdin.readline()
"""


def spawn(script: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", script, *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=env)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "checkpoint"


@pytest.fixture
def holder(path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the checkpoint's lock until the test ends."""
    proc = spawn(HOLDER, str(path))
    assert proc.stdout is not None
    assert proc.stdout.readline() == "locked\n"
    yield proc
    proc.kill()
    proc.communicate()


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def make_hot_journal(path: Path, crashed: Path) -> int:
    """Copy `path` to `crashed` in the middle of a commit, as a SIGKILL would leave it.

    Returns the mode SQLite gave the live journal.
    """
    with Checkpoint.open(path) as cp:
        cp.record("milestone", 1, key="one", state="created", target_id="t-1")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA cache_size = 1")  # spill uncommitted pages into the file itself
    conn.execute("BEGIN IMMEDIATE")
    for i in range(2, 400):
        conn.execute("INSERT INTO items VALUES ('milestone', ?, NULL, ?, 'created', NULL, NULL, "
                     "NULL, 'x', NULL)",
                     (i, "s" * 200))
    shutil.copyfile(path, crashed)
    shutil.copyfile(f"{path}-journal", f"{crashed}-journal")
    mode = stat.S_IMODE(Path(f"{path}-journal").stat().st_mode)
    conn.execute("ROLLBACK")
    conn.close()
    return mode


class TestCrashSafety:
    @pytest.mark.parametrize("kill_after", [1, 2, 5, 17, 60, 150])
    def test_sigkill_keeps_every_acknowledged_record(self, path: Path, kill_after: int) -> None:
        """After a SIGKILL anywhere in a loop of records, every acknowledged one is there."""
        acknowledged: list[int] = []
        for start in (0, 1000, 2000):
            proc = spawn(RECORDER, str(path), str(start))
            assert proc.stdout is not None
            for _ in range(kill_after):
                acknowledged.append(int(proc.stdout.readline()))
            proc.send_signal(signal.SIGKILL)
            rest, _ = proc.communicate()
            acknowledged += [int(line) for line in rest.split()]
            assert proc.returncode == -signal.SIGKILL
            with Checkpoint.open(path, readonly=True) as view:
                assert set(acknowledged) <= set(view.records("milestone"))
        with Checkpoint.open(path) as cp:
            records = cp.records("milestone")
        assert set(acknowledged) <= set(records)
        assert all(records[i].target_id == f"t-{i}" and records[i].key == f"m-{i}"
                   for i in acknowledged)

    def test_readonly_open_reads_past_a_hot_journal(self, path: Path, tmp_path: Path) -> None:
        """A dry run after a crash mid-commit sees the committed rows and changes no file."""
        crashed = tmp_path / "crashed"
        make_hot_journal(path, crashed)
        raw = sqlite3.connect(f"{crashed.as_uri()}?mode=ro", uri=True)
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            raw.execute("SELECT count(*) FROM items")  # proof that the journal is hot
        raw.close()
        before = snapshot(tmp_path)
        with Checkpoint.open(crashed, readonly=True) as view:
            assert list(view.records("milestone")) == [1]
        assert snapshot(tmp_path) == before

    def test_locked_open_rolls_a_hot_journal_back(self, path: Path, tmp_path: Path) -> None:
        """The next real run rolls the dead run's commit back and keeps what was committed."""
        crashed = tmp_path / "crashed"
        make_hot_journal(path, crashed)
        with Checkpoint.open(crashed) as cp:
            assert list(cp.records("milestone")) == [1]
        assert not Path(f"{crashed}-journal").exists()

    def test_move_aside_rolls_a_hot_journal_back_first(self, path: Path, tmp_path: Path) -> None:
        """--fresh after a crash mid-commit keeps the file and its journal together, rolled back."""
        crashed = tmp_path / "crashed"
        make_hot_journal(path, crashed)
        moved = move_aside(crashed)
        assert moved is not None
        assert not Path(f"{crashed}-journal").exists()
        assert not Path(f"{moved}-journal").exists()
        with Checkpoint.open(moved, readonly=True) as view:
            assert list(view.records("milestone")) == [1]


class TestPrivacy:
    def test_new_checkpoint_and_lock_are_mode_0600(self, path: Path) -> None:
        """The file and its lock are readable by their owner only; the folder too."""
        Checkpoint.open(path).close()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(Path(f"{path}.lock").stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700

    def test_an_existing_open_file_is_tightened(self, path: Path) -> None:
        """A checkpoint copied in with mode 0644 is made 0600 when a run opens it."""
        Checkpoint.open(path).close()
        path.chmod(0o644)
        Checkpoint.open(path).close()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600

    def test_the_rollback_journal_is_0600_too(self, path: Path, tmp_path: Path) -> None:
        """The journal SQLite writes during a commit gets the checkpoint's mode."""
        assert make_hot_journal(path, tmp_path / "crashed") == 0o600


class TestLock:
    def test_second_run_gets_lock_held_error(self, path: Path,
                                             holder: subprocess.Popen[str]) -> None:
        """A run started while another process holds the lock fails with exit 4, naming it."""
        before = snapshot(path.parent)
        with pytest.raises(LockHeldError) as caught:
            Checkpoint.open(path)
        assert caught.value.exit_code == 4
        assert f"{path}.lock" in str(caught.value)
        assert f"pid {holder.pid}" in str(caught.value)
        assert snapshot(path.parent) == before

    def test_readonly_open_ignores_the_lock(self, path: Path,
                                            holder: subprocess.Popen[str]) -> None:
        """A dry run may read while a run holds the lock."""
        with Checkpoint.open(path, readonly=True) as view:
            assert view.records("milestone") == {}

    def test_a_killed_holder_leaves_no_stale_lock(self, path: Path,
                                                   holder: subprocess.Popen[str]) -> None:
        """The kernel drops the lock of a killed run; the next run proceeds."""
        holder.kill()
        holder.wait()
        Checkpoint.open(path).close()

    def test_close_releases_the_lock(self, path: Path) -> None:
        """After close (or the with block) the checkpoint opens again; closing twice is harmless."""
        with Checkpoint.open(path) as cp:
            pass
        cp.close()
        Checkpoint.open(path).close()
