"""`RecordView`: one kind's records as a mapping read from the file as it is used, not all at once.

A resume with 600,000 records used to build 600,000 Record objects (6,000,000 cells)
before the run could start: about a second. A view costs nothing to take; `len` is
one COUNT, a lookup one read by primary key, and iteration streams rows in GitLab-id
order, `_CHUNK` at a time, each chunk read under the checkpoint's mutex (the loader's
threads write on the same connection) and released between chunks.

It answers as the dict `records()` used to return would: as of when it was taken.
Before the checkpoint writes a record, `Views.before_write` pins that record's row as
it was (or "absent") in every live view that has not pinned it yet, in the same hold
of the mutex as the write; a view reads pins first. Items rows are never deleted, so
the file holds every id a view had, and pins cover everything written since. When the
checkpoint closes, a view still alive is read once into memory (`freeze`), so it keeps
working after close, as the dict did.
"""

from __future__ import annotations

import itertools
import sqlite3
import threading
import weakref
from collections.abc import ItemsView, Iterator, Mapping, ValuesView

from bridge.checkpoint import schema
from bridge.checkpoint.records import Record, by_source_id, gc_paused
from bridge.checkpoint.view_reads import Connect, NarrowReads, Row

_CHUNK = 2_000  # rows per read while streaming: the mutex is held a few ms at a time
_UNPINNED = object()


class RecordView(NarrowReads, Mapping[int, Record]):
    """The records of one kind, by GitLab id, as they were when the view was taken."""

    def __init__(self, kind: str, connect: Connect, mutex: threading.Lock) -> None:
        self.kind = kind
        self._connect = connect
        self._mutex = mutex
        self._pinned: dict[int, Row | None] = {}  # written since: the row before, None if new
        self._added = 0  # how many pins are None: ids recorded since the view was taken
        self._frozen: dict[int, Row] | None = None  # set at close: the rows, in id order

    def __getitem__(self, source_id: int) -> Record:
        with self._mutex:
            row = self._row(source_id)
        if row is None:
            raise KeyError(source_id)
        return Record(*row)

    def __contains__(self, source_id: object) -> bool:
        if not isinstance(source_id, int):
            return False
        with self._mutex:
            return self._row(source_id) is not None

    def __len__(self) -> int:
        with self._mutex:
            if self._frozen is not None:
                return len(self._frozen)
            conn = self._connect()
            total = 0 if conn is None else int(
                conn.execute(schema.COUNT_KIND, (self.kind,)).fetchone()[0])
            return total - self._added

    def __iter__(self) -> Iterator[int]:
        for rows in self._chunks(schema.SELECT_ITEM_IDS, key=0):
            for row in rows:
                yield row[0]

    def items(self) -> ItemsView[int, Record]:
        """(GitLab id, Record) pairs, streamed a chunk of rows at a time."""
        return _Items(self)

    def values(self) -> ValuesView[Record]:
        """The records, streamed a chunk of rows at a time."""
        return _Values(self)

    def snapshot(self) -> dict[int, Record]:
        """Every record of the view in one dict: for a caller that looks most of them up."""
        out: dict[int, Record] = {}
        with gc_paused():  # for the whole read: each chunk's would rescan all the ones before
            for rows in self._chunks(schema.SELECT_ITEMS_ORDERED, key=1):
                by_source_id(rows, into=out)
        return out

    def _records(self) -> Iterator[dict[int, Record]]:
        for rows in self._chunks(schema.SELECT_ITEMS_ORDERED, key=1):
            yield by_source_id(rows)

    def _row(self, source_id: int) -> Row | None:
        """The row as of the view (the mutex held)."""
        if self._frozen is not None:
            return self._frozen.get(source_id)
        pinned = self._pinned.get(source_id, _UNPINNED)
        if pinned is not _UNPINNED:
            return pinned  # type: ignore[return-value]
        conn = self._connect()
        if conn is None:
            return None
        row: Row | None = conn.execute(schema.SELECT_ITEM, (self.kind, source_id)).fetchone()
        return row

    def _chunks(self, sql: str, *, key: int) -> Iterator[list[Row]]:
        """Rows of `sql` (the GitLab id at `key`) in id order, as of the view, a chunk a time.

        A read the checkpoint's close overtook goes on from the rows frozen at close.
        """
        after: int | None = None
        while True:
            with self._mutex:
                if self._frozen is not None:
                    rows = [(sid,) if key == 0 else row for sid, row in self._frozen.items()
                            if after is None or sid > after]
                    raw = []
                else:
                    conn = self._connect()
                    if conn is None:
                        return
                    where = "" if after is None else "AND source_id > ?"
                    args = (self.kind, _CHUNK) if after is None else (self.kind, after, _CHUNK)
                    raw = conn.execute(sql.format(after=where), args).fetchall()
                    rows = self._as_of_view(raw, key=key) if raw and self._pinned else raw
            if rows:
                yield rows
            if len(raw) < _CHUNK:
                return
            after = raw[-1][key]

    def _as_of_view(self, raw: list[Row], *, key: int) -> list[Row]:
        """Pinned rows in place of what the run wrote since; ids recorded since left out."""
        out: list[Row] = []
        for row in raw:
            pinned = self._pinned.get(row[key], _UNPINNED)
            if pinned is _UNPINNED:
                out.append(row)
            elif pinned is not None:
                out.append(pinned if key else row)  # type: ignore[arg-type]
        return out

    def pin(self, source_id: int, row: Row | None) -> None:
        """Keep `row` (None: not recorded) as this id's answer; the first pin of an id wins."""
        if source_id not in self._pinned:
            self._pinned[source_id] = row
            self._added += row is None

    def freeze(self) -> None:
        """Read the whole view's rows into memory (the checkpoint is closing; mutex not held)."""
        if self._frozen is None:
            rows = {row[1]: row for chunk in self._chunks(schema.SELECT_ITEMS_ORDERED, key=1)
                    for row in chunk}
            with self._mutex:
                self._frozen = rows
                self._pinned.clear()


class _Items(ItemsView[int, Record]):
    _mapping: RecordView

    def __iter__(self) -> Iterator[tuple[int, Record]]:
        for records in self._mapping._records():
            yield from records.items()


class _Values(ValuesView[Record]):
    _mapping: RecordView

    def __iter__(self) -> Iterator[Record]:
        for records in self._mapping._records():
            yield from records.values()


class Views:
    """The live views of one checkpoint: pinned before each write, listed to freeze at close."""

    def __init__(self) -> None:
        # By serial number (a mapping compares by content, so it cannot be hashed by itself).
        self._live: weakref.WeakValueDictionary[int, RecordView] = weakref.WeakValueDictionary()
        self._serial = itertools.count()

    def add(self, view: RecordView) -> RecordView:
        """Track `view` for as long as someone holds it (the mutex held)."""
        self._live[next(self._serial)] = view
        return view

    def before_write(self, conn: sqlite3.Connection, kind: str, source_id: int) -> None:
        """Pin the row of (kind, id) as it is now in every live view of `kind` (mutex held)."""
        waiting = [view for view in self._live.values()
                   if view.kind == kind and source_id not in view._pinned]
        if waiting:
            row: Row | None = conn.execute(schema.SELECT_ITEM, (kind, source_id)).fetchone()
            for view in waiting:
                view.pin(source_id, row)

    def held(self) -> list[RecordView]:
        """The views someone still holds (the mutex held): to freeze before closing."""
        return list(self._live.values())
