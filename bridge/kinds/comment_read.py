"""Reading the notes of every issue that needs it, kept on disk one issue at a time.

An issue whose `user_notes_count` is 0, or whose stamp (`updated_at|notes`) matches
the one saved once its comments were all moved, is not asked; one whose count fell
to 0 since its stamp was saved counts as read with no notes (its comments were
all deleted, which a mirror then handles by `on_deleted`). The rest are read on
the run's concurrency through a bounded window (never every issue queued at once),
and each issue's notes go to a `Spill` as one `IssueNotes`: its comments, its
skipped notes counted, and what the comment kind needs of the issue (its URL and
stamp) without keeping the issue itself.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

from bridge.compact import CountMap
from bridge.engine.spill import Spill
from bridge.kinds import issue_text
from bridge.kinds.comment_notes import not_a_comment
from bridge.kinds.comment_rows import SkippedNotes
from bridge.kinds.context import KindContext
from bridge.sources.gitlab import IssueRef, SourceNote

T = TypeVar("T")
R = TypeVar("R")


def stamp(issue: IssueRef) -> str:
    """What says an issue's notes have not changed since they were all moved."""
    return f"{issue.updated_at}|{issue.user_notes_count}"


@dataclass(frozen=True, slots=True)
class IssueNotes:
    """One issue's notes as read: its comments (oldest first) and skipped notes, by issue."""

    issue_id: int
    url: str  # the GitLab issue's URL: comment keys start with it
    stamp: str
    items: tuple[SourceNote | SkippedNotes, ...]


@dataclass
class NotesRead:
    """Every issue's notes that were read, and what reading them found."""

    issues: Spill[IssueNotes] = field(default_factory=Spill)
    counts: CountMap = field(default_factory=CountMap)  # issue id -> comments, when any
    settled: int = 0  # issues not read: no notes, or unchanged since their stamp
    emptied: set[int] = field(default_factory=set)  # issues whose notes were all deleted
    read: int = 0  # issues whose notes were read (one request each, at least)
    items: int = 0  # comments and skipped-notes rows in `issues`


def read_notes(ctx: KindContext, issues: Iterable[IssueRef],
               stamps: dict[int, str]) -> NotesRead:
    """The notes of each issue that has notes and changed since its stamp was saved."""
    web_url = ctx.reader.project().web_url
    got = NotesRead()

    def wanted() -> Iterator[IssueRef]:
        for issue in issues:
            before = stamps.get(issue.id)
            if before == stamp(issue):
                got.settled += 1
            elif issue.user_notes_count == 0:
                if before:  # it had comments, all deleted since: nothing to read, all gone
                    got.emptied.add(issue.id)
                    got.issues.append(IssueNotes(issue.id, issue_text.issue_url(issue, web_url),
                                                 stamp(issue), ()))
                else:
                    got.settled += 1
            else:
                yield issue

    with ThreadPoolExecutor(max_workers=ctx.concurrency, thread_name_prefix="notes") as pool:
        for issue, notes in windowed(pool, ctx.reader.notes, wanted(), 4 * ctx.concurrency):
            ctx.on_page("notes", len(notes))
            kinds = [(note, not_a_comment(note)) for note in notes]
            items: list[SourceNote | SkippedNotes] = [n for n, what in kinds if what is None]
            skipped = [(note, what) for note, what in kinds if what is not None]
            if items:
                got.counts[issue.id] = len(items)
            if skipped:
                items.append(SkippedNotes(
                    skipped[0][0].id, issue.iid, sum(w == "system" for _, w in skipped),
                    sum(w == "award" for _, w in skipped)))
            got.issues.append(IssueNotes(issue.id, issue_text.issue_url(issue, web_url),
                                         stamp(issue), tuple(items)))
            got.read += 1
            got.items += len(items)
    return got


def windowed(pool: ThreadPoolExecutor, fn: Callable[[T], R], items: Iterable[T],
             window: int) -> Iterator[tuple[T, R]]:
    """`(item, fn(item))` in order, at most `window` submitted ahead (memory stays flat)."""
    ahead: deque[tuple[T, Future[R]]] = deque()
    try:
        for item in items:
            ahead.append((item, pool.submit(fn, item)))
            if len(ahead) >= window:
                first, future = ahead.popleft()
                yield first, future.result()
        while ahead:
            first, future = ahead.popleft()
            yield first, future.result()
    finally:
        for _, future in ahead:
            future.cancel()


__all__ = ["IssueNotes", "NotesRead", "read_notes", "stamp", "windowed"]
