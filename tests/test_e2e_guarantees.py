"""SPEC §5's six guarantees, the dry run and the exit codes, proven over real sockets.

Each test runs the real CLI (`python -m bridge migrate -c cfg`) as a subprocess
against the sandbox in this process, and counts what the sandbox saw in its
request log. The target is checked against the mapping applied here, in
process (`load_mapping` + `transform`), never against the tool's own report.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bridge.checkpoint import Checkpoint
from bridge.config import HttpConfig, bundled_mapping, load_config
from bridge.engine.extract import extract
from bridge.engine.transform import transform
from bridge.models import WantedMilestone
from bridge.net.http import HttpClient
from bridge.pipeline import RunOptions, run
from bridge.rules import load_mapping
from bridge.sandbox import RequestRecord, Sandbox
from bridge.sources.gitlab import GitLabReader

MANAGED = ("name", "slug", "description", "start_date", "deadline", "status")
GITLAB_ENV, SOURCECRAFT_ENV = "E2E_GITLAB_TOKEN", "E2E_SOURCECRAFT_TOKEN"  # variable names


@dataclass
class Workdir:
    """One config and checkpoint beside it, pointing at one sandbox."""

    sb: Sandbox
    root: Path

    @property
    def config(self) -> Path:
        return self.root / "scbridge.yaml"

    @property
    def checkpoint(self) -> Path:
        return self.root / "state" / "checkpoint"

    def write(self, *, http: str = "  max_backoff_s: 0.02\n", extra: str = "") -> Workdir:
        """Write the config; `http` lines go under `http:` (small waits keep storms fast)."""
        self.config.write_text(
            f"source:\n  url: {self.sb.gitlab_url}\n  project: {self.sb.project_path}\n"
            f"  token_env: {GITLAB_ENV}\n"
            f"target:\n  url: {self.sb.sourcecraft_url}\n  org: {self.sb.org}\n"
            f"  repo: {self.sb.repo}\n  token_env: {SOURCECRAFT_ENV}\n"
            f"checkpoint: state/checkpoint\n"
            f"http:\n  timeout_s: 10\n{http}{extra}", encoding="utf-8")
        return self

    def env(self, **override: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("E2E_")}
        env.update({GITLAB_ENV: self.sb.gitlab_token, SOURCECRAFT_ENV: self.sb.sourcecraft_token,
                    "PYTHONUNBUFFERED": "1"})
        env.update(override)
        return env

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "bridge", "migrate", "-c", str(self.config),
                "--no-progress", "-q", *args]

    def migrate(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        """Run `scbridge migrate` to its end."""
        return subprocess.run(self.argv(*args), capture_output=True, text=True, timeout=60,
                              env=self.env(**env), cwd=self.root, check=False)

    def start(self, *args: str) -> subprocess.Popen[str]:
        """Start `scbridge migrate` without waiting for it."""
        return subprocess.Popen(self.argv(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=self.env(), cwd=self.root)

    def reset(self) -> None:
        """An empty target, no checkpoint, an empty log: as before the first run."""
        for item in self.sb.sourcecraft.milestones():
            self.sb.sourcecraft.delete_milestone(str(item["slug"]))
        for path in self.checkpoint.parent.glob("*"):
            path.unlink()
        self.sb.faults.clear()
        self.sb.log.clear()


@pytest.fixture(scope="module")
def wanted() -> list[WantedMilestone]:
    """What the demo project's milestones should become: the bundled mapping, applied here."""
    with Sandbox(dataset="demo") as sb:
        http = HttpClient(sb.gitlab_url, kind="source",
                          headers={"PRIVATE-TOKEN": sb.gitlab_token}, http=HttpConfig())
        extracted = extract(GitLabReader(http, project=sb.project_path))
        http.close()
    results = transform(load_mapping(bundled_mapping()), extracted.milestones)
    return [r for r in results if isinstance(r, WantedMilestone)]


@pytest.fixture
def work(sandbox: Sandbox, tmp_path: Path) -> Workdir:
    return Workdir(sandbox, tmp_path).write()


