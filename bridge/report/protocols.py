"""What the report asks of a kind (`ReportRows`) and of a list of items counted as they came
(`Tallied`): the two protocols the report model is written against."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from bridge.report.positions import Positions


class ReportRows(Protocol):
    """What a kind tells the report about its objects."""

    name: str

    def title_of(self, source: Any, target: Any, wanted: Any) -> str: ...

    def slug_of(self, item: Any) -> str | None: ...

    def reference(self, source: Any, source_id: int, path: str) -> str: ...

    def counts(self, source: Any) -> dict[str, int] | None: ...


@runtime_checkable
class Tallied(Protocol):
    """Items that were counted as they were added (`bridge.report.items.ReportItems`)."""

    def summary_by_kind(self) -> dict[str, dict[str, int]]: ...

    def project_paths(self) -> set[str]: ...

    def problems_by_kind(self) -> dict[str, int]: ...

    def positions_by_kind(self) -> dict[str, Positions]: ...
