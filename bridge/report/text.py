"""The report on stdout: a table that fits 80 columns, problems spelt out, one closing line."""

from __future__ import annotations

import textwrap

from rich.cells import cell_len

from bridge.report.cells import (
    action_cell,
    change_lines,
    issues_cell,
    masked,
    notes,
    one_line,
    pad,
    problems,
    summary_line,
    title_line,
    truncate,
)
from bridge.report.model import ReportItem, RunReport

#: Two-line headers keep the flexible columns narrow enough for the changes at 80 columns.
HEADERS = (("", "action"), ("GitLab", "milestone"), ("SourceCraft", "slug"), ("", "issues"),
           ("what", "changes"))
#: Share of the free width per flexible column: what changes matters most.
FLEX_WEIGHTS = {1: 1, 2: 1, 4: 2}
GAP = "  "
MIN_FLEX = 11  # "SourceCraft"; below this a title or slug says little
MAX_DETAIL_LINES = 6  # of one reason or error below the table


def _row(item: ReportItem) -> list[list[str]]:
    changes = [one_line(line) for line in change_lines(item, hide_shown=True)]
    if not changes and item.reason:
        changes = [f"({one_line(item.reason)})"]
    return [[action_cell(item)], [one_line(item.title)], [one_line(item.target_slug or "")],
            [issues_cell(item)], changes or [""]]


def _natural(cells: list[str]) -> int:
    return max(cell_len(truncate(c, 400)) for c in cells) if cells else 0


def _widths(rows: list[list[list[str]]], width: int) -> list[int]:
    """Fixed columns at their natural width; the rest shared out by weight, max-min fairly."""
    natural = [max([_natural(list(HEADERS[i]))] + [_natural(row[i]) for row in rows])
               for i in range(len(HEADERS))]
    widths = list(natural)
    room = width - len(GAP) * (len(HEADERS) - 1)
    room -= sum(natural[i] for i in range(len(HEADERS)) if i not in FLEX_WEIGHTS)
    # Each flexible column first gets its minimum; what is left is shared out by weight,
    # and a column that needs less than its share leaves the rest to the others.
    for i in FLEX_WEIGHTS:
        widths[i] = min(MIN_FLEX, natural[i])
        room -= widths[i]
    weight = sum(FLEX_WEIGHTS.values())
    for i in sorted(FLEX_WEIGHTS, key=lambda j: (natural[j] - widths[j]) / FLEX_WEIGHTS[j]):
        extra = min(natural[i] - widths[i], max(room, 0) * FLEX_WEIGHTS[i] // weight)
        widths[i] += extra
        room -= extra
        weight -= FLEX_WEIGHTS[i]
    return widths


def _wrap(line: str, width: int) -> list[str]:
    """`line` cut into pieces of at most `width` cells, continuations indented by two."""
    pieces: list[str] = []
    current, used, limit = "", 0, width
    for char in line:
        size = cell_len(char)
        if used + size > limit and current:
            pieces.append(current)
            current, used, limit = "  ", 2, width
        current += char
        used += size
    return [*pieces, current]


def _lines(cells: list[list[str]], widths: list[int]) -> list[str]:
    # A change is the one cell a reader must see whole (before -> after), so it wraps;
    # titles and slugs are truncated, their full text is in the files and the details.
    cells = [*cells[:-1], [piece for line in cells[-1] for piece in _wrap(line, widths[-1])]]
    height = max(len(c) for c in cells)
    out = []
    for k in range(height):
        parts = [pad(truncate(c[k], w) if k < len(c) else "", w)
                 for c, w in zip(cells, widths, strict=True)]
        out.append(GAP.join(parts).rstrip())
    return out


def _detail(item: ReportItem, width: int) -> list[str]:
    head = f"  {action_cell(item):<9} {item.reference}  {one_line(item.title)}"
    lines = [truncate(one_line(head), width)]
    for label, text in notes(item):
        wrapped = textwrap.wrap(one_line(text)[: width * MAX_DETAIL_LINES], width=width - 4,
                                initial_indent=f"{label}: ", subsequent_indent="  ",
                                break_long_words=True)
        if len(wrapped) > MAX_DETAIL_LINES:
            wrapped = [*wrapped[: MAX_DETAIL_LINES - 1], "  " + "…"]
        lines.extend(truncate("    " + line, width) for line in wrapped)
    return lines


def render_text(report: RunReport, *, width: int = 80) -> str:
    """The table (action, GitLab milestone, SourceCraft slug, issues, what changes) and summary.

    Every line but the closing summary fits in `width` cells (from about 60 up); long
    values end in an ellipsis. In a dry run the closing line says "would create 3, ...".
    """
    report = masked(report)
    out = [truncate(one_line(title_line(report)), width), ""]
    if report.items:
        rows = [_row(item) for item in report.items]
        widths = _widths(rows, width)
        out.extend(_lines([list(h) for h in HEADERS], widths))
        out.append(GAP.join("─" * w for w in widths))
        for row in rows:
            out.extend(_lines(row, widths))
        out.append("(issues: open/closed)")
    else:
        out.append("no milestones")
    trouble = problems(report)
    if trouble:
        out += ["", "conflicts and failures:"]
        for item in trouble:
            out.extend(_detail(item, width))
    out += ["", summary_line(report)]
    return "\n".join(out) + "\n"