def assert_target_is_mapped(sb: Sandbox, wanted: list[WantedMilestone]) -> None:
    """Exactly one SourceCraft milestone per GitLab milestone, each field as mapped."""
    target = sb.sourcecraft.milestones()
    names = Counter(str(m["name"]) for m in target)
    assert {n: c for n, c in names.items() if c != 1} == {}, "duplicates by name"
    assert sorted(names) == sorted(w.name for w in wanted)
    by_name = {m["name"]: {k: m[k] for k in MANAGED} for m in target}
    for w in wanted:
        assert by_name[w.name] == w.managed(), w.name


def writes(sb: Sandbox) -> list[RequestRecord]:
    return [r for r in sb.log.entries if r.kind == "target_write"]


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    return lines[0]


class TestSecondRun:
    def test_a_run_after_a_successful_run_writes_nothing(
            self, work: Workdir, wanted: list[WantedMilestone]) -> None:
        """Guarantee 1: the first run creates and closes; the second makes zero writes."""
        first = work.migrate()
        assert first.returncode == 0, first.stderr
        closed = sum(w.status == "closed" for w in wanted)
        assert Counter(r.method for r in writes(work.sb)) == {"POST": len(wanted),
                                                              "PATCH": closed}
        assert all(r.silent is True for r in writes(work.sb))
        assert_target_is_mapped(work.sb, wanted)
        work.sb.log.clear()
        second = work.migrate("--report", "again.json")
        assert second.returncode == 0, second.stderr
        assert work.sb.log.count("target_write") == 0
        report = json.loads((work.root / "again.json").read_text())
        assert report["requests"]["target_write"] == 0
        assert report["summary"]["unchanged"] == len(wanted)
        # Neither token reaches any output, the report or the checkpoint.
        seen = (first.stdout + first.stderr + second.stdout + second.stderr).encode()
        seen += (work.root / "again.json").read_bytes() + work.checkpoint.read_bytes()
        for token in (work.sb.gitlab_token, work.sb.sourcecraft_token):
            assert token.encode() not in seen


class TestUnknownPostOutcomes:
    def test_commit_then_drop_on_every_post_makes_no_duplicate(
            self, work: Workdir, wanted: list[WantedMilestone]) -> None:
        """Guarantee 2: every POST lands but its answer is lost; each is adopted, not re-sent."""
        work.sb.faults.add("sourcecraft", "commit_then_drop", method="POST")
        result = work.migrate()
        assert result.returncode == 0, result.stdout + result.stderr
        posts = [r for r in writes(work.sb) if r.method == "POST"]
        # One POST per milestone: a blind re-send would show as a second POST of a slug.
        assert Counter(r.body["slug"] for r in posts) == Counter(w.slug for w in wanted)
        assert all(r.fault == "commit_then_drop" for r in posts)
        looked_up = {r.path.rsplit("/", 1)[1] for r in work.sb.log.entries
                     if r.kind == "target_read" and r.path.count("/") == 5}
        assert looked_up == {w.slug for w in wanted}
        assert_target_is_mapped(work.sb, wanted)

    def test_a_dropped_post_that_did_not_land_is_sent_again_once(
            self, work: Workdir, wanted: list[WantedMilestone]) -> None:
        """A POST dropped before acting is looked up (404), then sent once more, no duplicate."""
        fault = work.sb.faults.add("sourcecraft", "drop", method="POST", times=5)
        result = work.migrate()
        assert result.returncode == 0, result.stdout + result.stderr
        posts = [r for r in writes(work.sb) if r.method == "POST"]
        assert fault.fired == 5
        assert len(posts) == len(wanted) + fault.fired
        assert_target_is_mapped(work.sb, wanted)


# -- guarantee 3: kill -9 at any instant ---------------------------------------------------

@dataclass(frozen=True)
class KillPoint:
    """Kill the CLI right after the sandbox handled the n-th request of `kind`."""

    kind: str
    n: int

    def __str__(self) -> str:
        return f"{self.kind}#{self.n}"


KILL_POINTS = ([KillPoint("source_read", n) for n in (1, 2, 3)]
               + [KillPoint("target_read", 1)]
               + [KillPoint("target_write", n) for n in range(1, 20)])


