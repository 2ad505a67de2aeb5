"""The JSON bodies the issue kind sends: the create (one request, links included) and a PATCH.

Links name the SourceCraft objects the milestone and labels were migrated to, as
`Refs` knows them once those kinds are loaded; in a dry run one the plan creates
is named by its placeholder (`$plan:label:7`), as a saved plan shows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bridge.engine.kind import placeholder
from bridge.engine.refs import Refs
from bridge.kinds.issue_map import WantedIssue
from bridge.targets.records import TargetIssue


class IssueBodies:
    """The issue kind's request bodies."""

    def create_body(self, wanted: WantedIssue, refs: Refs) -> dict[str, Any]:
        """The issue with its status, milestone, labels and assignee, for one request."""
        body: dict[str, Any] = {"title": wanted.title, "description": wanted.description,
                                "status_slug": wanted.status, "visibility": wanted.visibility}
        if wanted.deadline:
            body["deadline"] = wanted.deadline
        milestone = _id_of(refs, "milestone", wanted.links.milestone)
        if milestone:
            body["milestone_id"] = milestone
        labels = [_id_of(refs, "label", label) for label in wanted.links.labels]
        if labels:
            body["label_ids"] = labels
        if wanted.links.assignee_id:
            body["assignee_id"] = wanted.links.assignee_id
        return body

    def change_body(self, target: TargetIssue, wanted: WantedIssue | None,
                    changes: Mapping[str, tuple[Any, Any]], refs: Refs) -> dict[str, Any]:
        """The PATCH body; `label_ids`, when the labels change, is the whole set (PUT apart)."""
        del target
        body: dict[str, Any] = {}
        for name, (_before, after) in changes.items():
            if name == "status":
                body["status_slug"] = after
            elif name == "milestone":
                link = wanted.links.milestone if wanted is not None else None
                body["milestone_id"] = _id_of(refs, "milestone", link) or ""
            elif name == "assignee":
                body["assignee_id"] = (wanted.links.assignee_id if wanted else None) or ""
            elif name == "labels":
                if wanted is not None:
                    ids = [_id_of(refs, "label", label) for label in wanted.links.labels]
                    body["label_ids"] = [i for i in ids if i]
            else:
                body[name] = after
        return body


def _id_of(refs: Refs, kind: str, link: Any) -> str | None:
    """The target id of a linked object, as refs know it now (after that kind was loaded).

    One a plan creates and has not yet (a dry run) is named by its placeholder.
    """
    if link is None:
        return None
    ref = refs.get(kind, link.source_id)
    if ref is None:
        return None
    return ref.id if ref.id is not None else placeholder(kind, link.source_id)
