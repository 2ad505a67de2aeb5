"""One kind's target against its mapped source, by natural key: every difference, named.

Pure: no request. Each wanted object is looked for by its key among what
SourceCraft holds; none is `missing`, two or more a `duplicate`, one is
compared field by field (`changed`, in the planner's canonical spelling). A
target object whose key claims a GitLab object that does not map to it (an
issue header naming a GitLab URL GitLab does not have) is `extra`. A kind may
add checks of its own over the matched pairs (`verify_order`, e.g. comments out
of order): a method `verify_order(matched) -> list[Difference]` on the kind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bridge.checkpoint import canonical
from bridge.engine.kind import Kind
from bridge.engine.refs import Refs
from bridge.models import Skipped

#: The problems, in the order reports list them.
PROBLEMS: tuple[str, ...] = ("missing", "extra", "duplicate", "changed", "order", "unmapped")


@dataclass(frozen=True, slots=True)
class Difference:
    """One way the target is not the mapped source."""

    kind: str
    problem: str  # one of PROBLEMS
    object: str  # GitLab's reference, or the target's key for an extra object
    key: str | None = None  # the natural key
    field: str | None = None
    expected: Any = None
    found: Any = None
    target: str | None = None  # the SourceCraft object(s): slug, name or number

    def as_dict(self) -> dict[str, Any]:
        """The JSON report's shape."""
        return {"kind": self.kind, "problem": self.problem, "object": self.object,
                "key": self.key, "field": self.field, "expected": _plain(self.expected),
                "found": _plain(self.found), "target": self.target}


#: A kind's own check over its (wanted, target) pairs.
OrderCheck = Callable[[Sequence[tuple[Any, Any]]], Iterable[Difference]]


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def compare(kind: Kind, results: Sequence[Any], pages: Iterable[Sequence[Any]], refs: Refs, *,
            project_path: str) -> tuple[list[Difference], int]:
    """Every difference of one kind, and how many objects matched; fills `refs` for later kinds.

    The target is consumed page by page and compare keeps no target object (only the
    few strings a duplicate or an extra is reported with).
    A later kind is compared with links to what its objects should point at: the target
    object found for that GitLab object, else the one it should have become.
    """
    out: list[Difference] = []
    wanted, names = _wanted(kind, results, refs, out, project_path)
    check: OrderCheck | None = getattr(kind, "verify_order", None)
    matched: list[tuple[Any, Any]] = []
    holders: dict[str, list[str]] = {}  # key -> the slugs of every target object holding it
    for page in pages:
        for target in page:
            key = target.key
            if key is None or (key not in wanted and not kind.key_claims_source):
                continue
            shown = holders.setdefault(key, [])
            shown.append(str(kind.slug_of(target)))
            item = wanted.get(key)
            if item is None or len(shown) > 1:
                continue
            refs.put(kind.name, item.source.id, kind.ref_of(target))
            out.extend(_fields(kind, names[key], item, target))
            if check is not None:
                matched.append((item, target))
    for key in wanted:
        count = len(holders.get(key, ()))
        if count == 0:
            out.append(Difference(kind.name, "missing", names[key], key=key))
        elif count > 1:
            out.append(Difference(kind.name, "duplicate", names[key], key=key, expected=1,
                                  found=count, target=", ".join(holders[key])))
    out.extend(Difference(kind.name, "extra", key, key=key, target=", ".join(shown))
               for key, shown in holders.items() if key not in wanted)
    if check is not None:
        out.extend(check(matched))
    return out, sum(1 for key in wanted if key in holders)


def _wanted(kind: Kind, results: Sequence[Any], refs: Refs, out: list[Difference],
            project_path: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The mapped objects by key, with their GitLab references; the unmappable go to `out`."""
    wanted: dict[str, Any] = {}
    names: dict[str, str] = {}
    for item in sorted(results, key=lambda r: r.source.id):
        source_id = item.source.id
        name = kind.reference(item.source, source_id, project_path)
        if isinstance(item, Skipped):
            if item.error is not None:
                out.append(Difference(kind.name, "unmapped", name, found=item.error))
                refs.miss(kind.name, source_id, f"{kind.name} failed: {item.error}")
            else:
                refs.miss(kind.name, source_id, f"{kind.name} not migrated: {item.reason}")
            continue
        wanted[item.key] = item
        names[item.key] = name
        refs.put(kind.name, source_id, kind.ref_of(item))  # until its target is found
    return wanted, names


def _fields(kind: Kind, name: str, wanted: Any, target: Any) -> list[Difference]:
    want, have = wanted.managed(), target.managed()
    want_c, have_c = canonical(want), canonical(have)
    return [Difference(kind.name, "changed", name, key=wanted.key, field=field,
                       expected=want[field], found=have.get(field),
                       target=kind.slug_of(target))
            for field in want if want_c[field] != have_c.get(field)]
