"""The config file read as nodes: sections of known keys, each checked for its kind and range.

The reading itself (file, YAML, empty file, key walking) is shared with the
mapping in `bridge.yamlread`; what is here is the config's own wording and rules:
dotted keys, refused keys, and typed values with paths resolved beside the file.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bridge.errors import ConfigError
from bridge.yamlread import Wording, compose, construct, describe, error_at, nearest, pairs


@dataclass(frozen=True, slots=True)
class Spec:
    """What one key may hold: a kind ('str', 'int', 'num', 'bool', 'url', 'path', 'enum',
    'project', 'tls'), whether it is required, its enum choices and its numeric range."""

    kind: str
    required: bool = False
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    #: For kind 'mapping': the keys it may hold, each with its own Spec.
    keys: tuple[tuple[str, Spec], ...] = ()


@dataclass(frozen=True)
class Entry:
    """One `key: value` of a mapping: the dotted key, the value node and the key's line."""

    key: str
    node: Node
    line: int


_WORDING = Wording(unreadable="cannot read", syntax="YAML syntax error", missing="file not found",
                   empty="the file is empty; it needs at least a source: and a target:")


class YamlFile:
    """One YAML file read into nodes; `error()` builds a ConfigError pointing into it."""

    def __init__(self, path: Path, *, refuse: Collection[str] = (), why: str = "") -> None:
        self.path = path
        self.name = str(path)
        self._refuse = frozenset(refuse)
        self._why = why
        root = compose(path, _WORDING)
        if not isinstance(root, MappingNode):
            raise ConfigError(f"the top level must be a mapping of sections, not "
                              f"{describe(root, self.value(root))}", file=self.name,
                              line=root.start_mark.line + 1)
        self.root: MappingNode = root

    def error(self, message: str, node_or_line: Node | int | None, key: str | None = None
              ) -> ConfigError:
        """A ConfigError at a node (or line) of this file."""
        return error_at(self.name, message, node_or_line, key)

    def value(self, node: Node) -> Any:
        """The Python value of a node (scalars as YAML types them)."""
        return construct(node)

    def entries(self, node: MappingNode, prefix: str, known: Collection[str]) -> dict[str, Entry]:
        """The keys of a mapping, refusing unknown, duplicate and forbidden ones."""

        def dotted(name: str) -> str:
            return f"{prefix}.{name}" if prefix else name

        def key_text(key_node: Node) -> str:
            name = self.value(key_node) if isinstance(key_node, ScalarNode) else None
            if not isinstance(name, str):
                raise self.error(f"keys must be plain words, not {describe(key_node, name)}",
                                 key_node, prefix or None)
            return name

        def twice(name: str, key_node: Node, why: str) -> ConfigError:
            return self.error(f"'{dotted(name)}' {why}", key_node, dotted(name))

        found: dict[str, Entry] = {}
        for name, key_node, value_node in pairs(node, key_text, twice):
            key, line = dotted(name), key_node.start_mark.line + 1
            if name in self._refuse:
                raise self.error(f"'{key}' is refused: {self._why}", line, key)
            if name not in known:
                near = nearest(name, known)
                hint = f"; did you mean '{near}'?" if near else \
                    f"; known keys here: {', '.join(sorted(known))}"
                raise self.error(f"unknown key '{key}'{hint}", line, key)
            found[name] = Entry(key, value_node, line)
        return found

    def refuse_anywhere(self, node: Node, seen: set[int] | None = None) -> None:
        """Refuse a forbidden key at any depth, even inside sections that are themselves wrong.

        Each node is visited once: YAML aliases share nodes, and a "billion laughs" file
        would otherwise be walked 9**9 times.
        """
        seen = set() if seen is None else seen
        if id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                if isinstance(key_node, ScalarNode) and key_node.value in self._refuse:
                    raise self.error(f"'{key_node.value}' is refused: {self._why}", key_node,
                                     key_node.value)
                self.refuse_anywhere(value_node, seen)
        elif isinstance(node, SequenceNode):
            for item in node.value:
                self.refuse_anywhere(item, seen)


_EXPECTED = {"str": "text", "int": "a whole number", "num": "a number", "bool": "true or false",
             "url": "a URL", "path": "a path", "project": "a project path or numeric id",
             "tls": "true, false or a CA bundle path"}


def convert(doc: YamlFile, entry: Entry, spec: Spec, base: Path) -> Any:
    """The checked value of one key: its type, range and choices; paths resolved against `base`."""
    value: Any = doc.value(entry.node) if isinstance(entry.node, ScalarNode) else entry.node
    kind = spec.kind
    if kind == "mapping":  # a nested section, such as mirror.issues
        if not isinstance(entry.node, MappingNode):
            raise doc.error(f"{entry.key} must be a mapping of keys, not "
                            f"{describe(entry.node, value)}", entry.line, entry.key)
        specs = dict(spec.keys)
        found = doc.entries(entry.node, entry.key, specs)
        return {key: convert(doc, item, specs[key], base) for key, item in found.items()}
    ok = {"str": isinstance(value, str) and value.strip() != "",
          "int": isinstance(value, int) and not isinstance(value, bool),
          "num": isinstance(value, int | float) and not isinstance(value, bool),
          "bool": isinstance(value, bool),
          "url": isinstance(value, str), "path": isinstance(value, str) and value.strip() != "",
          "enum": isinstance(value, str),
          "project": (isinstance(value, str) and value.strip() != "")
          or (isinstance(value, int) and not isinstance(value, bool)),
          "tls": isinstance(value, bool) or (isinstance(value, str) and value.strip() != "")}[kind]
    if not ok:
        raise doc.error(f"{entry.key} must be {_EXPECTED.get(kind, 'text')}, not "
                        f"{describe(entry.node, value)}", entry.line, entry.key)
    if kind in ("int", "num") and ((spec.low is not None and value < spec.low)
                                   or (spec.high is not None and value > spec.high)):
        high = "" if spec.high is None else f" to {spec.high:g}"
        raise doc.error(f"{entry.key} must be from {spec.low:g}{high}, not {value}", entry.line,
                        entry.key)
    if kind == "enum" and value not in spec.choices:
        raise doc.error(f"{entry.key} must be one of {' | '.join(spec.choices)}, not {value!r}",
                        entry.line, entry.key)
    if kind == "path" or (kind == "tls" and isinstance(value, str)):
        path = Path(value).expanduser()
        path = path if path.is_absolute() else base / path
        if kind == "tls":
            if not path.is_file():
                raise doc.error(f"{entry.key}: CA bundle {path} not found", entry.line, entry.key)
            return str(path)
        return path
    return str(value) if kind == "project" else value
