"""`include` and `exclude`: which GitLab milestones the mapping keeps, compiled with line numbers.

A milestone is kept when it meets every `include` criterion and none of the
`exclude` ones. A dropped milestone becomes a skip whose reason names the rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

import yaml

from bridge.models import SourceMilestone
from bridge.rules.yamlnodes import Reader

#: The milestone states GitLab has (v3 and v4 alike); anything else is a typo.
STATES = ("active", "closed")
CRITERIA = ("state", "title", "has_issues", "from_issues_only")


class Criterion(Protocol):
    """One test on a milestone, with its plain-words description."""

    def matches(self, milestone: SourceMilestone) -> bool: ...

    def describe(self) -> str: ...


@dataclass(frozen=True, slots=True)
class StateIs:
    states: tuple[str, ...]

    def matches(self, milestone: SourceMilestone) -> bool:
        return milestone.state in self.states

    def describe(self) -> str:
        return f"state is {' or '.join(self.states)}"


@dataclass(frozen=True, slots=True)
class TitleMatches:
    patterns: tuple[re.Pattern[str], ...]

    def matches(self, milestone: SourceMilestone) -> bool:
        return any(p.search(milestone.title) for p in self.patterns)

    def describe(self) -> str:
        # As written in the mapping: repr() would double every backslash (`'^v\\d'`).
        return "title matches " + " or ".join(f"'{p.pattern}'" for p in self.patterns)


@dataclass(frozen=True, slots=True)
class HasIssues:
    wanted: bool

    def matches(self, milestone: SourceMilestone) -> bool:
        return (milestone.issues_open + milestone.issues_closed > 0) == self.wanted

    def describe(self) -> str:
        return "has issues" if self.wanted else "has no issues"


@dataclass(frozen=True, slots=True)
class FromIssuesOnly:
    wanted: bool

    def matches(self, milestone: SourceMilestone) -> bool:
        return milestone.from_issues_only == self.wanted

    def describe(self) -> str:
        return ("is known only from issues" if self.wanted
                else "is in GitLab's milestone list")


@dataclass(frozen=True, slots=True)
class Filters:
    """The compiled `include` and `exclude` sections, as (rule name, criterion) pairs."""

    include: tuple[tuple[str, Criterion], ...] = ()
    exclude: tuple[tuple[str, Criterion], ...] = ()

    def reason_to_drop(self, milestone: SourceMilestone) -> str | None:
        """`filtered: <rule> (...)` when the milestone is left out, None when it is kept."""
        for rule, criterion in self.include:
            if not criterion.matches(milestone):
                return f"filtered: {rule} (keeps only milestones whose {criterion.describe()})"
        for rule, criterion in self.exclude:
            if criterion.matches(milestone):
                return f"filtered: {rule} (drops milestones whose {criterion.describe()})"
        return None

    def describe(self) -> list[str]:
        """One line per criterion, for `validate`."""
        return ([f"keep only if {c.describe()}  [{r}]" for r, c in self.include]
                + [f"drop if {c.describe()}  [{r}]" for r, c in self.exclude])


def compile_section(reader: Reader, node: yaml.Node,
                    section: str) -> tuple[tuple[str, Criterion], ...]:
    """The criteria of one `include:` or `exclude:` mapping."""
    entries = reader.entries(node, section, "a mapping such as {state: [active]}")
    reader.refuse_unknown(entries, CRITERIA, section, "filter")
    result: list[tuple[str, Criterion]] = []
    for key, _, value in entries:
        rule = f"{section}.{key}"
        result.append((rule, _criterion(reader, key, value, rule)))
    return tuple(result)


def _texts(reader: Reader, node: yaml.Node, rule: str, what: str) -> list[tuple[str, yaml.Node]]:
    items = reader.items(node, rule, what) if isinstance(node, yaml.SequenceNode) else [node]
    if not items:
        raise reader.error(node, rule, f"{what} must name at least one value")
    return [(reader.text(item, rule, what), item) for item in items]


def _criterion(reader: Reader, key: str, node: yaml.Node, rule: str) -> Criterion:
    if key == "state":
        states = _texts(reader, node, rule, "state")
        for state, item in states:
            if state not in STATES:
                raise reader.error(item, rule, f"unknown milestone state '{state}'; GitLab "
                                   f"milestones are {' or '.join(STATES)}")
        return StateIs(tuple(state for state, _ in states))
    if key == "title":
        patterns = []
        for pattern, item in _texts(reader, node, rule, "title pattern"):
            try:
                patterns.append(re.compile(pattern))
            except re.error as exc:
                raise reader.error(item, rule,
                                   f"bad regular expression {pattern!r}: {exc}") from None
        return TitleMatches(tuple(patterns))
    if key == "has_issues":
        return HasIssues(reader.boolean(node, rule, "has_issues"))
    return FromIssuesOnly(reader.boolean(node, rule, "from_issues_only"))
