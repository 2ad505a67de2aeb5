"""The many-project config of SPEC §14: `projects:` or `discover:`, plus `fleet:` settings.

The shared sections (source, target, http, mirror, ...) are read by `load_config(fleet=True)`;
this module reads only the keys that name the projects, with file:line on every problem.
"""

from __future__ import annotations

import os
import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bridge.config import _SECTIONS, FLEET_KEYS, Config, load_config
from bridge.configfile import Entry, Spec, YamlFile, convert
from bridge.errors import BridgeError
from bridge.yamlread import describe

#: What `discover.target_repo` may use: the project's own path, its namespace, both ("/" -> "-").
PLACEHOLDERS = ("path", "namespace", "full_path")
DEFAULT_PARALLEL = 4

_ENTRY_KEYS = ("source", "target", "mapping", "checkpoint", "transfer")
_DISCOVER_KEYS = ("group", "target_repo", "subgroups")


@dataclass(frozen=True, slots=True)
class ProjectSpec:
    """One project of a fleet: the GitLab project, its SourceCraft repo, its own overrides."""

    source: str  # the GitLab project path (or numeric id)
    target: str  # the repository, in target.org
    line: int | None = None  # where the config names it (None: discovered)
    mapping: Path | None = None
    checkpoint: Path | None = None
    transfer: Mapping[str, bool] | None = None  # as written: the file's keys, then the entry's


@dataclass(frozen=True, slots=True)
class DiscoverSpec:
    """List the projects of GitLab groups instead of naming them."""

    groups: tuple[str, ...]
    target_repo: str = "{path}"
    subgroups: bool = False  # v4's include_subgroups; API v3 has no nested groups to include
    line: int | None = None


@dataclass(frozen=True)
class FleetConfig:
    """The shared config, the projects (named or to discover), and how many run at once."""

    base: Config  # source.project and target.repo are empty: each project fills them in
    projects: tuple[ProjectSpec, ...]
    discover: DiscoverSpec | None
    parallel: int
    checkpoint_dir: Path  # each project's default checkpoint is <dir>/<org>-<repo>


def is_fleet_config(path: Path) -> bool:
    """True when the file's top level has `projects:`, `discover:` or `fleet:` (cheap, no checks).

    Anything unreadable is "no": the one-project loader then reports it properly.
    """
    try:
        doc = YamlFile(path)
    except BridgeError:  # any problem is reported by the real loader
        return False
    return any(isinstance(key, ScalarNode) and key.value in FLEET_KEYS
               for key, _ in doc.root.value)


def load_fleet(path: str | Path, *, env: Mapping[str, str] | None = None,
               require_tokens: bool = True) -> FleetConfig:
    """Read a many-project config; ConfigError with file:line for every problem."""
    path = Path(path)
    base = load_config(path, env=os.environ if env is None else env,
                       require_tokens=require_tokens, fleet=True)
    doc = YamlFile(path)
    folder = path.resolve().parent
    names = [k.value for k, _ in doc.root.value if isinstance(k, ScalarNode)]
    top = doc.entries(doc.root, "", names)
    if "projects" in top and "discover" in top:
        raise doc.error("give projects: or discover:, not both", top["discover"].line,
                        "discover")
    if "projects" not in top and "discover" not in top:
        raise doc.error("fleet: needs a projects: list or a discover: section", top["fleet"].line,
                        "fleet")
    checkpoint_dir = folder / ".scbridge"
    if "checkpoint" in top:  # in a fleet config it names the folder of the projects' checkpoints
        checkpoint_dir = convert(doc, top["checkpoint"], Spec("path"), folder)
    projects: tuple[ProjectSpec, ...] = ()
    discover = None
    if "projects" in top:
        projects = _projects(doc, top["projects"], folder, top)
    else:
        discover = _discover(doc, top["discover"], base)
    return FleetConfig(base=base, projects=projects, discover=discover,
                       parallel=_parallel(doc, top.get("fleet")), checkpoint_dir=checkpoint_dir)


def _mapping_node(doc: YamlFile, entry: Entry) -> MappingNode:
    if not isinstance(entry.node, MappingNode):
        raise doc.error(f"{entry.key} must be a mapping of keys, not "
                        f"{describe(entry.node, doc.value(entry.node))}", entry.line, entry.key)
    return entry.node


def _parallel(doc: YamlFile, entry: Entry | None) -> int:
    if entry is None:
        return DEFAULT_PARALLEL
    found = doc.entries(_mapping_node(doc, entry), "fleet", ("parallel",))
    if "parallel" not in found:
        return DEFAULT_PARALLEL
    return int(convert(doc, found["parallel"], Spec("int", low=1, high=64), Path()))


