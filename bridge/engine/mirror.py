"""A mirror run's extract: a full milestone census every run, issue counts read incrementally.

v3 has no `updated_after`, and milestones have no order to stop at, so every
run lists every milestone. Issues are many: the checkpoint keeps each issue's
milestone and state, and a run reads issues newest-updated first
(`order_by=updated_at&sort=desc`) only down to the bookmark (the newest
`updated_at` the last scan saw), then adjusts the saved counts. Before 8.12
GitLab silently ignores that order, which would make the stop wrong, so the
order is proved on every run and a full scan is done whenever it is not, as
well as when the server's issue total disagrees with the table (deleted or
moved issues leave no trace an incremental scan could see).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime

import structlog

from bridge.checkpoint import Checkpoint, IssueRow
from bridge.engine.extract import OPEN_STATES, Extracted
from bridge.engine.spill import Spill
from bridge.models import SourceMilestone
from bridge.sources.gitlab import GitLabReader, IssueRef

log = structlog.get_logger(__name__)

#: Checkpoint notes: the newest issue `updated_at` seen, the milestone ids the last census
#: listed, the milestones only issues carry (JSON), and the number of the last full scan.
BOOKMARK, CENSUS, CARRIED, SCAN = ("issues.bookmark", "issues.census", "issues.carried",
                                   "issues.scan")

OnPage = Callable[[str, int], None]
Counts = dict[int, list[int]]  # milestone id -> [open, closed]


def instant(text: str | None) -> datetime | None:
    """A GitLab timestamp (any offset; none means UTC) as an aware datetime, None if unreadable."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _row(issue: IssueRef) -> IssueRow:
    return (issue.id, issue.milestone.id if issue.milestone else None, issue.state,
            issue.updated_at)


def _add(counts: Counts, milestone: int | None, state: str, n: int = 1) -> None:
    if milestone is not None:
        pair = counts.setdefault(milestone, [0, 0])
        pair[0 if state in OPEN_STATES else 1] += n


@dataclass
class Tally:
    """What an issue scan found: counts per milestone, milestones only issues carry, its cost."""

    mode: str  # "full" or "incremental"
    counts: Counts = field(default_factory=dict)
    carried: dict[int, SourceMilestone] = field(default_factory=dict)
    pages: int = 0
    issues: int = 0
    reason: str = ""