class Killer:
    """A request-log subscriber that SIGKILLs one process at its kill point."""

    def __init__(self, point: KillPoint) -> None:
        self.point = point
        self.pid: int | None = None
        self.seen = 0
        self.fired = False
        self._lock = threading.Lock()

    def __call__(self, record: RequestRecord) -> None:
        if record.kind != self.point.kind:
            return
        with self._lock:
            self.seen += 1
            if self.seen != self.point.n or self.pid is None:
                return
            self.fired = True
        # Before the answer goes out: the write is committed and the client never hears of it.
        os.kill(self.pid, signal.SIGKILL)


def crash_then_recover(work: Workdir, point: KillPoint,
                       wanted: list[WantedMilestone]) -> list[str]:
    """Kill a run at `point`, run again to the end; what broke a guarantee, if anything."""
    work.reset()
    killer = Killer(point)
    unsubscribe = work.sb.log.subscribe(killer)
    try:
        process = work.start()
        killer.pid = process.pid
        process.communicate(timeout=60)
    finally:
        unsubscribe()
    # The killed client's last requests may still be in the fakes' hands: let them settle,
    # or they would land in the rerun's log (a half-sent PATCH read as the rerun's 400).
    assert work.sb.wait_idle(), "the sandbox never finished the killed client's requests"
    present = {str(m["slug"]) for m in work.sb.sourcecraft.milestones()}
    work.sb.log.clear()
    again = work.migrate()
    rerun = writes(work.sb)
    problems: list[str] = []
    if not killer.fired or process.returncode != -signal.SIGKILL:
        problems.append(f"first run ended ({process.returncode}) before its kill point")
    if again.returncode != 0:
        problems.append(f"rerun exit {again.returncode}: {again.stderr[-300:]}")
    # The rerun never POSTs blind: only slugs that were absent, each once, each accepted.
    posted = Counter(r.body["slug"] for r in rerun if r.method == "POST")
    if any(c > 1 for c in posted.values()) or set(posted) & present:
        problems.append(f"rerun re-posted {dict(posted)}; present before: {sorted(present)}")
    if any(r.status is None or r.status >= 300 for r in rerun):
        problems.append(f"rerun write refused: {[(r.method, r.status) for r in rerun]}")
    try:
        assert_target_is_mapped(work.sb, wanted)
    except AssertionError as exc:
        problems.append(f"target: {exc}")
    return [f"{point}: {problem}" for problem in problems]


class TestKillNine:
    def test_sigkill_at_every_point_then_rerun_leaves_one_milestone_each(
            self, tmp_path: Path, wanted: list[WantedMilestone]) -> None:
        """Guarantee 3: at each of 23 kill points, the rerun ends with the mapped target."""
        workers = 3  # one sandbox and one folder per lane, reset between its kill points
        sandboxes = [Sandbox(dataset="demo").start() for _ in range(workers)]
        try:
            works = [Workdir(sb, tmp_path / f"lane{i}") for i, sb in enumerate(sandboxes)]
            for work in works:
                work.root.mkdir()
                work.write()

            def lane(index: int) -> list[str]:
                return [problem for point in KILL_POINTS[index::workers]
                        for problem in crash_then_recover(works[index], point, wanted)]

            with ThreadPoolExecutor(max_workers=workers) as pool:
                failures = [p for problems in pool.map(lane, range(workers)) for p in problems]
        finally:
            for sb in sandboxes:
                sb.stop()
        assert failures == []
        assert len(KILL_POINTS) >= 20


class TestLostCheckpoint:
    def test_with_the_checkpoint_deleted_the_next_run_writes_nothing(
            self, work: Workdir, wanted: list[WantedMilestone]) -> None:
        """Guarantee 4: everything is matched by slug and name and adopted; zero writes."""
        assert work.migrate().returncode == 0
        work.checkpoint.unlink()
        work.sb.log.clear()
        result = work.migrate()
        assert result.returncode == 0, result.stderr
        assert work.sb.log.count("target_write") == 0
        assert_target_is_mapped(work.sb, wanted)
        with Checkpoint.open(work.checkpoint, readonly=True) as checkpoint:
            records = checkpoint.records("milestone")
        target_ids = {m["id"] for m in work.sb.sourcecraft.milestones()}
        assert {r.target_id for r in records.values()} == target_ids


