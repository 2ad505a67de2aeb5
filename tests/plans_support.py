"""A sandbox with a config and a plan path, for the saved-plan tests (SPEC §13)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import reliability_support as support
from contract_support import assert_exact

from bridge.plans.document import checksum
from bridge.sandbox import Sandbox

TRANSFER = "transfer:\n  labels: true\n  issues: true\n"
KINDS = ("label", "milestone", "issue")
SCHEMA = Path(__file__).parent.parent / "docs" / "plan.schema.json"


class Bench:
    """One sandbox, a config moving labels, milestones and issues, and a plan path."""

    def __init__(self, sb: Sandbox, folder: Path) -> None:
        self.sb, self.folder = sb, folder
        self.config = support.write_config(folder, sb, extra=TRANSFER)
        self.env = support.token_env(sb)
        self.plan = folder / "plan.json"

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return support.cli([*args, "--no-progress", "-q"], self.env)

    def make_plan(self, command: str = "migrate") -> dict[str, Any]:
        result = self.cli(command, "-c", str(self.config), "--dry-run", "--plan-out",
                          str(self.plan))
        assert result.returncode == 0, result.stderr
        return json.loads(self.plan.read_text(encoding="utf-8"))  # type: ignore[no-any-return]

    def apply(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.cli("apply", str(self.plan), *args)

    def writes(self) -> list[tuple[str, str]]:
        return [(r.method, r.route) for r in self.sb.log.entries if r.kind == "target_write"]

    def assert_exact(self) -> None:
        for kind in KINDS:
            assert_exact(self.sb, kind)
        assert self.cli("verify", "-c", str(self.config)).returncode == 0


@contextmanager
def open_bench(folder: Path) -> Iterator[Bench]:
    """A fresh sandbox and its bench in `folder` (each test file's `bench` fixture)."""
    with Sandbox() as sb:
        yield Bench(sb, folder)


def rewrite(path: Path, doc: dict[str, Any], *, reseal: bool) -> None:
    if reseal:
        doc["checksum"] = checksum(doc)
    path.write_text(json.dumps(doc), encoding="utf-8")