class MirrorExtract:
    """The census and the issue counts of one mirror run; `save` is False in a dry run."""

    def __init__(self, reader: GitLabReader, checkpoint: Checkpoint, *, save: bool = True,
                 on_page: OnPage | None = None,
                 keep: Spill[IssueRef] | list[IssueRef] | None = None) -> None:
        self._reader = reader
        self._checkpoint = checkpoint
        self._save = save
        self._on_page = on_page or (lambda _kind, _items: None)
        #: Receives the issues the scan read: all of them after a full scan, only those
        #: updated since the bookmark after an incremental one (for a run moving issues).
        self._keep = keep

    def __call__(self) -> Extracted:
        """Every milestone (each page, or an error), with issue counts equal to a full scan's."""
        project = self._reader.project()
        listed: dict[int, SourceMilestone] = {}
        pages = 0
        for page in self._reader.milestone_pages():
            pages += 1
            for milestone in page:
                listed.setdefault(milestone.id, milestone)
            self._on_page("milestones", len(page))
        if self._keep is not None:
            self._keep.clear()
        tally = self._incremental(listed) or self._full(listed, why="")
        log.info("issues_scanned", mode=tally.mode, pages=tally.pages, issues=tally.issues,
                 reason=tally.reason or None)
        everything = {**tally.carried, **listed}
        milestones = tuple(
            replace(everything[key], issues_open=tally.counts.get(key, [0, 0])[0],
                    issues_closed=tally.counts.get(key, [0, 0])[1])
            for key in sorted(everything))
        # Reaching here means every milestone page was read: a lost page raises instead.
        return Extracted(project=project, milestones=milestones, pages=pages + tally.pages,
                         issues=tally.issues, census_complete=True, issue_scan=tally.mode)

    def _full(self, listed: Mapping[int, SourceMilestone], *, why: str) -> Tally:
        """Every issue, oldest first, counted as the migrate extract counts; the table rebuilt."""
        tally = Tally("full", reason=why or "no bookmark yet")
        scan = int(self._checkpoint.meta().get(SCAN, "0")) + 1
        if self._save:  # a number of its own, even if an earlier full scan died half-way
            self._checkpoint.set_meta(SCAN, str(scan))
        newest: datetime | None = None
        dated = True
        for page in self._reader.issue_pages():
            tally.pages += 1
            for issue in page:
                tally.issues += 1
                self._count(tally, listed, issue)
                moment = instant(issue.updated_at)
                dated = dated and moment is not None
                if moment is not None and (newest is None or moment > newest):
                    newest = moment
            if self._save:
                self._checkpoint.save_issues([_row(i) for i in page], scan=scan)
            if self._keep is not None:
                self._keep.extend(page)
            self._on_page("issues", len(page))
        if self._save:
            notes = self._notes(listed, tally, newest if dated else None)
            self._checkpoint.save_issues([], scan=scan, prune=True, meta=notes)
        return tally

    def _incremental(self, listed: Mapping[int, SourceMilestone]) -> Tally | None:
        """Issues updated since the bookmark applied to the saved table; None: do a full scan."""
        notes = self._checkpoint.meta()
        bookmark = instant(notes.get(BOOKMARK))
        if bookmark is None or self._checkpoint.version < 2:  # schema 2 has the table
            return None
        tally = Tally("incremental")
        seen: dict[int, IssueRef] = {}
        total: int | None = None
        first: IssueRef | None = None
        previous: datetime | None = None
        stopped = False
        query = {"order_by": "updated_at", "sort": "desc"}
        for page, page_total in self._reader.issue_pages_in_turn(query):
            tally.pages += 1
            self._on_page("issues", len(page))
            if tally.pages == 1:
                total, first = page_total, (page[0] if page else None)
            for issue in page:
                moment = instant(issue.updated_at)
                if moment is None or (previous is not None and moment > previous):
                    return self._full(listed, why="GitLab ignores order_by=updated_at (before "
                                      "8.12)" if moment else "an issue has no updated_at")
                previous = moment
                if moment < bookmark:
                    stopped = True
                    break
                seen.setdefault(issue.id, issue)
            if stopped:
                break
        if stopped and first is not None and not self._sort_proved(first):
            return self._full(listed, why="GitLab ignores order_by/sort (before 8.12)")
        tally.issues = len(seen)
        merged = self._merge(tally, listed, seen, total, notes)
        if merged is not None and merged.mode == "incremental" and self._keep is not None:
            self._keep.extend(seen.values())
        return merged

    def _sort_proved(self, first: IssueRef) -> bool:
        """Ascending order must start elsewhere than descending; a server ignoring both cannot."""
        query = {"order_by": "updated_at", "sort": "asc", "per_page": 1}
        page, _ = next(self._reader.issue_pages_in_turn(query))
        return not page or page[0].id != first.id

    def _merge(self, tally: Tally, listed: Mapping[int, SourceMilestone],
               seen: Mapping[int, IssueRef], total: int | None,
               notes: Mapping[str, str]) -> Tally | None:
        """The saved table, with milestones deleted since unlinked and the seen issues applied."""
        checkpoint = self._checkpoint
        old = checkpoint.issue_rows(seen)
        known = checkpoint.issue_total() + sum(1 for key in seen if key not in old)
        if total is not None and known != total:
            return self._full(listed, why=f"GitLab lists {total} issues, the table {known} "
                              "(issues deleted or moved)")
        carrying = {i.milestone.id for i in seen.values() if i.milestone is not None}
        unlink = set(json.loads(notes.get(CENSUS, "[]"))) - set(listed) - carrying
        for milestone, state, n in checkpoint.issue_tally():
            if milestone not in unlink:
                _add(tally.counts, milestone, state, n)
        for _, was_on, was_state, _when in old.values():
            if was_on not in unlink:
                _add(tally.counts, was_on, was_state, -1)
        for issue in seen.values():
            self._count(tally, listed, issue)
        tally.counts = {k: v for k, v in tally.counts.items() if v != [0, 0]}
        snapshots = {int(k): v for k, v in json.loads(notes.get(CARRIED, "{}")).items()}
        for key in set(tally.counts) - set(listed) - set(tally.carried):
            if key not in snapshots:
                return self._full(listed, why=f"milestone {key} is carried by issues only and "
                                  "its fields were not kept")
            tally.carried[key] = SourceMilestone(**snapshots[key])
        if self._save:
            newest = max((m for i in seen.values() if (m := instant(i.updated_at))), default=None)
            checkpoint.save_issues([_row(i) for i in seen.values()],
                                   scan=int(notes.get(SCAN, "0")), unlink=unlink,
                                   meta=self._notes(listed, tally, newest or instant(
                                       notes.get(BOOKMARK))))
        return tally

    @staticmethod
    def _count(tally: Tally, listed: Mapping[int, SourceMilestone], issue: IssueRef) -> None:
        on = issue.milestone
        if on is None:
            return
        if on.id not in listed:
            tally.carried[on.id] = replace(on, from_issues_only=True)  # the freshest copy wins
        _add(tally.counts, on.id, issue.state)

    @staticmethod
    def _notes(listed: Mapping[int, SourceMilestone], tally: Tally,
               newest: datetime | None) -> dict[str, str]:
        carried = {str(k): asdict(m) for k, m in tally.carried.items() if k in tally.counts}
        notes = {CENSUS: json.dumps(sorted(listed)), CARRIED: json.dumps(carried, sort_keys=True)}
        # No bookmark when an issue had no date: the next run then scans in full again.
        notes[BOOKMARK] = newest.astimezone(UTC).isoformat() if newest is not None else ""
        return notes
