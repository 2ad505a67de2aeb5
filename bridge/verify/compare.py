"""One kind's target against its mapped source, by natural key: every difference, named.

Pure: no request. The target listing waits on disk in `verify` (a `Spill`) with an
index of key -> positions (`KeyIndex`), and the mapped objects come batch by batch
(`compare_batches`), so memory stays flat. Each wanted object is looked for by its
key among what SourceCraft holds; none is `missing`, two or more a `duplicate`, one is
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

    A later kind is compared with links to what its objects should point at: the target
    object found for that GitLab object, else the one it should have become. One batch of
    `compare_batches`, which `verify` runs in flat memory.
    """
    listing = [target for page in pages for target in page]
    return compare_batches(kind, [results], KeyIndex(kind, listing), refs,
                           project_path=project_path)


class KeyIndex:
    """Where each key sits in a listing: positions, so no target object is kept."""

    def __init__(self, kind: Kind, listing: Sequence[Any]) -> None:
        self.listing = listing
        self.positions: dict[str, list[int]] = {}
        for position, target in enumerate(listing):
            if target.key is not None:
                self.positions.setdefault(target.key, []).append(position)
        self._kind = kind

    def holders(self, key: str) -> list[Any]:
        """Every target object holding `key`, in listing order."""
        return [self.listing[i] for i in self.positions.get(key, ())]

    def slugs(self, positions: Iterable[int]) -> str:
        """The targets at `positions`, as a report names them."""
        return ", ".join(str(self._kind.slug_of(self.listing[i])) for i in positions)


def compare_batches(kind: Kind, batches: Iterable[Sequence[Any]], index: KeyIndex, refs: Refs,
                    *, project_path: str) -> tuple[list[Difference], int]:
    """Every difference of one kind over its batches of mapped objects, and how many matched."""
    out: list[Difference] = []
    check: OrderCheck | None = getattr(kind, "verify_order", None)
    wanted_keys: set[str] = set()
    matched_count = 0
    for results in batches:
        wanted, names = wanted_by_key(kind, results, refs, out, project_path)
        matched: list[tuple[Any, Any]] = []
        for key, item in wanted.items():
            wanted_keys.add(key)
            holders = index.holders(key)
            if not holders:
                out.append(Difference(kind.name, "missing", names[key], key=key))
                continue
            matched_count += 1
            if len(holders) > 1:  # reported, and the oldest holder compared as the one
                out.append(Difference(kind.name, "duplicate", names[key], key=key, expected=1,
                                      found=len(holders),
                                      target=index.slugs(index.positions[key])))
            refs.put(kind.name, item.source.id, kind.ref_of(holders[0]))
            out.extend(fields(kind, names[key], item, holders[0]))
            matched.append((item, holders[0]))
        if check is not None:
            out.extend(check(sorted(matched, key=lambda pair: _position(index, pair[1]))))
    if kind.key_claims_source:
        out.extend(Difference(kind.name, "extra", key, key=key, target=index.slugs(positions))
                   for key, positions in index.positions.items() if key not in wanted_keys)
    return out, matched_count


def _position(index: KeyIndex, target: Any) -> int:
    """Where `target` is in the listing (the order SourceCraft lists them in)."""
    return index.positions[target.key][0]


def wanted_by_key(kind: Kind, results: Sequence[Any], refs: Refs, out: list[Difference],
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


def fields(kind: Kind, name: str, wanted: Any, target: Any) -> list[Difference]:
    want, have = wanted.managed(), target.managed()
    want_c, have_c = canonical(want), canonical(have)
    return [Difference(kind.name, "changed", name, key=wanted.key, field=field,
                       expected=want[field], found=have.get(field),
                       target=kind.slug_of(target))
            for field in want if want_c[field] != have_c.get(field)]
