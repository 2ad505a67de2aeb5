"""Reading the mapping YAML as nodes, so every complaint can name the file, the line and the rule.

`yaml.safe_load` forgets where things were; `yaml.compose` keeps a start mark
on every node. Reading the file, describing a node and walking keys are shared
with the config in `bridge.yamlread`; the helpers here read the few shapes a
mapping uses (mappings, lists, text, whole numbers, true/false) and turn a wrong
shape into a ConfigError, in the mapping's words, naming the rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from bridge.errors import ConfigError
from bridge.yamlread import (
    BOOL,
    INT,
    NULL,
    Wording,
    compose,
    construct,
    describe,
    error_at,
    nearest,
    pairs,
)

Entry = tuple[str, yaml.Node, yaml.Node]  # key text, key node, value node

_WORDING = Wording(unreadable="cannot read the mapping file", syntax="not valid YAML",
                   empty="the mapping file is empty (it needs at least `version: 1` "
                         "and a `milestone:` section)")


def suggest(word: str, options: Iterable[str]) -> str:
    """` (did you mean 'x'?)` when one option is close to `word`, else an empty string."""
    near = nearest(word, options)
    return f" (did you mean '{near}'?)" if near else ""


@dataclass(frozen=True, slots=True)
class Reader:
    """Typed access to nodes of one mapping file; `file` is the name errors show."""

    file: str

    def error(self, node: yaml.Node | None, rule: str | None, what: str) -> ConfigError:
        """A ConfigError at `node`'s line, naming `rule` when there is one."""
        return error_at(self.file, f"rule '{rule}': {what}" if rule else what, node, rule)

    def load(self, path: Path) -> yaml.Node:
        """The root node of the file; unreadable, malformed or empty files are errors."""
        return compose(path, _WORDING)

    def entries(self, node: yaml.Node, rule: str | None, what: str = "a mapping") -> list[Entry]:
        """The key/value pairs of a mapping node, refusing other shapes and repeated keys."""
        if not isinstance(node, yaml.MappingNode):
            raise self.error(node, rule, f"must be {what}, not {describe(node)}")

        def key_text(key_node: yaml.Node) -> str:
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.error(key_node, rule, f"a key must be text, not {describe(key_node)}")
            return str(key_node.value)

        def twice(key: str, key_node: yaml.Node, why: str) -> ConfigError:
            return self.error(key_node, rule, f"'{key}' {why}")

        return list(pairs(node, key_text, twice))

    def refuse_unknown(self, entries: list[Entry], allowed: Iterable[str], rule: str | None,
                       what: str = "key") -> None:
        """Raise on the first key not in `allowed`, suggesting the nearest known one."""
        known = list(allowed)
        for key, key_node, _ in entries:
            if key not in known:
                raise self.error(key_node, rule, f"unknown {what} '{key}'{suggest(key, known)}; "
                                 f"known: {', '.join(known)}")

    def text(self, node: yaml.Node, rule: str | None, what: str) -> str:
        """The raw text of a scalar (so `12:00` stays a time, not YAML 1.1's 720)."""
        if not isinstance(node, yaml.ScalarNode) or node.tag in (NULL, BOOL):
            raise self.error(node, rule, f"{what} must be text, not {describe(node)}")
        return str(node.value)

    def value(self, node: yaml.Node, rule: str | None, what: str) -> str | None:
        """A target-side value: null stays None, any other scalar is its raw text."""
        if isinstance(node, yaml.ScalarNode) and node.tag == NULL:
            return None
        if isinstance(node, yaml.ScalarNode) and node.tag == BOOL:
            return str(node.value).lower()
        if not isinstance(node, yaml.ScalarNode):
            raise self.error(node, rule, f"{what} must be a single value, not {describe(node)}")
        return str(node.value)

    def integer(self, node: yaml.Node, rule: str | None, what: str, minimum: int) -> int:
        """A whole number no smaller than `minimum`."""
        if not isinstance(node, yaml.ScalarNode) or node.tag != INT:
            raise self.error(node, rule, f"{what} must be a whole number, not {describe(node)}")
        number = int(construct(node))
        if number < minimum:
            raise self.error(node, rule, f"{what} must be at least {minimum}, not {number}")
        return number

    def boolean(self, node: yaml.Node, rule: str | None, what: str) -> bool:
        """true or false, nothing else (so a typo does not silently read as true)."""
        if not isinstance(node, yaml.ScalarNode) or node.tag != BOOL:
            raise self.error(node, rule, f"{what} must be true or false, not {describe(node)}")
        return bool(construct(node))

    def items(self, node: yaml.Node, rule: str | None, what: str) -> list[yaml.Node]:
        """The items of a list node."""
        if not isinstance(node, yaml.SequenceNode):
            raise self.error(node, rule,
                             f"{what} must be a list such as [a, b], not {describe(node)}")
        return list(node.value)
