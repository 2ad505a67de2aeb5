"""One rule per SourceCraft field: where the value comes from, how it is changed, what it may be.

A rule reads `from` a source field (or fills a `template`), runs the `apply`
chain, looks the result up in `map`, and falls back to `default` when the value
is empty or unmapped. `default` and `map` values are final SourceCraft values:
the chain does not run over them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from bridge.rules.dates import DateSettings, RecordError
from bridge.rules.templates import Template, TemplateError, render_value
from bridge.rules.transforms import REGISTRY, BuildContext, Record, Transform
from bridge.rules.yamlnodes import Reader, suggest
from bridge.yamlread import describe

RULE_KEYS = ("from", "template", "apply", "map", "default")
#: Values SourceCraft accepts for `status`; checked in `map` and `default` when compiling.
STATUSES = ("open", "closed")


@dataclass(frozen=True, slots=True)
class FieldRule:
    """A compiled rule for one SourceCraft field."""

    target: str
    source: str | None = None
    template: Template | None = None
    chain: tuple[Transform, ...] = ()
    value_map: Mapping[str, str | None] | None = None
    default: str | None = None
    has_default: bool = False
    line: int = 0

    def value(self, record: Record) -> Any:
        """The field's value for one record; RecordError when it cannot be had."""
        value: Any = record.get(self.source) if self.source else None
        if self.template is not None:
            value = self.template.render(record)
        for step in self.chain:
            value = step(value, record)
        if self.value_map is not None and value is not None and value != "":
            key = render_value(value)
            if key in self.value_map:
                return self.value_map[key]
            if self.has_default:
                return self.default
            known = ", ".join(self.value_map)
            raise RecordError(f"value '{key}' is not in map ({known}) and the rule has no default")
        if (value is None or value == "") and self.has_default:
            return self.default
        return value

    def describe(self) -> str:
        """Where the value comes from, in plain words."""
        if self.template is not None:
            words = f"template {self.template.text!r}"
        else:
            words = f"GitLab {self.source}"
        for step in self.chain:
            words += f", then {step.describe()}"
        if self.value_map is not None:
            pairs = ", ".join(f"{k} -> {'(none)' if v is None else v}"
                              for k, v in self.value_map.items())
            words += f", mapped {pairs}"
        if self.has_default:
            shown = "(none)" if self.default is None else repr(self.default)
            words += f"; {shown} when empty" + (" or unmapped" if self.value_map else "")
        return words


def compile_rule(reader: Reader, target: str, node: yaml.Node, dates: DateSettings,
                 fields: Collection[str]) -> FieldRule:
    """Check and compile the rule for `target`; every problem is a ConfigError at its line."""
    entries = reader.entries(node, target, "a mapping such as {from: title}")
    reader.refuse_unknown(entries, RULE_KEYS, target)
    found = {key: (key_node, value) for key, key_node, value in entries}
    if "from" in found and "template" in found:
        raise reader.error(found["template"][0], target, "has both 'from' and 'template'; keep one")
    if "from" not in found and "template" not in found:
        raise reader.error(node, target, "needs 'from' (a GitLab field) or 'template' "
                           "(text with {field} placeholders)")
    source = template = None
    if "from" in found:
        source = reader.text(found["from"][1], target, "'from'")
        if source not in fields:
            raise reader.error(found["from"][1], target, f"unknown GitLab field '{source}'"
                               f"{suggest(source, fields)}; known: {', '.join(fields)}")
    else:
        text = reader.text(found["template"][1], target, "'template'")
        try:
            template = Template(text, fields)
        except TemplateError as exc:
            raise reader.error(found["template"][1], target, str(exc)) from None
    chain = _chain(reader, target, found["apply"][1], dates, fields) if "apply" in found else ()
    value_map = _map(reader, target, found["map"][1]) if "map" in found else None
    default = None
    if "default" in found:
        default = reader.value(found["default"][1], target, "'default'")
        _check_status(reader, target, found["default"][1], default)
    return FieldRule(target, source, template, chain, value_map, default, "default" in found,
                     node.start_mark.line + 1)


def _chain(reader: Reader, target: str, node: yaml.Node, dates: DateSettings,
           fields: Collection[str]) -> tuple[Transform, ...]:
    steps: list[Transform] = []
    known = ", ".join(REGISTRY)
    for item in reader.items(node, target, "'apply'"):
        arg: yaml.Node | None = None
        if isinstance(item, yaml.MappingNode):
            entries = reader.entries(item, target)
            if len(entries) != 1:
                raise reader.error(item, target, "a transform with settings is written with one "
                                   "key, such as {truncate: 255}")
            name, name_node, arg = entries[0]
        elif isinstance(item, yaml.ScalarNode) and describe(item) == "text":
            name, name_node = item.value, item
        else:
            raise reader.error(item, target, f"a transform is a name or {{name: settings}}, "
                               f"not {describe(item)}")
        if name not in REGISTRY:
            raise reader.error(name_node, target, f"unknown transform '{name}'"
                               f"{suggest(name, REGISTRY)}; known: {known}")
        steps.append(REGISTRY[name](BuildContext(reader, target, dates, fields, item), arg))
    return tuple(steps)


def _map(reader: Reader, target: str, node: yaml.Node) -> dict[str, str | None]:
    result: dict[str, str | None] = {}
    for key, _, value in reader.entries(node, target, "a mapping such as {active: open}"):
        mapped = reader.value(value, target, f"map value for '{key}'")
        _check_status(reader, target, value, mapped)
        result[key] = mapped
    return result


def _check_status(reader: Reader, target: str, node: yaml.Node, value: str | None) -> None:
    if target == "status" and value not in STATUSES:
        raise reader.error(node, target, f"status '{value}' is not one SourceCraft has; "
                           f"use {' or '.join(STATUSES)}")
