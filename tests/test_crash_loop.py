"""Thirty SIGKILLs at random moments of one migration: each resume keeps the target exact."""

from __future__ import annotations

import random
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import reliability_support as support

from bridge.sandbox import RequestRecord, Sandbox

MILESTONES = 600  # enough writes left for all 30 kills to land in a load
ISSUES = 300
HIDDEN_CARRIED = 3
KILLS = 30
SEED = 424_242


@dataclass
class CrashLoop:
    """What the loop did: how each run ended, how it was killed, what the checkpoint held."""

    sb: Sandbox
    folder: Path
    kinds: list[str] = field(default_factory=list)  # how each kill was triggered
    codes: list[int] = field(default_factory=list)  # each killed run's return code
    writes_at_kill: list[int] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    states: list[dict[str, int]] = field(default_factory=list)  # checkpoint after each kill
    final: subprocess.CompletedProcess[str] | None = None


def _kill_on(proc: subprocess.Popen[str], kind: str, nth: int, delay: float
             ) -> Callable[[RequestRecord], None]:
    """A request-log subscriber that SIGKILLs `proc` at the nth request of `kind`.

    With no delay the kill lands while that request is handled: the app has acted (a
    write is committed) and the answer is not sent yet. With a delay, a timer started
    at that request kills at a random instant of what follows (requests in flight).
    """
    seen = [0]

    def kill() -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)

    def subscriber(record: RequestRecord) -> None:
        if kind not in ("any", record.kind):
            return
        seen[0] += 1
        if seen[0] != nth:
            return
        if delay <= 0:
            kill()
        else:
            timer = threading.Timer(delay, kill)
            timer.daemon = True
            timer.start()

    return subscriber


#: How a run is killed, and how often: by a timer from its start (startup, extraction,
#: listing), by a timer started at its first write (inside the load, requests in flight), at
#: the nth write as it is committed, or at the nth request of any kind.
TRIGGERS = ("start_timer", "load_timer", "load_timer", "nth_write", "nth_request")


def _one_killed_run(loop: CrashLoop, config: Path, rng: random.Random) -> None:
    proc = support.start_cli(["migrate", "-c", str(config), "--no-progress", "-q"],
                             support.token_env(loop.sb))
    kind = rng.choice(TRIGGERS)
    unsubscribe = None
    if kind == "start_timer":
        try:  # not a sleep: the wait ends early if the run finishes first
            proc.wait(timeout=rng.uniform(0.2, 0.9))
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
    elif kind == "load_timer":
        subscriber = _kill_on(proc, "target_write", 1, rng.uniform(0.001, 0.03))
        unsubscribe = loop.sb.log.subscribe(subscriber)
    elif kind == "nth_write":
        unsubscribe = loop.sb.log.subscribe(_kill_on(proc, "target_write", rng.randint(1, 20), 0))
    else:
        unsubscribe = loop.sb.log.subscribe(_kill_on(proc, "any", rng.randint(1, 30), 0))
    try:
        _, err = proc.communicate(timeout=support.RUN_TIMEOUT_S)
    finally:
        if unsubscribe is not None:
            unsubscribe()
    loop.kinds.append(kind)
    loop.codes.append(proc.returncode)
    loop.stderr.append(err)
    loop.writes_at_kill.append(loop.sb.log.count("target_write"))
    loop.states.append(support.assert_checkpoint_consistent(loop.folder / "checkpoint.db",
                                                            loop.sb))


@pytest.fixture(scope="module")
def crash_loop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CrashLoop]:
    """A 600-milestone migration killed 30 times (by timer, mid-write, mid-any-request), each
    time resumed, then run to its end."""
    folder = tmp_path_factory.mktemp("crash-loop")
    with Sandbox.synthetic(milestones=MILESTONES, issues=ISSUES, seed=SEED) as sb:
        # A little latency on every request, so timed kills land inside requests too.
        sb.faults.add("both", "latency", ms=1, jitter_ms=4)
        config = support.write_config(folder, sb)
        loop = CrashLoop(sb, folder)
        rng = random.Random(SEED)
        for _ in range(KILLS):
            _one_killed_run(loop, config, rng)
        loop.final = support.cli(["migrate", "-c", str(config), "--no-progress", "-q"],
                                 support.token_env(sb))
        yield loop


class TestCrashLoop:
    """SIGKILL at any instant, run again: exactly one milestone per GitLab milestone."""

    def test_thirty_runs_were_killed_at_varied_moments(self, crash_loop: CrashLoop) -> None:
        """The loop really killed: 30 kills, by every trigger, many of them during the load."""
        killed = [code for code in crash_loop.codes if code == -signal.SIGKILL]
        assert len(killed) >= KILLS - 3, crash_loop.codes  # a timer may outlive a short resume
        assert set(crash_loop.kinds) == set(TRIGGERS)
        writes = crash_loop.writes_at_kill
        during_load = sum(1 for a, b in zip([0, *writes], writes, strict=False) if b > a)
        assert during_load >= 10, writes

    def test_no_run_reported_the_checkpoint_corrupt(self, crash_loop: CrashLoop) -> None:
        """No resumed run exits 2 or says the checkpoint is corrupt, locked or unreadable."""
        assert crash_loop.final is not None
        for code, err in [*zip(crash_loop.codes, crash_loop.stderr, strict=True),
                          (crash_loop.final.returncode, crash_loop.final.stderr)]:
            assert code in (0, 1, -signal.SIGKILL), (code, err)
            assert "checkpoint" not in err.lower(), err
            assert "Traceback" not in err

    def test_the_final_run_ends_with_the_exact_target(self, crash_loop: CrashLoop) -> None:
        """The run after the last kill exits 0 and the target is exactly the mapped source."""
        assert crash_loop.final is not None
        assert crash_loop.final.returncode == 0, crash_loop.final.stderr
        assert support.assert_target_exact(crash_loop.sb) == MILESTONES + HIDDEN_CARRIED
        states = support.assert_checkpoint_consistent(crash_loop.folder / "checkpoint.db",
                                                      crash_loop.sb)
        assert set(states) <= {"created", "closed"}, states
