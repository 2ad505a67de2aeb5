"""The house's static checks run with the tests, so CI fails on a lint or type error too."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


class TestStaticChecks:
    @pytest.mark.parametrize("command", [
        ["ruff", "check", "--no-cache", "bridge", "tests", "benchmarks"],
        ["mypy", "--no-incremental"],
    ], ids=["ruff", "mypy-strict"])
    def test_tool_is_clean(self, command: list[str]) -> None:
        """ruff (wide rule set) and mypy --strict on bridge/ report no problem."""
        done = subprocess.run([sys.executable, "-m", *command], cwd=ROOT, capture_output=True,
                              text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
