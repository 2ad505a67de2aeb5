"""A zero-write re-run of migrate writes nothing on SourceCraft, and leaves the checkpoint's
notes as they are (no durable write of a value it already holds)."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
import reliability_support as support

from bridge.checkpoint import Checkpoint
from bridge.cli import main
from bridge.kinds.issue import ISSUES_COMPLETE
from bridge.sandbox import Sandbox

TRANSFER = "transfer:\n  labels: true\n  issues: true\n  comments: true\n"


def test_a_rerun_keeps_the_issues_complete_note_without_writing_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first migrate notes every issue moved; the re-run, which moves nothing, keeps
    that note and does not write it again (a commit and an fsync for nothing)."""
    written: list[tuple[str, str]] = []
    set_meta = Checkpoint.set_meta

    def spy(self: Checkpoint, key: str, value: str) -> None:
        written.append((key, value))
        set_meta(self, key, value)

    monkeypatch.setattr(Checkpoint, "set_meta", spy)
    with Sandbox() as sb:
        config = support.write_config(tmp_path, sb, extra=TRANSFER)
        for name, value in support.token_env(sb).items():
            monkeypatch.setenv(name, value)
        args = ["migrate", "-c", str(config), "--no-progress", "-q"]
        with contextlib.redirect_stdout(io.StringIO()):
            assert main(args) == 0
        assert (ISSUES_COMPLETE, "1") in written
        written.clear()
        sb.log.clear()
        with contextlib.redirect_stdout(io.StringIO()):
            assert main(args) == 0
        assert sb.log.count("target_write") == 0
    assert [key for key, _ in written if key == ISSUES_COMPLETE] == []
    with Checkpoint.open(tmp_path / "checkpoint.db", readonly=True) as cp:
        assert cp.meta()[ISSUES_COMPLETE] == "1"
