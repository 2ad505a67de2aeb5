"""The command line as users meet it: validate, status, demo, reports, logs and token hygiene."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from reliability_support import cli, token_env, write_config

from bridge.checkpoint import Checkpoint
from bridge.sandbox import Sandbox


def run_cli(sb: Sandbox | None, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """The real CLI with the sandbox's tokens (or none) in its environment."""
    env = token_env(sb) if sb is not None else dict(os.environ)
    return cli([str(a) for a in args], env)


class TestValidate:
    def test_bundled_mapping_is_described_without_network(self, tmp_path: Path) -> None:
        """validate compiles the mapping and says where each field comes from, sending nothing."""
        config = tmp_path / "c.yaml"
        config.write_text("source: {url: 'http://127.0.0.1:9', project: g/p}\n"
                          "target: {url: 'http://127.0.0.1:9', org: o, repo: r}\n",
                          encoding="utf-8")
        run = run_cli(None, "validate", "-c", config)
        assert run.returncode == 0, run.stderr
        for field in ("name", "slug", "deadline", "status"):
            assert field in run.stdout
        assert "title" in run.stdout

    def test_broken_mapping_exits_2_naming_file_and_line(self, tmp_path: Path) -> None:
        """A mapping with an unknown transform fails validate with exit 2 and file:line."""
        mapping = tmp_path / "m.yaml"
        mapping.write_text("version: 1\nmilestone:\n  name: {from: title}\n"
                           "  slug: {from: title, apply: [slugifyy]}\n"
                           "  status: {from: state, map: {active: open, closed: closed}}\n",
                           encoding="utf-8")
        config = tmp_path / "c.yaml"
        config.write_text("source: {url: 'http://127.0.0.1:9', project: g/p}\n"
                          "target: {url: 'http://127.0.0.1:9', org: o, repo: r}\n"
                          "mapping: m.yaml\n", encoding="utf-8")
        run = run_cli(None, "validate", "-c", config)
        assert run.returncode == 2
        assert f"{mapping}:4" in run.stderr
        assert "slugifyy" in run.stderr
        assert "Traceback" not in run.stderr
        assert len(run.stderr.strip().splitlines()) == 1


class TestStatus:
    def test_status_without_checkpoint_says_so(self, sandbox: Sandbox, tmp_path: Path) -> None:
        """Before any run, status explains that there is no checkpoint yet and exits 0."""
        run = run_cli(sandbox, "status", "-c", write_config(tmp_path, sandbox))
        assert run.returncode == 0
        assert "none yet" in run.stdout

    def test_status_after_migration_counts_states_and_lists_failures(
            self, sandbox: Sandbox, tmp_path: Path) -> None:
        """After a run, status shows items by state, the last run, and each failed item's error."""
        config = write_config(tmp_path, sandbox)
        assert run_cli(sandbox, "migrate", "-c", config).returncode == 0
        closed = sum(1 for m in sandbox.gitlab.milestones() if m["state"] == "closed")
        checkpoint_path = tmp_path / "checkpoint.db"
        with Checkpoint.open(checkpoint_path) as checkpoint:
            checkpoint.record("milestone", 999_999, key="ghost", state="failed",
                              error="boom: 503 from proxy")
        run = run_cli(sandbox, "status", "-c", config)
        assert run.returncode == 0
        assert f"closed     {closed}" in run.stdout
        last = next(line for line in run.stdout.splitlines() if line.startswith("last run:"))
        assert re.search(r"started \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", last), last
        assert re.search(r"finished \d{4}-\d\d-\d\dT", last), last
        assert "exit 0" in last
        assert f"created 13 ({closed} closed)" in last  # the report's own words
        assert "failed: GitLab milestone 999999 (ghost): boom: 503 from proxy" in run.stdout


