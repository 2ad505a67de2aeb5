"""The rows a checkpoint holds, as frozen dataclasses, and the hash that notices edits elsewhere."""

from __future__ import annotations

import contextlib
import gc
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields, make_dataclass
from datetime import UTC, datetime
from hashlib import sha256
from typing import Any

#: Every state an item may be in; `pending` means a POST may be in flight (intent before the POST).
STATES = frozenset({"pending", "created", "closed", "open", "updated", "deleted", "failed"})


@dataclass(frozen=True, slots=True)
class Record:
    """What scbridge last did for one GitLab object of one kind."""

    kind: str  # "label", "milestone", "issue", ...: the checkpoint treats it as a plain name
    source_id: int
    target_id: str | None
    key: str  # the natural key that finds the object on the target (a slug, a name, a URL)
    state: str
    written_hash: str | None  # content_hash of the managed fields right after our last write
    target_updated_at: str | None  # the target's updated_at right after our last write
    error: str | None
    updated_at: str  # when this record was written (ISO 8601, UTC)
    target_slug: str | None = None  # the slug or number it has there (an issue's number)


# A resume builds one Record per recorded object (600,000 in benchmarks/checkpoint_bench.py).
# A frozen dataclass's `__init__` sets each field through `object.__setattr__`; this twin has
# the same slots, in the same order, and a plain `__init__`, so a row is filled with simple
# attribute stores and the object then becomes a Record, frozen like any other.
_Row = make_dataclass("_Row", [(f.name, f.type) for f in fields(Record)], slots=True)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic collection while many objects are made: each would rescan all made so far."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def by_source_id(rows: Iterable[tuple[Any, ...]],
                 into: dict[int, Record] | None = None) -> dict[int, Record]:
    """Records from `SELECT_ITEMS` rows, by GitLab id, each equal to `Record(*row)`.

    Added to `into` when given (which is returned).
    """
    out: dict[int, Record] = {} if into is None else into
    with gc_paused():
        for row in rows:
            record = _Row(*row)
            record.__class__ = Record
            out[row[1]] = record
    return out


@dataclass(frozen=True, slots=True)
class RunInfo:
    """One run as the checkpoint remembers it; `finished_at` is None for a run that died."""

    id: int
    command: str
    started_at: str
    finished_at: str | None
    summary: dict[str, int]
    exit_code: int | None
    dry_run: bool = False


#: Date-time fields, compared as instants: `...T00:00:00Z` and `...T00:00:00.000+00:00` agree.
DATETIME_FIELDS = ("start_date", "deadline")


def canonical(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The managed fields in one spelling, so equal content compares and hashes equal.

    A write's response and a later listing may spell the same instant
    differently, and a missing description may come back as null or "";
    without this every mirror run would see a change (or a hand edit) that
    nobody made.
    """
    out = dict(fields)
    for key in DATETIME_FIELDS:
        value = out.get(key)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                moment = datetime.fromisoformat(value)
                if moment.tzinfo is not None:  # a naive value is left as written, not guessed
                    out[key] = moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if "description" in out and out["description"] is None:
        out["description"] = ""
    return out


def content_hash(fields: Mapping[str, Any]) -> str:
    """The sha256 of the canonical JSON (sorted keys) of the managed fields."""
    text = json.dumps(canonical(fields), sort_keys=True, separators=(",", ":"), default=str)
    return sha256(text.encode()).hexdigest()


def utc_now() -> datetime:
    """The default clock of the checkpoint."""
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """`moment` as ISO 8601 in UTC with a `Z`, to the millisecond."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
