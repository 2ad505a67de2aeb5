"""Lazy views of a report's items, so a report of 600,000 items is rendered in flat memory.

A run's items live on disk (`bridge.engine.spill.Spill`); grouping them by kind
keeps only their positions (`Picked`), and masking happens to each item as it is
read (`Masked`), never to a copy of all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from bridge.engine.spill import Lazy
from bridge.report.model import ReportItem
from bridge.report.positions import Positions
from bridge.report.protocols import Tallied


class Picked(Lazy[ReportItem]):
    """Some of `items`, by position (in runs: `Positions`), read from `items` when asked for."""

    def __init__(self, items: Sequence[ReportItem], positions: Positions | None = None, *,
                 problems: int | None = None) -> None:
        self._items = items
        self._positions = positions if positions is not None else Positions()
        #: How many of them are failures or conflicts, when that was counted beforehand.
        self.problems = problems

    def add(self, position: int) -> None:
        """Pick one more item, by its position in `items`."""
        self._positions.append(position)

    def __len__(self) -> int:
        return len(self._positions)

    def __iter__(self) -> Iterator[ReportItem]:
        return (self._items[i] for i in self._positions)

    def _at(self, index: int) -> ReportItem:
        return self._items[self._positions[index]]


class Masked(Lazy[ReportItem]):
    """`items` with `mask` applied to each one as it is read."""

    def __init__(self, items: Sequence[ReportItem],
                 mask: Callable[[ReportItem], ReportItem]) -> None:
        self._items = items
        self._mask = mask

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[ReportItem]:
        return (self._mask(item) for item in self._items)

    def _at(self, index: int) -> ReportItem:
        return self._mask(self._items[index])


class MaskedTallied(Masked):
    """Counted items, masked as they are read: the counts, positions and problems are the
    counted items' own (masking changes no kind and no action), the project paths masked."""

    def __init__(self, items: Tallied, mask: Callable[[ReportItem], ReportItem],
                 mask_path: Callable[[str], str]) -> None:
        super().__init__(items, mask)  # type: ignore[arg-type]  # counted items are a Sequence
        self._counted, self._mask_path = items, mask_path

    def summary_by_kind(self) -> dict[str, dict[str, int]]:
        """As counted when the items were added."""
        return self._counted.summary_by_kind()

    def project_paths(self) -> set[str]:
        """The projects the items came from, masked as the items' own paths are."""
        return {self._mask_path(path) for path in self._counted.project_paths()}

    def problems_by_kind(self) -> dict[str, int]:
        """As counted when the items were added."""
        return self._counted.problems_by_kind()

    def positions_by_kind(self) -> dict[str, Positions]:
        """As noted when the items were added (masking moves none)."""
        return self._counted.positions_by_kind()


def masked_view(items: Sequence[ReportItem], mask: Callable[[ReportItem], ReportItem],
                mask_path: Callable[[str], str]) -> Masked:
    """`items` masked as read; counted items stay counted, so no renderer reads them all
    back to count them again."""
    if isinstance(items, Tallied):
        return MaskedTallied(items, mask, mask_path)
    return Masked(items, mask)


def grouped(items: Sequence[ReportItem],
            keep: Callable[[ReportItem], bool] | None = None) -> dict[str, Picked]:
    """Items per kind (those `keep` accepts), kinds in the order the run met them."""
    if keep is None and isinstance(items, Tallied):  # positions noted as they came: no read
        problems = items.problems_by_kind()
        return {kind: Picked(items, where, problems=problems[kind])
                for kind, where in items.positions_by_kind().items()}
    groups: dict[str, Picked] = {}
    for position, item in enumerate(items):
        if keep is None or keep(item):
            group = groups.get(item.kind)
            if group is None:
                group = groups[item.kind] = Picked(items)
            group.add(position)
    return groups
