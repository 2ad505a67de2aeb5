"""Spill: an append-only sequence kept in a private temporary file, for what a run holds by
the hundred thousand (issues read, notes read, report items), so memory stays flat.

Items are pickled in chunks of `CHUNK` (one `pickle.dumps` of a list is far cheaper
per item than one per item); the chunk being filled and the last chunk read are the
only ones in memory. The file is unnamed (`tempfile.TemporaryFile`: unlinked at once,
mode 0600) and vanishes with the process, even after a kill -9. It holds only what
the run read or made (issue texts, report lines), never a token.
"""

from __future__ import annotations

import pickle
import tempfile
import threading
import weakref
from abc import abstractmethod
from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any, Generic, TypeVar, overload

T = TypeVar("T")

#: Items per pickled chunk: big enough that pickling is cheap per item, small enough that
#: the one chunk in memory is a few hundred KB even for long issue texts.
CHUNK = 256


class Lazy(Sequence[T], Generic[T]):
    """A read-only sequence that fetches one item at a time (`_at`, never out of range):
    indexing, negative indices and slices (as lists) written once for every such view."""

    @abstractmethod
    def _at(self, index: int) -> T:
        """The item at `index`, 0 <= index < len(self)."""

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            return [self._at(i) for i in range(*index.indices(len(self)))]
        size = len(self)
        if index < 0:
            index += size
        if not 0 <= index < size:
            raise IndexError(f"{type(self).__name__} index out of range")
        return self._at(index)


class Spill(Lazy[T]):
    """A list that lives on disk: `append`/`extend`, `len`, iteration and indexing."""

    def __init__(self, items: Iterable[T] = ()) -> None:
        self._file: IO[bytes] | None = None
        self._offsets = array("q")  # start of each written chunk in the file
        self._ends = array("q")  # and its end
        self._tail: list[T] = []  # the chunk being filled
        self._written = 0  # items in written chunks
        self._cached: tuple[int, list[T]] = (-1, [])
        self._lock = threading.Lock()
        self.extend(items)

    def append(self, item: T) -> None:
        """Add one item at the end."""
        with self._lock:
            self._tail.append(item)
            if len(self._tail) >= CHUNK:
                self._flush()

    def extend(self, items: Iterable[T]) -> None:
        """Add every item, in order."""
        for item in items:
            self.append(item)

    def clear(self) -> None:
        """Forget every item (the file is truncated, not kept)."""
        with self._lock:
            if self._file is not None:
                self._file.seek(0)
                self._file.truncate()
            self._offsets, self._ends = array("q"), array("q")
            self._tail, self._written, self._cached = [], 0, (-1, [])

    def close(self) -> None:
        """Drop the file now instead of when the Spill is collected."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def _flush(self) -> None:
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="scbridge-spill-")  # noqa: SIM115
            weakref.finalize(self, self._file.close)  # closed with the Spill, never leaked
        data = pickle.dumps(self._tail, protocol=pickle.HIGHEST_PROTOCOL)
        self._file.seek(0, 2)
        start = self._file.tell()
        self._file.write(data)
        self._offsets.append(start)
        self._ends.append(start + len(data))
        self._written += len(self._tail)
        self._tail = []

    def _chunk(self, number: int) -> list[T]:
        with self._lock:
            if number == len(self._offsets):
                return list(self._tail)
            if self._cached[0] == number:
                return self._cached[1]
            assert self._file is not None
            self._file.seek(self._offsets[number])
            # Our own unnamed file, written by this process: nothing untrusted is unpickled.
            loaded: list[T] = pickle.loads(  # noqa: S301
                self._file.read(self._ends[number] - self._offsets[number]))
            self._cached = (number, loaded)
            return loaded

    def __len__(self) -> int:
        return self._written + len(self._tail)

    def __iter__(self) -> Iterator[T]:
        number = 0
        while number <= len(self._offsets):  # the tail last: the chunk being filled
            yield from self._chunk(number)
            number += 1

    def _at(self, index: int) -> T:
        number = index // CHUNK
        with self._lock:
            if number == len(self._offsets):  # in the chunk being filled: no copy of it
                return self._tail[index % CHUNK]
        return self._chunk(number)[index % CHUNK]

    def __reduce__(self) -> tuple[Any, ...]:
        return (Spill, (list(self),))

    def __repr__(self) -> str:
        return f"Spill({len(self)} items)"
