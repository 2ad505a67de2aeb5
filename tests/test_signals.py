"""SIGTERM and SIGINT at every phase of a run: exit 130, a consistent checkpoint, a clean resume."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import reliability_support as support

from bridge.sandbox import RequestRecord, Sandbox

SIGNALS = [signal.SIGTERM, signal.SIGINT]
#: The moment a signal is sent: the first request of this (server, path suffix, method).
PHASES = {
    "extraction": ("gitlab", "/issues", "GET"),
    "listing": ("sourcecraft", "/milestones", "GET"),
    "load": ("sourcecraft", "/milestones", "POST"),
}


def _signal_at(proc: subprocess.Popen[str], phase: str, signum: int, *, times: int = 1
               ) -> Callable[[RequestRecord], None]:
    """A request-log subscriber that signals `proc` while the phase's first `times` requests
    are served (the answers not sent yet), once per request."""
    server, suffix, method = PHASES[phase]
    sent = [0]
    lock = threading.Lock()

    def subscriber(record: RequestRecord) -> None:
        if record.server != server or record.method != method or not record.path.endswith(suffix):
            return
        with lock:
            if sent[0] >= times:
                return
            sent[0] += 1
        proc.send_signal(signum)

    return subscriber


def _interrupted_run(sb: Sandbox, config: Path, phase: str, signum: int,
                     times: int = 1) -> subprocess.CompletedProcess[str]:
    """One signal during `phase`; with `times=2`, a second one once the run said it got the
    first (sent together, the kernel may deliver two signals as one)."""
    proc = support.start_cli(["migrate", "-c", str(config), "--no-progress", "-q"],
                             support.token_env(sb))
    unsubscribe = sb.log.subscribe(_signal_at(proc, phase, signum))
    lines: dict[str, list[str]] = {"out": [], "err": []}

    def read(name: str, stream: Any) -> None:
        for line in stream:
            lines[name].append(line)
            if name == "err" and times > 1 and "stopping after the requests" in line:
                proc.send_signal(signum)

    readers = [threading.Thread(target=read, args=(name, stream), daemon=True)
               for name, stream in (("out", proc.stdout), ("err", proc.stderr))]
    try:
        for reader in readers:
            reader.start()
        proc.wait(timeout=support.RUN_TIMEOUT_S)
        for reader in readers:
            reader.join(timeout=support.RUN_TIMEOUT_S)
    finally:
        unsubscribe()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    return subprocess.CompletedProcess(proc.args, proc.returncode, "".join(lines["out"]),
                                       "".join(lines["err"]))


class TestOneSignal:
    """One SIGTERM or SIGINT: in-flight work finishes, the run exits 130, the next one resumes."""

    @pytest.mark.parametrize("signum", SIGNALS, ids=lambda s: signal.Signals(s).name)
    @pytest.mark.parametrize("phase", list(PHASES))
    def test_exit_130_consistent_checkpoint_then_resume(self, phase: str, signum: int,
                                                        tmp_path: Path) -> None:
        """Exit 130 with a plain message; the checkpoint matches the target; a re-run ends exact."""
        with Sandbox() as sb:
            config = support.write_config(tmp_path, sb)
            done = _interrupted_run(sb, config, phase, signum)
            assert done.returncode == 130, done.stderr
            assert "Traceback" not in done.stderr
            assert "stopping after the requests in flight" in done.stderr
            writes = sb.log.count("target_write")
            if phase == "load":
                assert writes > 0
                assert len(sb.sourcecraft.milestones()) < len(support.expected_target(sb))
            else:
                assert writes == 0
                assert "nothing was written" in done.stderr
            support.assert_checkpoint_consistent(tmp_path / "checkpoint.db", sb)
            again = support.cli(["migrate", "-c", str(config), "--no-progress", "-q"],
                                support.token_env(sb))
            assert again.returncode == 0, again.stderr
            assert support.assert_target_exact(sb) == len(support.expected_target(sb))


class TestSecondSignal:
    """A second signal while in-flight writes finish: out at once, still consistent."""

    @pytest.mark.parametrize("signum", SIGNALS, ids=lambda s: signal.Signals(s).name)
    def test_a_second_signal_during_the_load_exits_130_consistently(self, signum: int,
                                                                    tmp_path: Path) -> None:
        """Slow writes; the second signal comes as the second of four POSTs in flight is
        answered: exit 130, no traceback, and the resume ends exact."""
        with Sandbox() as sb:
            sb.faults.add("sourcecraft", "latency", method="POST", ms=300)
            config = support.write_config(tmp_path, sb)
            done = _interrupted_run(sb, config, "load", signum, times=2)
            assert done.returncode == 130, done.stderr
            assert "Traceback" not in done.stderr
            assert "scbridge: interrupted" in done.stderr
            support.assert_checkpoint_consistent(tmp_path / "checkpoint.db", sb)
            status = support.cli(["status", "-c", str(config)], support.token_env(sb))
            assert re.search(r"interrupted at \S+, exit 130", status.stdout), status.stdout
            assert "never" not in status.stdout
            sb.faults.clear()
            again = support.cli(["migrate", "-c", str(config), "--no-progress", "-q"],
                                support.token_env(sb))
            assert again.returncode == 0, again.stderr
            assert support.assert_target_exact(sb) == len(support.expected_target(sb))


class TestInterruptedIsNotFailed:
    """Items a signal kept from being tried are "not attempted", never "failed"."""

    def test_report_and_status_say_interrupted(self, tmp_path: Path) -> None:
        """SIGTERM during the load: the closing line says interrupted and counts what was not
        attempted apart; the JSON report marks those items; status says "interrupted at"."""
        with Sandbox() as sb:
            sb.faults.add("sourcecraft", "latency", method="POST", ms=100)
            config = support.write_config(tmp_path, sb)
            report = tmp_path / "run.json"
            proc = support.start_cli(["migrate", "-c", str(config), "--no-progress",
                                      "--report", str(report)], support.token_env(sb))
            unsubscribe = sb.log.subscribe(_signal_at(proc, "load", signal.SIGTERM))
            try:
                out, err = proc.communicate(timeout=support.RUN_TIMEOUT_S)
            finally:
                unsubscribe()
            assert proc.returncode == 130, err
            last = out.rstrip("\n").split("\n")[-1]
            assert "failed 0" in last
            assert re.search(r", not attempted [1-9]\d* in \d+ requests \(interrupted", last), last
            doc = json.loads(report.read_text(encoding="utf-8"))
            skipped = [it for it in doc["items"] if not it["attempted"]]
            assert doc["summary"]["failed"] == 0
            assert doc["summary"]["not_attempted"] == len(skipped) > 0
            assert all(it["error"] is None for it in skipped)
            assert {it["reason"] for it in skipped} == {"not attempted: the run was interrupted"}
            status = support.cli(["status", "-c", str(config)], support.token_env(sb))
            assert re.search(r"last run: migrate started \S+, interrupted at \S+, exit 130: "
                             r"created \d+", status.stdout), status.stdout
            assert f"not attempted {len(skipped)}" in status.stdout
