"""The report on stdout: a table as wide as the screen, nothing cut mid-word, one closing line."""

from __future__ import annotations

import os
from typing import TextIO

from rich.cells import cell_len

from bridge.report.cells import (
    action_cell,
    masked,
    masked_item,
    notes,
    one_line,
    pad,
    problems,
    summary_line,
    title_line,
    truncate,
)
from bridge.report.grouping import (
    SHOWN_PER_KIND,
    by_kind,
    first,
    more_line,
    only_milestones,
    plural,
)
from bridge.report.model import ReportItem, RunReport
from bridge.report.textkinds import (
    change_cells,
    count_cell,
    kind_headers,
    summary_table,
    title_cell,
)

#: Two-line headers keep the columns narrow (a milestone's; other kinds name their own).
HEADERS = kind_headers("milestone")
ACTION, TITLE, SLUG, ISSUES, CHANGES = range(5)
GAP = "  "
INDENT = "  "  # a wrapped line's continuation
#: Narrower than this, the changes go on lines of their own below each row.
MIN_CHANGES = 30
#: Without a terminal (a pipe, a file, cron): long text wraps as if the screen were this wide;
#: titles and slugs stay on one line even when that makes the table wider.
PIPE_WIDTH = 120
MIN_WIDTH = 40
#: GitLab's longest title; only a hostile one is longer, and that is cut.
MAX_TITLE = 255
MAX_DETAIL_LINES = 6  # of one reason or error below the table


def report_width(stream: TextIO) -> int | None:
    """The width to lay the report out for: `COLUMNS`, else the terminal's, else None (a pipe)."""
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return max(MIN_WIDTH, int(columns))
    try:
        if stream.isatty():
            return max(MIN_WIDTH, os.get_terminal_size(stream.fileno()).columns)
    except (AttributeError, ValueError, OSError):  # a closed or odd stream is not a terminal
        pass
    return None


def wrap(text: str, width: int, *, indent: str = INDENT) -> list[str]:
    """`text` in lines of at most `width` cells, broken at spaces only; continuations indented.

    Leading spaces are kept. A word wider than a whole line (only a hostile value is) is
    the one thing folded.
    """
    if len(text) <= width and text.isascii() and text.isprintable():
        return [text]  # one cell per character, and they all fit: most cells of a table
    return _wrap_words(text, width, indent)


def _wrap_words(text: str, width: int, indent: str) -> list[str]:
    lines: list[str] = []
    body = text.lstrip(" ")
    current, used, words = text[: len(text) - len(body)], len(text) - len(body), 0
    for whole in body.split(" "):
        word, size = whole, cell_len(whole)
        if words and used + 1 + size > width:
            lines.append(current)
            current, used, words = indent, cell_len(indent), 0
        sep = " " if words else ""
        folded = False
        while word and used + len(sep) + size > width:  # too wide even for a line of its own
            head = _cut(word, max(1, width - used - len(sep)))
            lines.append(current + sep + head)
            word = word[len(head):]
            size -= cell_len(head)  # not measured again: a 100,000-character word stays linear
            current, used, sep, folded = indent, cell_len(indent), "", True
        if folded and not word:
            words = 0  # the word ended its last line: the next one starts a line of its own
            continue
        current += sep + word
        used += len(sep) + size
        words += 1
    if lines and not current.strip():
        return lines  # what folding or trailing spaces left is an empty continuation line
    return [*lines, current]


def _cut(word: str, room: int) -> str:
    out, used = "", 0
    for char in word:
        if used + cell_len(char) > room and out:
            break
        out += char
        used += cell_len(char)
    return out


def _cells(item: ReportItem) -> list[list[str]]:
    """The row's columns, each as logical lines; every reason is shown, not only in files."""
    changes = change_cells(item)
    if item.reason:
        changes.append(f"({one_line(item.reason)})")
    return [[action_cell(item)], [truncate(one_line(title_cell(item)), MAX_TITLE)],
            [one_line(item.target_slug or "")], [count_cell(item)], changes]


def _longest_word(lines: list[str], extra: int = 0) -> int:
    return max((cell_len(word) + extra for line in lines for word in line.split(" ")),
               default=0)


