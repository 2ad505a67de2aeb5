"""The kinds a run moves, in dependency order: the one list `transfer:` chooses from."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from bridge.engine.kind import Kind
from bridge.engine.spill import Spill
from bridge.kinds.comment import CommentKind
from bridge.kinds.context import KindContext
from bridge.kinds.issue import IssueKind
from bridge.kinds.label import LabelKind
from bridge.kinds.milestone import MilestoneKind

#: Every kind, in the order a run moves them: nothing points at an object not yet there.
ORDER: tuple[str, ...] = ("label", "milestone", "issue", "comment")


def build_kinds(transfer: Mapping[str, bool], ctx: KindContext) -> list[Kind]:
    """The kinds `transfer` asks for (issues bring labels and milestones), in ORDER."""
    wanted = {name for name, on in transfer.items() if on}
    if "issue" in wanted:
        # The milestones' issue scan reads the issues anyway: it keeps them for the issue
        # kind, every one (migrate, a full mirror scan) or those updated since the bookmark.
        ctx.shared.setdefault("issues", Spill())  # on disk: 200,000 issues keep memory flat
    builders: dict[str, Callable[[KindContext], Kind]] = {
        "label": LabelKind, "milestone": MilestoneKind, "issue": IssueKind,
        "comment": CommentKind}
    return [builders[name](ctx) for name in ORDER if name in wanted]
