"""`Positions`: ascending item positions kept as runs of consecutive ones.

A kind's report items arrive in batches (a thousand issues, then their comments, ...), so
the positions of one kind are a few long runs: 600,000 positions are a few hundred runs
(three words each), not 4.8 MB of an array that grows, and is copied, with the run.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Iterator

from bridge.engine.spill import Lazy


class Positions(Lazy[int]):
    """Ascending, distinct ints, appended in order; indexed and iterated like a list."""

    def __init__(self) -> None:
        self._starts = array("q")  # each run's first position
        self._ends = array("q")  # each run's end (exclusive)
        self._before = array("q")  # how many positions the runs before each one hold
        self._len = 0

    def append(self, position: int) -> None:
        """Add `position`, which must come after every position already held."""
        if self._ends and position <= self._ends[-1] - 1:
            raise ValueError(f"position {position} does not come after {self._ends[-1] - 1}")
        if self._ends and position == self._ends[-1]:
            self._ends[-1] = position + 1
        else:
            self._starts.append(position)
            self._ends.append(position + 1)
            self._before.append(self._len)
        self._len += 1

    def copy(self) -> Positions:
        """An independent copy (the runs, not the positions, are copied)."""
        other = Positions()
        other._starts, other._ends = array("q", self._starts), array("q", self._ends)
        other._before, other._len = array("q", self._before), self._len
        return other

    def runs(self) -> int:
        """How many runs of consecutive positions are held."""
        return len(self._starts)

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[int]:
        for start, end in zip(self._starts, self._ends, strict=True):
            yield from range(start, end)

    def _at(self, index: int) -> int:
        run = bisect_right(self._before, index) - 1
        return self._starts[run] + index - self._before[run]

    def __repr__(self) -> str:
        return f"Positions({self._len} in {len(self._starts)} runs)"