class TestDemo:
    def test_demo_runs_from_a_clean_directory(self, tmp_path: Path) -> None:
        """`scbridge demo` needs no token: dry run, migration, listing of every kind, then a
        zero-write re-run."""
        env_clean = {k: v for k, v in os.environ.items() if "TOKEN" not in k}
        done = subprocess.run([sys.executable, "-m", "bridge", "demo"], cwd=tmp_path,
                              env=env_clean, capture_output=True, text=True, timeout=60,
                              check=False)
        assert done.returncode == 0, done.stderr
        out = done.stdout
        # The whole tracker: each kind planned in the dry run's summary table (8 labels,
        # 13 milestones, 150 issues, 10 comments and 5 issues' system notes skipped).
        plan = out[out.index("== 1."):out.index("== 2.")]
        assert re.search(r"^labels +8 +0 +0 +0 +0 +0 +0$", plan, re.M), plan
        assert re.search(r"^milestones +13 +0 +0 +0 +0 +0 +0$", plan, re.M)
        assert re.search(r"^issues +150 +0 +0 +0 +0 +0 +0$", plan, re.M)
        assert re.search(r"^comments +10 +0 +0 +0 +5 +0 +0$", plan, re.M)
        assert "would create 181 (80 closed)" in plan
        assert "... 140 more issue items" in plan  # a screenful per kind, not 150 rows
        assert "created 181 (80 closed)" in out
        assert "unchanged 171" in out  # labels, milestones, issues; comments are not re-read
        assert "reliz-1-0" in out  # the Cyrillic title got a readable Latin slug
        # What SourceCraft holds: a few lines per kind, issues with number, GitLab number,
        # status and comment count.
        held = out[out.index("== 3."):out.index("== 4.")]
        assert "labels (8):" in held
        assert "milestones (13):" in held
        assert "issues (150, with 10 comments on 6 of them):" in held
        row = next(line for line in held.split("\n") if line.endswith(" Fix CSV export"))
        assert row.split()[1:4] == ["#3", "open", "3"]
        assert "Импорт задач из GitLab теряет метки" in held  # shown: it has a comment
        assert "the last run added none" in out
        assert len(out.split("\n")) < 400
        assert list(tmp_path.iterdir()) == []  # nothing left behind in the user's folder


class TestReportsAndLogs:
    @pytest.mark.parametrize("suffix", [".json", ".md", ".html"])
    def test_report_file_by_extension(self, sandbox: Sandbox, tmp_path: Path, suffix: str) -> None:
        """--report writes the format its extension names, alongside the text report on stdout."""
        report = tmp_path / f"run{suffix}"
        run = run_cli(sandbox, "migrate", "-c", write_config(tmp_path, sandbox), "--dry-run",
                      "--report", report)
        assert run.returncode == 0, run.stderr
        assert "would create 13" in run.stdout
        text = report.read_text(encoding="utf-8")
        assert "reliz-1-0" in text
        if suffix == ".json":
            assert json.loads(text)["summary"]["create"] == 13

    def test_unknown_report_extension_fails_before_any_request(
            self, sandbox: Sandbox, tmp_path: Path) -> None:
        """A report path with an unknown extension is a usage error (exit 2) and sends nothing."""
        run = run_cli(sandbox, "migrate", "-c", write_config(tmp_path, sandbox),
                      "--report", tmp_path / "run.pdf")
        assert run.returncode == 2
        assert ".pdf" in run.stderr
        assert sandbox.log.counts() == dict.fromkeys(sandbox.log.counts(), 0)

    def test_json_logs_are_json_lines(self, sandbox: Sandbox, tmp_path: Path) -> None:
        """--log-format json makes every stderr line a JSON object with a snake_case event."""
        run = run_cli(sandbox, "migrate", "-c", write_config(tmp_path, sandbox), "--dry-run",
                      "--log-format", "json", "-v")
        assert run.returncode == 0
        events = [json.loads(line) for line in run.stderr.splitlines() if line.strip()]
        names = {e["event"] for e in events}
        assert {"run_started", "http_request", "extracted", "run_finished"} <= names
        assert events[0]["event"] == "run_started"
        assert events[0]["project"] == sandbox.project_path
        assert events[-1]["event"] == "run_finished"
        assert events[-1]["create"] == 13  # the end event carries the counts
        request = next(e for e in events if e["event"] == "http_request")
        assert {"method", "path", "status", "ms", "attempt"} <= request.keys()

    def test_console_logs_are_not_json(self, sandbox: Sandbox, tmp_path: Path) -> None:
        """--log-format console renders for people, even when stderr is not a terminal."""
        run = run_cli(sandbox, "migrate", "-c", write_config(tmp_path, sandbox), "--dry-run",
                      "--log-format", "console")
        assert run.returncode == 0
        lines = [line for line in run.stderr.splitlines() if line.strip()]
        assert any("run_finished" in line for line in lines)
        assert not any(line.lstrip().startswith("{") for line in lines)

    def test_no_token_anywhere_after_a_debug_migration(self, sandbox: Sandbox,
                                                        tmp_path: Path) -> None:
        """A whole migration at debug level leaves neither token in any output or file."""
        config = write_config(tmp_path, sandbox)
        reports = [tmp_path / f"r{suffix}" for suffix in (".json", ".md", ".html")]
        outputs = []
        for report in reports:
            run = run_cli(sandbox, "migrate", "-c", config, "-v", "--log-format", "json",
                          "--report", report)
            assert run.returncode == 0, run.stderr
            outputs += [run.stdout, run.stderr]
        run = run_cli(sandbox, "status", "-c", config, "-v")
        outputs += [run.stdout, run.stderr]
        assert "http_request" in "".join(outputs)  # debug logging really was on
        blobs = [o.encode() for o in outputs] + [p.read_bytes() for p in reports]
        blobs += [p.read_bytes() for p in tmp_path.glob("checkpoint.db*")]
        for token in (sandbox.gitlab_token, sandbox.sourcecraft_token):
            assert not [b for b in blobs if token.encode() in b]


