"""What a comment is on its way: the wanted comment, skipped notes, and its report rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bridge.sources.gitlab import SourceNote
from bridge.targets.records import TargetComment


@dataclass(frozen=True, slots=True)
class WantedComment:
    """The SourceCraft comment one GitLab note should be."""

    source: SourceNote
    key: str  # <issue url>#note_<id>
    body: str

    def managed(self) -> dict[str, Any]:
        """The mapped field."""
        return {"body": self.body}


@dataclass(frozen=True, slots=True)
class SkippedNotes:
    """The notes of one issue that are not comments, counted (system notes, award emoji)."""

    id: int  # the first such note's id
    issue_iid: int
    system: int
    award: int

    @property
    def title(self) -> str:
        """How the report names them."""
        return f"{self.system} system, {self.award} award-emoji notes on #{self.issue_iid}"


class CommentRows:
    """What the report shows of a comment."""

    name = "comment"

    def title_of(self, source: Any, target: Any, wanted: Any) -> str:
        """`note 345 on #12`."""
        return str(source.title) if source is not None else f"comment {target.id}"

    def slug_of(self, item: Any) -> str | None:
        """The SourceCraft issue number it is (or goes) on."""
        return f"#{item.issue}" if isinstance(item, TargetComment) else None

    def reference(self, source: Any, source_id: int, path: str) -> str:
        """`group/project#12 note 345`."""
        if isinstance(source, SourceNote):
            return f"{path}#{source.issue_iid} note {source.id}"
        if isinstance(source, SkippedNotes):
            return f"{path}#{source.issue_iid}"
        return f"{path} note {source_id}".strip()

    def counts(self, source: Any) -> dict[str, int] | None:
        """Comments carry no counts."""
        return None
