"""Reading the mapping YAML as nodes, so every complaint can name the file, the line and the rule.

`yaml.safe_load` forgets where things were; `yaml.compose` keeps a start mark
on every node. The helpers here read the few shapes a mapping uses (mappings,
lists, text, whole numbers, true/false) and turn a wrong shape into a
ConfigError that says what was expected and what was found.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from bridge.errors import ConfigError

_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_STR = "tag:yaml.org,2002:str"

Entry = tuple[str, yaml.Node, yaml.Node]  # key text, key node, value node


def suggest(word: str, options: Iterable[str]) -> str:
    """` (did you mean 'x'?)` when one option is close to `word`, else an empty string."""
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def kind(node: yaml.Node) -> str:
    """What a node is, in the words an error message uses."""
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return {_NULL: "nothing (null)", _BOOL: "true/false", _INT: "a number",
            "tag:yaml.org,2002:float": "a number"}.get(node.tag, "text")


@dataclass(frozen=True, slots=True)
class Reader:
    """Typed access to nodes of one mapping file; `file` is the name errors show."""

    file: str

    def error(self, node: yaml.Node | None, rule: str | None, what: str) -> ConfigError:
        """A ConfigError at `node`'s line, naming `rule` when there is one."""
        line = node.start_mark.line + 1 if node is not None else None
        message = f"rule '{rule}': {what}" if rule else what
        return ConfigError(message, file=self.file, line=line, key=rule)

    def load(self, path: Path) -> yaml.Node:
        """The root node of the file; unreadable, malformed or empty files are errors."""
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read the mapping file: {exc.__class__.__name__}: "
                              f"{getattr(exc, 'strerror', None) or exc}", file=self.file) from None
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problem = getattr(exc, "problem", None) or "not valid YAML"
            raise ConfigError(f"not valid YAML: {problem}", file=self.file,
                              line=mark.line + 1 if mark is not None else None) from None
        if root is None:
            raise ConfigError("the mapping file is empty (it needs at least `version: 1` "
                              "and a `milestone:` section)", file=self.file, line=1)
        return root

    def entries(self, node: yaml.Node, rule: str | None, what: str = "a mapping") -> list[Entry]:
        """The key/value pairs of a mapping node, refusing other shapes and repeated keys."""
        if not isinstance(node, yaml.MappingNode):
            raise self.error(node, rule, f"must be {what}, not {kind(node)}")
        seen: dict[str, yaml.Node] = {}
        result: list[Entry] = []
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.error(key_node, rule, f"a key must be text, not {kind(key_node)}")
            key = key_node.value
            if key in seen:
                raise self.error(key_node, rule, f"'{key}' is given twice "
                                 f"(first on line {seen[key].start_mark.line + 1})")
            seen[key] = key_node
            result.append((key, key_node, value_node))
        return result

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
        if not isinstance(node, yaml.ScalarNode) or node.tag in (_NULL, _BOOL):
            raise self.error(node, rule, f"{what} must be text, not {kind(node)}")
        return str(node.value)

    def value(self, node: yaml.Node, rule: str | None, what: str) -> str | None:
        """A target-side value: null stays None, any other scalar is its raw text."""
        if isinstance(node, yaml.ScalarNode) and node.tag == _NULL:
            return None
        if isinstance(node, yaml.ScalarNode) and node.tag == _BOOL:
            return str(node.value).lower()
        if not isinstance(node, yaml.ScalarNode):
            raise self.error(node, rule, f"{what} must be a single value, not {kind(node)}")
        return str(node.value)

    def integer(self, node: yaml.Node, rule: str | None, what: str, minimum: int) -> int:
        """A whole number no smaller than `minimum`."""
        if not isinstance(node, yaml.ScalarNode) or node.tag != _INT:
            raise self.error(node, rule, f"{what} must be a whole number, not {kind(node)}")
        number = int(yaml.SafeLoader("").construct_object(node))
        if number < minimum:
            raise self.error(node, rule, f"{what} must be at least {minimum}, not {number}")
        return number

    def boolean(self, node: yaml.Node, rule: str | None, what: str) -> bool:
        """true or false, nothing else (so a typo does not silently read as true)."""
        if not isinstance(node, yaml.ScalarNode) or node.tag != _BOOL:
            raise self.error(node, rule, f"{what} must be true or false, not {kind(node)}")
        return bool(yaml.SafeLoader("").construct_object(node))

    def items(self, node: yaml.Node, rule: str | None, what: str) -> list[yaml.Node]:
        """The items of a list node."""
        if not isinstance(node, yaml.SequenceNode):
            raise self.error(node, rule, f"{what} must be a list such as [a, b], not {kind(node)}")
        return list(node.value)
