"""The closed registry of named transforms a rule's `apply` chain may use.

Each transform is a small class: settings checked in `build` when the mapping
compiles (with file and line on any error), work done in `__call__` once per
record. A null value passes through every transform untouched, so `default`
can fill it in afterwards.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import yaml

from bridge.rules.dates import DateSettings, parse_time, parse_zone
from bridge.rules.templates import Template, TemplateError, render_value
from bridge.rules.yamlnodes import Reader
from bridge.slugs import make_slug

Record = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class BuildContext:
    """What a transform may need when it compiles: the reader, the rule, defaults, known fields."""

    reader: Reader
    rule: str
    dates: DateSettings
    fields: Collection[str]
    at: yaml.Node  # the list item naming the transform, for errors about it


class Transform(Protocol):
    """One step of an `apply` chain."""

    def __call__(self, value: Any, record: Record) -> Any: ...

    def describe(self) -> str: ...


class _NoArgs(abc.ABC):
    """A transform that takes no settings; writing some is an error, not silently ignored."""

    name: ClassVar[str]
    words: ClassVar[str]

    @classmethod
    def build(cls, ctx: BuildContext, arg: yaml.Node | None) -> Transform:
        if arg is not None:
            raise ctx.reader.error(arg, ctx.rule, f"transform '{cls.name}' takes no settings; "
                                   f"write it as a plain `{cls.name}`")
        return cls()

    @abc.abstractmethod
    def __call__(self, value: Any, record: Record) -> Any:
        """The transformed value; each concrete transform says how."""

    def describe(self) -> str:
        return self.words


class Slugify(_NoArgs):
    """Transliterate and clean into a slug: «Релиз 1.0» -> `reliz-1-0`."""

    name, words = "slugify", "slugify"

    def __call__(self, value: Any, record: Record) -> Any:
        return None if value is None else make_slug(render_value(value))


class Strip(_NoArgs):
    """Trim white space at both ends."""

    name, words = "strip", "strip"

    def __call__(self, value: Any, record: Record) -> Any:
        return None if value is None else render_value(value).strip()


class Lower(_NoArgs):
    """Lower-case."""

    name, words = "lower", "lower-case"

    def __call__(self, value: Any, record: Record) -> Any:
        return None if value is None else render_value(value).lower()


class Truncate:
    """Keep at most N characters: `{truncate: 255}`."""

    name = "truncate"

    def __init__(self, length: int) -> None:
        self.length = length

    @classmethod
    def build(cls, ctx: BuildContext, arg: yaml.Node | None) -> Transform:
        if arg is None:
            raise ctx.reader.error(ctx.at, ctx.rule, "transform 'truncate' needs a length; "
                                   "write {truncate: 255}")
        return cls(ctx.reader.integer(arg, ctx.rule, "the length of truncate", minimum=1))

    def __call__(self, value: Any, record: Record) -> Any:
        return None if value is None else render_value(value)[: self.length]

    def describe(self) -> str:
        return f"cut to {self.length} characters"


class DateToDatetime:
    """A calendar date at a time of day in a zone: `date_to_datetime` or with `{time:, zone:}`."""

    name = "date_to_datetime"

    def __init__(self, settings: DateSettings) -> None:
        self.settings = settings

    @classmethod
    def build(cls, ctx: BuildContext, arg: yaml.Node | None) -> Transform:
        return cls(read_date_settings(ctx.reader, arg, ctx.rule, ctx.dates))

    def __call__(self, value: Any, record: Record) -> Any:
        if value is None or value == "":
            return None
        return self.settings.convert(value)

    def describe(self) -> str:
        return f"date placed at {self.settings.describe()}"


class TemplateStep:
    """Text with `{field}` placeholders over source fields, and `{value}` for the value so far."""

    name = "template"

    def __init__(self, template: Template) -> None:
        self.template = template

    @classmethod
    def build(cls, ctx: BuildContext, arg: yaml.Node | None) -> Transform:
        if arg is None:
            raise ctx.reader.error(ctx.at, ctx.rule, "transform 'template' needs its text; "
                                   'write {template: "{value} ({web_url})"}')
        text = ctx.reader.text(arg, ctx.rule, "template")
        try:
            return cls(Template(text, [*ctx.fields, "value"]))
        except TemplateError as exc:
            raise ctx.reader.error(arg, ctx.rule, str(exc)) from None

    def __call__(self, value: Any, record: Record) -> Any:
        return self.template.render({**record, "value": value})

    def describe(self) -> str:
        return f"template {self.template.text!r}"


Builder = Callable[[BuildContext, "yaml.Node | None"], Transform]

#: Every transform a mapping may name. Closed on purpose: no eval, no plug-ins.
REGISTRY: dict[str, Builder] = {
    "date_to_datetime": DateToDatetime.build,
    "lower": Lower.build,
    "slugify": Slugify.build,
    "strip": Strip.build,
    "template": TemplateStep.build,
    "truncate": Truncate.build,
}

def read_date_settings(reader: Reader, node: yaml.Node | None, rule: str,
                       base: DateSettings) -> DateSettings:
    """`{time: "09:00", zone: Europe/Berlin}` over `base`; either key may be left out."""
    if node is None:
        return base
    entries = reader.entries(node, rule, "a mapping such as {time: \"00:00\", zone: UTC}")
    reader.refuse_unknown(entries, ("time", "zone"), rule, "date setting")
    at, zone, zone_name = base.at, base.zone, base.zone_name
    for key, _, value in entries:
        text = reader.text(value, rule, key)
        if key == "time":
            parsed_time = parse_time(text)
            if parsed_time is None:
                raise reader.error(value, rule, f"time {text!r} is not a time of day such as "
                                   "\"00:00\" or \"09:30\"")
            at = parsed_time
        else:
            parsed_zone = parse_zone(text)
            if parsed_zone is None:
                raise reader.error(value, rule, f"zone {text!r} is unknown; write UTC, an "
                                   "offset such as +03:00, or a name such as Europe/Berlin")
            zone, zone_name = parsed_zone, text.strip()
    return DateSettings(at, zone, zone_name)
