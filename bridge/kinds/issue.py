"""Issues: each GitLab issue a SourceCraft issue, found again by the GitLab URL in its header.

SourceCraft numbers issues itself and has no client key, so the natural key is
the GitLab issue's URL at the fixed first line scbridge writes (`issue_text`).
An issue points at its milestone and labels through the objects they were
migrated to (`Refs`); one whose milestone or label failed is not created
half-linked but fails with that reason. A closed issue is created closed.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from dataclasses import replace
from typing import Any

import structlog

from bridge.engine.batches import chunked
from bridge.engine.batchsize import batch_size
from bridge.engine.kind import SourceSet
from bridge.engine.refs import Refs, TargetRef
from bridge.engine.spill import Spill
from bridge.kinds import issue_text
from bridge.kinds.context import KindContext
from bridge.kinds.issue_bodies import IssueBodies
from bridge.kinds.issue_complete import ReferenceCompletion
from bridge.kinds.issue_links import LinkCache, resolve_links
from bridge.kinds.issue_lookups import IssueLookups
from bridge.kinds.issue_map import IssueRows, WantedIssue, issue_record, map_issue
from bridge.kinds.issue_numbers import PRESERVE, cannot_apply, check, placeholders
from bridge.kinds.issue_plan import PlannedTexts
from bridge.kinds.issue_refs import iid_of, issue_numbers, reference_map
from bridge.kinds.reference_map import ReferenceMap
from bridge.models import Change, Create, ItemOutcome, Planned, Skipped, Unchanged
from bridge.rules import RecordError
from bridge.sources.gitlab import IssueRef
from bridge.targets.records import ISSUE_FIELDS, TargetIssue

log = structlog.get_logger(__name__)

#: Checkpoint note: "1" once a full pass put every GitLab issue on SourceCraft, so a mirror
#: may plan only the issues updated since the bookmark.
ISSUES_COMPLETE = "issues.complete"

#: Issues planned, loaded and reported at a time (`batches`): memory stays flat.
BATCH = 1000

#: What a planned create points at in a dry run: no id or number yet (one object for all).
_PLANNED = TargetRef(None, "", new=True)


class IssueKind(IssueRows, IssueBodies, IssueLookups, ReferenceCompletion, PlannedTexts):
    """GitLab issues as SourceCraft issues."""

    plural = "issues"
    depends_on: tuple[str, ...] = ("label", "milestone")
    fields = ISSUE_FIELDS
    key_name = "GitLab URL"
    key_claims_source = True
    sequence_name = "run with issues: numbering: preserve"

    def __init__(self, ctx: KindContext) -> None:
        self._ctx = ctx
        self._user_ids: dict[str, str | None] = {}  # SourceCraft user slug -> id, looked up once
        self._changed: frozenset[int] | None = None  # set by an incremental mirror scan
        self._refmap: ReferenceMap | None = None
        #: (the issues read, the target listing, the number map worked out from them).
        self._numbers: tuple[Any, Any, MutableMapping[int, str | None]] | None = None
        self._incomplete = False  # an issue of this full pass did not go through
        self._iids: tuple[Sequence[IssueRef], array[int]] | None = None  # of the issues read

    def compare_keys(self) -> tuple[str, ...]:
        """Every managed field."""
        return ISSUE_FIELDS

    def extract(self) -> SourceSet:
        """Every issue: from the milestones' issue scan when it kept them, else read here."""
        kept = self._ctx.shared.get("issues")
        pages = 0
        if kept is None:
            kept, pages = self._read_all()
        users, slugs, iids = self._ctx.users, set(), array("q")
        for issue in kept:  # one pass: the assignees to look up, the iids for the number map
            iids.append(issue.iid)
            if issue.assignee is not None and issue.assignee.username in users:
                slugs.add(users[issue.assignee.username])
        self._iids = (kept, iids)
        for slug in sorted(slugs):
            self._user_ids[slug] = self._ctx.tracker.user_id(slug)
        self._ctx.shared["issue_items"] = kept  # the comments kind reads their notes
        if self._ctx.numbering == PRESERVE:
            known = (iid_of(record.key) for record in self._ctx.checkpoint.records(self.name)
                     .values())
            kept = [*kept, *placeholders(kept, (i for i in known if i),
                                         self._ctx.reader.project().path)]
        if self._ctx.shared.get("issue_scan") != "incremental":
            return SourceSet(items=kept, pages=pages)
        if not self._bookmark_covers_issues():
            # The bookmark says which issues changed since the milestones' last scan, not
            # that every issue is on SourceCraft: issues just turned on, or one that failed
            # or never got its answer, need every issue planned once.
            self._ctx.shared["issue_scan"] = "full"
            kept, read = self._read_all()
            pages += read
            self._ctx.shared["issue_items"] = kept
            return SourceSet(items=kept, pages=pages)
        # A mirror run that read only the issues updated since its bookmark plans only those:
        # the others have not changed in GitLab, and are neither compared nor deleted.
        changed = frozenset(issue.id for issue in kept)
        self._changed = changed
        return SourceSet(items=tuple(kept), pages=pages,
                         in_scope=lambda record: record.source_id in changed)

    def _read_all(self) -> tuple[Spill[IssueRef], int]:
        """Every issue of the project, read here (on disk), and the pages it took."""
        kept: Spill[IssueRef] = Spill()
        pages = 0
        for page in self._ctx.reader.issue_pages():
            pages += 1
            kept.extend(page)
            self._ctx.on_page("issues", len(page))
        return kept, pages

    def lists_ahead(self) -> bool:
        """A migrate lists every issue whatever GitLab says: read while GitLab is read."""
        return self._ctx.command == "migrate"

    def batches(self, source: SourceSet) -> Iterator[SourceSet]:
        """A few thousand issues at a time; kept numbers (created in iid order, gaps filled)
        and a mirror's changed issues in one."""
        if self._ctx.numbering == PRESERVE or self._changed is not None:
            yield source
            return
        for batch in chunked(source.items, batch_size(BATCH)):
            yield replace(source, items=batch)

    def _bookmark_covers_issues(self) -> bool:
        """True once a full pass moved every issue and no issue record is left unfinished."""
        if self._ctx.checkpoint.meta().get(ISSUES_COMPLETE) != "1":
            return False
        return not self._ctx.checkpoint.records(self.name).any_in(("pending", "failed"))

    def after_load(self, actions: Sequence[Planned], outcomes: Sequence[ItemOutcome]) -> None:
        """Complete references; note whether every issue is on SourceCraft; and forget the
        comment stamps of issues created now (a recreated issue needs its comments again)."""
        super().after_load(actions, outcomes)
        created = {p.wanted.source.id: "" for p, o in zip(actions, outcomes, strict=True)
                   if o.ok and isinstance(p, Create)}
        self._ctx.checkpoint.save_seen("comment", created)
        if self._changed is None and not all(o.ok for o in outcomes):
            self._incomplete = True
            self._ctx.checkpoint.set_meta(ISSUES_COMPLETE, "0")

    def after_batches(self) -> None:
        """References to issues of later batches completed; a full pass that moved every
        issue noted, so the next mirror may go incremental."""
        super().after_batches()
        if self._changed is None:  # a full pass: every issue was planned
            complete = "0" if self._incomplete else "1"
            if self._ctx.checkpoint.meta().get(ISSUES_COMPLETE) != complete:  # else no fsync
                self._ctx.checkpoint.set_meta(ISSUES_COMPLETE, complete)

    def transform(self, source: SourceSet, refs: Refs, *, reserved: Mapping[int, str],
                  target: Sequence[Any]) -> list[Any]:
        """Each issue mapped, linked to its migrated milestone and labels, headed."""
        del reserved
        numbers: MutableMapping[int, str | None] = self._issue_numbers(source, target)
        refused = None
        if self._ctx.numbering == PRESERVE:
            refused = cannot_apply(target)
            numbers = {issue.iid: str(issue.iid) for issue in source.items}  # known ahead
        self._refmap = reference_map(self._ctx, refs, numbers)
        rules = self._ctx.mapping.section("issue")
        out: list[Any] = []
        seen: LinkCache = {}  # refs do not change while a batch is mapped
        for issue in sorted(source.items, key=lambda item: item.id):
            if refused is not None:
                out.append(Skipped(issue, reason="numbering cannot be kept", error=refused))
                continue
            links = resolve_links(issue, refs, users=self._ctx.users, user_ids=self._user_ids,
                                  cache=seen)
            if links.error is not None:
                out.append(Skipped(issue, reason="not created without what it points at",
                                   error=links.error))
                continue
            try:
                out.append(map_issue(issue, rules.values(issue_record(issue)), links,
                                     self._refmap))
            except RecordError as exc:
                out.append(Skipped(issue, reason="mapping failed", error=str(exc)))
        return out

    def _issue_numbers(self, source: SourceSet, target: Sequence[Any]
                       ) -> MutableMapping[int, str | None]:
        """iid -> SourceCraft number of every issue, worked out once for all batches of a
        plan (and kept up to date as issues are created: `after_load`)."""
        everything = self._ctx.shared.get("issue_items", source.items)
        if (self._numbers is None or self._numbers[0] is not everything
                or self._numbers[1] is not target):  # the objects held: an id may be reused
            known = self._iids  # gathered by `extract` while the listing was still being read
            iids = known[1] if known is not None and known[0] is everything else (
                issue.iid for issue in everything)
            numbers = issue_numbers(iids, self._ctx.checkpoint.records(self.name),
                                    ((t.key, t.slug) for t in target))
            self._numbers = (everything, target, numbers)
        return self._numbers[2]

    def conflict(self, wanted: WantedIssue, found: TargetIssue) -> str | None:
        """An issue whose header names our GitLab URL was written by scbridge: ours."""
        return None

    def create(self, wanted: WantedIssue, refs: Refs) -> TargetIssue:
        """POST the issue with its status, milestone, labels and assignee in the one request."""
        created = self._ctx.tracker.create_issue(self.create_body(wanted, refs))
        if self._ctx.numbering == PRESERVE:
            check(wanted.source.iid, wanted.key, created)
        return replace(created, key=issue_text.key_of(created.description))

    def extra_counts(self, planned: Planned) -> dict[str, int] | None:
        """What the report says beside an issue: comments read for it, references rewritten."""
        if not isinstance(planned, Create | Change | Unchanged):
            return None
        wanted: WantedIssue = planned.wanted
        written = isinstance(planned, Create | Change)  # an unchanged text rewrites nothing
        references = wanted.references if written else 0
        comments = self._ctx.shared.get("comment_counts", {}).get(wanted.source.id, 0)
        if not references and not comments:
            return None  # most issues of a re-run: nothing to say
        counts = {"references": references, "comments": comments}
        return {name: n for name, n in counts.items() if n}

    def sequence_of(self, planned: Planned) -> Any:
        """Kept numbers: every create one after another (else None: all in parallel)."""
        keep = self._ctx.numbering == PRESERVE and isinstance(planned, Create)
        return "numbers" if keep else None

    def sequence_rank(self, planned: Planned) -> int:
        """Kept numbers are created in iid order (placeholders included)."""
        return int(planned.wanted.source.iid) if isinstance(planned, Create) else 0

    def change(self, target: TargetIssue, wanted: WantedIssue | None,
               changes: Mapping[str, tuple[Any, Any]], refs: Refs) -> TargetIssue:
        """PATCH the changed fields by id; labels are PUT as a whole set."""
        body = self.change_body(target, wanted, changes, refs)
        label_ids = body.pop("label_ids", None)
        updated = self._ctx.tracker.update_issue(target, body) if body else target
        if label_ids is not None and wanted is not None:
            self._ctx.tracker.set_issue_labels(target, label_ids)
            updated = replace(updated, labels=tuple(sorted(x.name for x in wanted.links.labels)))
        return replace(updated, key=target.key)

    def delete(self, target: TargetIssue) -> None:
        """DELETE by id."""
        self._ctx.tracker.delete_issue(target)

    def ref_of(self, item: TargetIssue | WantedIssue) -> TargetRef:
        """Comments (later) point at an issue by its number (kept for every issue of the run,
        so without its title)."""
        if isinstance(item, TargetIssue):
            return TargetRef(item.id, item.slug)
        return _PLANNED
