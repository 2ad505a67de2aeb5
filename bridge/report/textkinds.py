"""The text report's parts for many kinds: the summary table per kind and each kind's cells."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from rich.cells import cell_len

from bridge.report.cells import change_lines, issues_cell, one_line, pad
from bridge.report.grouping import (
    LONG_FIELDS,
    extra_words,
    headers,
    key_words,
    plural,
    short_reference,
    summary_columns,
)
from bridge.report.model import ReportItem, RunReport

GAP = "  "


def kind_headers(kind: str) -> tuple[tuple[str, str], ...]:
    """The five two-line headers of `kind`'s table: action, title, target, counts, changes."""
    title, slug = headers(kind)
    counts = ("", "issues") if kind == "milestone" else ("", "")
    return (("", "action"), title, slug, counts, ("what changes", "and why"))


def title_cell(item: ReportItem) -> str:
    """The title column: an issue leads with its GitLab number (`#12 Fix export`)."""
    if item.kind == "issue":
        return f"{short_reference(item)} {item.title}"
    return item.title


def count_cell(item: ReportItem) -> str:
    """A milestone's open/closed issues; other kinds put their counts with the changes."""
    return issues_cell(item) if item.kind == "milestone" else ""


def _size(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    return f"{len(value):,} characters" if value else value


def change_cells(item: ReportItem) -> list[str]:
    """The changes column's lines: a long text as its length, empty values of a create left out,
    and the kind's extra counts first (`references rewritten: 2`)."""
    if item.kind == "milestone":
        return [one_line(line) for line in change_lines(item, hide_shown=True)]
    changes = {}
    for name, pair in item.changes.items():
        before, after = [*pair, None, None][:2]
        if item.action == "create" and (after in (None, "", [], ())
                                         or (name == "visibility" and after == "public")):
            continue  # what every new object starts with: only the exceptions are worth a line
        if (item.kind, name) in LONG_FIELDS:
            before, after = _size(before), _size(after)
        changes[name] = [before, after]
    lines = [one_line(line) for line in change_lines(replace(item, changes=changes),
                                                    hide_shown=True)]
    extra = extra_words(item)
    return [extra, *lines] if extra else lines


def _grid(head: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(cell_len(row[i]) for row in [head, *rows]) for i in range(len(head))]

    def line(cells: list[str]) -> str:
        first = pad(cells[0], widths[0])
        rest = (" " * (w - cell_len(c)) + c for c, w in zip(cells[1:], widths[1:], strict=True))
        return GAP.join([first, *rest]).rstrip()

    return [line(head), GAP.join("─" * w for w in widths), *(line(row) for row in rows)]


def summary_table(report: RunReport, width: int) -> list[str]:
    """One row per kind, one column per summary key (the rare ones only when not zero).

    Too wide for `width` (every rare count at once on a narrow screen), it is turned on its
    side: one row per key, one column per kind.
    """
    keys = summary_columns(report)
    by = report.summary_by_kind()
    head = ["kind", *(key_words(key) for key in keys)]
    rows = [[plural(kind), *(f"{counts.get(key, 0):,}" for key in keys)]
            for kind, counts in by.items()]
    lines = _grid(head, rows)
    if max(cell_len(line) for line in lines) <= width:
        return lines
    return _grid(["", *(plural(kind) for kind in by)],
                 [[key_words(key), *(f"{by[kind].get(key, 0):,}" for kind in by)]
                  for key in keys])
