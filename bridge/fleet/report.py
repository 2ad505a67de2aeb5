"""The combined report of a fleet run: one line per project (summary, exit code) and totals.

The exit code of a fleet run is the worst of its projects', by this order (most severe
first): 130 interrupted, 2 config/mapping/checkpoint error, 3 cannot proceed (auth, project
or repository missing), 5 a stale saved plan, 4 the project's lock is held by another run,
1 some items failed or conflict, 0 done. An unknown code ranks just below 130.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bridge.report import RunReport

FLEET_REPORT_VERSION = 1

_SEVERITY = {0: 0, 1: 1, 4: 2, 5: 3, 3: 4, 2: 5, 130: 7}
_UNKNOWN = 6


def worst(codes: Iterable[int]) -> int:
    """The most severe exit code of `codes` (0 for none), by the order in the module docstring."""
    return max(codes, key=lambda code: _SEVERITY.get(code, _UNKNOWN), default=0)


def add_counts(total: dict[str, Any], part: Mapping[str, Any]) -> dict[str, Any]:
    """Add `part` into `total`: numbers summed, nested counts (per kind) summed key by key."""
    for key, value in part.items():
        if isinstance(value, Mapping):
            add_counts(total.setdefault(key, {}), value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            total[key] = total.get(key, 0) + value
    return total


@dataclass(frozen=True)
class ProjectResult:
    """How one project of the fleet ended: its own report, or the reason it has none."""

    source: str  # the GitLab project
    org: str
    repo: str
    checkpoint: Path
    exit_code: int
    report: RunReport | None  # None when the run ended before it had one (lock, 404, ...)
    error: str | None  # why it ended early, or the error that cut it short
    report_file: Path | None = None  # its own --report file, beside the combined one

    @property
    def name(self) -> str:
        """`group/api -> org/api`, how the text report names it."""
        return f"{self.source} -> {self.org}/{self.repo}"

    def summary(self) -> dict[str, Any]:
        """The project's report summary; empty when it has no report."""
        return self.report.summary() if self.report is not None else {}

    def requests(self) -> dict[str, int]:
        """The project's requests by kind; empty when it has no report."""
        return dict(self.report.requests) if self.report is not None else {}

    def to_dict(self) -> dict[str, Any]:
        """One entry of the combined JSON report's `projects` list."""
        return {"source": self.source, "target": {"org": self.org, "repo": self.repo},
                "exit_code": self.exit_code, "summary": self.summary(),
                "requests": self.requests(), "error": self.error,
                "duration_s": self.report.duration_s if self.report is not None else None,
                "checkpoint": str(self.checkpoint),
                "report": None if self.report_file is None else self.report_file.name}


@dataclass(frozen=True)
class FleetReport:
    """A whole fleet run (or one shard of it): every project's result and the totals."""

    command: str
    dry_run: bool
    shard: str | None  # "K/N", or None for the whole fleet
    fleet_size: int  # projects in the fleet before the shard was taken
    projects: tuple[ProjectResult, ...]
    started_at: str
    finished_at: str
    duration_s: float
    version: int = FLEET_REPORT_VERSION

    @property
    def exit_code(self) -> int:
        """The worst of the projects' exit codes (see the module docstring for the order)."""
        return worst(p.exit_code for p in self.projects)

    def totals(self) -> dict[str, Any]:
        """Projects by exit code, and the projects' summaries and requests summed."""
        summary: dict[str, Any] = {}
        requests: dict[str, Any] = {}
        for project in self.projects:
            add_counts(summary, project.summary())
            add_counts(requests, project.requests())
        codes = Counter(p.exit_code for p in self.projects)
        return {"projects": len(self.projects),
                "by_exit_code": {str(code): codes[code] for code in sorted(codes)},
                "summary": summary, "requests": requests}

    def to_dict(self) -> dict[str, Any]:
        """The combined JSON report."""
        return {"version": self.version, "kind": "fleet", "command": self.command,
                "dry_run": self.dry_run, "shard": self.shard, "fleet_size": self.fleet_size,
                "projects": [p.to_dict() for p in self.projects], "totals": self.totals(),
                "started_at": self.started_at, "finished_at": self.finished_at,
                "duration_s": self.duration_s, "exit_code": self.exit_code}