def _projects(doc: YamlFile, entry: Entry, folder: Path, top: Mapping[str, Entry]
              ) -> tuple[ProjectSpec, ...]:
    node = entry.node
    if not isinstance(node, SequenceNode) or not node.value:
        raise doc.error("projects must be a non-empty list of {source: ..., target: ...}",
                        entry.line, "projects")
    specs: list[ProjectSpec] = []
    shared = _transfer_keys(doc, top["transfer"]) if "transfer" in top else {}
    seen: dict[str, dict[object, int]] = {"source": {}, "target": {}, "checkpoint": {}}
    for index, item in enumerate(node.value):
        key, line = f"projects[{index}]", item.start_mark.line + 1
        if not isinstance(item, MappingNode):
            raise doc.error(f"{key} must be a mapping like {{source: group/api, target: api}}, "
                            f"not {describe(item, doc.value(item))}", line, key)
        found = doc.entries(item, key, _ENTRY_KEYS)
        for required in ("source", "target"):
            if required not in found:
                raise doc.error(f"missing required key {key}.{required}", line,
                                f"{key}.{required}")
        source = str(convert(doc, found["source"], Spec("project"), folder)).strip().strip("/")
        target = _repo_name(doc, found["target"])
        spec = ProjectSpec(
            source=source, target=target, line=line,
            mapping=convert(doc, found["mapping"], Spec("path"), folder)
            if "mapping" in found else None,
            checkpoint=convert(doc, found["checkpoint"], Spec("path"), folder)
            if "checkpoint" in found else None,
            transfer=_transfer(doc, found["transfer"], shared) if "transfer" in found else None)
        for what, value in (("source", source.lower()), ("target", target),
                            ("checkpoint", spec.checkpoint)):
            if value is not None and value in seen[what]:
                raise doc.error(f"{key}.{what} {value} is already used by the project on line "
                                f"{seen[what][value]}: each project needs its own",
                                found[what].line, f"{key}.{what}")
            seen[what][value] = found[what].line if what in found else line
        specs.append(spec)
    return tuple(specs)


def _repo_name(doc: YamlFile, entry: Entry) -> str:
    name = str(convert(doc, entry, Spec("str"), Path())).strip()
    if "/" in name or any(c.isspace() for c in name):
        raise doc.error(f"{entry.key} {name!r} must be a repository name in target.org, "
                        "without a slash or spaces", entry.line, entry.key)
    return name


def _transfer(doc: YamlFile, entry: Entry, shared: Mapping[str, bool]) -> dict[str, bool]:
    """The entry's `transfer:` over the file's own: the keys as written (milestones, ...)."""
    return {**shared, **_transfer_keys(doc, entry)}


def _transfer_keys(doc: YamlFile, entry: Entry) -> dict[str, bool]:
    specs = _SECTIONS["transfer"]
    found = doc.entries(_mapping_node(doc, entry), entry.key, specs)
    return {name: bool(convert(doc, item, specs[name], Path())) for name, item in found.items()}


def _discover(doc: YamlFile, entry: Entry, base: Config) -> DiscoverSpec:
    found = doc.entries(_mapping_node(doc, entry), "discover", _DISCOVER_KEYS)
    if "group" not in found:
        raise doc.error("missing required key discover.group", entry.line, "discover.group")
    groups = _groups(doc, found["group"])
    template = "{path}"
    if "target_repo" in found:
        template = str(convert(doc, found["target_repo"], Spec("str"), Path()))
        _check_template(doc, found["target_repo"], template)
    subgroups = False
    if "subgroups" in found:
        subgroups = bool(convert(doc, found["subgroups"], Spec("bool"), Path()))
        if subgroups and base.source.api_version != "v4":
            raise doc.error("discover.subgroups: API v3 has no nested groups to include; "
                            "name each subgroup in discover.group, or use api_version: v4",
                            found["subgroups"].line, "discover.subgroups")
    return DiscoverSpec(groups=groups, target_repo=template, subgroups=subgroups,
                        line=entry.line)


def _groups(doc: YamlFile, entry: Entry) -> tuple[str, ...]:
    nodes: list[Node] = entry.node.value if isinstance(entry.node, SequenceNode) else [entry.node]
    groups: list[str] = []
    for node in nodes:
        value = doc.value(node) if isinstance(node, ScalarNode) else None
        if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
            raise doc.error(f"discover.group must be a group path (or a list of them), not "
                            f"{describe(node, value)}", node, "discover.group")
        groups.append(str(value).strip().strip("/"))
    if not groups:
        raise doc.error("discover.group is an empty list", entry.line, "discover.group")
    return tuple(dict.fromkeys(groups))


def _check_template(doc: YamlFile, entry: Entry, template: str) -> None:
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as exc:
        raise doc.error(f"discover.target_repo {template!r}: {exc}", entry.line,
                        entry.key) from None
    unknown = [name for name in fields if name not in PLACEHOLDERS]
    if unknown:
        raise doc.error(f"discover.target_repo {template!r}: unknown placeholder "
                        f"{{{unknown[0]}}}; known: "
                        f"{', '.join('{' + p + '}' for p in PLACEHOLDERS)}", entry.line, entry.key)
    if "/" in template:
        raise doc.error(f"discover.target_repo {template!r}: a repository name has no slash "
                        "({namespace} and {full_path} put - for /)", entry.line, entry.key)
    if not fields:
        raise doc.error(f"discover.target_repo {template!r} names one repository for every "
                        "project; use a placeholder such as {path}", entry.line, entry.key)
