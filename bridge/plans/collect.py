"""What a dry run with `--plan-out` gathers while it plans, kind by kind, to save as the plan."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bridge.engine.kind import Kind
from bridge.engine.refs import Refs
from bridge.models import Planned
from bridge.plans.entries import entries_of


class PlanCollector:
    """Passed as `RunOptions.on_planned`: each kind's entries, with the bodies computed then."""

    def __init__(self) -> None:
        self.kinds: list[str] = []
        self.actions: list[dict[str, Any]] = []

    def __call__(self, kind: Kind, actions: Sequence[Planned], refs: Refs) -> None:
        """Keep one kind's actions (a batch of them), their bodies made with the refs known
        at this point."""
        if kind.name not in self.kinds:
            self.kinds.append(kind.name)
        self.actions.extend(entries_of(kind, actions, refs))
