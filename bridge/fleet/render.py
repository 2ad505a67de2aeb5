"""The combined fleet report as text, JSON, Markdown or HTML; where per-project files go."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

from bridge.fleet.report import FleetReport, ProjectResult
from bridge.logs import mask_text, mask_value


def _counts(counts: dict[str, Any]) -> str:
    """`create 3, close 1` from a summary (nested per-kind counts flattened as kind.action)."""
    words: list[str] = []
    for key, value in counts.items():
        if isinstance(value, dict):
            words += [f"{key}.{k} {v}" for k, v in value.items() if v]
        elif value:
            words.append(f"{key} {value}")
    return ", ".join(words) or "nothing"


def _outcome(project: ProjectResult) -> str:
    if project.report is None:
        return mask_text(project.error or "no report")
    text = _counts(project.summary())
    return f"{text}; {mask_text(project.error)}" if project.error else text


def _title(report: FleetReport) -> str:
    shard = f", shard {report.shard} of {report.fleet_size} projects" if report.shard else ""
    mode = " (dry run)" if report.dry_run else ""
    return f"scbridge {report.command}{mode}: {len(report.projects)} projects{shard}"


def _closing(report: FleetReport) -> str:
    totals = report.totals()
    codes = ", ".join(f"exit {code}: {n}" for code, n in totals["by_exit_code"].items())
    requests = sum(v for v in totals["requests"].values() if isinstance(v, int))
    return (f"projects {totals['projects']} ({codes or 'none'}); "
            f"{_counts(totals['summary'])} in {requests} requests; exit {report.exit_code}")


def render_fleet_text(report: FleetReport) -> str:
    """One line per project (exit code, names, what it did or why not), then the totals."""
    lines = [_title(report), ""]
    if not report.projects:
        lines.append("no project in this shard")
    for project in report.projects:
        lines.append(f"{project.exit_code:>4}  {project.name}: {_outcome(project)}")
    lines += ["", _closing(report)]
    return "\n".join(lines) + "\n"


def render_fleet_json(report: FleetReport) -> str:
    """The combined JSON document, secrets masked."""
    return json.dumps(mask_value(report.to_dict()), indent=2, ensure_ascii=False,
                      default=str) + "\n"


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render_fleet_markdown(report: FleetReport) -> str:
    """A table a PR comment can carry, with links to the per-project report files."""
    lines = [f"## {_md_cell(_title(report))}", "", "| exit | GitLab project | SourceCraft repo |"
             " result | report |", "|---:|---|---|---|---|"]
    for p in report.projects:
        link = f"[{p.report_file.name}]({p.report_file.name})" if p.report_file else ""
        lines.append(f"| {p.exit_code} | {_md_cell(p.source)} | {_md_cell(p.org + '/' + p.repo)}"
                     f" | {_md_cell(_outcome(p))} | {_md_cell(link)} |")
    lines += ["", f"**{_md_cell(_closing(report))}**"]
    return "\n".join(lines) + "\n"


def render_fleet_html(report: FleetReport) -> str:
    """A standalone page: the projects table, failures highlighted, no scripts."""
    def e(text: str) -> str:
        return escape(text, quote=True)

    rows = []
    for p in report.projects:
        link = (f'<a href="{e(p.report_file.name)}">{e(p.report_file.name)}</a>'
                if p.report_file else "")
        css = "" if p.exit_code == 0 else ' class="failed"'
        rows.append(f"<tr{css}><td>{p.exit_code}</td><td>{e(p.source)}</td>"
                    f"<td>{e(p.org + '/' + p.repo)}</td><td>{e(_outcome(p))}</td>"
                    f"<td>{link}</td></tr>")
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "style-src 'unsafe-inline'\">"
            f"<title>{e(_title(report))}</title><style>body{{font:14px system-ui;margin:2rem}}"
            "td,th{border:1px solid #ccc;padding:.3rem .6rem}table{border-collapse:collapse}"
            "tr.failed{background:#fff1f0}</style></head><body>"
            f"<h1>{e(_title(report))}</h1><table><tr><th>exit</th><th>GitLab project</th>"
            "<th>SourceCraft repo</th><th>result</th><th>report</th></tr>"
            f"{''.join(rows)}</table><p><b>{e(_closing(report))}</b></p></body></html>\n")


FLEET_FORMATS: dict[str, Callable[[FleetReport], str]] = {
    ".json": render_fleet_json, ".md": render_fleet_markdown, ".html": render_fleet_html}


def project_report_path(combined: Path, org: str, repo: str) -> Path:
    """Where one project's report goes: `fleet.json` -> `fleet.<org>-<repo>.json`, beside it."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", f"{org}-{repo}")
    return combined.with_name(f"{combined.stem}.{safe}{combined.suffix}")
