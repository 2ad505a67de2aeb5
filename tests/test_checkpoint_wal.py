"""A run writes its checkpoint in WAL mode: kills keep every record, files stay private and put."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_checkpoint import spawn

from bridge.checkpoint import Checkpoint, move_aside, snapshot, wal

ROOT = Path(__file__).resolve().parents[1]
#: Records 0, 1, 2... printing each id once `record()` has returned (acknowledged).
RECORDER = """
import sys
from pathlib import Path
from bridge.checkpoint import Checkpoint
cp = Checkpoint.open(Path(sys.argv[1]))
for i in range(1_000_000):
    cp.record("milestone", i, key=f"m-{i}", state="created", target_id=f"t-{i}",
              written_hash="h" * 64)
    print(i, flush=True)
"""
#: Rewrites record (i * 997) % 2000 with target id i, for i = 0, 1, 2...: each commit
#: touches another page, and the WAL is folded in and restarted every 5 commits.
SCRIBBLER = """
import select
import sys
from pathlib import Path
from bridge.checkpoint import Checkpoint
cp = Checkpoint.open(Path(sys.argv[1]))
cp._conn.execute("PRAGMA wal_autocheckpoint = 5")
print("go", flush=True)
for i in range(10_000_000):
    cp.record("milestone", (i * 997) % ROWS, key="s" * 40, state="created", target_id=str(i))
    if select.select([sys.stdin], [], [], 0)[0]:  # told to hold, between two commits
        sys.stdin.readline()
        print("held", flush=True)
        sys.stdin.readline()  # then told to go on
""".replace("ROWS", "2000")
#: Records 0-49, says so, closes when told to, says so, and waits to be killed.
WRITER = """
import sys
from pathlib import Path
from bridge.checkpoint import Checkpoint
cp = Checkpoint.open(Path(sys.argv[1]))
for i in range(50):
    cp.record("milestone", i, key=f"m-{i}", state="created")
print("recorded", flush=True)
sys.stdin.readline()
cp.close()
print("closed", flush=True)
sys.stdin.readline()
"""


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "checkpoint"


@pytest.fixture
def umask_0() -> Iterator[None]:
    """The most permissive umask, so only scbridge's own care keeps files private."""
    old = os.umask(0)
    yield
    os.umask(old)


def kill_after(path: Path, acks: int) -> list[int]:
    """Run RECORDER until `acks` records are acknowledged, SIGKILL it; every acknowledged id."""
    proc = spawn(RECORDER, str(path))
    assert proc.stdout is not None
    acknowledged = [int(proc.stdout.readline()) for _ in range(acks)]
    proc.send_signal(signal.SIGKILL)
    rest, _ = proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    return acknowledged + [int(line) for line in rest.split()]


