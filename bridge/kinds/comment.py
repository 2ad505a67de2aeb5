"""Comments: GitLab notes as SourceCraft issue comments, per issue, oldest first.

Notes are read per issue (the global issue id in v3), every page, sorted by
(created_at, id); an issue whose `user_notes_count` is 0 is not asked, and
one whose `updated_at` and note count match the stamp saved once its comments
were all moved is not read again. Comments of one issue are created one after
another; different issues' in parallel. A comment's natural key is the GitLab
note URL in its header; SourceCraft lists comments only per issue, so that is
where an unknown outcome is resolved.
"""

from __future__ import annotations

import functools
import heapq
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from bridge.checkpoint import Record
from bridge.checkpoint.view_reads import KeyScope
from bridge.compact import CountMap, ascending
from bridge.engine.batches import chunked
from bridge.engine.batchsize import batch_size
from bridge.engine.kind import SourceSet
from bridge.engine.refs import Refs, TargetRef
from bridge.kinds import issue_text
from bridge.kinds.comment_notes import comment_body
from bridge.kinds.comment_read import IssueNotes, read_notes, windowed
from bridge.kinds.comment_rows import CommentRows, SkippedNotes, WantedComment
from bridge.kinds.context import KindContext
from bridge.kinds.issue_refs import RefNumbers, reference_map
from bridge.kinds.reference_map import ReferenceMap
from bridge.models import Conflict, Gone, ItemOutcome, Planned, Skip, Skipped, source_of
from bridge.sources.gitlab import SourceNote
from bridge.targets.records import TargetComment
from bridge.verify.compare import Difference

#: Comments planned, loaded and reported at a time (whole issues): memory stays flat.
BATCH = 2000


