"""How one value reads in a report cell, shared by the text, Markdown and HTML renderers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from rich.cells import cell_len, set_cell_size

from bridge.logs import is_secret_key, mask_text, mask_value, registered_secrets
from bridge.report.model import ReportItem, RunReport
from bridge.report.protocols import Tallied
from bridge.report.views import masked_view

ELLIPSIS = "…"
ARROW = "→"
NOTHING = "∅"  # a field with no value, as opposed to an empty string

# Line breaks and tabs become spaces; other control characters (an ESC could drive the
# reader's terminal) and bidi overrides (which reorder what is shown) become U+FFFD.
_BREAKS = re.compile(r"[\r\n\t\v\f\u2028\u2029\x85]+")
_HOSTILE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_NEWLINES = re.compile(r"\r\n|[\r\v\f\u2028\u2029\x85]")

#: The closing line's words per summary key: (after a run, in a dry run).
VERBS: dict[str, tuple[str, str]] = {
    "create": ("created", "would create"), "close": ("closed", "close"),
    "reopen": ("reopened", "reopen"), "update": ("updated", "update"),
    "delete": ("deleted", "delete"), "unchanged": ("unchanged", "unchanged"),
    "skip": ("skipped", "skipped"), "conflict": ("conflicts", "conflicts"),
    "failed": ("failed", "failed"), "not_attempted": ("not attempted", "not attempted"),
}
_ONLY_WHEN_NONZERO = ("reopen", "delete", "adopted", "not_attempted")
#: Where `adopted` (a milestone found already there, by slug and name) joins the line.
_ADOPTED = ("adopted", "would adopt")
#: The item table's columns in the Markdown and HTML reports (the text table has fewer).
COLUMNS = ("action", "GitLab milestone", "reference", "SourceCraft slug", "issues open/closed",
           "what changes", "reason / error")


def one_line(text: str) -> str:
    """`text` safe to print on one terminal line: no breaks, no control characters."""
    return _HOSTILE.sub("\ufffd", _BREAKS.sub(" ", text))


def printable(text: str) -> str:
    """`text` with line breaks kept as "\\n" and every other control character replaced."""
    return _HOSTILE.sub(lambda m: m.group() if m.group() in "\n\t" else "\ufffd",
                        _NEWLINES.sub("\n", text))


def show(value: Any) -> str:
    """A field value as a person reads it: ∅ for none, "" for an empty string, a list as words."""
    if value is None or (isinstance(value, list | tuple) and not value):
        return NOTHING
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if value == "":
        return '""'
    return str(value)


def truncate(text: str, width: int) -> str:
    """`text` cut to at most `width` terminal cells, ending in … when something was cut."""
    if width <= 0:
        return ""
    # Measure only a prefix: a 100 KB title needs no more than a few screens of it.
    head = text[: width * 4]
    if len(head) == len(text) and cell_len(head) <= width:
        return text
    return set_cell_size(head, width - 1).rstrip() + ELLIPSIS


def pad(text: str, width: int) -> str:
    """`text` padded (or cut) to exactly `width` cells, wide characters counted as two."""
    return set_cell_size(text, width)


def change_lines(item: ReportItem, *, hide_shown: bool = False) -> list[str]:
    """One "field: before → after" line per change; a create's fields read "field: value".

    With `hide_shown`, a create's name (or title) and slug are left out where the row's title
    and slug columns already say the same, and so is the status "open" every new object
    starts with.
    """
    lines = []
    for name, pair in item.changes.items():
        before, after = [*pair, None, None][:2]
        if hide_shown and item.action == "create" and (
                (name in ("name", "title") and after == item.title)
                or (name == "slug" and after == item.target_slug)
                or (name == "status" and after == "open")):
            continue
        if item.action == "create" and before is None:
            lines.append(f"{name}: {show(after)}")
        else:
            lines.append(f"{name}: {show(before)} {ARROW} {show(after)}")
    return lines


def issues_cell(item: ReportItem) -> str:
    """Open and closed issue counts as "open/closed"; empty for kinds that have none."""
    if item.issues is None:
        return ""
    return f"{item.issues.get('open', 0)}/{item.issues.get('closed', 0)}"


def action_cell(item: ReportItem) -> str:
    """The action: marked ✗ when it failed, "adopt" if found there, ○ not tried."""
    if not item.attempted:
        return f"○ {item.action}"
    if item.failed:
        return f"✗ {item.action}"
    return "adopt" if item.outcome == "adopted" else item.action


def notes(item: ReportItem) -> list[tuple[str, str]]:
    """The item's reason and error as (label, text), leaving out the ones it does not have."""
    return [(label, text) for label, text in (("reason", item.reason), ("error", item.error))
            if text]


