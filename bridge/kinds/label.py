"""Labels: every GitLab label becomes a SourceCraft label of the same name, found by that name.

A label's name is unique in a SourceCraft repository (a second one answers
409), so it is the natural key, and a create whose outcome is unknown is
resolved by listing the labels. GitLab's `#rgb`/`#rrggbb` colours become the six
hex digits SourceCraft wants; label descriptions have nowhere to go, which the
plan says once. Labels point at nothing, and issues point at them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bridge.engine.kind import SourceSet
from bridge.engine.refs import Refs, TargetRef
from bridge.kinds.context import KindContext
from bridge.models import Skipped
from bridge.rules import RecordError
from bridge.sources.gitlab import SourceLabel
from bridge.targets.records import LABEL_FIELDS, TargetLabel

_HEX = re.compile(r"#?([0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})")
NO_DESCRIPTION = ("GitLab label descriptions have no SourceCraft field: they are not carried "
                  "over")


def six_hex(color: str) -> str:
    """`#f00` -> `FF0000`, `#428bca` -> `428BCA`; RecordError for anything else."""
    match = _HEX.fullmatch(color.strip())
    if match is None:
        raise RecordError(f"colour {color!r} is not #rgb or #rrggbb")
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return digits.upper()


@dataclass(frozen=True, slots=True)
class WantedLabel:
    """The SourceCraft label one GitLab label should be."""

    source: SourceLabel
    name: str
    color: str

    @property
    def key(self) -> str:
        """The natural key: the name."""
        return self.name

    def managed(self) -> dict[str, Any]:
        """The mapped fields, comparable with `TargetLabel.managed()`."""
        return {"name": self.name, "color": self.color}


def _wanted(label: SourceLabel, values: Mapping[str, Any]) -> WantedLabel:
    name = str(values.get("name") or "").strip()
    if not name:
        raise RecordError("the name comes out empty")
    # GitLab's default colour when it sent none (labels always have one from 8.0 on).
    return WantedLabel(label, name=name, color=six_hex(str(values.get("color") or "#428BCA")))


class LabelRows:
    """What the report shows of a label."""

    name = "label"

    def title_of(self, source: SourceLabel | None, target: Any, wanted: Any) -> str:
        """The label's name."""
        for item in (source, wanted, target):
            if item is not None:
                return str(item.name)
        return ""

    def slug_of(self, item: Any) -> str | None:
        """The SourceCraft slug once it exists, else the name it is found by."""
        return str(getattr(item, "slug", "") or item.name)

    def reference(self, source: SourceLabel | None, source_id: int, path: str) -> str:
        """GitLab's label reference: `~bug`, `~"two words"`."""
        if source is None:
            return f"{path} label {source_id}".strip()
        name = source.name
        shown = name if re.fullmatch(r"[A-Za-z0-9_\-?.&]+", name) else f'"{name}"'
        return f"{path}~{shown}"

    def counts(self, source: Any) -> dict[str, int] | None:
        """Labels carry no counts in the report."""
        return None


class LabelKind(LabelRows):
    """GitLab labels as SourceCraft labels."""

    plural = "labels"
    depends_on: tuple[str, ...] = ()
    fields = LABEL_FIELDS
    key_name = "name"
    key_claims_source = False

    def __init__(self, ctx: KindContext) -> None:
        self._ctx = ctx

    def compare_keys(self) -> tuple[str, ...]:
        """Only the colour can differ: the name is the key."""
        return ("color",)

    def extract(self) -> SourceSet:
        """Every label of the project, group labels included (one list in v3)."""
        items: list[SourceLabel] = []
        pages = 0
        for page in self._ctx.reader.label_pages():
            pages += 1
            items.extend(page)
            self._ctx.on_page("labels", len(page))
        notes = (NO_DESCRIPTION,) if any(label.description for label in items) else ()
        self._ctx.shared["label_items"] = items  # issue texts refer to them (~bug, ~4)
        return SourceSet(items=tuple(items), pages=pages, notes=notes)

    def transform(self, source: SourceSet, refs: Refs, *, reserved: Mapping[int, str],
                  target: Sequence[Any]) -> list[Any]:
        """Each label through the mapping's `label:` rules, its colour made six hex digits."""
        del refs, reserved, target
        rules = self._ctx.mapping.section("label")
        out: list[Any] = []
        for label in sorted(source.items, key=lambda item: item.id):
            try:
                out.append(_wanted(label, rules.values(label.fields())))
            except RecordError as exc:
                out.append(Skipped(label, reason="mapping failed", error=str(exc)))
        return out

    def lists_ahead(self) -> bool:
        """Every label of the repository, whatever GitLab says: read while GitLab is read."""
        return True

    def target_pages(self, refs: Refs) -> Iterator[Sequence[TargetLabel]]:
        """Every label of the repository."""
        del refs
        return self._ctx.tracker.label_pages()

    def conflict(self, wanted: WantedLabel, found: TargetLabel) -> str | None:
        """A label of our name is the label we want: adopted, never duplicated."""
        return None

    def create_body(self, wanted: WantedLabel, refs: Refs) -> dict[str, Any]:
        """{name, color}."""
        del refs
        return {"name": wanted.name, "color": wanted.color}

    def change_body(self, target: TargetLabel, wanted: WantedLabel | None,
                    changes: Mapping[str, tuple[Any, Any]], refs: Refs) -> dict[str, Any]:
        """Each changed field's new value (the colour)."""
        del target, wanted, refs
        return {name: after for name, (_before, after) in changes.items()}

    def create(self, wanted: WantedLabel, refs: Refs) -> TargetLabel:
        """POST {name, color}; a 409 (the name exists) is looked up and adopted by the loader."""
        return self._ctx.tracker.create_label(self.create_body(wanted, refs))

    def find(self, wanted: WantedLabel) -> TargetLabel | None:
        """The repository's label of this name, by listing (no filter finds one by name)."""
        for page in self._ctx.tracker.label_pages():
            for label in page:
                if label.name == wanted.name:
                    return label
        return None

    def change(self, target: TargetLabel, wanted: WantedLabel | None,
               changes: Mapping[str, tuple[Any, Any]], refs: Refs) -> TargetLabel:
        """PATCH the colour by id."""
        return self._ctx.tracker.update_label(target,
                                              self.change_body(target, wanted, changes, refs))

    def delete(self, target: TargetLabel) -> None:
        """DELETE by id."""
        self._ctx.tracker.delete_label(target)

    def ref_of(self, item: TargetLabel | WantedLabel) -> TargetRef:
        """Issues point at a label by its id (None until created)."""
        target_id = item.id if isinstance(item, TargetLabel) else None
        return TargetRef(target_id, getattr(item, "slug", "") or item.name, item.name)
