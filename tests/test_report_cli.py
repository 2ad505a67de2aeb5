"""The text report as the CLI prints it: it fits the screen, shows reasons, counts honestly."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
from reliability_support import RUN_TIMEOUT_S, cli, expected_target, token_env, write_config

from bridge.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[1]
MAPPING = ROOT / "bridge" / "data" / "gitlab-v3-to-sourcecraft.yaml"
STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


def env_for(sb: Sandbox, **extra: str) -> dict[str, str]:
    """The sandbox's tokens, without the caller's COLUMNS/LINES, plus `extra`."""
    env = {k: v for k, v in token_env(sb).items() if k not in ("COLUMNS", "LINES")}
    return {**env, **extra}


def run(sb: Sandbox, *args: str | Path, **extra: str) -> subprocess.CompletedProcess[str]:
    """The real CLI, stdout and stderr on pipes."""
    return cli([str(a) for a in args], env_for(sb, **extra))


def run_on_a_terminal(sb: Sandbox, columns: int, *args: str | Path) -> str:
    """The real CLI with stdout on a pseudo-terminal `columns` wide (no COLUMNS set)."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "bridge", *map(str, args)], env=env_for(sb),
                            stdout=follower, stderr=subprocess.DEVNULL)
    os.close(follower)
    chunks = []
    while True:
        ready, _, _ = select.select([leader], [], [], RUN_TIMEOUT_S)
        try:
            chunk = os.read(leader, 65536) if ready else b""
        except OSError:  # EIO: the child closed its end
            chunk = b""
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert proc.wait(timeout=RUN_TIMEOUT_S) == 0
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


def flat(text: str) -> str:
    """`text` with every run of whitespace (line breaks, indents, padding) made one space."""
    return " ".join(text.split())


def body(text: str) -> list[str]:
    """Every line but the closing one."""
    return text.rstrip("\n").split("\n")[:-1]


def closing(text: str) -> str:
    return text.rstrip("\n").split("\n")[-1]


def assert_nothing_cut(out: str, sb: Sandbox) -> None:
    """Every title, slug, date and description of the plan is in `out` whole."""
    tokens, words = set(out.split()), flat(out)
    for slug, fields in expected_target(sb).items():
        assert slug in tokens, slug
        assert fields["name"] in words, fields["name"]
        for key in ("start_date", "deadline"):
            if fields[key]:
                assert fields[key] in tokens, fields[key]
        if fields["description"]:
            assert flat(fields["description"]) in words, fields["description"]
    assert "…" not in out


class TestFitsTheScreen:
    """A terminal's width, COLUMNS, or (in a pipe) no 80-column wrap; nothing cut mid-word."""

    @pytest.mark.parametrize("columns", [70, 100, 160])
    def test_columns_sets_the_width(self, sandbox: Sandbox, tmp_path: Path,
                                    columns: int) -> None:
        """With COLUMNS set every line but the closing one fits it, and nothing is cut."""
        done = run(sandbox, "migrate", "-c", write_config(tmp_path, sandbox), "--dry-run",
                   COLUMNS=str(columns))
        assert done.returncode == 0, done.stderr
        assert max(len(line) for line in body(done.stdout)) <= columns
        assert_nothing_cut(done.stdout, sandbox)

    def test_a_terminal_sets_the_width(self, sandbox: Sandbox, tmp_path: Path) -> None:
        """On a 90-column terminal (no COLUMNS) the table fits 90 columns, nothing cut."""
        out = run_on_a_terminal(sandbox, 90, "migrate", "-c", write_config(tmp_path, sandbox),
                                "--dry-run", "--log-format", "json")
        lines = body(out)
        assert max(len(line) for line in lines) <= 90
        assert max(len(line) for line in lines) > 80  # it used the room it had
        assert_nothing_cut(out, sandbox)

    def test_a_pipe_is_not_wrapped_at_80(self, sandbox: Sandbox, tmp_path: Path) -> None:
        """Into a pipe the table is as wide as its content needs: titles whole, dates whole."""
        done = run(sandbox, "migrate", "-c", write_config(tmp_path, sandbox), "--dry-run")
        assert done.returncode == 0, done.stderr
        assert max(len(line) for line in body(done.stdout)) > 80
        assert_nothing_cut(done.stdout, sandbox)
        team = next(line for line in done.stdout.split("\n") if "team-milestone" in line)
        assert "Team milestone 2016" in team  # on its row's line, not cut to "Team milestone 2…"


