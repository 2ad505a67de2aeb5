"""CLI options and config keys proven end to end: --checkpoint, --fresh, -v, -q, exit codes,
and the wiring of api_version, per_page, silent and allow_insecure_http into the requests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import responses
from reliability_support import assert_target_exact, cli, expected_target, token_env, write_config

from bridge.checkpoint import Checkpoint
from bridge.config import load_config
from bridge.errors import FatalApiError
from bridge.pipeline import RunOptions, run
from bridge.sandbox import Sandbox


def migrate(sb: Sandbox, config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`migrate -c CONFIG ARGS` with the sandbox's tokens, no progress bar."""
    return cli(["migrate", "-c", str(config), "--no-progress", *args], token_env(sb))


def with_source_key(config: Path, line: str) -> Path:
    """Add one `source:` key to a config written by `write_config`."""
    text = config.read_text(encoding="utf-8").replace("source:\n", f"source:\n  {line}\n", 1)
    config.write_text(text, encoding="utf-8")
    return config


class TestCheckpointOption:
    def test_checkpoint_option_overrides_the_config(self, sandbox: Sandbox,
                                                    tmp_path: Path) -> None:
        """`--checkpoint PATH` writes PATH and never the file the config names."""
        config = write_config(tmp_path, sandbox)
        chosen = tmp_path / "elsewhere" / "cp.db"
        run = migrate(sandbox, config, "--checkpoint", str(chosen))
        assert run.returncode == 0, run.stderr
        assert not (tmp_path / "checkpoint.db").exists()
        with Checkpoint.open(chosen, readonly=True) as checkpoint:
            assert len(checkpoint.records("milestone")) == len(sandbox.sourcecraft.milestones())

    def test_status_reads_the_overriding_checkpoint(self, sandbox: Sandbox,
                                                    tmp_path: Path) -> None:
        """`status --checkpoint PATH` reports the file given, not the config's."""
        config = write_config(tmp_path, sandbox)
        chosen = tmp_path / "cp-other.db"
        assert migrate(sandbox, config, "--checkpoint", str(chosen)).returncode == 0
        run = cli(["status", "-c", str(config), "--checkpoint", str(chosen)], token_env(sandbox))
        assert run.returncode == 0, run.stderr
        assert f"checkpoint {chosen}: {len(sandbox.sourcecraft.milestones())} milestones" \
            in run.stdout


class TestFresh:
    def test_fresh_moves_the_old_checkpoint_aside_and_duplicates_nothing(
            self, sandbox: Sandbox, tmp_path: Path) -> None:
        """`--fresh` keeps the old file under a new name, starts a new one, and adds nothing."""
        config = write_config(tmp_path, sandbox)
        assert migrate(sandbox, config).returncode == 0
        with Checkpoint.open(tmp_path / "checkpoint.db", readonly=True) as checkpoint:
            before = sorted(checkpoint.records("milestone"))
        run = migrate(sandbox, config, "--fresh")
        assert run.returncode == 0, run.stderr
        aside = sorted(tmp_path.glob("checkpoint.db.*.bak"))
        assert len(aside) == 1
        with Checkpoint.open(aside[0], readonly=True) as old:
            assert sorted(old.records("milestone")) == before
        with Checkpoint.open(tmp_path / "checkpoint.db", readonly=True) as new:
            assert sorted(new.records("milestone")) == before
        assert_target_exact(sandbox)

    def test_fresh_dry_run_moves_nothing(self, sandbox: Sandbox, tmp_path: Path) -> None:
        """A dry run writes no checkpoint, so `--fresh --dry-run` leaves the old one in place."""
        config = write_config(tmp_path, sandbox)
        assert migrate(sandbox, config).returncode == 0
        run = migrate(sandbox, config, "--fresh", "--dry-run")
        assert run.returncode == 0, run.stderr
        assert list(tmp_path.glob("checkpoint.db.*.bak")) == []
        assert (tmp_path / "checkpoint.db").exists()