class TestLock:
    def test_a_second_run_while_the_lock_is_held_exits_4_and_sends_nothing(
            self, work: Workdir) -> None:
        """Guarantee 5: exit 4, one clear line on stderr, not one request, no write."""
        with Checkpoint.open(work.checkpoint):
            result = work.migrate()
        assert result.returncode == 4
        line = one_line(result.stderr)
        assert "lock" in line
        assert "wrote nothing" in line
        assert work.sb.log.entries == []


class TestStorms:
    def test_429_and_5xx_on_reads_and_patches_are_ridden_out(
            self, work: Workdir, wanted: list[WantedMilestone]) -> None:
        """Guarantee 6: 429 (Retry-After 0) and 5xx on target GETs and PATCHes end in success."""
        # Each storm is finite and shorter than max_attempts, so no request can be unlucky
        # enough to meet only failures however the pool interleaves: the test is exact.
        work.write(http="  max_backoff_s: 0.02\n  max_attempts: 12\n")
        faults = [
            work.sb.faults.add("sourcecraft", "status", method="GET", every=2, times=6,
                               status=429, retry_after="0"),
            work.sb.faults.add("sourcecraft", "status", method="GET", every=3, times=4,
                               status=502),
            work.sb.faults.add("sourcecraft", "status", method="PATCH", every=2, times=4,
                               status=503),
            work.sb.faults.add("sourcecraft", "status", method="PATCH", every=3, times=3,
                               status=429, retry_after="0"),
        ]
        work.sb.faults.add("sourcecraft", "page_cap", method="GET", max=2)
        work.sb.faults.add("sourcecraft", "commit_then_drop", method="POST", every=4)
        result = work.migrate()
        assert result.returncode == 0, result.stdout + result.stderr
        assert_target_is_mapped(work.sb, wanted)
        work.sb.log.clear()
        # The second run lists seven capped pages through what is left of the read storm.
        again = work.migrate()
        assert again.returncode == 0, again.stdout + again.stderr
        assert work.sb.log.count("target_write") == 0
        assert [f.fired > 0 for f in faults] == [True] * len(faults)

    def test_waits_follow_retry_after_then_backoff(self, sandbox: Sandbox, tmp_path: Path) -> None:
        """In process, with sleep injected: Retry-After is waited as sent, else 1 s, 2 s, ..."""
        work = Workdir(sandbox, tmp_path).write(http="  concurrency: 1\n  max_backoff_s: 60\n")
        sandbox.faults.add("sourcecraft", "status", method="GET", times=2, status=429,
                           retry_after="7")
        sandbox.faults.add("sourcecraft", "status", method="PATCH", times=2, status=503)
        config = load_config(work.config, env=work.env())
        sleeps: list[float] = []
        result = run(config, RunOptions(checkpoint=work.checkpoint, progress=False,
                                        sleep=sleeps.append, jitter=lambda: 1.0))
        assert result.report.exit_code == 0
        assert sleeps == [7.0, 7.0, 1.0, 2.0]


class TestDryRun:
    def test_dry_run_writes_nothing_and_plans_what_the_real_run_does(
            self, work: Workdir, wanted: list[WantedMilestone]) -> None:
        """Zero writes, no checkpoint file; the real run then reports the same items."""
        dry = work.migrate("--dry-run", "--report", "plan.json")
        assert dry.returncode == 0, dry.stderr
        assert work.sb.log.count("target_write") == 0
        assert not work.checkpoint.parent.exists()
        assert work.sb.sourcecraft.milestones() == []
        real = work.migrate("--report", "real.json")
        assert real.returncode == 0, real.stderr
        plan, done = (json.loads((work.root / name).read_text())
                      for name in ("plan.json", "real.json"))

        def items(report: dict[str, Any]) -> list[tuple[Any, ...]]:
            return [(i["source_id"], i["action"], i["target_slug"], i["changes"], i["error"])
                    for i in report["items"]]

        assert plan["dry_run"] is True
        assert items(plan) == items(done)
        assert plan["summary"] == done["summary"]
        methods = Counter(r.method for r in writes(work.sb))
        closed = sum(i["changes"].get("status", [None, None])[1] == "closed"
                     for i in plan["items"])
        assert methods == {"POST": plan["summary"]["create"], "PATCH": closed}
        assert_target_is_mapped(work.sb, wanted)


