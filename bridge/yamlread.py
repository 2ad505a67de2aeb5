"""YAML read as nodes, so every complaint about a user's file can name its file, line and key.

Both user files are read through here: the config by `bridge.configfile` and
the mapping by `bridge.rules.yamlnodes`. What they share exists once: reading and
composing a file, describing a node in a message, the nearest known key, and
walking a mapping's keys refusing one given twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bridge.errors import ConfigError

NULL = "tag:yaml.org,2002:null"
BOOL = "tag:yaml.org,2002:bool"
INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"

#: The largest config or mapping file read (1 MiB); real ones are a few kilobytes.
MAX_FILE_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class Wording:
    """How one kind of file words the problems of the file as a whole."""

    unreadable: str  # starts the message for a file that cannot be read
    syntax: str  # starts the message for a YAML syntax error
    empty: str  # the whole message for an empty file
    missing: str | None = None  # the whole message for a missing file; else `unreadable`'s


def compose(path: Path, wording: Wording) -> Node:
    """The root node of a YAML file; an unreadable, malformed or empty file is a ConfigError."""
    name = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            # Configs and mappings are a few kilobytes; a huge file is the wrong file, and
            # parsing it would take minutes before saying so.
            raise ConfigError(f"{wording.unreadable}: the file is {size:,} bytes, more than "
                              f"the {MAX_FILE_BYTES:,} a config or mapping may have; is it "
                              "the right file?", file=name)
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        if isinstance(exc, FileNotFoundError) and wording.missing is not None:
            raise ConfigError(wording.missing, file=name) from None
        raise ConfigError(f"{wording.unreadable}: {exc.__class__.__name__}: "
                          f"{getattr(exc, 'strerror', None) or exc}", file=name) from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "not valid YAML"
        raise ConfigError(f"{wording.syntax}: {problem}", file=name,
                          line=mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        # A reader error (a control character, say) has no mark and a second line of
        # position details; the first line says what is wrong, and errors are one line.
        problem = str(exc).splitlines()[0] if str(exc) else "not valid YAML"
        raise ConfigError(f"not valid YAML: {problem}", file=name) from None
    # `---` alone or a bare '' composes to an empty scalar, which is no more use than nothing.
    if root is None or (isinstance(root, ScalarNode) and root.value.strip() == ""):
        raise ConfigError(wording.empty, file=name, line=1)
    return root


def error_at(file: str, message: str, where: Node | int | None, key: str | None = None
             ) -> ConfigError:
    """A ConfigError in `file` at a node's line (or a given line, or none)."""
    line = where.start_mark.line + 1 if isinstance(where, Node) else where
    return ConfigError(message, file=file, line=line, key=key)


def construct(node: Node) -> Any:
    """The Python value of a node, as YAML's safe loader types it."""
    return SafeConstructor().construct_object(node, deep=True)


_BRIEF: Any = object()
_KINDS = {NULL: "nothing (null)", BOOL: "true/false", INT: "a number", _FLOAT: "a number"}


def describe(node: Node, value: Any = _BRIEF) -> str:
    """How a node reads in 'must be X, not Y' messages.

    Collections read as "a mapping" or "a list". A scalar reads as its kind
    ("a number", "text"), or, when its constructed `value` is given, as that
    value ("the number 3", "the text 'x'").
    """
    if isinstance(node, MappingNode | SequenceNode):
        return "a mapping" if isinstance(node, MappingNode) else "a list"
    if value is _BRIEF:
        return _KINDS.get(node.tag, "text")
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, int | float):
        return f"the number {value}"
    return f"the text {str(value)!r}"


def nearest(word: str, options: Iterable[str]) -> str | None:
    """The option closest to a mistyped `word`, if one is close enough to suggest."""
    import difflib  # noqa: PLC0415 - only for a mistake: a good config starts without it

    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return close[0] if close else None


def pairs(node: MappingNode, key_text: Callable[[Node], str],
          twice: Callable[[str, Node, str], ConfigError]) -> Iterator[tuple[str, Node, Node]]:
    """(key, key node, value node) for each `key: value` of a mapping, in file order.

    `key_text` reads a key node (or raises); a key seen before raises
    `twice(key, its second node, "is given twice (first on line N)")`.
    """
    first: dict[str, int] = {}
    for key_node, value_node in node.value:
        key = key_text(key_node)
        if key in first:
            raise twice(key, key_node, f"is given twice (first on line {first[key]})")
        first[key] = key_node.start_mark.line + 1
        yield key, key_node, value_node
