"""A report read back: a JSON report, or the summary of the checkpoint's last run, as a
`RunReport` again (`scbridge status`, the fleet's roll-up, tests)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bridge.errors import ConfigError
from bridge.report.model import REPORT_VERSION, ReportItem, RunReport


def report_from_dict(d: Mapping[str, Any]) -> RunReport:
    """Rebuild a report from `to_dict()` output (a JSON report, or the checkpoint's last run)."""
    try:
        version = d["version"]
        if not isinstance(version, int) or version > REPORT_VERSION:
            raise ConfigError(f"report version {version!r} is newer than this scbridge reads "
                              f"(up to {REPORT_VERSION}); upgrade scbridge")
        source = dict(d["source"])
        project_path = str(source.pop("project_path", None) or source.get("project", ""))
        items = tuple(_item_from_dict(raw, project_path) for raw in d["items"])
        return RunReport(
            command=str(d["command"]), dry_run=bool(d["dry_run"]), source=source,
            target=dict(d["target"]), items=items,
            requests={str(k): int(v) for k, v in d["requests"].items()},
            started_at=str(d.get("started_at", "")), finished_at=str(d.get("finished_at", "")),
            duration_s=float(d.get("duration_s", 0.0)), exit_code=int(d.get("exit_code", 0)),
            version=version, notes=tuple(str(n) for n in d.get("notes", ())))
    except KeyError as exc:
        raise ConfigError(f"report: missing key {exc.args[0]!r}") from None
    except (TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(f"report: malformed ({exc})") from None


def _item_from_dict(raw: Mapping[str, Any], project_path: str) -> ReportItem:
    error = raw["error"]
    return ReportItem(
        source_id=raw["source_id"], source_iid=raw["source_iid"], title=str(raw["title"]),
        action=str(raw["action"]), target_slug=raw["target_slug"],
        changes={str(k): list(v) for k, v in raw["changes"].items()},
        issues=({str(k): int(v) for k, v in raw["issues"].items()}
                if raw.get("issues") is not None else None),
        reason=raw["reason"], error=error, project_path=project_path, ok=error is None,
        kind=str(raw.get("kind", "milestone")), ref=raw.get("reference"),
        adopted=bool(raw.get("adopted", False)), attempted=bool(raw.get("attempted", True)),
        extra=({str(k): int(v) for k, v in raw["extra"].items()} if raw.get("extra") else None))
