"""verify's report as text (the terminal), JSON, Markdown or HTML (`--report`, by extension)."""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bridge.errors import ConfigError
from bridge.logs import mask_text
from bridge.verify.compare import PROBLEMS, Difference
from bridge.verify.run import VerifyReport

VERIFY_REPORT_VERSION = 1
#: The terminal lists this many differences; `--report` files hold them all.
TEXT_LIMIT = 200
_SHORT = 60


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= _SHORT else text[:_SHORT - 1] + "…"


def describe(diff: Difference) -> str:
    """One difference in words."""
    where = f" [{diff.target}]" if diff.target else ""
    if diff.problem == "missing":
        return f"missing on SourceCraft ({diff.key})"
    if diff.problem == "extra":
        return f"on SourceCraft{where}, but names no GitLab object that maps to it"
    if diff.problem == "duplicate":
        return f"{diff.found} objects hold {diff.key}{where}"
    if diff.problem == "unmapped":
        return f"cannot be mapped: {diff.found}"
    if diff.field is None:
        return f"{diff.problem}: expected {_short(diff.expected)}, found {_short(diff.found)}"
    return (f"{diff.field}: expected {_short(diff.expected)}, found "
            f"{_short(diff.found)}{where}")


def _order(report: VerifyReport) -> list[Difference]:
    rank = {p: i for i, p in enumerate(PROBLEMS)}
    return sorted(report.differences, key=lambda d: (d.kind, rank.get(d.problem, 99)))


def render_text(report: VerifyReport) -> str:
    """The terminal's report: a line per kind, then the differences."""
    counts = report.by_kind()
    lines = [f"verify {report.target['org']}/{report.target['repo']} against "
             f"{report.source['project']}: "
             + ("exact" if report.exact else f"{len(report.differences)} differences")]
    for kind, checked in report.checked.items():
        found = ", ".join(f"{p} {counts[kind][p]}" for p in PROBLEMS if counts[kind].get(p))
        lines.append(f"  {kind:<10} {checked} matched" + (f"; {found}" if found else ""))
    for diff in _order(report)[:TEXT_LIMIT]:
        lines.append(f"{diff.kind} {diff.object}: {describe(diff)}")
    if len(report.differences) > TEXT_LIMIT:
        lines.append(f"... and {len(report.differences) - TEXT_LIMIT} more (all in --report)")
    return mask_text("\n".join(lines) + "\n")


def render_json(report: VerifyReport) -> str:
    """Every difference, with the full expected and found values."""
    doc = {"version": VERIFY_REPORT_VERSION, "command": "verify", "exact": report.exact,
           "exit_code": report.exit_code, "source": report.source, "target": report.target,
           "started_at": report.started_at, "duration_s": report.duration_s,
           "checked": report.checked, "summary_by_kind": report.by_kind(),
           "requests": report.requests,
           "differences": [d.as_dict() for d in _order(report)]}
    return mask_text(json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: VerifyReport) -> str:
    """A summary table per kind, then one row per difference."""
    counts = report.by_kind()
    out = [f"# scbridge verify: {'exact' if report.exact else 'differences found'}", "",
           f"{report.target['org']}/{report.target['repo']} against "
           f"{report.source['project']}", "", "| kind | matched | " + " | ".join(PROBLEMS)
           + " |", "|---|---:|" + "---:|" * len(PROBLEMS)]
    for kind, checked in report.checked.items():
        out.append(f"| {kind} | {checked} | "
                   + " | ".join(str(counts[kind].get(p, 0)) for p in PROBLEMS) + " |")
    if report.differences:
        out += ["", "| kind | object | problem | detail |", "|---|---|---|---|"]
        out += [f"| {d.kind} | {_cell(d.object)} | {d.problem} | {_cell(describe(d))} |"
                for d in _order(report)]
    return mask_text("\n".join(out) + "\n")


def render_html(report: VerifyReport) -> str:
    """The Markdown report's content as one self-contained page."""
    esc = html.escape
    rows = "".join(f"<tr><td>{esc(d.kind)}</td><td>{esc(d.object)}</td><td>{esc(d.problem)}"
                   f"</td><td>{esc(describe(d))}</td></tr>" for d in _order(report))
    counts = report.by_kind()
    kinds = "".join(f"<tr><td>{esc(kind)}</td><td>{checked}</td>"
                    + "".join(f"<td>{counts[kind].get(p, 0)}</td>" for p in PROBLEMS) + "</tr>"
                    for kind, checked in report.checked.items())
    head = "".join(f"<th>{p}</th>" for p in PROBLEMS)
    title = "exact" if report.exact else "differences found"
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>scbridge verify: {title}"
            f"</title></head><body><h1>scbridge verify: {title}</h1>"
            f"<p>{esc(report.target['org'])}/{esc(report.target['repo'])} against "
            f"{esc(report.source['project'])}</p><table><tr><th>kind</th><th>matched</th>{head}"
            f"</tr>{kinds}</table><table><tr><th>kind</th><th>object</th><th>problem</th>"
            f"<th>detail</th></tr>{rows}</table></body></html>\n")
    return mask_text(page)


FORMATS: dict[str, Callable[[VerifyReport], str]] = {
    ".json": render_json, ".md": render_markdown, ".html": render_html}


def write(report: VerifyReport, path: Path) -> None:
    """Write the report in the format its extension names."""
    render = FORMATS.get(path.suffix.lower())
    if render is None:
        raise ConfigError(f"--report {path}: the format comes from the extension, one of "
                          f"{', '.join(sorted(FORMATS))}")
    try:
        path.write_text(render(report), encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"--report {path}: cannot write: {exc.strerror or exc}") from exc
