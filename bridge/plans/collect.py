"""What a dry run with `--plan-out` gathers while it plans, kind by kind, to save as the plan."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bridge.engine.kind import Kind
from bridge.engine.refs import Refs
from bridge.models import Create, Planned, source_id_of
from bridge.plans.entries import COMPLETES, entries_of, plain


class PlanCollector:
    """Passed as `RunOptions.on_planned`: each kind's entries, with the bodies computed then.

    An issue's references' PATCH (`completions`) names every issue the plan creates, in
    any batch, so it is added once the whole plan is known (`entries`).
    """

    def __init__(self) -> None:
        self.kinds: list[str] = []
        self._actions: list[dict[str, Any]] = []
        self._pending: list[tuple[Kind, Planned, dict[str, Any]]] = []  # may owe a completion
        self._created: set[int] = set()  # the GitLab ids of the issues the plan creates
        self._done = False

    def __call__(self, kind: Kind, actions: Sequence[Planned], refs: Refs) -> None:
        """Keep one kind's actions (a batch of them), their bodies made with the refs known
        at this point."""
        if kind.name not in self.kinds:
            self.kinds.append(kind.name)
        entries = entries_of(kind, actions, refs)
        self._actions.extend(entries)
        if getattr(kind, "completions", None) is None:
            return
        self._created.update(source_id_of(p) for p in actions if isinstance(p, Create))
        self._pending.extend((kind, p, e) for p, e in zip(actions, entries, strict=True)
                             if getattr(getattr(p, "wanted", None), "pending", ()))

    def entries(self) -> list[dict[str, Any]]:
        """Every entry, each issue's completion PATCH its last write (added once)."""
        if not self._done:
            self._done = True
            for kind in {id(k): k for k, _p, _e in self._pending}.values():
                mine = [(p, e) for k, p, e in self._pending if k is kind]
                completions = getattr(kind, "completions")  # noqa: B009 - an optional member
                bodies = completions([p for p, _e in mine], self._created)
                for planned, entry in mine:
                    body = bodies.get(source_id_of(planned))
                    if body is not None:
                        entry["writes"].append({"method": "PATCH", "body": plain(body),
                                                "purpose": COMPLETES})
            self._pending = []
        return self._actions
