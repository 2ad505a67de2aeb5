"""What `scbridge demo` shows of the fake SourceCraft after the migration: a few lines per kind."""

from __future__ import annotations

from typing import Any, TextIO

from bridge.kinds.issue_text import key_of
from bridge.report.grouping import SHOWN_PER_KIND
from bridge.report.text import wrap
from bridge.sandbox.sourcecraft_state import SourceCraftState

WIDTH = 100  # in a pipe, where nothing says how wide the reader is


def show_target(out: TextIO, sc: SourceCraftState, width: int | None = None) -> None:
    """Labels by name, milestones by slug, issues by number with status and comment count.

    Fits `width` (the terminal's, or COLUMNS; WIDTH in a pipe): names are cut with `…`.
    """
    width = width or WIDTH
    labels = sc.label_list()
    out.write(f"labels ({len(labels)}):\n")
    names = ", ".join(str(label.get("name")) for label in labels)
    out.write("".join(f"  {line}\n" for line in wrap(names, width - 2)))
    milestones = sorted(sc.milestones(), key=lambda m: str(m.get("slug")))
    out.write(f"\nmilestones ({len(milestones)}):\n"
              f"  {'slug':<24} {'status':<7} {'deadline':<21} name\n")
    for item in milestones[:SHOWN_PER_KIND]:
        out.write(f"  {item.get('slug')!s:<24} {item.get('status')!s:<7} "
                  f"{item.get('deadline') or '-'!s:<21} {_fit(item.get('name'), width - 57)}\n")
    _more(out, len(milestones) - SHOWN_PER_KIND, "milestones")
    issues = sc.issue_list()
    comments = {str(issue["slug"]): len(sc.comment_list(str(issue["slug"]))) for issue in issues}
    out.write(f"\nissues ({len(issues)}, with {sum(comments.values())} comments on "
              f"{sum(1 for n in comments.values() if n)} of them):\n"
              f"  {'number':<7} {'GitLab':<7} {'status':<8} {'comments':>8}  {'milestone':<20} "
              "title\n")
    # The first few, then every issue that has comments, so the comments are seen too.
    shown = [issue for n, issue in enumerate(issues)
             if n < SHOWN_PER_KIND or comments[str(issue["slug"])]]
    for issue in shown:
        out.write(f"  {issue['slug']!s:<7} {_gitlab(issue):<7} {_status(issue):<8} "
                  f"{comments[str(issue['slug'])]:>8}  {_milestone(issue):<20} "
                  f"{_fit(issue.get('title'), width - 59)}\n")
    _more(out, len(issues) - len(shown), "issues")


def _fit(text: object, room: int) -> str:
    """`text` cut to `room` characters (at least 12), with `…` where it was cut."""
    value, room = str(text), max(12, room)
    return value if len(value) <= room else value[: room - 1] + "…"


def _gitlab(issue: dict[str, Any]) -> str:
    """The GitLab number its provenance header links to (`#9`): numbers differ after a move."""
    url = key_of(str(issue.get("description") or "")) or ""
    tail = url.rsplit("/issues/", 1)
    return f"#{tail[1]}" if len(tail) == 2 else "-"


def _status(issue: dict[str, Any]) -> str:
    status = issue.get("status")
    return str(status.get("slug") if isinstance(status, dict) else status)


def _milestone(issue: dict[str, Any]) -> str:
    milestone = issue.get("milestone")
    return str(milestone.get("slug")) if isinstance(milestone, dict) else "-"


def _more(out: TextIO, left: int, plural: str) -> None:
    if left > 0:
        out.write(f"  ... and {left} more {plural}\n")
