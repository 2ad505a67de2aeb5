"""Turning a mapping file into a CompiledMapping, refusing any mistake with its file and line."""

from __future__ import annotations

import functools
import importlib.resources
from pathlib import Path

import yaml

from bridge.models import TARGET_FIELDS, SourceMilestone
from bridge.rules.dates import DateSettings
from bridge.rules.fields import FieldRule, compile_rule
from bridge.rules.filters import Filters, compile_section
from bridge.rules.mapping import CompiledMapping
from bridge.rules.sections import SECTIONS, SectionRules
from bridge.rules.sections import compile_section as compile_kind_section
from bridge.rules.transforms import read_date_settings
from bridge.rules.yamlnodes import Reader

TOP_KEYS = ("version", "dates", "slugs", "references", "milestone", "label", "issue",
            "include", "exclude")
SUPPORTED_VERSIONS = (1,)
#: SourceCraft fields a mapping must give a rule for; the others may be left out.
REQUIRED = ("name", "slug", "status")
#: Source fields a rule may read (`from`) or a template may name (`{field}`).
SOURCE_FIELDS: tuple[str, ...] = tuple(SourceMilestone.__slots__)


def load_mapping(path: str | Path) -> CompiledMapping:
    """Read and compile a mapping file; any problem is a ConfigError naming file, line and rule."""
    path = Path(path)
    reader = Reader(str(path))
    root = reader.load(path)
    entries = reader.entries(root, None, "a mapping with `version: 1` and a `milestone:` section")
    reader.refuse_unknown(entries, TOP_KEYS, None)
    found = {key: (key_node, value) for key, key_node, value in entries}
    version = _version(reader, root, found.get("version"))
    dates = DateSettings()
    if "dates" in found:
        dates = read_date_settings(reader, found["dates"][1], "dates", dates)
    follow = _switch(reader, found.get("slugs"), "slugs", "follow_renames", default=False,
                     what="slug setting")
    rewrite = _switch(reader, found.get("references"), "references", "rewrite", default=True,
                      what="reference setting")
    if "milestone" not in found:
        raise reader.error(root, "milestone", "missing: the section that says where each "
                           "SourceCraft field comes from")
    rules = _rules(reader, *found["milestone"], dates)
    sections = {name: compile_section(reader, found[name][1], name)
                for name in ("include", "exclude") if name in found}
    filters = Filters(include=sections.get("include", ()), exclude=sections.get("exclude", ()))
    kinds = {kind: compile_kind_section(reader, kind, *found[kind], dates)
             for kind in SECTIONS if kind in found}
    return CompiledMapping(path=path, file=reader.file, version=version, rules=rules,
                           filters=filters, dates=dates, slugs_follow_renames=follow,
                           sections=kinds, rewrite_references=rewrite)


def _switch(reader: Reader, found: tuple[yaml.Node, yaml.Node] | None, section: str, key: str,
            *, default: bool, what: str) -> bool:
    """A section holding one true/false setting (`slugs.follow_renames`, `references.rewrite`)."""
    if found is None:
        return default
    entries = reader.entries(found[1], section, "a mapping")
    reader.refuse_unknown(entries, (key,), section, what)
    value = default
    for _, _, node in entries:
        value = reader.boolean(node, f"{section}.{key}", key)
    return value


def _version(reader: Reader, root: yaml.Node, found: tuple[yaml.Node, yaml.Node] | None) -> int:
    if found is None:
        raise reader.error(root, "version", "missing; write `version: 1` at the top")
    version = reader.integer(found[1], "version", "version", minimum=0)
    if version not in SUPPORTED_VERSIONS:
        raise reader.error(found[1], "version", f"version {version} is not supported; this "
                           f"scbridge reads version {', '.join(map(str, SUPPORTED_VERSIONS))}")
    return version


def _rules(reader: Reader, key_node: yaml.Node, node: yaml.Node,
           dates: DateSettings) -> dict[str, FieldRule]:
    entries = reader.entries(node, "milestone", "a mapping of SourceCraft fields to rules")
    reader.refuse_unknown(entries, TARGET_FIELDS, "milestone", "SourceCraft field")
    rules = {target: compile_rule(reader, target, value, dates, SOURCE_FIELDS)
             for target, _, value in entries}
    missing = [name for name in REQUIRED if name not in rules]
    if missing:
        raise reader.error(key_node, "milestone", f"no rule for {', '.join(missing)}; "
                           "SourceCraft needs name, slug and status")
    return rules


@functools.cache
def bundled_sections() -> dict[str, SectionRules]:
    """The bundled mapping's `label:` and `issue:` rules, for a mapping that has none."""
    bundled = Path(str(importlib.resources.files("bridge").joinpath(
        "data", "gitlab-v3-to-sourcecraft.yaml")))
    mapping = load_mapping(bundled)
    return {kind: mapping.section(kind) for kind in SECTIONS}
