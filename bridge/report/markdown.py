"""The report as a GitHub/GitLab-flavoured Markdown table, to paste into a merge-request comment."""

from __future__ import annotations

import re

from bridge.report.cells import (
    action_cell,
    change_lines,
    masked,
    notes,
    printable,
    problems,
    summary_line,
    title_line,
    truncate,
)
from bridge.report.grouping import (
    by_kind,
    counts_cell,
    file_columns,
    first,
    key_words,
    only_milestones,
    plural,
    summary_columns,
)
from bridge.report.model import SUMMARY_KEYS, ReportItem, RunReport

HEADERS = file_columns("milestone")
#: Characters per cell: a comment has a size limit (GitHub's is 65,536) and a 100 KB title
#: would break it; the JSON report keeps every value whole.
MAX_CELL = 300
#: Rows per kind: the first this many items, then its failures and conflicts, while the
#: document stays within MAX_CHARS; the rest are counted in one "… N more" line per kind.
ROWS_PER_KIND = 25
#: The whole document's size, under GitHub's 65,536-character comment limit with room to spare.
MAX_CHARS = 60_000
#: References named in the closing "N to look at" line.
MAX_LISTED = 20

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


def _item_row(item: ReportItem) -> str:
    return _row([
        escape_cell(action_cell(item)), escape_cell(item.title),
        escape_cell(item.reference), escape_cell(item.target_slug or ""),
        escape_cell(counts_cell(item)),
        "<br>".join(escape_cell(line) for line in change_lines(item)),
        "<br>".join(escape_cell(f"{label}: {text}", limit=MAX_CELL * 3)
                    for label, text in notes(item)),
    ])


def _kind_summary(report: RunReport) -> list[str]:
    keys = summary_columns(report)
    return [_row(["kind", *(key_words(key) for key in keys)]),
            _row(["---", *(["---:"] * len(keys))]),
            *(_row([plural(kind), *(str(counts.get(key, 0)) for key in keys)])
              for kind, counts in report.summary_by_kind().items()), ""]


def render_markdown(report: RunReport) -> str:
    """Summary first, then one table per kind (milestones alone: one table); every value escaped.

    Each kind shows its first ROWS_PER_KIND items and its failures and conflicts, within
    MAX_CHARS; "… N more" says how many are only in the JSON report.
    """
    report = masked(report)
    summary = report.summary()
    grouped = not only_milestones(report)
    out = [f"### {escape_cell(title_line(report))}", "",
           f"**{escape_cell(summary_line(report))}**", "",
           _row(list(SUMMARY_KEYS)), _row(["---:"] * len(SUMMARY_KEYS)),
           _row([str(summary[key]) for key in SUMMARY_KEYS]), ""]
    if grouped:
        out += _kind_summary(report)
        out += [f"_Note: {escape_cell(note)}_" for note in report.notes] + [""] * bool(report.notes)
    if not report.items:
        out.append("_No milestones._")
        return "\n".join(out) + "\n"
    size = sum(len(line) + 1 for line in out)
    for kind, items in by_kind(report.items).items():
        start = len(out)
        if grouped:
            out += [f"#### {plural(kind)} ({len(items):,})", ""]
        heads = list(file_columns(kind))
        out += [_row(heads), _row(["---"] * len(heads))]
        size += sum(len(line) + 1 for line in out[start:])
        shown, written = first(items, ROWS_PER_KIND, problems=True).items, 0
        for item in shown:
            row = _item_row(item)
            if size + len(row) > MAX_CHARS:
                break
            out.append(row)
            size += len(row) + 1
            written += 1
        if written < len(items):
            more = (f"_… {len(items) - written:,} more {kind} items: "
                    "the JSON report (`--report run.json`) has every one._")
            out += ["", more]
        out.append("")
    trouble = problems(report)
    if trouble:
        listed = ", ".join(escape_cell(item.reference) for item in trouble[:MAX_LISTED])
        if len(trouble) > MAX_LISTED:
            listed += f" and {len(trouble) - MAX_LISTED:,} more"
        out += [f"**{len(trouble)} to look at:** " + listed]
    return "\n".join(out).rstrip("\n") + "\n"
