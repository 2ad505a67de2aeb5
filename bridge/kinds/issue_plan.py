"""An issue's texts as a saved plan holds them: made before the issues it names exist.

An issue whose text names an issue the same plan creates is created with a GitLab
link there, then completed by one PATCH once that issue exists (`issue_complete`).
A saved plan lists that PATCH too, its body the text with each such issue's
SourceCraft number written as `number_placeholder(GitLab id)`. `scbridge apply`,
resumed after some of those issues were created, still sends the texts the plan
approved: `as_planned` renders them again as if those issues did not exist yet.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from typing import Any

from bridge.engine.kind import number_placeholder
from bridge.kinds.context import KindContext
from bridge.kinds.issue_map import WantedIssue
from bridge.kinds.reference_map import ReferenceMap
from bridge.models import Change, Create, Planned, Unchanged


class PlannedTexts:
    """The issue kind's part that says what a saved plan's issue texts are."""

    name = "issue"
    _ctx: KindContext
    _refmap: ReferenceMap | None

    def completions(self, actions: Sequence[Planned],
                    created: Collection[int]) -> dict[int, dict[str, Any]]:
        """GitLab id -> the body of the PATCH that completes the issue's references once the
        issues `created` (GitLab ids: those the plan creates) exist, their numbers placeholders.

        Only for issues whose text names one of them (the PATCH `after_load` would send).
        """
        refmap = self._numbered(actions, created, placeholders=True)
        out: dict[int, dict[str, Any]] = {}
        if refmap is None:
            return out
        for planned in actions:
            wanted = _wanted(planned)  # after_load completes what was created, changed or kept
            if (wanted is None or not wanted.pending
                    or not isinstance(planned, Create | Change | Unchanged)):
                continue
            text = wanted.render(refmap).description
            if text != wanted.description:
                out[wanted.source.id] = {"description": text}
        return out

    def as_planned(self, actions: Sequence[Planned], created: Collection[int]) -> list[Planned]:
        """`actions` with each text to write rendered as the plan made it: the issues `created`
        without a number yet. A completion that text then does not hold is left to the PATCH
        after the load (an unchanged issue with its references pending)."""
        refmap = self._numbered(actions, created, placeholders=False)
        if refmap is None:
            return list(actions)
        out: list[Planned] = []
        for planned in actions:
            wanted = _wanted(planned)
            if wanted is None or not isinstance(planned, Create | Change) or not (
                    wanted.references or wanted.pending):  # names no issue: the same text
                out.append(planned)
                continue
            again = wanted.render(refmap)
            if isinstance(planned, Create):
                out.append(replace(planned, wanted=again))
                continue
            changes = dict(planned.changes)
            if "description" in changes:
                before = changes["description"][0]
                if again.description == before:
                    del changes["description"]
                else:
                    changes["description"] = (before, again.description)
            if changes or not planned.changes:
                out.append(replace(planned, wanted=again, changes=changes))
            else:  # only the completion was left: the PATCH after the load sends it
                out.append(Unchanged(planned.kind, again, planned.target, reason=planned.reason,
                                     adopted=planned.adopted))
        return out

    def _numbered(self, actions: Sequence[Planned], created: Collection[int], *,
                  placeholders: bool) -> ReferenceMap | None:
        """The reference map with each issue in `created` as not created yet (None), or as
        its placeholder (every issue of the run is looked at: `created` spans batches)."""
        if self._refmap is None or not created:
            return None
        wanted = set(created)
        issues = [*self._ctx.shared.get("issue_items", ()),
                  *(w.source for w in map(_wanted, actions) if w is not None)]
        numbers = {i.iid: (number_placeholder(i.id) if placeholders else None)
                   for i in issues if i.id in wanted and i.iid in self._refmap.issues}
        return replace(self._refmap, issues={**self._refmap.issues, **numbers})


def _wanted(planned: Planned) -> WantedIssue | None:
    wanted = getattr(planned, "wanted", None)
    return wanted if isinstance(wanted, WantedIssue) else None
