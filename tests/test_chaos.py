"""A seeded storm on both fake servers: the migration still ends with exactly the mapped source."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import reliability_support as support

from bridge.config import Config, load_config
from bridge.pipeline import RunOptions, run
from bridge.sandbox import Sandbox

MILESTONES = 500
ISSUES = 1_000
HIDDEN_CARRIED = 3  # the synthetic project's milestones that only issues carry
SEED = 20_240_917
#: A storm ends after this many runs at most; each run after the first only retries failures.
MAX_RUNS = 6
#: The backoff cap of the storm configs: Retry-After "1" must be capped to it as well.
MAX_BACKOFF_S = 0.02


def add_storm(sb: Sandbox) -> None:
    """On both servers: 10% 5xx, 5% 429 with Retry-After, 2% drops, 2% commit-then-drop on
    writes, and a little random latency on every request."""
    for status in (500, 502, 503, 504):
        sb.faults.add("both", "status", rate=0.025, status=status)
    sb.faults.add("both", "status", rate=0.025, status=429, retry_after="0")
    sb.faults.add("both", "status", rate=0.025, status=429, retry_after="1")
    sb.faults.add("both", "drop", rate=0.02)
    for method in ("POST", "PATCH"):
        sb.faults.add("both", "commit_then_drop", method=method, rate=0.02)
    sb.faults.add("both", "latency", ms=0, jitter_ms=3)


def fired(sb: Sandbox) -> dict[str, int]:
    """How often each kind of fault took effect so far, e.g. {"status:503": 40, "drop:": 9}."""
    counts: dict[str, int] = {}
    for fault in sb.faults.active:
        key = f"{fault.kind}:{fault.params.get('status', fault.method or '')}"
        counts[key] = counts.get(key, 0) + fault.fired
    return counts


@dataclass
class Storm:
    """One storm run to its end in this process: the sandbox, the config and what happened."""

    sb: Sandbox
    config: Config
    codes: list[int] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)
    fired: dict[str, int] = field(default_factory=dict)


@pytest.fixture(scope="module")
def storm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Storm]:
    """A 500-milestone project migrated through the storm, re-run after each exit 1."""
    folder = tmp_path_factory.mktemp("storm")
    with Sandbox.synthetic(milestones=MILESTONES, issues=ISSUES, seed=SEED) as sb:
        add_storm(sb)
        config = load_config(support.write_config(folder, sb,
                                                  http={"max_backoff_s": MAX_BACKOFF_S}),
                             env=support.token_env(sb))
        result = Storm(sb, config)
        jitter = random.Random(SEED)
        for _ in range(MAX_RUNS):
            outcome = run(config, RunOptions(progress=False, sleep=result.waits.append,
                                             jitter=jitter.random))
            result.codes.append(outcome.report.exit_code)
            if outcome.report.exit_code != 1:
                break
        result.fired = fired(sb)
        yield result


class TestChaosInProcess:
    """`pipeline.run` in this process, with an injected sleep, through the storm."""

    def test_the_storm_converges_to_exit_0(self, storm: Storm) -> None:
        """Every run exits 0 or 1 (items failed, to retry), and a bounded re-run ends in 0."""
        assert storm.codes[-1] == 0, storm.codes
        assert set(storm.codes) <= {0, 1}, storm.codes

    def test_the_target_is_exactly_the_mapped_source(self, storm: Storm) -> None:
        """No duplicate, nothing missing, every mapped field right, all made by the bridge."""
        assert support.assert_target_exact(storm.sb) == MILESTONES + HIDDEN_CARRIED

    def test_the_checkpoint_matches_the_target(self, storm: Storm) -> None:
        """Every record names a milestone that exists, and nothing is left pending or failed."""
        states = support.assert_checkpoint_consistent(storm.config.checkpoint, storm.sb)
        assert set(states) <= {"created", "closed"}, states
        assert sum(states.values()) == MILESTONES + HIDDEN_CARRIED

    def test_every_kind_of_fault_fired(self, storm: Storm) -> None:
        """The storm really blew: each fault kind took effect, the waits stayed within the cap."""
        for key in ("status:500", "status:502", "status:503", "status:504", "status:429",
                    "drop:", "commit_then_drop:POST", "commit_then_drop:PATCH"):
            assert storm.fired.get(key, 0) > 0, (key, storm.fired)
        assert storm.waits
        assert max(storm.waits) <= MAX_BACKOFF_S

    def test_a_run_after_the_storm_writes_nothing(self, storm: Storm) -> None:
        """Guarantee 1 holds with the faults still on: once done, the next run makes no write."""
        before = storm.sb.log.count("target_write")
        result = run(storm.config, RunOptions(progress=False, sleep=lambda _s: None))
        assert result.report.exit_code == 0
        assert storm.sb.log.count("target_write") == before
        assert result.report.summary()["unchanged"] == MILESTONES + HIDDEN_CARRIED


@dataclass
class CliStorm:
    """The storm through the real CLI in a subprocess: every byte it produced, kept for scans."""

    sb: Sandbox
    folder: Path
    codes: list[int] = field(default_factory=list)
    outputs: dict[str, bytes] = field(default_factory=dict)


@pytest.fixture(scope="module")
def cli_storm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CliStorm]:
    """`scbridge migrate -v --log-format json --report ...` re-run through the storm to exit 0,
    then once more per report format, with the faults still on."""
    folder = tmp_path_factory.mktemp("cli-storm")
    with Sandbox.synthetic(milestones=MILESTONES, issues=ISSUES, seed=SEED + 1) as sb:
        add_storm(sb)
        config = support.write_config(folder, sb, http={"max_backoff_s": MAX_BACKOFF_S})
        result = CliStorm(sb, folder)
        formats = [".json", ".md", ".html"]
        for number in range(MAX_RUNS + len(formats)):
            report = folder / f"report-{number}{formats[number % len(formats)]}"
            done = support.cli(["migrate", "-c", str(config), "-v", "--log-format", "json",
                                "--no-progress", "--report", str(report)],
                               support.token_env(sb))
            result.codes.append(done.returncode)
            result.outputs[f"stdout-{number}"] = done.stdout.encode()
            result.outputs[f"stderr-{number}"] = done.stderr.encode()
            if done.returncode not in (0, 1) or (done.returncode == 0 and number >= 2):
                break
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.suffix != ".yaml":
                result.outputs[path.name] = path.read_bytes()
        yield result


class TestChaosThroughTheCli:
    """The same storm driven through `python -m bridge migrate` in a subprocess."""

    def test_the_cli_converges_to_the_exact_mapped_source(self, cli_storm: CliStorm) -> None:
        """Exit 1 then 0 at most MAX_RUNS runs in, and the target is exactly the mapped source."""
        assert cli_storm.codes[-1] == 0, cli_storm.codes
        assert set(cli_storm.codes) <= {0, 1}, cli_storm.codes
        assert support.assert_target_exact(cli_storm.sb) == MILESTONES + HIDDEN_CARRIED
        support.assert_checkpoint_consistent(cli_storm.folder / "checkpoint.db", cli_storm.sb)

    def test_debug_logs_and_reports_were_all_produced(self, cli_storm: CliStorm) -> None:
        """The scan below is meaningful: debug HTTP lines, retries and all three reports exist."""
        stderr = b"".join(v for k, v in cli_storm.outputs.items() if k.startswith("stderr"))
        assert b'"event": "http_request"' in stderr
        assert b'"event": "http_retry"' in stderr
        names = set(cli_storm.outputs)
        assert {"checkpoint.db", "report-0.json", "report-1.md", "report-2.html"} <= names

    def test_no_output_holds_either_token(self, cli_storm: CliStorm) -> None:
        """stdout, stderr at debug, the JSON/MD/HTML reports and the checkpoint: zero hits."""
        sb = cli_storm.sb
        needles = {token.encode(): name for name, token in (
            ("gitlab", sb.gitlab_token), ("sourcecraft", sb.sourcecraft_token))}
        needles.update({token[:16].encode(): f"{name} prefix" for token, name in (
            (sb.gitlab_token, "gitlab"), (sb.sourcecraft_token, "sourcecraft"))})
        hits = [(where, name) for where, data in cli_storm.outputs.items()
                for needle, name in needles.items() if needle in data]
        assert hits == []
        assert sum(len(data) for data in cli_storm.outputs.values()) > 100_000
