"""Many-project runs through the real CLI: no token in anything they print or write (SPEC §8,
§14), and no `--plan-out` (a saved plan is one project's, SPEC §13).

Dry run, a run with a refused write and a missing repository, a second run, status and
verify, each verbose; then stdout, stderr, every combined and per-project report (JSON,
Markdown, HTML) and every checkpoint file are searched for both sandbox tokens.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fleet_support import Fleet

from bridge.sandbox import Sandbox


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Fleet]:
    with Sandbox("demo", seed=0, projects=3) as sb:
        yield Fleet(sb, tmp_path)


def test_no_fleet_output_or_file_holds_a_token(fleet: Fleet) -> None:
    pairs = [*fleet.pairs[:2], (fleet.sb.project_paths[2], "no-such-repo")]
    config = fleet.write(pairs)
    fleet.sb.faults.add("sourcecraft", "status", status=422, method="POST",
                        path=f"/{fleet.sb.repos[1]}/milestones$", times=1)
    outputs: list[str] = []
    runs = [("migrate", "--dry-run", "--report", "dry.html"),
            ("migrate", "--report", "first.json"),
            ("migrate", "--report", "second.md"),
            ("status",),
            ("verify", "--report", "verify.html")]
    codes = []
    for command, *args in runs:
        result = fleet.run(config, *args, "-vv", command=command)
        outputs.extend((result.stdout, result.stderr))
        codes.append(result.returncode)
    assert codes[1] == 3  # the missing repository; the refused write is exit 1 of its own
    assert any("no-such-repo" in text for text in outputs)
    files = sorted(p for p in fleet.root.rglob("*") if p.is_file())
    names = {p.name for p in files}
    assert {"dry.html", "first.json", "second.md"} <= names
    for combined in ("dry.html", "first.json", "second.md", "verify.html"):  # per project
        stem, suffix = combined.split(".")
        assert any(n.startswith(f"{stem}.{fleet.sb.org}-") and n.endswith(suffix) for n in names)
    assert (fleet.root / "state").is_dir()
    texts = {**{f"output {i}": text for i, text in enumerate(outputs)},
             **{str(p.relative_to(fleet.root)): p.read_bytes().decode("utf-8", "replace")
                for p in files}}
    for token in (fleet.sb.gitlab_token, fleet.sb.sourcecraft_token):
        assert len(token) >= 8
        assert [name for name, text in texts.items() if token in text] == []


def test_plan_out_with_many_projects_is_refused_before_any_request(fleet: Fleet) -> None:
    """A saved plan is one project's: a many-project run asked for one exits 2, one line."""
    result = fleet.run(fleet.write(), "--dry-run", "--plan-out", "plan.json")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "--plan-out" in result.stderr
    assert not (fleet.root / "plan.json").exists()
    assert fleet.sb.log.entries == []