class TestSourceKeys:
    def test_per_page_is_sent_on_every_gitlab_listing(self, sandbox: Sandbox,
                                                      tmp_path: Path) -> None:
        """`source.per_page: 7` reaches every milestone and issue page request."""
        config = with_source_key(write_config(tmp_path, sandbox), "per_page: 7")
        assert migrate(sandbox, config, "--dry-run").returncode == 0
        listings = [r for r in sandbox.log.entries
                    if r.server == "gitlab" and r.path.endswith(("/milestones", "/issues"))]
        assert len(listings) > 2
        assert {r.query.get("per_page") for r in listings} == {"7"}

    def test_api_v4_is_asked_on_api_v4(self, sandbox: Sandbox, tmp_path: Path) -> None:
        """`api_version: v4` sends to /api/v4; the v3-only sandbox's 404 says v3 is there."""
        config = with_source_key(write_config(tmp_path, sandbox), "api_version: v4")
        run = migrate(sandbox, config)
        assert run.returncode == 3
        plain = [line for line in run.stderr.splitlines() if not line.startswith("{")]
        assert plain == [f"scbridge: error: GitLab at {sandbox.gitlab_url} has no API v4 (it "
                         "answers on /api/v3): set source.api_version: v3: GET /api/v4/projects/"
                         "demo-group%2Fdemo-project: 404 Not Found"]
        # The project asked on v4, then one probe on v3 to say which version is there (and
        # SourceCraft's repository, asked at the same time as the first).
        gitlab = [r.path for r in sandbox.log.entries if r.kind == "source_read"]
        assert gitlab == ["/api/v4/projects/demo-group%2Fdemo-project",
                          "/api/v3/projects/demo-group%2Fdemo-project"]
        assert [r.path for r in sandbox.log.entries if r.kind != "source_read"] == [
            "/repos/demo-org/demo-repo"]


class TestTargetSilent:
    def test_silent_false_reaches_every_write(self, sandbox: Sandbox, tmp_path: Path) -> None:
        """`target.silent: false` sends `?silent=false` on every POST and PATCH."""
        config = write_config(tmp_path, sandbox)
        text = config.read_text(encoding="utf-8").replace("target:\n", "target:\n  silent: false\n")
        config.write_text(text, encoding="utf-8")
        assert migrate(sandbox, config).returncode == 0
        written = [r for r in sandbox.log.entries if r.kind == "target_write"]
        assert {r.method for r in written} == {"POST", "PATCH"}
        assert {r.silent for r in written} == {False}


class TestConsoleScript:
    def test_scbridge_script_is_python_m_bridge(self) -> None:
        """The installed `scbridge` script and `python -m bridge` print the same help."""
        script = Path(sys.executable).parent / "scbridge"
        assert script.exists(), "pip install -e . creates the scbridge console script"
        by_script = subprocess.run([str(script), "--help"], capture_output=True, text=True,
                                   timeout=30, check=False)
        by_module = subprocess.run([sys.executable, "-m", "bridge", "--help"],
                                   capture_output=True, text=True, timeout=30, check=False)
        assert (by_script.returncode, by_module.returncode) == (0, 0)
        assert by_script.stdout == by_module.stdout
        assert "migrate" in by_script.stdout