def _widths(rows: list[list[list[str]]], width: int | None,
            heads: tuple[tuple[str, str], ...] = HEADERS) -> tuple[list[int], bool]:
    """Each column's width, and whether the changes get a column (else they go below the row)."""
    columns = [[*heads[i], *(line for row in rows for line in row[i])] for i in range(5)]
    natural = [max(cell_len(line) for line in col) for col in columns]
    widths = list(natural)
    fixed = sum(natural[i] for i in (ACTION, SLUG, ISSUES)) + len(GAP) * 3
    # Laid out without the changes column, the headers are one line each: wider.
    stacked = [max(natural[i], cell_len(" ".join(heads[i]).strip())) for i in range(4)]
    fixed_stacked = sum(stacked[i] for i in (ACTION, SLUG, ISSUES)) + len(GAP) * 3
    room = (width or PIPE_WIDTH) - fixed - len(GAP)  # for the title and the changes
    atom = _longest_word(columns[CHANGES], len(INDENT))
    if natural[TITLE] + natural[CHANGES] <= room:
        return widths, True
    if width is None:  # no screen to fit: titles whole on one line, long text wrapped
        widths[CHANGES] = min(natural[CHANGES],
                              max(room - natural[TITLE], PIPE_WIDTH // 3, min(atom, PIPE_WIDTH)))
        return widths, True
    # Titles on one line first: when that leaves the changes too little room, the changes
    # go below each row and the title has the whole width but the fixed columns.
    widths[CHANGES] = room - natural[TITLE]
    if widths[CHANGES] >= max(min(natural[CHANGES], MIN_CHANGES), atom):
        return widths, True
    shortest = min(natural[TITLE], _longest_word(columns[TITLE]))
    stacked[TITLE] = max(min(shortest, 12), cell_len(" ".join(heads[TITLE])),
                         min(natural[TITLE], width - fixed_stacked))
    return stacked, False


def _lines(cells: list[list[str]], widths: list[int]) -> list[str]:
    # A title wraps flush (its own lines); a change's continuation is indented under it.
    wrapped = [[piece for line in col for piece in wrap(line, w, indent=INDENT * (i == CHANGES))]
               for i, (col, w) in enumerate(zip(cells, widths, strict=False))]
    height = max(len(col) for col in wrapped)
    return [GAP.join(pad(col[k], w) if k < len(col) else " " * w
                     for col, w in zip(wrapped, widths, strict=False)).rstrip()
            for k in range(height)]


def _below(changes: list[str], widths: list[int], width: int) -> list[str]:
    """The changes of one row, below it, indented from the title column."""
    offset = " " * (widths[ACTION] + len(GAP) + len(INDENT))
    room = max(width - len(offset), MIN_CHANGES)
    return [offset + piece for line in changes for piece in wrap(line, room)]


def _table(items: list[ReportItem], width: int | None, kind: str = "milestone") -> list[str]:
    heads = kind_headers(kind)
    rows = [_cells(masked_item(item)) for item in items]
    widths, beside = _widths(rows, width, heads)
    headers = [list(h) for h in heads]
    if not beside:  # one header line, and the changes' heading where the changes go
        headers = [[" ".join(h).strip()] for h in heads[:CHANGES]]
    out = _lines(headers, widths)
    if not beside:
        out.extend(_below([" ".join(heads[CHANGES])], widths, width or PIPE_WIDTH))
    out.append(GAP.join("─" * w for w in widths))
    for row in rows:
        out.extend(_lines(row[:len(widths)], widths))
        if not beside:
            out.extend(_below(row[CHANGES], widths, width or PIPE_WIDTH))
    if kind == "milestone":
        out.append("(issues: open/closed)")
    return out


def _kinds(report: RunReport, width: int | None, quiet: bool,
           report_path: str | None) -> list[str]:
    """The summary table per kind, then each kind's first items and "... N more"."""
    screen = width or PIPE_WIDTH
    out = [] if quiet else summary_table(report, screen)
    if not quiet:
        out += [piece for note in report.notes for piece in wrap(f"note: {one_line(note)}", screen)]
    keep = (lambda item: item.outcome not in ("unchanged", "skip")) if quiet else None
    for kind, items in by_kind(report.items, keep).items():
        shown = first(items, SHOWN_PER_KIND)
        out += ["", f"{plural(kind)} ({len(items):,})", *_table(shown.items, width, kind)]
        if shown.more:
            out.extend(wrap(more_line(kind, shown, report_path), screen))
    return out[1:] if out and out[0] == "" else out


def _detail(item: ReportItem, width: int) -> list[str]:
    item = masked_item(item)
    head = f"  {action_cell(item):<9} {item.reference}  {one_line(item.title)}"
    lines = wrap(truncate(one_line(head), MAX_TITLE + 40), width, indent="    ")
    for label, text in notes(item):
        wrapped = wrap(f"{label}: {one_line(text)[: width * MAX_DETAIL_LINES]}", width - 4)
        if len(wrapped) > MAX_DETAIL_LINES:
            wrapped = [*wrapped[: MAX_DETAIL_LINES - 1], "  " + "…"]
        lines.extend("    " + line for line in wrapped)
    return lines


def render_text(report: RunReport, *, width: int | None = None, quiet: bool = False,
                report_path: str | None = None) -> str:
    """The table (action, GitLab milestone, SourceCraft slug, issues, what changes) and summary.

    `width` is the screen's (None: a pipe or a file, see PIPE_WIDTH). Titles and slugs are
    never cut and values never split: long text wraps at spaces, and when the screen is
    too narrow for a changes column the changes go below each row. With `quiet` only the
    rows that did (or would do) something or need a look are shown, and the closing line
    starts with the time and what ran, so an hourly log reads one line per quiet run.

    A report of more kinds than milestones opens with a summary table per kind and shows
    the first SHOWN_PER_KIND items of each kind, then "... N more" naming `report_path`
    (the `--report` file) where every item is; every failure and conflict is listed below.
    """
    report = masked(report, items=False)  # the items shown are masked as they are laid out
    screen = width or PIPE_WIDTH
    out = [] if quiet else [*wrap(one_line(title_line(report)), screen), ""]
    if only_milestones(report):
        items = list(report.items)
        if quiet:
            items = [item for item in items if item.outcome not in ("unchanged", "skip")]
        if items:
            out.extend(_table(items, width))
        elif not quiet:
            out.append("no milestones")
    else:
        out.extend(_kinds(report, width, quiet, report_path))
    trouble = problems(report)
    if trouble:
        out += ["", "conflicts and failures:"]
        for item in trouble:
            out.extend(_detail(item, screen))
    if quiet:
        if out:
            out.append("")
        stamp = report.finished_at or report.started_at
        out.append(f"{stamp} {one_line(title_line(report))}: {summary_line(report)}")
    else:
        out += ["", summary_line(report)]
    return "\n".join(out) + "\n"
