"""Issue 12: every error found before work, named, with the right exit code (through the CLI).

Preflight of both sides, outputs checked before any request, checkpoint paths that
cannot be used, `validate` finding what would fail every item, `--fresh --dry-run`
planning what `--fresh` does, and the smaller ones (an empty token variable, a
trailing slash on `checkpoint:`, `--dryrun`). Hostile inputs that fit the corpus are
in `tests/data/bad/cases.yaml`; these need more than one run or a look at the files.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from reliability_support import cli, token_env, write_config

from bridge import cli as bridge_cli
from bridge import commands as bridge_commands
from bridge.checkpoint import Checkpoint
from bridge.sandbox import Sandbox


@pytest.fixture(autouse=True)
def restore_process_state() -> Iterator[None]:
    """`bridge.cli.main` run in-process sets signal handlers and logging: put them back."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    saved = structlog.get_config()
    yield
    for sig, handler in handlers.items():
        signal.signal(sig, handler)
    structlog.configure(**saved)


def migrate(sb: Sandbox, config: Path, *args: str | Path,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return cli(["migrate", "-c", str(config), "--no-progress", *map(str, args)],
               env if env is not None else token_env(sb))


def plain(stderr: str) -> list[str]:
    """stderr without JSON log lines or console log events: what a person reads as errors."""
    lines = []
    for line in stderr.splitlines():
        try:
            json.loads(line)
        except ValueError:
            if "[info" not in line and "[warning" not in line and "[debug" not in line:
                lines.append(line)
    return lines


def paths(sb: Sandbox) -> list[str]:
    return [r.path for r in sb.log.entries]


class TestPreflight:
    def test_a_refused_sourcecraft_token_is_found_before_any_gitlab_page(
            self, sandbox: Sandbox, tmp_path: Path) -> None:
        """Exit 3 naming SOURCECRAFT_TOKEN after two reads: the project and the repository."""
        env = {**token_env(sandbox), "SOURCECRAFT_TOKEN": "refused-token"}
        run = migrate(sandbox, write_config(tmp_path, sandbox), env=env)
        assert run.returncode == 3
        [line] = plain(run.stderr)
        assert line.startswith("scbridge: error: SourceCraft refused the token in "
                               "SOURCECRAFT_TOKEN: GET /repos/demo-org/demo-repo: 401")
        # Asked at once, so in either order; and no GitLab page after them.
        assert sorted(paths(sandbox)) == ["/api/v3/projects/demo-group%2Fdemo-project",
                                          "/repos/demo-org/demo-repo"]

    def test_a_token_file_is_named_when_its_token_is_refused(self, sandbox: Sandbox,
                                                             tmp_path: Path) -> None:
        """With target.token_file, the line names the file, not a variable."""
        (tmp_path / "sc.token").write_text("refused-token\n", encoding="utf-8")
        config = write_config(tmp_path, sandbox)
        text = config.read_text(encoding="utf-8").replace(
            "target:\n", "target:\n  token_file: sc.token\n", 1)
        config.write_text(text, encoding="utf-8")
        run = migrate(sandbox, config)
        assert run.returncode == 3
        assert f"SourceCraft refused the token in the file {tmp_path / 'sc.token'} " \
               "(target.token_file)" in run.stderr

    def test_a_mistyped_project_does_not_claim_the_checkpoint(self, sandbox: Sandbox,
                                                              tmp_path: Path) -> None:
        """Exit 3 for the typo; fixed, the next run works (it exited 2, 'another project')."""
        config = write_config(tmp_path, sandbox)
        good = config.read_text(encoding="utf-8")
        config.write_text(good.replace(sandbox.project_path, "demo-group/typo"), encoding="utf-8")
        first = migrate(sandbox, config)
        assert first.returncode == 3
        assert "GitLab project 'demo-group/typo' not found" in first.stderr
        config.write_text(good, encoding="utf-8")
        second = migrate(sandbox, config)
        assert second.returncode == 0, second.stderr[-800:]


class TestOutputsBeforeAnyRequest:
    def test_a_missing_report_folder_is_created(self, sandbox: Sandbox, tmp_path: Path) -> None:
        report = tmp_path / "reports" / "nightly" / "run.json"
        run = migrate(sandbox, write_config(tmp_path, sandbox), "--dry-run", "--report", report)
        assert run.returncode == 0, run.stderr
        assert json.loads(report.read_text(encoding="utf-8"))["dry_run"] is True

    @pytest.mark.parametrize("where", ["under-a-file", "a-folder"])
    def test_a_report_that_cannot_be_written_is_exit_2_before_any_request(
            self, sandbox: Sandbox, tmp_path: Path, where: str) -> None:
        """Nothing sent, no checkpoint made, so `status` records no run (it said exit 0)."""
        (tmp_path / "a-file").write_text("", encoding="utf-8")
        (tmp_path / "out.json").mkdir()
        report = tmp_path / "a-file" / "r.json" if where == "under-a-file" else \
            tmp_path / "out.json"
        config = write_config(tmp_path, sandbox)
        run = migrate(sandbox, config, "--report", report)
        assert run.returncode == 2
        [line] = plain(run.stderr)
        assert line.startswith(f"scbridge: error: --report {report}: ")
        assert sandbox.log.entries == []
        assert not (tmp_path / "checkpoint.db").exists()
        status = cli(["status", "-c", str(config)], token_env(sandbox))
        assert "none yet" in status.stdout

    @pytest.mark.parametrize("dry", [False, True])
    def test_a_checkpoint_folder_that_cannot_be_created_is_exit_2(
            self, sandbox: Sandbox, tmp_path: Path, dry: bool) -> None:
        (tmp_path / "a-file").write_text("", encoding="utf-8")
        checkpoint = tmp_path / "a-file" / "state" / "cp.db"
        args = ["--checkpoint", str(checkpoint)] + (["--dry-run"] if dry else [])
        run = migrate(sandbox, write_config(tmp_path, sandbox), *args)
        assert run.returncode == 2
        assert plain(run.stderr) == [f"scbridge: error: {checkpoint}: cannot create the "
                                     f"checkpoint: {tmp_path / 'a-file'} is a file, not a folder"]
        assert sandbox.log.entries == []


COMMANDS = [["migrate"], ["migrate", "--dry-run"], ["status"]]


class TestCheckpointPaths:
    @pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
    def test_a_folder_is_exit_2_naming_it(self, sandbox: Sandbox, tmp_path: Path,
                                          command: list[str]) -> None:
        folder = tmp_path / "state"
        folder.mkdir()
        run = cli([command[0], "-c", str(write_config(tmp_path, sandbox)), "--checkpoint",
                   str(folder), *command[1:]], token_env(sandbox))
        assert run.returncode == 2
        [line] = plain(run.stderr)
        assert line.startswith(f"scbridge: error: {folder}: is a folder, not a checkpoint file")
        assert sandbox.log.entries == []

    @pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
    def test_denied_is_exit_2_naming_it(self, sandbox: Sandbox, tmp_path: Path,
                                        command: list[str], monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
        """A checkpoint the user may not read (simulated: the tests run as root)."""
        config = write_config(tmp_path, sandbox)
        checkpoint = tmp_path / "checkpoint.db"
        Checkpoint.open(checkpoint).close()
        real_access = os.access

        def denied(path: Any, mode: int, **kwargs: Any) -> bool:
            return False if Path(path) == checkpoint else real_access(path, mode, **kwargs)

        monkeypatch.setattr(os, "access", denied)
        for key, value in token_env(sandbox).items():
            monkeypatch.setenv(key, value)
        code = bridge_cli.main([command[0], "-c", str(config), *command[1:], "--log-format",
                                "json", "-q"])
        err = capsys.readouterr().err
        assert code == 2
        assert plain(err) == [f"scbridge: error: {checkpoint}: cannot read the checkpoint: "
                              "permission denied"]
        assert sandbox.log.entries == []

    @pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
    def test_an_sqlite_refusal_is_exit_2_and_v_adds_only_the_traceback(
            self, sandbox: Sandbox, tmp_path: Path, command: list[str],
            monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
        """`disk I/O error` from SQLite was 'internal error', exit 1; now exit 2 naming it."""
        config = write_config(tmp_path, sandbox)
        checkpoint = tmp_path / "checkpoint.db"
        Checkpoint.open(checkpoint).close()

        def refuse(*_args: Any, **_kwargs: Any) -> Checkpoint:
            raise sqlite3.OperationalError("disk I/O error")

        monkeypatch.setattr(Checkpoint, "open", refuse)
        for key, value in token_env(sandbox).items():
            monkeypatch.setenv(key, value)
        argv = [command[0], "-c", str(config), *command[1:], "--log-format", "json", "-q"]
        assert bridge_cli.main(argv) == 2
        line = f"scbridge: error: {checkpoint}: cannot open the checkpoint: disk I/O error"
        assert plain(capsys.readouterr().err) == [line]
        assert bridge_cli.main([*argv[:-1], "-v"]) == 2
        err = capsys.readouterr().err
        assert "Traceback (most recent call last)" in err
        assert err.rstrip().splitlines()[-1] == line


class TestVerboseInternalError:
    def test_v_shows_the_traceback_without_telling_to_run_with_v(
            self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
            tmp_path: Path) -> None:
        def boom(_args: Any, _stop: Any) -> int:
            raise RuntimeError("a bug")

        monkeypatch.setattr(bridge_commands, "dispatch", boom)
        assert bridge_cli.main(["validate", "-c", str(tmp_path / "c.yaml")]) == 1
        assert capsys.readouterr().err.strip() == (
            "scbridge: internal error: RuntimeError: a bug (run again with -v for the traceback)")
        assert bridge_cli.main(["validate", "-c", str(tmp_path / "c.yaml"), "-v"]) == 1
        err = capsys.readouterr().err
        assert "Traceback (most recent call last)" in err
        assert err.rstrip().splitlines()[-1] == "scbridge: internal error: RuntimeError: a bug"


class TestFreshDryRun:
    def test_fresh_dry_run_plans_what_fresh_does(self, sandbox: Sandbox, tmp_path: Path) -> None:
        """A milestone renamed on SourceCraft: matched by id with the checkpoint, a conflict
        without it. `--fresh --dry-run` must say conflict, as `--fresh` then finds."""
        config = write_config(tmp_path, sandbox)
        assert migrate(sandbox, config).returncode == 0
        slug = sandbox.sourcecraft.milestones()[0]["slug"]
        sandbox.sourcecraft.edit_milestone(slug, name="Renamed by hand")
        dry = migrate(sandbox, config, "--fresh", "--dry-run", "--report", tmp_path / "dry.json")
        assert list(tmp_path.glob("checkpoint.db.*.bak")) == []  # the dry run moved nothing
        fresh = migrate(sandbox, config, "--fresh", "--report", tmp_path / "fresh.json")
        summaries = [json.loads((tmp_path / f"{name}.json").read_text(encoding="utf-8"))
                     ["summary"] for name in ("dry", "fresh")]
        assert summaries[0]["conflict"] == 1
        assert summaries[0] == summaries[1]
        assert (dry.returncode, fresh.returncode) == (1, 1)


class TestSmallerOnes:
    def test_an_empty_token_variable_is_called_empty(self, sandbox: Sandbox,
                                                     tmp_path: Path) -> None:
        config = write_config(tmp_path, sandbox)
        run = migrate(sandbox, config, env={**token_env(sandbox), "GITLAB_TOKEN": ""})
        assert run.returncode == 2
        assert "environment variable GITLAB_TOKEN is set but empty" in run.stderr
        check = cli(["validate", "-c", str(config)], {**token_env(sandbox), "GITLAB_TOKEN": ""})
        assert "note: GITLAB_TOKEN is set but empty" in check.stdout

    def test_a_checkpoint_with_a_trailing_slash_is_a_file_in_that_folder(
            self, sandbox: Sandbox, tmp_path: Path) -> None:
        config = write_config(tmp_path, sandbox)
        text = config.read_text(encoding="utf-8").replace("checkpoint: checkpoint.db",
                                                          "checkpoint: state/")
        config.write_text(text, encoding="utf-8")
        assert migrate(sandbox, config).returncode == 0
        assert (tmp_path / "state" / f"{sandbox.org}-{sandbox.repo}").is_file()

    def test_a_checkpoint_option_with_a_trailing_slash_is_a_file_in_that_folder(
            self, sandbox: Sandbox, tmp_path: Path) -> None:
        """`--checkpoint state/`: the config's checkpoint file name, inside state/."""
        config = write_config(tmp_path, sandbox)
        assert migrate(sandbox, config, "--checkpoint", f"{tmp_path / 'state'}/").returncode == 0
        assert (tmp_path / "state" / "checkpoint.db").is_file()
        status = cli(["status", "-c", str(config), "--checkpoint", f"{tmp_path / 'state'}/"],
                     token_env(sandbox))
        assert f"checkpoint {tmp_path / 'state' / 'checkpoint.db'}: " in status.stdout

    def test_dryrun_suggests_dry_run(self, tmp_path: Path) -> None:
        run = cli(["migrate", "-c", str(tmp_path / "c.yaml"), "--dryrun"], dict(os.environ))
        assert run.returncode == 2
        assert run.stderr.splitlines()[-1] == ("scbridge: error: unrecognized arguments: "
                                               "--dryrun; did you mean --dry-run?")


class TestValidateFindsWhatWouldFailEveryItem:
    MAPPING = ("version: 1\nmilestone:\n  name: {from: title}\n"
               "  slug: {from: title, apply: [slugify]}\n"
               "  deadline: {from: due_date}\n"
               "  start_date: {from: title, apply: [date_to_datetime]}\n"
               "  status: {from: state, map: {active: open}}\n")

    def test_each_problem_with_file_line_and_rule(self, tmp_path: Path) -> None:
        mapping = tmp_path / "m.yaml"
        mapping.write_text(self.MAPPING, encoding="utf-8")
        config = tmp_path / "c.yaml"
        config.write_text("source: {url: 'http://127.0.0.1:9', project: g/p}\n"
                          "target: {url: 'http://127.0.0.1:9', org: o, repo: r}\n"
                          "mapping: m.yaml\n", encoding="utf-8")
        run = cli(["validate", "-c", str(config)], dict(os.environ))
        assert run.returncode == 2
        lines = run.stderr.splitlines()
        assert [line.split(": rule ")[0] for line in lines] == [
            f"scbridge: error: {mapping}:{n}" for n in (5, 6, 7)]
        assert "rule 'deadline': GitLab's due_date is a calendar date" in lines[0]
        assert "rule 'start_date': date_to_datetime is given text (GitLab title)" in lines[1]
        assert "rule 'status': map has no entry for GitLab's state 'closed'" in lines[2]
        assert "compiles" not in run.stdout

    def test_a_state_the_filters_keep_out_needs_no_map_entry(self, tmp_path: Path) -> None:
        """`include: {state: [active]}`: closed milestones are never mapped, so no problem."""
        mapping = tmp_path / "m.yaml"
        mapping.write_text("version: 1\nmilestone:\n  name: {from: title}\n"
                           "  slug: {from: title, apply: [slugify]}\n"
                           "  status: {from: state, map: {active: open}}\n"
                           "include:\n  state: [active]\n", encoding="utf-8")
        config = tmp_path / "c.yaml"
        config.write_text("source: {url: 'http://127.0.0.1:9', project: g/p}\n"
                          "target: {url: 'http://127.0.0.1:9', org: o, repo: r}\n"
                          "mapping: m.yaml\n", encoding="utf-8")
        run = cli(["validate", "-c", str(config)], dict(os.environ))
        assert run.returncode == 0, run.stderr

    def test_a_token_file_that_does_not_exist(self, tmp_path: Path) -> None:
        config = tmp_path / "c.yaml"
        config.write_text("source:\n  url: 'http://127.0.0.1:9'\n  project: g/p\n"
                          "  token_file: gitlab.token\n"
                          "target: {url: 'http://127.0.0.1:9', org: o, repo: r}\n",
                          encoding="utf-8")
        run = cli(["validate", "-c", str(config)], dict(os.environ))
        assert run.returncode == 2
        assert run.stderr.strip() == (f"scbridge: error: {config}:4: source.token_file: "
                                      f"cannot read {tmp_path / 'gitlab.token'}")
