"""Which issues' notes a comment run stamps as moved: only those whose comments all went through."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from bridge.kinds.comment import CommentKind
from bridge.kinds.comment_rows import WantedComment
from bridge.models import Conflict, Create, ItemOutcome
from bridge.sources.gitlab import SourceNote
from bridge.targets.records import TargetComment


class _Seen:
    def __init__(self) -> None:
        self.saved: dict[int, str] = {}

    def save_seen(self, kind: str, stamps: dict[int, str]) -> None:
        assert kind == "comment"
        self.saved.update(stamps)


def _note(note_id: int, issue_id: int) -> SourceNote:
    return SourceNote(id=note_id, issue_id=issue_id, issue_iid=issue_id - 1000, body="hi",
                      author=None, created_at="2016-01-01T00:00:00Z", updated_at=None)


def _wanted(note: SourceNote) -> WantedComment:
    return WantedComment(note, key=f"http://gl/p/issues/{note.issue_iid}#note_{note.id}",
                         body="hi")


def test_an_issue_with_a_comment_in_conflict_is_not_stamped() -> None:
    seen = _Seen()
    kind = CommentKind(SimpleNamespace(checkpoint=seen))  # type: ignore[arg-type]
    kind._stamps = {1001: "t1|1", 1002: "t2|1"}
    ok, stuck = _wanted(_note(1, 1001)), _wanted(_note(2, 1002))
    theirs = TargetComment(id="c2", issue="2", body="someone else's", key=stuck.key)
    made = TargetComment(id="c1", issue="1", body="hi", key=ok.key)
    actions: list[Any] = [Create("comment", ok, changes={}),
                          Conflict("comment", stuck, theirs, "not ours")]
    outcomes = [ItemOutcome(actions[0], ok=True, target=made),
                ItemOutcome(actions[1], ok=True, target=theirs)]
    kind.after_load(actions, outcomes)
    assert seen.saved == {1001: "t1|1"}  # 1002 is read again next run, its conflict re-seen