class TestErrors:
    def test_missing_token_variable_is_named(self, sandbox: Sandbox, tmp_path: Path) -> None:
        """An unset token variable is a config error (exit 2) naming the variable, in one line."""
        env = {k: v for k, v in token_env(sandbox).items() if k != "GITLAB_TOKEN"}
        run = cli(["migrate", "-c", str(write_config(tmp_path, sandbox))], env)
        assert run.returncode == 2
        assert "GITLAB_TOKEN" in run.stderr
        assert len(run.stderr.strip().splitlines()) == 1

    def test_usage_error_exits_2(self) -> None:
        """A command without its required config is a usage error."""
        run = run_cli(None, "migrate")
        assert run.returncode == 2
        assert "-c" in run.stderr


def run_on_a_terminal(sb: Sandbox, *args: str | Path) -> tuple[str, str]:
    """The real CLI with stderr on a pseudo-terminal and stdout on a pipe: (stdout, stderr)."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "bridge", *map(str, args)], env=token_env(sb),
                            stdout=subprocess.PIPE, stderr=follower, text=True)
    os.close(follower)
    chunks = []
    while True:  # drain the terminal as we go, so a full pty buffer cannot block the run
        ready, _, _ = select.select([leader], [], [], 60)
        try:
            chunk = os.read(leader, 65536) if ready else b""
        except OSError:  # EIO: the child closed its end of the terminal
            chunk = b""
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    out, _ = proc.communicate(timeout=60)  # a 13-item report fits the pipe's buffer
    assert proc.returncode == 0
    return out, b"".join(chunks).decode("utf-8", "replace")


class TestProgressWiring:
    def test_bar_on_a_terminal_stderr_only(self, sandbox: Sandbox, tmp_path: Path) -> None:
        """On a TTY stderr the bar shows each phase with counts; stdout (a pipe) never gets it."""
        out, err = run_on_a_terminal(sandbox, "migrate", "-c", write_config(tmp_path, sandbox),
                                     "-q")
        assert "extract milestones" in err
        assert "13/13 items" in err
        assert "created 13" in out
        assert "extract milestones" not in out

    def test_no_progress_hides_the_bar_on_a_terminal(self, sandbox: Sandbox,
                                                     tmp_path: Path) -> None:
        """--no-progress keeps a terminal's stderr free of the bar."""
        _out, err = run_on_a_terminal(sandbox, "migrate", "-c", write_config(tmp_path, sandbox),
                                      "-q", "--no-progress")
        assert "extract" not in err
        assert "items" not in err

    def test_no_bar_when_stderr_is_a_pipe(self, sandbox: Sandbox, tmp_path: Path) -> None:
        """Without a terminal (cron, CI) no bar is drawn, even with info logs on."""
        run = run_cli(sandbox, "migrate", "-c", write_config(tmp_path, sandbox))
        assert run.returncode == 0
        assert "extract milestones" not in run.stderr + run.stdout


class TestSandboxCommand:
    def test_printed_config_and_tokens_drive_a_real_dry_run(self, tmp_path: Path) -> None:
        """`scbridge sandbox` serves until Ctrl-C and prints a config and tokens that work."""
        proc = subprocess.Popen([sys.executable, "-m", "bridge", "sandbox"], text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            assert proc.stdout is not None
            lines = []
            for line in proc.stdout:
                if line.startswith("Serving"):
                    break
                lines.append(line)
            text = "".join(lines)
            tokens = dict(re.findall(r"export (\w+_TOKEN)=(\S+)", text))
            config = tmp_path / "scbridge.yaml"
            config.write_text(text[text.index("source:"):], encoding="utf-8")
            env = {**{k: v for k, v in os.environ.items() if "TOKEN" not in k}, **tokens}
            run = cli(["migrate", "-c", str(config), "--dry-run"], env)
            assert run.returncode == 0, run.stderr
            assert "would create 13" in run.stdout
        finally:
            proc.send_signal(signal.SIGINT)
            proc.communicate(timeout=30)
        assert proc.returncode == 0  # Ctrl-C is how a user stops it, not a failure
