"""Report items grouped by kind: each kind's names and column headers, and which items a capped
report shows."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bridge.report.model import SUMMARY_KEYS, ReportItem, RunReport
from bridge.report.protocols import Tallied
from bridge.report.views import Picked, grouped

#: How many items of each kind the text report shows before "... N more": enough to see what a
#: run does; the `--report` file holds every item. Failures and conflicts are always listed.
SHOWN_PER_KIND = 10

#: A kind's plural, for headings and "... N more" lines; a kind not listed gets an "s".
PLURALS = {"label": "labels", "milestone": "milestones", "issue": "issues",
           "comment": "comments"}

#: (title column, target column) headers per kind, as two-line text headers.
_HEADERS: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "milestone": (("GitLab", "milestone"), ("SourceCraft", "slug")),
    "label": (("GitLab", "label"), ("SourceCraft", "name")),
    "issue": (("GitLab", "issue"), ("SourceCraft", "number")),
    "comment": (("GitLab", "note"), ("SourceCraft", "issue")),
}

#: Fields whose values are whole texts (an issue's description, a comment's body): the text
#: report gives their length, the files give them whole.
LONG_FIELDS = frozenset({("issue", "description"), ("comment", "body")})

#: Summary keys shown as columns of the per-kind summary table; these four only when not zero.
_RARE = ("reopen", "delete", "adopted", "not_attempted")
SUMMARY_COLUMNS = tuple(key for key in SUMMARY_KEYS if key != "create_closed")


def plural(kind: str) -> str:
    """`issues` for "issue"."""
    return PLURALS.get(kind, f"{kind}s")


def headers(kind: str) -> tuple[tuple[str, str], tuple[str, str]]:
    """The title and target columns' two-line headers for `kind`."""
    return _HEADERS.get(kind, (("GitLab", kind), ("SourceCraft", "id")))


def column_names(kind: str) -> tuple[str, str]:
    """The same headers on one line each: ("GitLab issue", "SourceCraft number")."""
    title, slug = headers(kind)
    return " ".join(title), " ".join(slug)


def file_columns(kind: str) -> tuple[str, ...]:
    """The Markdown and HTML item table's seven column names for `kind`."""
    title, slug = column_names(kind)
    counts = "issues open/closed" if kind == "milestone" else "counts"
    return ("action", title, "reference", slug, counts, "what changes", "reason / error")


def counts_cell(item: ReportItem) -> str:
    """A milestone's "open/closed" issues, another kind's extra counts, or ""."""
    if item.issues is not None:
        return f"{item.issues.get('open', 0)}/{item.issues.get('closed', 0)}"
    return extra_words(item)


def by_kind(items: Sequence[ReportItem],
            keep: Callable[[ReportItem], bool] | None = None) -> dict[str, Picked]:
    """Items per kind (those `keep` accepts), kinds in the order the run met them (the order
    they are moved in); each group holds positions, not items (`bridge.report.views`)."""
    return grouped(items, keep)


def only_milestones(report: RunReport) -> bool:
    """True for a report of milestones only (a run without `transfer:`), laid out as ever."""
    if isinstance(report.items, Tallied):
        return set(report.items.summary_by_kind()) <= {"milestone"}
    return all(item.kind == "milestone" for item in report.items)


def is_problem(item: ReportItem) -> bool:
    """A failure or a conflict: what a person must look at."""
    return item.problem


def short_reference(item: ReportItem) -> str:
    """The reference without the project path the title line already names: `#12`, `~bug`."""
    ref = item.reference
    path = item.project_path
    if path and ref.startswith(path) and ref[len(path):len(path) + 1] in ("#", "~", "%"):
        return ref[len(path):]
    return ref


#: How the known extra counts read; another name reads as itself.
EXTRA_WORDS = {"comments": "comments", "references": "references rewritten"}


def extra_words(item: ReportItem) -> str:
    """An item's extra counts as words, `comments: 3, references rewritten: 2`; "" for none."""
    return ", ".join(f"{EXTRA_WORDS.get(name, name)}: {count}"
                     for name, count in (item.extra or {}).items())


@dataclass(frozen=True)
class Shown:
    """The items of one kind a capped report shows, and how many it leaves to the file."""

    items: list[ReportItem]
    more: int  # items of the kind not shown
    more_problems: int  # of those, failures and conflicts (listed elsewhere)


def first(items: Sequence[ReportItem], limit: int, *, problems: bool = False) -> Shown:
    """The first `limit` items; with `problems`, every failure and conflict after them too."""
    shown = list(items[:limit])
    rest = (items[i] for i in range(limit, len(items)))
    none_later = isinstance(items, Picked) and items.problems == 0  # counted: nothing to read
    later = [] if none_later else [item for item in rest if is_problem(item)]
    if problems:
        shown += later
    hidden_problems = 0 if problems else len(later)
    return Shown(shown, len(items) - len(shown), hidden_problems)


def more_line(kind: str, shown: Shown, report_path: str | None) -> str:
    """`... 29,990 more issue items in run.json` (or how to get them all)."""
    where = f"in {report_path}" if report_path else "(run with --report FILE for all)"
    line = f"... {shown.more:,} more {kind} items {where}"
    if shown.more_problems:
        line += f"; the {shown.more_problems:,} failures and conflicts among them are listed below"
    return line


def summary_columns(report: RunReport) -> list[str]:
    """The summary keys worth a column: the usual ones, and the rare ones when not zero."""
    by = report.summary_by_kind()
    return [key for key in SUMMARY_COLUMNS
            if key not in _RARE or any(counts.get(key, 0) for counts in by.values())]


def key_words(key: str) -> str:
    """A summary key as a column heading: `not attempted`."""
    return key.replace("_", " ")
