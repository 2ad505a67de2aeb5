"""verify's comparison of one kind, pure: by key, page by page, with a kind's own order check."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from bridge.engine.kind import Kind
from bridge.engine.refs import Refs, TargetRef
from bridge.models import Skipped
from bridge.verify.compare import Difference, compare


@dataclass(frozen=True)
class Src:
    id: int
    title: str


@dataclass(frozen=True)
class Want:
    source: Src
    key: str
    text: str

    def managed(self) -> dict[str, Any]:
        return {"text": self.text}


@dataclass(frozen=True)
class Have:
    id: str
    key: str | None
    text: str

    def managed(self) -> dict[str, Any]:
        return {"text": self.text}


class FakeKind:
    """The few members of a kind that compare() reads; optionally an order check."""

    name = "note"
    key_claims_source = True

    def __init__(self, *, order: bool = False) -> None:
        self.seen: list[tuple[Any, Any]] = []
        if order:
            self.verify_order = self._order

    def _order(self, matched: Sequence[tuple[Any, Any]]) -> Iterable[Difference]:
        self.seen = list(matched)
        ids = [target.id for _wanted, target in matched]
        if ids != sorted(ids):
            yield Difference(self.name, "order", "all", expected=sorted(ids), found=ids)

    def reference(self, source: Src, source_id: int, path: str) -> str:
        return f"{path}!{source_id}"

    def slug_of(self, item: Any) -> str:
        return str(item.id)

    def ref_of(self, item: Any) -> TargetRef:
        return TargetRef(getattr(item, "id", None) if isinstance(item, Have) else None, item.key)


def _want(n: int, text: str = "t") -> Want:
    return Want(Src(n, f"s{n}"), key=f"k{n}", text=text)


def _run(kind: FakeKind, results: list[Any], pages: list[list[Have]]
         ) -> tuple[list[Difference], int, Refs]:
    refs = Refs()
    found, matched = compare(cast(Kind, kind), results, pages, refs, project_path="p")
    return found, matched, refs


class TestCompare:
    def test_each_problem_once_and_the_oldest_holder_compared(self) -> None:
        results = [_want(1), _want(2, "new"), _want(3), _want(4),
                   Skipped(Src(5, "s5"), reason="x", error="bad colour")]
        pages = [[Have("a", "k1", "t"), Have("b", "k2", "old")],
                 [Have("c", "k3", "t"), Have("d", "k3", "other"), Have("e", "k9", "t"),
                  Have("f", None, "t")]]
        found, matched, refs = _run(FakeKind(), results, pages)
        got = {(d.problem, d.object, d.field) for d in found}
        assert got == {("changed", "p!2", "text"), ("duplicate", "p!3", None),
                       ("missing", "p!4", None), ("extra", "k9", None),
                       ("unmapped", "p!5", None)}
        assert matched == 3
        changed = next(d for d in found if d.problem == "changed")
        assert (changed.expected, changed.found) == ("new", "old")
        duplicate = next(d for d in found if d.problem == "duplicate")
        assert duplicate.target == "c, d"
        ref = refs.get("note", 3)
        assert ref is not None
        assert ref.id == "c"
        assert refs.why_missing("note", 5) == "note failed: bad colour"

    def test_a_kind_adds_its_own_order_check_over_the_matched_pairs(self) -> None:
        kind = FakeKind(order=True)
        found, _, _ = _run(kind, [_want(1), _want(2)], [[Have("b", "k1", "t"),
                                                          Have("a", "k2", "t")]])
        assert [(w.key, t.id) for w, t in kind.seen] == [("k1", "b"), ("k2", "a")]
        assert [d.problem for d in found] == ["order"]

    def test_extras_only_for_kinds_whose_key_names_a_gitlab_object(self) -> None:
        kind = FakeKind()
        kind.key_claims_source = False
        found, _, _ = _run(kind, [_want(1)], [[Have("a", "k1", "t"), Have("z", "hand", "t")]])
        assert found == []

