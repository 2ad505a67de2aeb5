"""The mapping's `label:` and `issue:` sections: rules per SourceCraft field, as for milestones.

A section the user's mapping leaves out comes from the bundled mapping, so a
mapping written for milestones only keeps working when `transfer:` moves labels
and issues too. What no rule can say (an issue's milestone, labels, assignee and
provenance header) the kind adds itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from bridge.rules.dates import DateSettings, RecordError
from bridge.rules.fields import FieldRule, compile_rule
from bridge.rules.yamlnodes import Reader

#: Per section: the SourceCraft fields a rule may set, those it must, the GitLab fields it reads.
SECTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "label": (("name", "color"), ("name",), ("name", "color", "description", "id")),
    "issue": (("title", "description", "status", "visibility", "deadline"),
              ("title", "status"),
              ("id", "iid", "title", "description", "state", "due_date", "confidential",
               "created_at", "updated_at", "web_url", "user_notes_count", "author_username",
               "author_name", "assignee_username")),
}


@dataclass(frozen=True)
class SectionRules:
    """One section's compiled rules; `values` runs them on one GitLab record."""

    kind: str
    file: str
    rules: Mapping[str, FieldRule]

    def values(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Each ruled field's value; RecordError naming the file and rule when one fails."""
        out: dict[str, Any] = {}
        row = dict(record)  # one copy for every rule: no rule or transform writes to it
        for target, rule in self.rules.items():
            try:
                out[target] = rule.value(row)
            except RecordError as exc:
                raise RecordError(f"{self.file}: rule '{self.kind}.{target}': {exc}") from None
        return out

    def describe(self) -> list[tuple[str, str]]:
        """(SourceCraft field, where it comes from), for `validate`."""
        return [(f"{self.kind}.{target}", rule.describe()) for target, rule in self.rules.items()]


def compile_section(reader: Reader, kind: str, key_node: yaml.Node, node: yaml.Node,
                    dates: DateSettings) -> SectionRules:
    """Check and compile one `label:` or `issue:` section; problems are ConfigErrors at a line."""
    targets, required, sources = SECTIONS[kind]
    entries = reader.entries(node, kind, "a mapping of SourceCraft fields to rules")
    reader.refuse_unknown(entries, targets, kind, "SourceCraft field")
    rules = {target: compile_rule(reader, target, value, dates, sources)
             for target, _, value in entries}
    missing = [name for name in required if name not in rules]
    if missing:
        raise reader.error(key_node, kind, f"no rule for {', '.join(missing)}")
    return SectionRules(kind, reader.file, rules)
