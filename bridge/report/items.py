"""A run's report items on disk (a `Spill`), counted per kind as they are appended.

Everything the report says about all its items at once (the summary per kind, which
kinds there are, where each kind's items are, whether any needs a look, the project
path) is gathered here, item by item, when the item is added. Rendering then reads the
items from disk once (the JSON file), instead of once more for every such question.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from bridge.engine.spill import Spill
from bridge.report.model import SUMMARY_KEYS, ReportItem, count_one
from bridge.report.positions import Positions


class ReportItems(Spill[ReportItem]):
    """A `Spill` of report items that keeps, as items arrive, what every renderer asks of all."""

    def __init__(self, items: Iterable[ReportItem] = ()) -> None:
        self._tally_lock = threading.Lock()
        self._counts: dict[str, dict[str, int]] = {}  # kind -> summary key -> n
        self._positions: dict[str, Positions] = {}  # kind -> its items' positions
        self._problems: dict[str, int] = {}  # kind -> failures and conflicts
        self._paths: set[str] = set()
        super().__init__(items)

    def append(self, item: ReportItem) -> None:
        """Add one item at the end, counted."""
        with self._tally_lock:
            kind = item.kind
            counts = self._counts.get(kind)
            if counts is None:
                counts = self._counts[kind] = dict.fromkeys(SUMMARY_KEYS, 0)
                self._positions[kind] = Positions()
                self._problems[kind] = 0
            count_one(counts, item)
            self._positions[kind].append(len(self))
            if item.problem:
                self._problems[kind] += 1
            self._paths.add(item.project_path)
            super().append(item)

    def clear(self) -> None:
        """Forget every item and every count."""
        with self._tally_lock:
            super().clear()
            self._counts, self._positions, self._problems = {}, {}, {}
            self._paths = set()

    def summary_by_kind(self) -> dict[str, dict[str, int]]:
        """The summary of each kind present, in the order the items came (copies)."""
        with self._tally_lock:
            return {kind: dict(counts) for kind, counts in self._counts.items()}

    def positions_by_kind(self) -> dict[str, Positions]:
        """Each kind's items' positions, kinds in the order the items came (copies)."""
        with self._tally_lock:
            return {kind: where.copy() for kind, where in self._positions.items()}

    def problems_by_kind(self) -> dict[str, int]:
        """How many failures and conflicts (`ReportItem.problem`) each kind has."""
        with self._tally_lock:
            return dict(self._problems)

    def project_paths(self) -> set[str]:
        """The project paths the items name."""
        with self._tally_lock:
            return set(self._paths)

    def __reduce__(self) -> tuple[Any, ...]:
        return (ReportItems, (list(self),))

    def __repr__(self) -> str:
        return f"ReportItems({len(self)} items)"