def summary_words(summary: Mapping[str, int], *, dry_run: bool = False) -> str:
    """`created 13 (6 closed), closed 0, ...`: every item counted once, so the line adds up.

    Shared by the report and `status`, so both say the same of a run. Reopened, deleted,
    adopted and not attempted appear only when not zero; "(N closed)" is the part of the
    creates that were made closed at once.
    """
    words = []
    for key in VERBS:
        count = int(summary.get(key, 0))
        if key not in _ONLY_WHEN_NONZERO or count:
            closed = int(summary.get("create_closed", 0)) if key == "create" else 0
            words.append(f"{VERBS[key][dry_run]} {count}"
                         + (f" ({closed} closed)" if closed else ""))
        adopted = int(summary.get("adopted", 0))
        if key == "create" and adopted:
            words.append(f"{_ADOPTED[dry_run]} {adopted}")
    return ", ".join(words)


def summary_line(report: RunReport) -> str:
    """The closing line: `created 3, closed 1, ... in 14 requests`; a dry run says "would".

    A run stopped by a signal says so, and what it never tried counts as not attempted.
    """
    summary = report.summary()
    line = f"{summary_words(summary, dry_run=report.dry_run)} in {report.total_requests} requests"
    if report.dry_run:
        return f"{line} (dry run)"
    if report.exit_code == 130:
        return f"{line} (interrupted: run again to finish)"
    if summary["not_attempted"]:
        return f"{line} (stopped early: run again to finish)"
    return line


def title_line(report: RunReport) -> str:
    """What ran, from where to where: `scbridge migrate (dry run): group/project → org/repo`."""
    source = report.source.get("project", "?")
    target = f"{report.target.get('org', '?')}/{report.target.get('repo', '?')}"
    mode = " (dry run)" if report.dry_run else ""
    return f"scbridge {report.command}{mode}: {source} {ARROW} {target}"


def problems(report: RunReport) -> list[ReportItem]:
    """Items a person must look at: conflicts and failures, in report order."""
    if isinstance(report.items, Tallied) and not any(report.items.problems_by_kind().values()):
        return []  # counted as they came: no need to read them all to find none
    return [item for item in report.items if item.problem]


def masked_item(it: ReportItem) -> ReportItem:
    """One item with every registered secret masked (the item itself when no secret is in it
    and masking would not change a thing: a table of 30,000 rows masks in a third the time)."""
    if _nothing_to_mask(it, registered_secrets()):
        return it
    return masked_copy(it)


def masked_copy(it: ReportItem) -> ReportItem:
    """A copy of `it` with every text field through the mask (`masked_item`'s general path)."""
    return replace(it, title=mask_text(it.title), changes=mask_value(it.changes),
                   target_slug=None if it.target_slug is None else mask_text(it.target_slug),
                   reason=None if it.reason is None else mask_text(it.reason),
                   error=None if it.error is None else mask_text(it.error),
                   project_path=mask_text(it.project_path),
                   ref=None if it.ref is None else mask_text(it.ref))


def _nothing_to_mask(it: ReportItem, secrets: tuple[str, ...]) -> bool:
    """Whether `masked_item` would give back an item equal to `it`, field for field and type
    for type: no secret in its texts, and changes made only of dicts (str keys, none of them
    a secret key), lists, strings without a secret, numbers, booleans and None."""
    for text in (it.title, it.target_slug, it.reason, it.error, it.project_path, it.ref):
        if text is not None and (type(text) is not str or _has_secret(text, secrets)):
            return False
    return _plain(it.changes, secrets)


# Plain loops, not any()/all() over generators: twice as fast on these small values.
def _has_secret(text: str, secrets: tuple[str, ...]) -> bool:
    for secret in secrets:  # noqa: SIM110 - see above
        if secret in text:
            return True
    return False


def _plain(value: Any, secrets: tuple[str, ...]) -> bool:
    kind = type(value)
    if kind is dict:
        for key, item in value.items():
            if (type(key) is not str or _has_secret(key, secrets) or is_secret_key(key)
                    or not _plain(item, secrets)):
                return False
        return True
    if kind is list:
        for item in value:  # noqa: SIM110 - see above
            if not _plain(item, secrets):
                return False
        return True
    if kind is str:
        return not _has_secret(value, secrets)
    # A tuple or set becomes a list, another object its masked text: those are copied.
    return value is None or kind is bool or kind is int or kind is float


def masked(report: RunReport, *, items: bool = True) -> RunReport:
    """The report with every registered secret masked, so no renderer can print a token.

    With `items=False` only the run's settings and notes are masked: a renderer that shows
    a few of 30,000 items masks those with `masked_item` as it prints them.
    """
    return replace(report, source=mask_value(report.source), target=mask_value(report.target),
                   notes=tuple(mask_text(note) for note in report.notes),
                   items=masked_view(report.items, masked_item, mask_text) if items
                   else report.items)
