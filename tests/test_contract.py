"""SPEC §5 and §11's guarantees, one test each, run over every kind (contract_support.KINDS).

Each test runs the real CLI as a subprocess against the sandbox in this process and
checks the target against what contract_support works out from the fake GitLab's data.
"""

from __future__ import annotations

import random
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import reliability_support as support
from contract_support import KINDS, ROUTE, TRANSFER, WRITTEN, assert_exact

from bridge.checkpoint import Checkpoint
from bridge.sandbox import RequestRecord, Sandbox

#: The kinds planned in batches run again with batches of 2, so every guarantee also holds
#: across batch boundaries (records claimed by another batch, references to later ones).
BATCHED = ("issue", "comment")


class Run:
    """One sandbox, one config moving `kind`, and the CLI pointed at them."""

    def __init__(self, sb: Sandbox, folder: Path, kind: str, batch: str = "") -> None:
        self.sb, self.folder, self.kind = sb, folder, kind
        if kind == "comment":  # enough comments, on few issues, for kills and order to matter
            for n in range(24):
                sb.gitlab.add_note(1001 + n % 3, f"Comment {n} on the fix")
        self.config = support.write_config(folder, sb, extra=TRANSFER[kind])
        self.env = support.token_env(sb)
        if batch:
            self.env["SCBRIDGE_BATCH"] = batch

    def migrate(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`scbridge migrate` to its end."""
        return support.cli(["migrate", "-c", str(self.config), "--no-progress", "-q", *args],
                           self.env)

    def writes(self) -> int:
        """Writes SourceCraft saw since the log was last cleared."""
        return self.sb.log.count("target_write")

    def assert_exact(self) -> None:
        """Every kind the run writes is exactly the mapped source."""
        for kind in WRITTEN[self.kind]:
            assert_exact(self.sb, kind)


@pytest.fixture(params=[*KINDS, *(f"{kind}-batch2" for kind in BATCHED)])
def run(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Run]:
    kind, _, batch = str(request.param).partition("-batch")
    with Sandbox() as sb:
        yield Run(sb, tmp_path, kind, batch)


def _posts_of(kind: str) -> Callable[[RequestRecord], bool]:
    """True for a create of `kind` as the sandbox logs it."""
    return lambda r: r.kind == "target_write" and r.method == "POST" and r.route == ROUTE[kind]


@pytest.mark.slow
class TestGuaranteesForEveryKind:
    def test_a_second_run_makes_zero_writes(self, run: Run) -> None:
        """Guarantee 1: after a successful run, the next one writes nothing."""
        first = run.migrate()
        assert first.returncode == 0, first.stderr
        run.assert_exact()
        run.sb.log.clear()
        second = run.migrate()
        assert second.returncode == 0, second.stderr
        assert run.writes() == 0

    def test_commit_then_drop_on_every_post_makes_no_duplicate(self, run: Run) -> None:
        """Guarantee 2: each create lands and its answer is lost; found by its key, adopted."""
        run.sb.faults.add("sourcecraft", "commit_then_drop", method="POST", route=ROUTE[run.kind])
        result = run.migrate()
        assert result.returncode == 0, result.stderr
        run.assert_exact()
        posts = [r for r in run.sb.log.entries if _posts_of(run.kind)(r)]
        assert posts, "no create was sent"
        assert all(r.fault == "commit_then_drop" for r in posts)

    def test_a_create_answered_with_a_cut_off_body_is_looked_up_not_sent_again(
            self, run: Run) -> None:
        """Guarantee 2: each create lands and its 2xx answer is cut short: the outcome is
        unknown, so the object is found by its key and adopted; one POST per object."""
        run.sb.faults.add("sourcecraft", "truncated", method="POST", route=ROUTE[run.kind])
        result = run.migrate()
        assert result.returncode == 0, result.stderr
        run.assert_exact()
        posts = [r for r in run.sb.log.entries if _posts_of(run.kind)(r)]
        assert posts
        assert all(r.fault == "truncated" for r in posts)

    def test_kill_9_during_creation_then_resume_is_exact(self, run: Run) -> None:
        """Guarantee 3: SIGKILL at the nth create of this kind, five times, then run to the end."""
        rng = random.Random(f"kill:{run.kind}")
        is_post = _posts_of(run.kind)
        killed = 0
        for _ in range(5):
            proc = support.start_cli(["migrate", "-c", str(run.config), "--no-progress", "-q"],
                                     run.env)
            nth, seen = rng.randint(1, 4), [0]

            def kill(record: RequestRecord, proc: subprocess.Popen[str] = proc,
                     nth: int = nth, seen: list[int] = seen) -> None:
                if is_post(record):
                    seen[0] += 1
                    if seen[0] == nth and proc.poll() is None:
                        proc.send_signal(signal.SIGKILL)

            unsubscribe = run.sb.log.subscribe(kill)
            try:
                proc.communicate(timeout=support.RUN_TIMEOUT_S)
            finally:
                unsubscribe()
            killed += proc.returncode == -signal.SIGKILL
            run.sb.wait_idle()
        assert killed >= 3, "the kills did not land during creation"
        final = run.migrate()
        assert final.returncode == 0, final.stderr
        run.assert_exact()

    def test_with_the_checkpoint_lost_nothing_is_duplicated(self, run: Run) -> None:
        """Guarantee 4: a run without its checkpoint finds every object by its key; no write."""
        assert run.migrate().returncode == 0
        (run.folder / "checkpoint.db").unlink()
        run.sb.log.clear()
        result = run.migrate()
        assert result.returncode == 0, result.stderr
        assert run.writes() == 0
        run.assert_exact()

    def test_a_held_lock_exits_4_having_sent_nothing(self, run: Run) -> None:
        """Guarantee 5: a second run on a locked checkpoint exits 4 and sends no request."""
        with Checkpoint.open(run.folder / "checkpoint.db"):
            run.sb.log.clear()
            result = run.migrate()
        assert result.returncode == 4, result.stderr
        assert run.sb.log.entries == []

    def test_a_storm_of_faults_ends_exact(self, run: Run) -> None:
        """Guarantee 6: 429s, 5xx, drops and lost answers everywhere; reruns converge, exact."""
        for status in (429, 500, 502, 503, 504):
            run.sb.faults.add("both", "status", rate=0.03, status=status, retry_after="0")
        run.sb.faults.add("both", "drop", rate=0.02)
        run.sb.faults.add("sourcecraft", "commit_then_drop", method="POST", rate=0.1)
        codes = []
        for _ in range(6):
            result = run.migrate()
            codes.append(result.returncode)
            if result.returncode == 0:
                break
        assert codes[-1] == 0, codes
        run.sb.faults.clear()
        run.assert_exact()
