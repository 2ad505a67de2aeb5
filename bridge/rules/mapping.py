"""The compiled mapping: applied to one GitLab milestone, it gives a wanted milestone or a skip."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bridge.models import TARGET_FIELDS, Skipped, SourceMilestone, WantedMilestone
from bridge.rules.dates import DateSettings, RecordError, is_datetime
from bridge.rules.fields import STATUSES, FieldRule
from bridge.rules.filters import Filters
from bridge.rules.sections import SectionRules
from bridge.rules.templates import render_value
from bridge.slugs import SLUG_MAX, fallback_slug, make_slug

#: What each SourceCraft field gets when the mapping has no rule for it.
UNMAPPED = {"description": "not mapped: always empty", "start_date": "not mapped: no date",
            "deadline": "not mapped: no date"}


class CompiledMapping:
    """Rules checked once at start-up; `apply` runs them on one milestone at a time."""

    def __init__(self, *, path: Path, file: str, version: int, rules: Mapping[str, FieldRule],
                 filters: Filters, dates: DateSettings, slugs_follow_renames: bool = False,
                 sections: Mapping[str, SectionRules] | None = None,
                 rewrite_references: bool = True) -> None:
        self.path = path
        self.file = file  # the name errors show, as the user wrote it
        self.version = version
        self.rules = dict(rules)
        self.filters = filters
        self.dates = dates
        #: False (default): a mirror run keeps a milestone's slug when its title changes.
        self.slugs_follow_renames = slugs_follow_renames
        self._sections = dict(sections or {})
        self._own = frozenset(self._sections)
        #: True (default): `#12`, `%v1.0`, `~bug`... in issues and comments are made to point
        #: at their SourceCraft counterparts (docs/references.md); False leaves texts as they are.
        self.rewrite_references = rewrite_references

    def has_section(self, kind: str) -> bool:
        """Whether this mapping file itself has a `label:` or `issue:` section."""
        return kind in self._own

    def section(self, kind: str) -> SectionRules:
        """The rules of the `label:` or `issue:` section; the bundled one if this file has none."""
        found = self._sections.get(kind)
        if found is None:
            from bridge.rules.compile import bundled_sections  # noqa: PLC0415 - one-way, lazy

            found = bundled_sections()[kind]
            self._sections[kind] = found
        return found

    def apply(self, milestone: SourceMilestone) -> WantedMilestone | Skipped:
        """The SourceCraft milestone `milestone` should become, or a skip saying why not.

        A filter that drops it gives a skip without error; a rule that fails on
        this record (an unparsable date, an unmapped value) gives a skip whose
        error names the mapping file and the rule. The run goes on either way.
        """
        reason = self.filters.reason_to_drop(milestone)
        if reason is not None:
            return Skipped(source=milestone, reason=reason)
        record = milestone.fields()
        values: dict[str, Any] = {}
        for target in TARGET_FIELDS:
            rule = self.rules.get(target)
            try:
                values[target] = _finish(target, rule.value(record) if rule else None, milestone)
            except RecordError as exc:
                return Skipped(source=milestone, reason=f"mapping failed: rule '{target}'",
                               error=f"{self.file}: rule '{target}': {exc}")
        return WantedMilestone(source=milestone, **values)

    def describe(self) -> list[tuple[str, str]]:
        """(SourceCraft field, where it comes from in plain words), in report order."""
        result = []
        for target in TARGET_FIELDS:
            rule = self.rules.get(target)
            words = rule.describe() if rule else UNMAPPED[target]
            if target == "slug":
                words += (f"; cleaned to a-z, 0-9 and '-' (at most {SLUG_MAX} characters), "
                          "'milestone-<iid>' if nothing is left; clashes get -2, -3, ...")
            result.append((target, words))
        return result


def _finish(target: str, value: Any, milestone: SourceMilestone) -> Any:
    """Hold a rule's result to what SourceCraft accepts for `target`."""
    if target == "slug":
        return make_slug(value) or fallback_slug(milestone.iid)
    if target == "description":
        return render_value(value)
    if target in ("start_date", "deadline"):
        if value is None or value == "":
            return None
        text = render_value(value)
        if not is_datetime(text):
            raise RecordError(f"'{text}' is not a date-time such as 2016-07-22T00:00:00Z "
                              "(add date_to_datetime to the rule's apply)")
        return text
    text = render_value(value)
    if target == "name" and not text.strip():
        raise RecordError("the name comes out empty and the rule has no default")
    if target == "status" and text not in STATUSES:
        raise RecordError(f"status {text!r} is not {' or '.join(STATUSES)}; add a map")
    return text
