"""The reads of a `RecordView` that need less than every whole row: a few columns, one row.

A view streams whole rows; these ask SQLite for what one question needs (the keys a
filter judges, the numbers an issue map holds, whether any record is in some state) while
nothing was written since the view was taken, and fall back to the whole rows as of the
view otherwise, so every answer stays the one the full read would give.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Collection, ItemsView, Iterable, Iterator, ValuesView
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bridge.checkpoint import schema
from bridge.checkpoint.records import Record, by_source_id

Row = tuple[Any, ...]
#: The connection to read, None for a checkpoint file that does not exist (reads as empty).
Connect = Callable[[], sqlite3.Connection | None]

_BATCH = 500  # ids per `IN (...)`: well under SQLite's 999 bound-parameter limit of old builds


def read_some(conn: sqlite3.Connection, kind: str, ids: Iterable[int]) -> list[Row]:
    """The rows of these GitLab ids of `kind` (those recorded), in a few `IN (...)` reads."""
    wanted = sorted(set(ids))
    rows: list[Row] = []
    for start in range(0, len(wanted), _BATCH):
        chunk = wanted[start:start + _BATCH]
        sql = schema.SELECT_SOME_ITEMS.format(marks=", ".join("?" * len(chunk)))
        rows.extend(conn.execute(sql, (kind, *chunk)).fetchall())
    return rows


@dataclass(frozen=True)
class KeyScope:
    """A record filter that needs only the natural key (a comment's: its issue's URL), so
    `RecordView.where` reads two columns of every row and whole rows only of those kept."""

    keep: Callable[[str], bool]
    nothing: bool = False  # known to keep no key (nothing was read): no row is read

    def __call__(self, record: Record) -> bool:
        return not self.nothing and self.keep(record.key)


class NarrowReads:
    """`RecordView`'s narrow reads (it holds the state they use)."""

    kind: str
    _mutex: threading.Lock
    _connect: Connect
    _pinned: dict[int, Row | None]
    _frozen: dict[int, Row] | None

    if TYPE_CHECKING:
        def items(self) -> ItemsView[int, Record]: ...

        def values(self) -> ValuesView[Record]: ...

        def _chunks(self, sql: str, *, key: int) -> Iterator[list[Row]]: ...

        def _as_of_view(self, raw: list[Row], *, key: int) -> list[Row]: ...

    def where(self, keep: Callable[[Record], bool]) -> dict[int, Record]:
        """The records `keep` accepts, by GitLab id in id order, as of the view: a
        `KeyScope` judges the keys (streamed) and reads only the rows it may keep."""
        rows: list[Row] | None = None
        if isinstance(keep, KeyScope) and keep.nothing:
            return {}
        if isinstance(keep, KeyScope):
            ids = [row[0] for chunk in self._chunks(schema.SELECT_ITEM_KEYS, key=0)
                   for row in chunk if len(row) > 1 and keep.keep(row[1])]
            with self._mutex:
                conn = self._connect()
                if self._frozen is None and conn is not None:  # else closed meanwhile
                    # A record written since the view was taken is judged as it was then.
                    ids.extend(sid for sid, row in self._pinned.items() if row is not None)
                    rows = read_some(conn, self.kind, ids)
                    rows = self._as_of_view(rows, key=1) if self._pinned else rows
        if rows is None:
            return {sid: rec for sid, rec in self.items() if keep(rec)}
        return {sid: rec for sid, rec in by_source_id(rows).items() if keep(rec)}

    def any_in(self, states: Collection[str]) -> bool:
        """Whether a record of the view is in one of `states`: one query that stops at the
        first while nothing was written since the view was taken."""
        with self._mutex:
            conn = self._connect()
            if self._frozen is None and not self._pinned:
                if conn is None or not states:
                    return False
                sql = schema.ANY_IN_STATE.format(marks=", ".join("?" * len(states)))
                return conn.execute(sql, (self.kind, *states)).fetchone() is not None
        return any(record.state in states for record in self.values())

    def slugs(self) -> list[tuple[str, str, str]]:
        """(natural key, target slug, state) of each record with a slug, in GitLab-id order:
        three columns read at once while nothing was written since the view was taken."""
        with self._mutex:
            conn = self._connect()
            if self._frozen is None and not self._pinned:
                if conn is None:
                    return []
                return conn.execute(schema.SELECT_SLUGS, (self.kind,)).fetchall()
        return [(r.key, r.target_slug, r.state) for r in self.values() if r.target_slug is not None]