class TestInsecureHttpOptIn:
    @responses.activate
    def test_opt_in_lets_a_run_reach_a_plain_http_remote_host(self, tmp_path: Path) -> None:
        """With `allow_insecure_http: true` a run's first request goes to the http:// host."""
        config_path = tmp_path / "c.yaml"
        config_path.write_text(
            "source: {url: 'http://gitlab.example.com', project: g/p}\n"
            "target: {url: 'http://sourcecraft.example.com', org: o, repo: r}\n"
            "allow_insecure_http: true\ncheckpoint: cp.db\n", encoding="utf-8")
        config = load_config(config_path, env={"GITLAB_TOKEN": "gl", "SOURCECRAFT_TOKEN": "sc"})
        responses.get("http://gitlab.example.com/api/v3/projects/g%2Fp", status=404,
                      json={"message": "404 Project Not Found"})
        responses.get("http://gitlab.example.com/api/v4/projects/g%2Fp", status=404,
                      json={"error": "404 Not Found"})
        responses.get("http://sourcecraft.example.com/repos/o/r", json={"slug": "r"})
        with pytest.raises(FatalApiError, match="404 Project Not Found"):
            run(config, RunOptions(dry_run=True, progress=False))
        # The project, then the probe of the other API version that tells "missing" from "v4";
        # SourceCraft's repository is asked at the same time as the project.
        urls = [call.request.url for call in responses.calls]
        assert [url for url in urls if "gitlab" in url] == [
            "http://gitlab.example.com/api/v3/projects/g%2Fp",
            "http://gitlab.example.com/api/v4/projects/g%2Fp"]
        assert [url for url in urls if "gitlab" not in url] == [
            "http://sourcecraft.example.com/repos/o/r"]


class TestVerbosity:
    def test_verbose_adds_the_traceback_to_the_error_line(self, tmp_path: Path) -> None:
        """`-v` prints the traceback before the one-line error; without it, only the line."""
        missing = tmp_path / "nope.yaml"
        plain = cli(["validate", "-c", str(missing)], {"PATH": "/usr/bin:/bin"})
        verbose = cli(["validate", "-c", str(missing), "-v"], {"PATH": "/usr/bin:/bin"})
        assert (plain.returncode, verbose.returncode) == (2, 2)
        assert "Traceback" not in plain.stderr
        assert "Traceback (most recent call last)" in verbose.stderr
        assert verbose.stderr.strip().splitlines()[-1] == plain.stderr.strip()

    def test_quiet_keeps_info_events_out_of_the_log(self, sandbox: Sandbox,
                                                    tmp_path: Path) -> None:
        """`-q` logs warnings and errors only: a clean migration logs no info event."""
        config = write_config(tmp_path, sandbox)
        normal = migrate(sandbox, config, "--dry-run", "--log-format", "json")
        quiet = migrate(sandbox, config, "--dry-run", "--log-format", "json", "-q")
        assert (normal.returncode, quiet.returncode) == (0, 0)
        assert '"run_finished"' in normal.stderr
        assert quiet.stderr.strip() == ""


class TestBadCheckpoint:
    def test_corrupt_checkpoint_exits_2_before_any_request(self, sandbox: Sandbox,
                                                           tmp_path: Path) -> None:
        """A checkpoint that is not one is named in one line, exit 2, kept as is, nothing sent."""
        config = write_config(tmp_path, sandbox)
        (tmp_path / "checkpoint.db").write_bytes(b"not a database at all, " * 200)
        run = migrate(sandbox, config)
        assert run.returncode == 2
        assert run.stderr.startswith(f"scbridge: error: {tmp_path / 'checkpoint.db'}")
        assert len(run.stderr.strip().splitlines()) == 1
        assert (tmp_path / "checkpoint.db").read_bytes() == b"not a database at all, " * 200
        assert sandbox.log.entries == []


class TestConflictExit:
    def test_a_stranger_on_a_slug_ends_the_migration_with_exit_1(self, sandbox: Sandbox,
                                                                tmp_path: Path) -> None:
        """A slug held by someone else's milestone: that item is a conflict, the rest go, exit 1."""
        expected = expected_target(sandbox)
        taken = sorted(expected)[0]
        sandbox.sourcecraft.create_milestone(name="Someone else's", slug=taken)
        path = tmp_path / "r.json"
        run = migrate(sandbox, write_config(tmp_path, sandbox), "--report", str(path))
        assert run.returncode == 1, run.stderr
        report = json.loads(path.read_text(encoding="utf-8"))
        conflicts = [i["target_slug"] for i in report["items"] if i["action"] == "conflict"]
        assert conflicts == [taken]
        by_slug = {m["slug"]: m for m in sandbox.sourcecraft.milestones()}
        assert by_slug[taken]["name"] == "Someone else's"
        assert set(by_slug) == set(expected)