def header_mode(path: Path) -> int:
    """The journal mode the file's header says: 1 rollback, 2 WAL."""
    return path.read_bytes()[18]


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def sidecar(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


class TestWalWhileLocked:
    def test_a_run_writes_in_wal_and_leaves_one_file(self, path: Path, umask_0: None) -> None:
        """While open the file is in WAL mode with a 0600 `-wal` and no `-shm`; closed, alone."""
        with Checkpoint.open(path) as cp:
            cp.record("milestone", 1, key="a", state="created")
            assert header_mode(path) == 2
            assert stat.S_IMODE(sidecar(path, "-wal").stat().st_mode) == 0o600
            assert sidecar(path, "-wal").stat().st_size > 0
            assert not sidecar(path, "-shm").exists()
        assert sorted(p.name for p in path.parent.iterdir()) == ["checkpoint", "checkpoint.lock"]
        assert header_mode(path) == 1
        assert stat.S_IMODE(path.stat().st_mode) == 0o600

    def test_an_unused_wal_leaves_no_file(self, path: Path) -> None:
        """A run that records nothing leaves no empty `-wal` behind."""
        Checkpoint.open(path).close()
        Checkpoint.open(path).close()
        assert sorted(p.name for p in path.parent.iterdir()) == ["checkpoint", "checkpoint.lock"]

    def test_private_creates_0600_and_tightens(self, tmp_path: Path, umask_0: None) -> None:
        """`wal.private` makes a new file 0600 whatever the umask, and an existing one 0600."""
        fresh, loose = tmp_path / "fresh", tmp_path / "loose"
        loose.write_bytes(b"x")
        loose.chmod(0o644)
        assert wal.private(fresh) is True
        assert wal.private(loose) is False
        assert {stat.S_IMODE(p.stat().st_mode) for p in (fresh, loose)} == {0o600}
        assert loose.read_bytes() == b"x"

    def test_a_refused_switch_keeps_rollback_mode(self, path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
        """If a foreign reader blocks the switch, the run records in rollback mode, sharing."""
        Checkpoint.open(path).close()
        monkeypatch.setattr(wal, "BUSY_TIMEOUT_S", 0.05)
        foreign = sqlite3.connect(path, isolation_level=None)
        foreign.execute("BEGIN")
        foreign.execute("SELECT count(*) FROM items").fetchone()  # holds a shared lock
        with Checkpoint.open(path) as cp:
            foreign.execute("COMMIT")
            cp.record("milestone", 1, key="a", state="created")
            assert not sidecar(path, "-wal").exists()
            assert header_mode(path) == 1
            assert foreign.execute("SELECT count(*) FROM items").fetchone() == (1,)
        foreign.close()


class TestKilledInWalMode:
    @pytest.mark.parametrize("acks", [1, 40, 1200])
    def test_every_acknowledged_record_survives(self, path: Path, acks: int) -> None:
        """A SIGKILL with a non-empty `-wal` loses no acknowledged record, for readers or runs."""
        acknowledged = kill_after(path, acks)
        wal_file = sidecar(path, "-wal")
        assert wal_file.stat().st_size > 0
        assert stat.S_IMODE(wal_file.stat().st_mode) == 0o600
        assert not sidecar(path, "-shm").exists()
        if acks >= 1200:  # the WAL was folded in and restarted at least once before the kill
            assert int.from_bytes(wal_file.read_bytes()[12:16], "big") >= 1
        before = files(path.parent)
        with Checkpoint.open(path, readonly=True) as view:
            assert set(acknowledged) <= set(view.records("milestone"))
        assert files(path.parent) == before  # the dry run read a copy and changed no file
        with Checkpoint.open(path) as cp:
            records = cp.records("milestone")
        assert set(acknowledged) <= set(records)
        assert all(records[i].target_id == f"t-{i}" for i in acknowledged)
        assert sorted(p.name for p in path.parent.iterdir()) == ["checkpoint", "checkpoint.lock"]
        assert header_mode(path) == 1

    def test_move_aside_folds_the_wal_in_first(self, path: Path) -> None:
        """--fresh after a kill in WAL mode moves one complete file and leaves no companion."""
        acknowledged = kill_after(path, 30)
        moved = move_aside(path)
        assert moved is not None
        assert sorted(p.name for p in path.parent.iterdir()) == sorted(["checkpoint.lock",
                                                                         moved.name])
        with Checkpoint.open(moved, readonly=True) as view:
            assert set(acknowledged) <= set(view.records("milestone"))

    def test_a_file_left_in_wal_mode_without_its_wal(self, path: Path) -> None:
        """A file whose header says WAL but whose `-wal` is gone reads and reopens normally."""
        cp = Checkpoint.open(path)
        cp.record("milestone", 1, key="a", state="created")
        assert cp._conn is not None
        cp._conn.close()  # closed without leaving WAL mode: SQLite folds the WAL in, deletes it
        cp._conn = None
        cp.close()
        assert header_mode(path) == 2
        assert not sidecar(path, "-wal").exists()
        before = files(path.parent)
        with Checkpoint.open(path, readonly=True) as view:
            assert list(view.records("milestone")) == [1]
        assert files(path.parent) == before
        with Checkpoint.open(path) as cp:
            cp.record("milestone", 2, key="b", state="created")
        assert header_mode(path) == 1


class TestReadersOfALiveRun:
    def test_a_reader_sees_the_live_run_and_does_not_hold_it(self, path: Path) -> None:
        """A status during a run sees its records, changes no file, and the run still rests."""
        proc = spawn(WRITER, str(path))
        assert proc.stdin is not None
        assert proc.stdout is not None
        try:
            assert proc.stdout.readline() == "recorded\n"
            before = files(path.parent)
            view = Checkpoint.open(path, readonly=True)
            assert files(path.parent) == before
            proc.stdin.write("\n")
            proc.stdin.flush()
            assert proc.stdout.readline() == "closed\n"  # while the view is still open
            assert sorted(view.records("milestone")) == list(range(50))
            view.close()
        finally:
            proc.kill()
            proc.communicate()
        assert sorted(p.name for p in path.parent.iterdir()) == ["checkpoint", "checkpoint.lock"]

    def test_copies_taken_while_the_wal_restarts_are_coherent(
            self, path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """Views whose copy a WAL restart overtook are taken again: each shows one commit."""
        rows = 2000
        Checkpoint.open(path).close()
        conn = sqlite3.connect(path, isolation_level=None)
        conn.executemany("INSERT INTO items (kind, source_id, natural_key, state, target_id, "
                         "updated_at) VALUES ('milestone', ?, 's', 'created', '-1', 'x')",
                         ((r,) for r in range(rows)))
        conn.close()
        copies: list[Path] = []
        disturb = [False]
        proc = spawn(SCRIBBLER, str(path))
        assert proc.stdin is not None
        assert proc.stdout is not None

        def copy_then_let_the_wal_restart_twice(source: Path, copy: Path) -> None:
            shutil.copyfile(source, copy)
            copies.append(copy)
            if not disturb[0]:
                return  # the retake runs with the writer held: nothing can overtake it
            disturb[0] = False
            with sidecar(source, "-wal").open("rb", buffering=0) as handle:
                headers = {handle.read(32)}
                deadline = time.monotonic() + 10
                while len(headers) < 3 and time.monotonic() < deadline:
                    handle.seek(0)
                    headers.add(handle.read(32))  # a new header: the WAL restarted
            proc.stdin.write("hold\n")
            proc.stdin.flush()
            assert proc.stdout.readline() == "held\n"

        monkeypatch.setattr(snapshot, "copy_database", copy_then_let_the_wal_restart_twice)
        try:
            assert proc.stdout.readline() == "go\n"
            for _ in range(8):
                disturb[0] = True
                with Checkpoint.open(path, readonly=True) as view:  # quick_check runs on each
                    seen = {r: int(record.target_id or "")
                            for r, record in view.records("milestone").items()}
                proc.stdin.write("go on\n")
                proc.stdin.flush()
                # Coherent means: exactly the state after commit `last`, every earlier one in.
                last = max(seen.values())
                expected = dict.fromkeys(range(rows), -1)
                expected.update(((i * 997) % rows, i) for i in range(max(0, last - rows + 1),
                                                                     last + 1))
                assert seen == expected
        finally:
            proc.kill()
            proc.communicate()
        assert len(copies) == 16  # every view's first copy was overtaken, and taken once again
        assert last > 0