class CommentKind(CommentRows):
    """GitLab notes as SourceCraft comments."""

    plural = "comments"
    depends_on: tuple[str, ...] = ("issue",)
    fields: tuple[str, ...] = ("body",)
    key_name = "GitLab note URL"
    key_claims_source = True
    lists_by_refs = True  # `target_pages` lists the issues' comments by their numbers in refs
    sequence_name = "issue's comments"

    def __init__(self, ctx: KindContext) -> None:
        self._ctx = ctx
        #: Issues read this run that have comments (their counts) or lost them all.
        self._listed: tuple[Mapping[int, int], set[int]] = ({}, set())
        self._stamps: dict[int, str] = {}  # the issues of the comments last transformed
        self._refs = Refs()  # where the issues are, as the plan of issues left them
        self._numbers: CountMap | None = None  # iid -> GitLab issue id

    def compare_keys(self) -> tuple[str, ...]:
        """The body."""
        return self.fields

    def extract(self) -> SourceSet:
        """The notes of every issue that has notes and changed since its stamp was saved,
        one `IssueNotes` per issue read."""
        ctx = self._ctx
        got = read_notes(ctx, ctx.shared.get("issue_items", ()), ctx.checkpoint.seen(self.name))
        ctx.shared["comment_counts"] = got.counts
        # Listed on SourceCraft: issues with comments, and those whose notes were all deleted.
        self._listed = (got.counts, got.emptied)
        issues = got.issues

        @functools.cache
        def read_urls() -> frozenset[str]:  # built only if a record is asked about
            return frozenset(notes.url for notes in issues)

        def in_scope(key: str) -> bool:  # the comments of the issues read this run
            return _issue_url(key) in read_urls()

        return SourceSet(items=issues, pages=got.read, size=got.items,
                         in_scope=KeyScope(in_scope, nothing=not issues),  # none read: none
                         extra={"issues_read": got.read, "issues_skipped": got.settled})

    def record_group(self, record: Record) -> str:
        """A comment's record goes with the batch holding its issue (by the issue's URL)."""
        return _issue_url(record.key)

    def batches(self, source: SourceSet) -> Iterator[SourceSet]:
        """Whole issues' comments, about BATCH at a time, with their issues' URLs."""
        batches: Iterator[list[IssueNotes]] = chunked(
            source.items, 2 * batch_size(BATCH // 2), weight=lambda notes: len(notes.items))
        for batch in batches:
            yield replace(source, items=batch, groups=frozenset(n.url for n in batch))

    def transform(self, source: SourceSet, refs: Refs, *, reserved: Mapping[int, str],
                  target: Sequence[Any]) -> list[Any]:
        """Each note a comment on the issue it belongs to, if that issue is on SourceCraft."""
        del reserved, target
        self._refs = refs
        refmap = reference_map(self._ctx, refs, self._issue_numbers(refs))
        self._stamps = {}
        out: list[Any] = []
        for notes in source.items:
            self._stamps[notes.issue_id] = notes.stamp
            out.extend(self._wanted(item, notes.url, refs, refmap) for item in notes.items)
        return out

    def _wanted(self, item: SourceNote | SkippedNotes, url: str, refs: Refs,
                refmap: ReferenceMap) -> Any:
        if isinstance(item, SkippedNotes):
            return Skipped(item, reason="not comments: skipped")
        ref = refs.get("issue", item.issue_id)
        if ref is None:
            why = refs.why_missing("issue", item.issue_id) or "its issue is not migrated"
            failed = " failed:" in why or " in conflict:" in why
            return Skipped(item, reason=f"its issue: {why}",
                           error=f"its issue: {why}" if failed else None)
        return WantedComment(item, key=f"{url}#note_{item.id}",
                             body=comment_body(item, url, refmap))

    def _issue_numbers(self, refs: Refs) -> Mapping[int, str | None]:
        """iid -> SourceCraft number of every issue, as refs know them (read when asked:
        16 bytes an issue are kept, not a number each)."""
        if self._numbers is None:
            self._numbers = CountMap((issue.iid, issue.id)
                                     for issue in self._ctx.shared.get("issue_items", ()))
        return RefNumbers(self._numbers, refs)

    def target_pages(self, refs: Refs) -> Iterator[Sequence[TargetComment]]:
        """The comments of each issue with wanted comments that existed before this run."""
        self._refs = refs

        def numbers() -> Iterator[str]:
            for issue_id in _ascending_once(*self._listed):
                ref = refs.get("issue", issue_id)
                if ref is not None and not ref.new and ref.slug:  # a new one has no comments
                    yield ref.slug

        with ThreadPoolExecutor(max_workers=self._ctx.concurrency,
                                thread_name_prefix="comments") as pool:
            for _, found in windowed(pool, self._ctx.tracker.comments, numbers(),
                                     4 * self._ctx.concurrency):
                yield [replace(c, key=issue_text.key_of(c.body)) for c in found]

    def conflict(self, wanted: WantedComment, found: TargetComment) -> str | None:
        """A comment whose header names our note was written by scbridge: ours."""
        return None

    def create(self, wanted: WantedComment, refs: Refs) -> TargetComment:
        """POST to the issue's comments."""
        ref = refs.get("issue", wanted.source.issue_id)
        if ref is None or not ref.slug:
            raise AssertionError("a comment is planned only for an issue on the target")
        created = self._ctx.tracker.create_comment(ref.slug,
                                                   self.create_body(wanted, refs)["body"])
        return replace(created, key=wanted.key)

    def create_body(self, wanted: WantedComment, refs: Refs) -> dict[str, Any]:
        """{body}; it goes to the issue's comments (its number: the issue's once created)."""
        del refs
        return {"body": wanted.body}

    def change_body(self, target: TargetComment, wanted: WantedComment | None,
                    changes: Mapping[str, tuple[Any, Any]], refs: Refs) -> dict[str, Any]:
        """{body}: the mapped one, or the change's new value."""
        del target, refs
        return {"body": wanted.body if wanted is not None else str(changes["body"][1])}

    def verify_order(self, matched: Sequence[tuple[WantedComment, TargetComment]]
                     ) -> list[Difference]:
        """`scbridge verify`: each issue's comments in their notes' (created_at, id) order."""
        by_issue: dict[str, list[SourceNote]] = {}
        for wanted, target in matched:  # in SourceCraft's listing order, oldest first
            by_issue.setdefault(target.issue, []).append(wanted.source)
        out: list[Difference] = []
        for number, notes in by_issue.items():
            expected = sorted(notes, key=lambda n: (n.created_at or "", n.id))
            if notes != expected:
                out.append(Difference(self.name, "order", f"#{notes[0].issue_iid}",
                                      field="comments", expected=[n.id for n in expected],
                                      found=[n.id for n in notes], target=f"#{number}"))
        return out

    def find(self, wanted: WantedComment) -> TargetComment | None:
        """The issue's comment holding our key, by listing them (comments have no filter)."""
        ref = self._refs.get("issue", wanted.source.issue_id)
        if ref is None or not ref.slug:
            return None
        for comment in self._ctx.tracker.comments(ref.slug):
            if issue_text.key_of(comment.body) == wanted.key:
                return replace(comment, key=wanted.key)
        return None

    def change(self, target: TargetComment, wanted: WantedComment | None,
               changes: Mapping[str, tuple[Any, Any]], refs: Refs) -> TargetComment:
        """PATCH the body."""
        body = self.change_body(target, wanted, changes, refs)["body"]
        return replace(self._ctx.tracker.update_comment(target, body), key=target.key)

    def delete(self, target: TargetComment) -> None:
        """DELETE by id."""
        self._ctx.tracker.delete_comment(target)

    def ref_of(self, item: Any) -> TargetRef:
        """Nothing points at comments."""
        return TargetRef(getattr(item, "id", None), "", "")

    def sequence_of(self, planned: Planned) -> Any:
        """Comments of one issue are written one after another."""
        source = source_of(planned)
        if isinstance(source, SourceNote):
            return source.issue_id
        return ("gone", planned.target.issue) if isinstance(planned, Gone) else None

    def after_load(self, actions: Sequence[Planned], outcomes: Sequence[ItemOutcome]) -> None:
        """Stamp each issue whose comments all went through: the next run skips its notes.

        One with a comment in conflict is not stamped, so the next run looks again."""
        broken = {source_of(p).issue_id for p, o in zip(actions, outcomes, strict=True)
                  if isinstance(source_of(p), SourceNote)
                  and (not o.ok or isinstance(p, Conflict)
                       or (isinstance(p, Skip) and p.wanted is None))}
        stamps = {issue_id: stamp for issue_id, stamp in self._stamps.items()
                  if issue_id not in broken}
        self._ctx.checkpoint.save_seen(self.name, stamps)


def _issue_url(key: str) -> str:
    """The GitLab issue URL a comment's key (its note's URL) starts with."""
    return key.partition("#note_")[0]


def _ascending_once(counted: Iterable[int], emptied: Iterable[int]) -> Iterator[int]:
    """The issue ids of both, ascending, each once, streamed: not a set and a sorted copy of
    160,000 ids (about 11 MB, the peak of a 200,000-issue dry run)."""
    last = None
    for issue_id in heapq.merge(ascending(counted), sorted(emptied)):
        if issue_id != last:
            last = issue_id
            yield issue_id
