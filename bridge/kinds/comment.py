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

from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from bridge.checkpoint import Record
from bridge.engine.kind import SourceSet, number_placeholder
from bridge.engine.refs import Refs, TargetRef
from bridge.kinds import issue_text
from bridge.kinds.comment_notes import comment_body, not_a_comment
from bridge.kinds.comment_rows import CommentRows, SkippedNotes, WantedComment
from bridge.kinds.context import KindContext
from bridge.kinds.issue_refs import reference_map
from bridge.models import Gone, ItemOutcome, Planned, Skip, Skipped, source_of
from bridge.sources.gitlab import IssueRef, SourceNote
from bridge.targets.records import TargetComment
from bridge.verify.compare import Difference


def _stamp(issue: IssueRef) -> str:
    return f"{issue.updated_at}|{issue.user_notes_count}"


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
        self._issues: dict[int, IssueRef] = {}  # every issue whose notes were read this run
        self._with_comments: set[int] = set()  # issues read this run that have comments
        self._refs = Refs()  # where the issues are, as the plan of issues left them

    def compare_keys(self) -> tuple[str, ...]:
        """The body."""
        return self.fields

    def extract(self) -> SourceSet:
        """The notes of every issue that has notes and changed since its stamp was saved."""
        ctx = self._ctx
        issues: list[IssueRef] = ctx.shared.get("issue_items", [])
        stamps = ctx.checkpoint.seen(self.name)
        settled: set[str] = set()
        web_url = ctx.reader.project().web_url
        to_read = []
        for issue in issues:
            url = issue_text.issue_url(issue, web_url)
            if issue.user_notes_count == 0 or stamps.get(issue.id) == _stamp(issue):
                settled.add(url)
            else:
                to_read.append(issue)
        with ThreadPoolExecutor(max_workers=ctx.concurrency, thread_name_prefix="notes") as pool:
            read = list(pool.map(ctx.reader.notes, to_read))
        items: list[Any] = []
        for issue, notes in zip(to_read, read, strict=True):
            self._issues[issue.id] = issue
            ctx.on_page("notes", len(notes))
            kinds = [(note, not_a_comment(note)) for note in notes]
            items.extend(note for note, what in kinds if what is None)
            if any(what is None for _, what in kinds):
                self._with_comments.add(issue.id)
                counts = ctx.shared.setdefault("comment_counts", {})
                counts[issue.id] = sum(1 for _, what in kinds if what is None)
            skipped = [(note, what) for note, what in kinds if what is not None]
            if skipped:
                items.append(SkippedNotes(
                    skipped[0][0].id, issue.iid, sum(w == "system" for _, w in skipped),
                    sum(w == "award" for _, w in skipped)))

        read_urls = {issue_text.issue_url(issue, web_url) for issue in to_read}

        def in_scope(record: Record) -> bool:  # the comments of the issues read this run
            return record.key.partition("#note_")[0] in read_urls

        return SourceSet(items=tuple(items), pages=len(to_read), in_scope=in_scope,
                         extra={"issues_read": len(to_read), "issues_skipped": len(settled)})

    def transform(self, source: SourceSet, refs: Refs, *, reserved: Mapping[int, str],
                  target: Sequence[Any]) -> list[Any]:
        """Each note a comment on the issue it belongs to, if that issue is on SourceCraft."""
        del reserved, target
        self._refs = refs
        project = self._ctx.reader.project()
        numbers: dict[int, str | None] = {}
        for issue in self._ctx.shared.get("issue_items", ()):
            ref = refs.get("issue", issue.id)
            numbers[issue.iid] = ref.slug if ref is not None and ref.slug else (
                number_placeholder(issue.id) if ref is not None and ref.new else None)  # planned
        refmap = reference_map(self._ctx, refs, numbers)
        out: list[Any] = []
        for item in source.items:
            if isinstance(item, SkippedNotes):
                out.append(Skipped(item, reason="not comments: skipped"))
                continue
            ref = refs.get("issue", item.issue_id)
            if ref is None:
                why = refs.why_missing("issue", item.issue_id) or "its issue is not migrated"
                failed = " failed:" in why or " in conflict:" in why
                out.append(Skipped(item, reason=f"its issue: {why}",
                                   error=f"its issue: {why}" if failed else None))
                continue
            issue = self._issues[item.issue_id]
            url = issue_text.issue_url(issue, project.web_url)
            body = comment_body(item, url, refmap)
            out.append(WantedComment(item, key=f"{url}#note_{item.id}", body=body))
        return out

    def target_pages(self, refs: Refs) -> Iterator[Sequence[TargetComment]]:
        """The comments of each issue with wanted comments that existed before this run."""
        self._refs = refs
        numbers = []
        for issue_id in sorted(self._with_comments):
            ref = refs.get("issue", issue_id)
            if ref is not None and not ref.new and ref.slug:  # a new issue has no comments yet
                numbers.append(ref.slug)
        with ThreadPoolExecutor(max_workers=self._ctx.concurrency,
                                thread_name_prefix="comments") as pool:
            for found in pool.map(self._ctx.tracker.comments, numbers):
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
        """Stamp each issue whose comments all went through: the next run skips its notes."""
        broken = {source_of(p).issue_id for p, o in zip(actions, outcomes, strict=True)
                  if isinstance(source_of(p), SourceNote)
                  and (not o.ok or (isinstance(p, Skip) and p.wanted is None))}
        stamps = {issue_id: _stamp(issue) for issue_id, issue in self._issues.items()
                  if issue_id not in broken}
        self._ctx.checkpoint.save_seen(self.name, stamps)