class TestReasonsShown:
    """Why an item is skipped, kept or overwritten is on stdout, not only in the files."""

    @pytest.mark.parametrize(("policy", "reason"), [
        ("source-wins", "edited on SourceCraft; overwritten (source-wins)"),
        ("keep-target", "edited on SourceCraft; kept (keep-target)"),
    ])
    def test_a_hand_edit_and_the_policy(self, sandbox: Sandbox, tmp_path: Path, policy: str,
                                        reason: str) -> None:
        """A milestone edited by hand on SourceCraft: the mirror's text report says what it did."""
        config = write_config(tmp_path, sandbox,
                              extra=f"mirror:\n  on_target_edited: {policy}\n")
        assert run(sandbox, "migrate", "-c", config).returncode == 0
        sandbox.sourcecraft.edit_milestone("v0-9", description="edited by hand")
        done = run(sandbox, "mirror", "-c", config, COLUMNS="100")
        assert done.returncode == 0, done.stderr
        assert f"({reason})" in flat(done.stdout)

    def test_a_filtered_milestone_shows_its_regex_as_written(self, sandbox: Sandbox,
                                                            tmp_path: Path) -> None:
        """`exclude: {title: '^v1\\.\\d$'}`: the skip says so with single backslashes."""
        mapping = tmp_path / "mapping.yaml"
        mapping.write_text(MAPPING.read_text(encoding="utf-8")
                           + "exclude:\n  title: '^v1\\.\\d$'\n", encoding="utf-8")
        config = write_config(tmp_path, sandbox, extra=f"mapping: {mapping}\n")
        done = run(sandbox, "migrate", "-c", config, "--dry-run")
        assert done.returncode == 0, done.stderr
        assert ("(filtered: exclude.title (drops milestones whose title matches '^v1\\.\\d$'))"
                in flat(done.stdout))
        assert "\\\\" not in done.stdout


def counts(line: str) -> dict[str, int]:
    """The closing line's counts by word, the "(N closed)" part of the creates left out."""
    words = re.sub(r" \(\d+ closed\)", "", line.split(" in ", maxsplit=1)[0])
    return {word: int(n) for word, n in (part.rsplit(" ", 1) for part in words.split(", "))}


class TestHonestCounts:
    """The closing line adds up to the items, status says the same, adoption is not creation."""

    def test_created_closed_adds_up_and_status_agrees(self, sandbox: Sandbox,
                                                      tmp_path: Path) -> None:
        """13 created of which 6 closed at once: "created 13 (6 closed)", and status agrees."""
        config = write_config(tmp_path, sandbox)
        done = run(sandbox, "migrate", "-c", config)
        assert done.returncode == 0, done.stderr
        last = closing(done.stdout)
        assert last.startswith("created 13 (6 closed), closed 0, updated 0, unchanged 0")
        assert sum(counts(last).values()) == len(expected_target(sandbox))
        status = run(sandbox, "status", "-c", config)
        said = next(line for line in status.stdout.split("\n") if line.startswith("last run:"))
        assert said.endswith(": " + last.split(" in ")[0])

    def test_found_by_slug_is_adopted_not_created(self, sandbox: Sandbox,
                                                  tmp_path: Path) -> None:
        """With the checkpoint lost, the milestones already there are adopted, and said so."""
        config = write_config(tmp_path, sandbox)
        assert run(sandbox, "migrate", "-c", config).returncode == 0
        other = tmp_path / "lost.db"
        done = run(sandbox, "migrate", "-c", config, "--checkpoint", other)
        assert done.returncode == 0, done.stderr
        assert counts(closing(done.stdout))["adopted"] == 13
        assert counts(closing(done.stdout))["created"] == 0
        assert sum(1 for line in done.stdout.split("\n") if line.startswith("adopt ")) == 13
        status = run(sandbox, "status", "-c", config, "--checkpoint", other)
        assert "adopted 13" in status.stdout

    def test_an_unknown_create_outcome_that_landed_is_adopted(self, sandbox: Sandbox,
                                                              tmp_path: Path) -> None:
        """A POST committed but its answer lost: found by slug and adopted, not "created"."""
        sandbox.faults.add("sourcecraft", "commit_then_drop", method="POST", times=1)
        done = run(sandbox, "migrate", "-c", write_config(tmp_path, sandbox))
        assert done.returncode == 0, done.stderr
        got = counts(closing(done.stdout))
        assert (got["created"], got["adopted"]) == (12, 1)


class TestQuiet:
    """-q: one timestamped closing line, the table only of what changed."""

    def test_quiet_run_with_changes(self, sandbox: Sandbox, tmp_path: Path) -> None:
        """The rows of what was written, then one line: time, what ran, the counts."""
        done = run(sandbox, "migrate", "-c", write_config(tmp_path, sandbox), "-q")
        assert done.returncode == 0, done.stderr
        assert re.fullmatch(
            STAMP + r" scbridge migrate: \S+ → \S+: created 13 \(6 closed\), .* in \d+ requests",
            closing(done.stdout)), closing(done.stdout)
        assert sum(1 for line in done.stdout.split("\n") if line.startswith("create ")) == 13
        assert done.stderr == ""

    def test_quiet_run_without_changes_is_one_line(self, sandbox: Sandbox,
                                                   tmp_path: Path) -> None:
        """Nothing to do: the whole of stdout is one line, ready for an hourly log."""
        config = write_config(tmp_path, sandbox)
        assert run(sandbox, "mirror", "-c", config, "-q").returncode == 0
        done = run(sandbox, "mirror", "-c", config, "-q")
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        assert len(lines) == 1, done.stdout
        assert re.fullmatch(STAMP + r" scbridge mirror: .*: created 0, .*unchanged 13, .*",
                            lines[0])
