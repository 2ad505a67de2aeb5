"""Finishing what an issue's text points at, once the issues it names exist.

Issues are created in parallel, so a text naming `#12` may be written before #12
is on SourceCraft; its reference then stays a GitLab link (`pending`). After the
issues are loaded, one PATCH per such issue completes it; if that PATCH never
happens (a kill, a refusal), the next migrate sees a text that differs only by
those references (`owed`) and sends it then.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any, cast

import structlog

from bridge.checkpoint import content_hash
from bridge.engine.batches import chunked
from bridge.engine.spill import Spill
from bridge.errors import ApiError
from bridge.kinds.context import KindContext
from bridge.kinds.issue_map import WantedIssue
from bridge.kinds.reference_map import ReferenceMap
from bridge.models import Change, Create, ItemOutcome, Planned, Unchanged
from bridge.targets.records import TargetIssue

log = structlog.get_logger(__name__)


class ReferenceCompletion:
    """The issue kind's part that completes references after the load."""

    name = "issue"
    _ctx: KindContext
    _refmap: ReferenceMap | None
    #: Issues whose texts name issues of a later batch: completed once all are loaded.
    _waiting: Spill[tuple[WantedIssue, TargetIssue]] | None = None
    #: Set by `scbridge apply`: (GitLab id, PATCH body) -> False for one its plan does not list.
    approve: Callable[[int, dict[str, Any]], bool] | None = None
    #: True once a batch's load was stopped: completions are left to the next run.
    _halted = False

    def owed(self, wanted: WantedIssue, target: TargetIssue) -> bool:
        """True when `target` differs only by references scbridge could not finish before."""
        if self._refmap is None or target.description == wanted.description:
            return False
        header, _, body = target.description.partition("\n\n")
        if header != wanted.description.partition("\n\n")[0]:
            return False
        again = replace(wanted, raw_body=body).render(self._refmap)
        return again.description == wanted.description

    def after_load(self, actions: Sequence[Planned], outcomes: Sequence[ItemOutcome]) -> None:
        """One PATCH per issue whose text pointed at issues created after it, now they exist;
        one pointing at issues of a later batch waits for `after_batches`."""
        if self._refmap is None:
            return
        done = [(p.wanted, o.target) for p, o in zip(actions, outcomes, strict=True)
                if o.ok and o.target is not None and isinstance(p, Create | Change | Unchanged)]
        # The issue kind's own number map (a NumberMap, or kept numbers' dict): written in
        # place, so later batches see these issues' numbers.
        numbers = cast(MutableMapping[int, str | None], self._refmap.issues)
        numbers.update({wanted.source.iid: target.slug for wanted, target in done})
        if self._halted or not all(outcome.attempted for outcome in outcomes):
            # The loader stopped (a signal, refused credentials, the target gone): no new
            # write from here on; the next run completes these texts (`owed`).
            self._halted = True
            return
        owed = [(wanted, target) for wanted, target in done if wanted.pending]
        later = self._later()
        self._run(owed, later)

    def after_batches(self) -> None:
        """The issues whose references pointed at issues of later batches, completed now."""
        later, self._waiting = self._waiting, None
        if self._halted:
            return  # stopped: the issue pass is noted incomplete, the next run finishes them
        for owed in chunked(later or (), 1000):  # a few in memory at a time
            self._run(owed, None)

    def _later(self) -> Spill[tuple[WantedIssue, TargetIssue]]:
        if self._waiting is None:
            self._waiting = Spill()
        return self._waiting

    def _run(self, owed: list[tuple[WantedIssue, TargetIssue]],
             later: Spill[tuple[WantedIssue, TargetIssue]] | None) -> None:
        with ThreadPoolExecutor(max_workers=self._ctx.concurrency,
                                thread_name_prefix="references") as pool:
            left = list(pool.map(lambda pair: self._complete(*pair, last=later is None), owed))
        if later is not None:
            later.extend((wanted, now) for (wanted, _), now in zip(owed, left, strict=True)
                         if now is not None)

    def _complete(self, wanted: WantedIssue, target: TargetIssue, *,
                  last: bool) -> TargetIssue | None:
        """PATCH what is known now and answer None; or, before the `last` pass, answer the
        issue unsent while it still names issues not made yet (a later batch's): that pass
        sends it once, every reference in, so an issue gets one PATCH, not one per batch."""
        again = wanted.render(self._refmap) if self._refmap is not None else wanted
        if again.pending and not last:
            return target
        if again.description == target.description:
            return None
        body = {"description": again.description}
        if self.approve is not None and not self.approve(wanted.source.id, body):
            return None  # not sent: the saved plan did not approve it (`bridge.plans.approve`)
        try:
            updated = replace(self._ctx.tracker.update_issue(target, body), key=wanted.key)
        except ApiError as exc:  # the next run finishes it (`owed`)
            log.warning("references_not_completed", issue=wanted.key, error=str(exc))
            return None
        known = self._ctx.checkpoint.get(self.name, wanted.source.id)
        self._ctx.checkpoint.record(
            self.name, wanted.source.id, key=wanted.key,
            state=known.state if known else "created", target_id=updated.id,
            written_hash=content_hash(updated.managed()), target_updated_at=updated.updated_at,
            target_slug=updated.slug)
        return None
