"""The Kind protocol: what the engine asks of each kind of object it moves, and nothing more.

The engine (plan, load, the pipeline's loop, the report) is written once over
this protocol and never names a kind; each kind is one module in `bridge.kinds`
that declares its fields and endpoints and answers these few questions, the way
GitLab's importers declare a handful of hooks over one template.

`scbridge verify` also reads two optional members where a kind defines them:
`verify_order(matched)`, checks over the matched (wanted, target) pairs that no
single object shows, such as comments out of order (`bridge.verify.compare`);
and `lists_by_refs = True` for a kind whose `target_pages(refs)` needs the refs
of the kinds before it (comments: the issues' numbers), so its listing is not
read ahead with the others.

A kind read by the hundred thousand may plan in batches (`bridge.engine.batches`):
`batches(source)` splits what `extract` read into `SourceSet`s planned, loaded and
reported one after another; `record_group(record)` says which batch's `groups` a
record belongs to (else a record goes with the batch holding its GitLab id); and
`after_batches()` runs once all of them are loaded.

A saved plan (`bridge.plans`) reads two more, on the issue kind
(`bridge.kinds.issue_plan`): `completions(actions, created)`, the PATCH bodies that
complete texts once the issues the plan creates exist, and `as_planned(actions,
created)`, the actions with their texts as the plan made them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from bridge.checkpoint import Record
from bridge.engine.refs import Refs, TargetRef

#: How a body names the id of an object the same plan creates (see `Kind.create_body`).
PLACEHOLDER_PREFIX = "$plan:"


def placeholder(kind: str, source_id: int) -> str:
    """`$plan:milestone:12`: the id GitLab milestone 12 gets once the plan has created it."""
    return f"{PLACEHOLDER_PREFIX}{kind}:{source_id}"


def number_placeholder(source_id: int) -> str:
    """`$plan:issue-number:1001`: in a text, the SourceCraft number GitLab issue 1001 gets."""
    return placeholder("issue-number", source_id)


@dataclass(frozen=True)
class SourceSet:
    """What one kind's extract read from GitLab: the objects, and what reading them cost."""

    items: Sequence[Any]  # a tuple, or a `Spill` for what is read by the hundred thousand
    pages: int = 0
    census_complete: bool = True  # False: a page was lost, so nothing may be deleted
    notes: tuple[str, ...] = ()  # said once in the plan (e.g. a field with nowhere to go)
    extra: Mapping[str, Any] = field(default_factory=dict)  # kind-specific (issue counts, ...)
    #: Records the plan may look at; None: all. A kind that skipped reading what has not
    #: changed (the comments of an unchanged issue) leaves those records out, so the plan
    #: neither re-checks nor deletes them.
    in_scope: Callable[[Record], bool] | None = None
    #: One batch of a kind's `batches`: the `record_group`s whose records it plans with
    #: (a comment batch: its issues' URLs); None: the records of its own objects' ids.
    groups: frozenset[Any] | None = None
    #: How many objects `items` holds when they come grouped (comments, by issue).
    size: int | None = None

    def count(self) -> int:
        """How many objects were read."""
        return len(self.items) if self.size is None else self.size


class Kind(Protocol):
    """One kind of object: its name, dependencies, fields, and its calls on either side."""

    #: "label", "milestone", "issue": the name in the checkpoint, the report and the config.
    name: str
    #: Plural, for progress and summaries.
    plural: str
    #: Kinds whose objects this one points at; they are loaded first.
    depends_on: tuple[str, ...]
    #: The managed fields, in report order; "status" (open|closed) if the kind has one.
    fields: tuple[str, ...]
    #: What the natural key is called in messages ("slug", "name", "GitLab URL").
    key_name: str
    #: True when a target object's key names a GitLab object (an issue's header URL), so
    #: `verify` reports one whose GitLab object does not map to it as extra; False when any
    #: object may hold such a key (a label's name, a milestone's slug).
    key_claims_source: bool

    def extract(self) -> SourceSet:
        """Read every object of this kind from GitLab."""
        ...

    def compare_keys(self) -> tuple[str, ...]:
        """The managed fields a mirror brings in line (a milestone's slug only on request)."""
        ...

    def transform(self, source: SourceSet, refs: Refs, *, reserved: Mapping[int, str],
                  target: Sequence[Any]) -> list[Any]:
        """Map every source object to what it should become, or to a `Skipped`.

        `target` is what the target listing found (so texts can point at what is there).
        """
        ...

    def target_pages(self, refs: Refs) -> Iterator[Sequence[Any]]:
        """Every object of this kind on the target, page by page."""
        ...

    def conflict(self, wanted: Any, found: Any) -> str | None:
        """None when `found` (holding `wanted`'s natural key) may be adopted; else why not."""
        ...

    def create(self, wanted: Any, refs: Refs) -> Any:
        """POST `wanted` once (never retried here) and return what SourceCraft made.

        A kind whose create cannot set the status gets a close right after it (`change`).
        """
        ...

    def create_body(self, wanted: Any, refs: Refs) -> dict[str, Any]:
        """The exact JSON body `create` POSTs (a saved plan shows it, `apply` compares it).

        An id of an object the same plan creates and `refs` does not know yet is written as
        `placeholder(kind, source_id)`; a real run only creates once those ids are known.
        """
        ...

    def change_body(self, target: Any, wanted: Any | None,
                    changes: Mapping[str, tuple[Any, Any]], refs: Refs) -> dict[str, Any]:
        """The exact JSON body `change` PATCHes for `changes` (ids as in `create_body`)."""
        ...

    def find(self, wanted: Any) -> Any | None:
        """After a create's unknown outcome: the object holding `wanted`'s key, or None."""
        ...

    def change(self, target: Any, wanted: Any | None, changes: Mapping[str, tuple[Any, Any]],
               refs: Refs) -> Any:
        """Write `changes` (field -> (before, after)) to `target`; return it as it now is."""
        ...

    def delete(self, target: Any) -> None:
        """Delete `target` (already gone counts as deleted)."""
        ...

    def ref_of(self, item: Any) -> TargetRef:
        """What objects of later kinds need to point at this one (a wanted or a target)."""
        ...

    # -- what the report shows ---------------------------------------------------------------

    def title_of(self, source: Any, target: Any, wanted: Any) -> str:
        """The title of a report line."""
        ...

    def slug_of(self, item: Any) -> str | None:
        """The SourceCraft identity a report line shows (slug, name, issue number)."""
        ...

    def reference(self, source: Any, source_id: int, path: str) -> str:
        """GitLab's reference to the object (`group/project%3`, `group/project#12`, `~bug`)."""
        ...

    def counts(self, source: Any) -> dict[str, int] | None:
        """A milestone's issue counts; None for kinds without them."""
        ...

