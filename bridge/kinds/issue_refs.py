"""The reference map an issue's or comment's text is rewritten with, from what the run knows.

Issue numbers come from the checkpoint (each issue record keeps its number) and from
the target listing (a run without its checkpoint still finds them); milestones and
labels from what their kinds left in `Refs`. An issue GitLab has but SourceCraft does
not (yet) maps to None: its references stay GitLab links and are `pending`, fixed by
one PATCH once the issue exists.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping

from bridge.checkpoint.view import RecordView
from bridge.compact import NumberMap
from bridge.engine.kind import number_placeholder
from bridge.engine.refs import Refs
from bridge.kinds.context import KindContext
from bridge.kinds.reference_map import ReferenceMap
from bridge.models import SourceMilestone
from bridge.sources.gitlab import SourceLabel, label_id

_IID = re.compile(r"/issues/(\d+)$")


def iid_of(url: str | None) -> int | None:
    """The iid at the end of a GitLab issue URL."""
    match = _IID.search(url or "")
    return int(match.group(1)) if match else None


def issue_numbers(iids: Iterable[int], records: RecordView,
                  listed: Iterable[tuple[str | None, str]]) -> NumberMap:
    """GitLab iid -> SourceCraft number, None for an issue not on SourceCraft yet (compact:
    16 bytes an issue, so 200,000 of them stay small; later sources win): `iids` (every
    issue read), then the records' numbers, then the listing's."""
    numbers = NumberMap((iid, None) for iid in iids)  # in order: two words an issue
    numbers.assign((iid, slug) for iid, slug, state in (
        (iid_of(key), slug, state) for key, slug, state in records.slugs())
        if iid is not None and slug and state != "deleted")
    numbers.assign((iid, number) for iid, number in (
        (iid_of(url), number) for url, number in listed) if iid is not None and number)
    return numbers


def reference_map(ctx: KindContext, refs: Refs, numbers: Mapping[int, str | None]
                  ) -> ReferenceMap:
    """Everything a rewrite needs, as the run knows it now."""
    project = ctx.reader.project()
    milestones: list[SourceMilestone] = list(ctx.shared.get("milestone_items", ()))
    labels: list[SourceLabel] = list(ctx.shared.get("label_items", ()))
    slugs: dict[int, str | None] = {}
    for milestone in milestones:
        ref = refs.get("milestone", milestone.id)
        slugs[milestone.iid] = ref.slug if ref is not None else None
    targets = {}
    for label in labels:
        ref = refs.get("label", label_id(label.name))
        if ref is not None:
            targets[label.name] = ref.name
    return ReferenceMap(
        gitlab_url=ctx.gitlab_url, project_path=project.path,
        sourcecraft_issue_url=ctx.issue_url_pattern, project_web_url=project.web_url,
        issues=numbers, milestone_slugs=slugs,  # not copied: it grows as issues are made
        milestone_titles={m.title: m.iid for m in milestones},
        label_names={label.gitlab_id: label.name for label in labels
                     if label.gitlab_id is not None},
        label_targets=targets, enabled=ctx.mapping.rewrite_references)


class RefNumbers(Mapping[int, "str | None"]):
    """iid -> the number of its issue as `refs` know it: the SourceCraft number, the plan's
    placeholder for one this plan creates, else None."""

    def __init__(self, ids: Mapping[int, int], refs: Refs) -> None:
        self._ids = ids
        self._refs = refs

    def __getitem__(self, iid: int) -> str | None:
        issue_id = self._ids[iid]
        ref = self._refs.get("issue", issue_id)
        if ref is not None and ref.slug:
            return ref.slug
        return number_placeholder(issue_id) if ref is not None and ref.new else None

    def __iter__(self) -> Iterator[int]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)