class TestSignals:
    @pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["INT", "TERM"])
    def test_signal_mid_run_exits_130_consistent_and_resumable(
            self, work: Workdir, wanted: list[WantedMilestone], signum: int) -> None:
        """In-flight writes finish, the checkpoint matches the target, the rerun completes."""
        work.sb.faults.add("sourcecraft", "latency", method="POST", ms=150)
        work.sb.faults.add("sourcecraft", "latency", method="PATCH", ms=150)
        pid: list[int] = []
        sent = threading.Event()

        def on_write(record: RequestRecord) -> None:
            if record.kind == "target_write" and pid and not sent.is_set():
                sent.set()
                os.kill(pid[0], signum)

        unsubscribe = work.sb.log.subscribe(on_write)
        try:
            process = work.start()
            pid.append(process.pid)
            _out, err = process.communicate(timeout=60)
        finally:
            unsubscribe()
        assert process.returncode == 130, err
        target = {str(m["id"]): m for m in work.sb.sourcecraft.milestones()}
        assert 0 < len(target) < len(wanted)
        with Checkpoint.open(work.checkpoint, readonly=True) as checkpoint:
            records = checkpoint.records("milestone")
        # Consistent: every milestone made is recorded with its id, no intent left dangling.
        assert {r.target_id for r in records.values() if r.target_id} == set(target)
        assert {r.state for r in records.values()} <= {"created", "closed"}
        for record in records.values():
            status = target[str(record.target_id)]["status"]
            assert (record.state == "closed") == (status == "closed")
        work.sb.faults.clear()
        work.sb.log.clear()
        again = work.migrate()
        assert again.returncode == 0, again.stderr
        assert Counter(r.method for r in writes(work.sb))["POST"] == len(wanted) - len(target)
        assert_target_is_mapped(work.sb, wanted)


class TestExitCodes:
    def test_gitlab_refusing_the_token_exits_3(self, work: Workdir) -> None:
        """A 401 from GitLab: exit 3, one line, the bad token nowhere, nothing written."""
        bad = "sbgl-not-the-right-token"
        result = work.migrate(**{GITLAB_ENV: bad})
        assert result.returncode == 3
        assert "401" in one_line(result.stderr)
        assert bad not in result.stderr + result.stdout
        assert work.sb.log.count("target_write") == 0
        with Checkpoint.open(work.checkpoint, readonly=True) as checkpoint:
            last = checkpoint.last_run()
        assert last is not None
        assert (last.exit_code, last.finished_at is not None) == (3, True)

    def test_sourcecraft_refusing_the_token_exits_3(self, work: Workdir) -> None:
        """A 401 from SourceCraft while listing: exit 3 before any write."""
        result = work.migrate(**{SOURCECRAFT_ENV: "sbsc-wrong"})
        assert result.returncode == 3
        assert "401" in one_line(result.stderr)
        assert work.sb.log.count("target_write") == 0

    def test_a_project_that_does_not_exist_exits_3(self, work: Workdir) -> None:
        """A 404 for the project: exit 3 with one line naming the 404."""
        work.config.write_text(work.config.read_text().replace(
            work.sb.project_path, "nobody/nothing"), encoding="utf-8")
        result = work.migrate()
        assert result.returncode == 3
        assert "404" in one_line(result.stderr)
        assert work.sb.log.count("target_write") == 0

    def test_a_bad_config_exits_2_before_any_request(self, work: Workdir) -> None:
        """A misspelt key: exit 2, the key named, not one request sent."""
        work.write(extra="mirorr:\n  on_deleted: keep\n")
        result = work.migrate()
        assert result.returncode == 2
        assert "mirorr" in one_line(result.stderr)
        assert work.sb.log.entries == []

