"""The kinds a run moves, in dependency order: the one list `transfer:` chooses from."""

from __future__ import annotations

from collections.abc import Mapping
from importlib import import_module

from bridge.engine.kind import Kind
from bridge.engine.spill import Spill
from bridge.kinds.context import KindContext

#: Every kind, in the order a run moves them: nothing points at an object not yet there.
ORDER: tuple[str, ...] = ("label", "milestone", "issue", "comment")

#: Where each kind's class lives: imported only when `transfer:` turns the kind on, so a
#: milestones-only run does not pay for the issue and comment modules at start-up.
BUILDERS: dict[str, tuple[str, str]] = {
    "label": ("bridge.kinds.label", "LabelKind"),
    "milestone": ("bridge.kinds.milestone", "MilestoneKind"),
    "issue": ("bridge.kinds.issue", "IssueKind"),
    "comment": ("bridge.kinds.comment", "CommentKind"),
}


def build_kinds(transfer: Mapping[str, bool], ctx: KindContext) -> list[Kind]:
    """The kinds `transfer` asks for (issues bring labels and milestones), in ORDER."""
    wanted = {name for name, on in transfer.items() if on}
    if "issue" in wanted:
        # The milestones' issue scan reads the issues anyway: it keeps them for the issue
        # kind, every one (migrate, a full mirror scan) or those updated since the bookmark.
        ctx.shared.setdefault("issues", Spill())  # on disk: 200,000 issues keep memory flat
    kinds: list[Kind] = []
    for name in ORDER:
        if name in wanted:
            module, cls = BUILDERS[name]
            kinds.append(getattr(import_module(module), cls)(ctx))
    return kinds
