"""One kind's run: planned, loaded and learned batch by batch, so memory stays flat.

A kind whose `batches(source)` splits what it read (issues, comments: a few
thousand at a time) is planned against one index of its target listing and one
snapshot of its records, and each batch is loaded, learned and reported before
the next is mapped; a kind without it is one batch, as before. The records of a
batch are those of its objects (or of its `groups`, by the kind's
`record_group`); records no batch claimed (an issue deleted in GitLab) are
planned last, on their own, so a mirror handles them exactly as a single plan
would. A kind's `after_batches()` runs once every batch is loaded.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from bridge.checkpoint import Checkpoint, Record
from bridge.config import MirrorConfig
from bridge.engine.kind import Kind, SourceSet
from bridge.engine.learn import learn
from bridge.engine.load import Loader
from bridge.engine.plan import Mode, PlanInput, build_index, plan
from bridge.engine.refs import Refs
from bridge.errors import ApiError, Interrupted
from bridge.models import ItemOutcome, Planned

T = TypeVar("T")

def chunked(items: Iterable[T], limit: int,
            weight: Callable[[T], int] = lambda _item: 1) -> Iterator[list[T]]:
    """`items` in lists whose weights add up to `limit` (the last may weigh less); an item
    is never split: an issue's comments stay in one batch."""
    batch: list[T] = []
    size = 0
    for item in items:
        batch.append(item)
        size += weight(item)
        if size >= limit:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


#: Called with each batch once it is planned (and loaded): the report, a saved plan.
OnBatch = Callable[[Kind, Sequence[Planned], Sequence[ItemOutcome | None], Refs], None]


@dataclass(frozen=True)
class KindRun:
    """What one kind's run needs besides the kind: where it records and how it plans."""

    checkpoint: Checkpoint
    mode: Mode
    mirror: MirrorConfig
    dry_run: bool
    stop: threading.Event
    loader: Callable[[Kind], Loader]
    #: False when no kind after this one points at it (comments): its refs are not kept,
    #: 400,000 of them would only take memory.
    keep_refs: bool = True
    #: The kind's target listing, already being read (`lists_ahead`); None: read it here.
    listed: Future[list[Any]] | None = None


def run_kind(kind: Kind, source: SourceSet, refs: Refs, run: KindRun,
             on_batch: OnBatch) -> ApiError | None:
    """Plan and (unless a dry run) load every batch of `kind`; the run-fatal error, if any."""
    records = scoped_records(run.checkpoint, kind, source)
    reserved = _Keys(records)
    listed = run.listed.result() if run.listed is not None else listing(kind, refs, run.stop)
    index = build_index(listed, records)
    split = getattr(kind, "batches", None)
    parts: Iterable[SourceSet] = [source] if split is None else split(source)
    claimed: set[int] | None = None if split is None else set()
    groups = _grouped(kind, records) if split is not None else None
    loader = None if run.dry_run else run.loader(kind)

    def one(part: SourceSet, part_records: Mapping[int, Record]) -> None:
        if claimed is not None and run.stop.is_set() and loader is None:
            raise Interrupted("interrupted while planning; nothing was written")
        results = kind.transform(part, refs, reserved=reserved, target=listed)
        actions = plan(kind, PlanInput(results=results, target=listed, records=part_records,
                                       census_complete=source.census_complete, index=index),
                       mode=run.mode, mirror=run.mirror)
        outcomes: Sequence[ItemOutcome | None] = [None] * len(actions)
        if loader is not None:
            outcomes = loader.run(actions, known=part_records)
            after = getattr(kind, "after_load", None)
            if after is not None:
                after(actions, outcomes)
        if run.keep_refs:
            learn(kind, refs, actions, outcomes)
        on_batch(kind, actions, outcomes, refs)

    for part in parts:
        if claimed is None:
            one(part, records)
            continue
        mine = _records_of(part, records, groups)
        claimed.update(mine)
        one(part, mine)
    if claimed is not None:
        rest = {sid: rec for sid, rec in records.items() if sid not in claimed}
        if rest:  # deleted in GitLab: what a mirror does with them, as one plan would
            one(replace(source, items=()), rest)
    finish = getattr(kind, "after_batches", None)
    if finish is not None and loader is not None:
        finish()
    return loader.fatal if loader is not None else None


def scoped_records(checkpoint: Checkpoint, kind: Kind, source: SourceSet) -> dict[int, Record]:
    """The kind's records the run may look at (all, or those its extract kept in scope)."""
    view = checkpoint.records(kind.name)
    if source.in_scope is not None:  # streamed: a mirror of a few changed issues of 200,000
        return view.where(source.in_scope)  # keeps a few
    return view.snapshot()  # the plan looks up most of them


def listing(kind: Kind, refs: Refs, stop: threading.Event,
            abandoned: threading.Event | None = None) -> list[Any]:
    """Every target object of the kind, read page by page (a stop ends it before a write;
    `abandoned`, set when a listing read ahead is no longer wanted, after the page read)."""
    listed: list[Any] = []
    for page in kind.target_pages(refs):
        listed.extend(page)
        if stop.is_set() or (abandoned is not None and abandoned.is_set()):
            raise Interrupted("interrupted while reading SourceCraft; nothing was written")
    return listed


class _Keys(Mapping[int, str]):
    """GitLab id -> the natural key its record holds (those with one), read from the records
    when asked: a kind that settles names over its records (milestones) walks them, the
    others never do, and 400,000 comment records need no second dict."""

    def __init__(self, records: Mapping[int, Record]) -> None:
        self._records = records

    def __getitem__(self, source_id: int) -> str:
        key = self._records[source_id].key
        if not key:
            raise KeyError(source_id)
        return key

    def __iter__(self) -> Iterator[int]:
        return (sid for sid, rec in self._records.items() if rec.key)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _grouped(kind: Kind, records: Mapping[int, Record]) -> dict[Hashable, list[int]] | None:
    """Record ids by the kind's `record_group` (a comment's issue), when it has one."""
    group_of = getattr(kind, "record_group", None)
    if group_of is None:
        return None
    out: dict[Hashable, list[int]] = {}
    for sid, rec in records.items():
        out.setdefault(group_of(rec), []).append(sid)
    return out


def _records_of(part: SourceSet, records: Mapping[int, Record],
                groups: Mapping[Hashable, list[int]] | None) -> dict[int, Record]:
    """The records one batch plans with: those of its groups, else of its own objects."""
    if groups is not None and part.groups is not None:
        return {sid: records[sid] for group in part.groups for sid in groups.get(group, ())}
    ids = (getattr(item, "id", None) for item in part.items)
    return {sid: records[sid] for sid in ids if sid is not None and sid in records}
