"""The report as a GitHub/GitLab-flavoured Markdown table, to paste into a merge-request comment."""

from __future__ import annotations

import re

from bridge.report.cells import (
    COLUMNS,
    action_cell,
    change_lines,
    issues_cell,
    masked,
    notes,
    printable,
    problems,
    summary_line,
    title_line,
    truncate,
)
from bridge.report.model import SUMMARY_KEYS, RunReport

HEADERS = COLUMNS
#: Characters per cell: a comment has a size limit (GitHub's is 65,536) and a 100 KB title
#: would break it; the JSON report keeps every value whole.
MAX_CELL = 300

# Markdown syntax a title could use to restyle or link the comment: backslash-escaped.
_SPECIAL = re.compile(r"([\\`*_\[\]~|])")


def escape_cell(text: str, *, limit: int = MAX_CELL) -> str:
    """`text` as one safe cell: Markdown and pipes escaped, HTML as entities, breaks as <br>."""
    text = truncate(printable(text), limit)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _SPECIAL.sub(r"\\\1", text)
    return text.replace("\n", "<br>").replace("\t", " ")


def unescape_cell(cell: str) -> str:
    """The inverse of `escape_cell` (for tests and tools that read a report back)."""
    text = cell.replace("<br>", "\n")
    text = re.sub(r"\\(.)", r"\1", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def render_markdown(report: RunReport) -> str:
    """Summary first, then one table row per milestone; every value escaped."""
    report = masked(report)
    summary = report.summary()
    out = [f"### {escape_cell(title_line(report))}", "",
           f"**{escape_cell(summary_line(report))}**", "",
           _row(list(SUMMARY_KEYS)), _row(["---:"] * len(SUMMARY_KEYS)),
           _row([str(summary[key]) for key in SUMMARY_KEYS]), ""]
    if not report.items:
        out.append("_No milestones._")
        return "\n".join(out) + "\n"
    out += [_row(list(HEADERS)), _row(["---"] * len(HEADERS))]
    for item in report.items:
        out.append(_row([
            escape_cell(action_cell(item)), escape_cell(item.title),
            escape_cell(item.reference), escape_cell(item.target_slug or ""),
            escape_cell(issues_cell(item)),
            "<br>".join(escape_cell(line) for line in change_lines(item)),
            "<br>".join(escape_cell(f"{label}: {text}", limit=MAX_CELL * 3)
                        for label, text in notes(item)),
        ]))
    trouble = problems(report)
    if trouble:
        out += ["", f"**{len(trouble)} to look at:** "
                + ", ".join(escape_cell(item.reference) for item in trouble)]
    return "\n".join(out) + "\n"
