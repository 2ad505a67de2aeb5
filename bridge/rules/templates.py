"""`{field}` templates over source fields, checked when the mapping compiles, filled with no eval.

Python's `str.format` would also reach attributes (`{title.__class__}`), so a
template is parsed once into literal text and plain field names, and rendering
only ever joins strings.
"""

from __future__ import annotations

import string
from collections.abc import Collection, Mapping
from typing import Any

from bridge.rules.yamlnodes import suggest


class TemplateError(ValueError):
    """The template text is wrong; the message says how, for a ConfigError."""


def render_value(value: Any) -> str:
    """How one field reads inside text: null is empty, booleans are true/false."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Template:
    """A parsed template: literal text and field names, in order."""

    def __init__(self, text: str, known: Collection[str]) -> None:
        self.text = text
        self._parts: list[tuple[str, str | None]] = []
        try:
            parsed = list(string.Formatter().parse(text))
        except ValueError as exc:
            raise TemplateError(f"template {text!r} is malformed ({exc}); "
                                "write {{ and }} for literal braces") from None
        for literal, name, spec, conversion in parsed:
            if name is not None:
                self._check(name, spec, conversion, known)
            self._parts.append((literal, name))

    @property
    def fields(self) -> list[str]:
        """The field names the template uses, in order."""
        return [name for _, name in self._parts if name is not None]

    def render(self, record: Mapping[str, Any]) -> str:
        """The text with each `{field}` replaced by the record's value."""
        return "".join(literal + (render_value(record.get(name)) if name is not None else "")
                       for literal, name in self._parts)

    def _check(self, name: str, spec: str | None, conversion: str | None,
               known: Collection[str]) -> None:
        if name == "":
            raise TemplateError(f"template {self.text!r} has an empty placeholder {{}}; "
                                "name a field, such as {title}")
        if name not in known:
            raise TemplateError(f"template {self.text!r} names unknown field '{name}'"
                                f"{suggest(name, known)}; known: {', '.join(sorted(known))}")
        if spec or conversion:
            raise TemplateError(f"template {self.text!r}: placeholders take no format or "
                                f"conversion; write {{{name}}}")
