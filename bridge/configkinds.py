"""What a config says about the tracker: which kinds move (`transfer:`), whose (`users:`)."""

from __future__ import annotations

from collections.abc import Mapping

from yaml.nodes import MappingNode, ScalarNode

from bridge.configfile import Entry, YamlFile
from bridge.yamlread import describe

#: Which kinds a run moves by default: milestones only, as before `transfer:` existed.
TRANSFER_DEFAULTS = {"milestones": True, "labels": False, "issues": False, "comments": False}


def transfer_kinds(transfer: Mapping[str, bool]) -> dict[str, bool]:
    """`transfer:` as kind names; issues bring the labels and milestones they point at."""
    on = {**TRANSFER_DEFAULTS, **transfer}
    comments = bool(on["comments"])
    issues = bool(on["issues"]) or comments  # comments live on issues
    return {"label": bool(on["labels"]) or issues, "milestone": bool(on["milestones"]) or issues,
            "issue": issues, "comment": comments}


def read_users(doc: YamlFile, entry: Entry | None) -> dict[str, str]:
    """`users:`, GitLab username -> SourceCraft user slug, both plain strings."""
    if entry is None or (isinstance(entry.node, ScalarNode) and doc.value(entry.node) is None):
        return {}
    if not isinstance(entry.node, MappingNode):
        raise doc.error("users must map GitLab usernames to SourceCraft user slugs, not "
                        f"{describe(entry.node, doc.value(entry.node))}", entry.line, "users")
    users: dict[str, str] = {}
    for key_node, value_node in entry.node.value:
        name, slug = doc.value(key_node), doc.value(value_node)
        if not isinstance(name, str) or not isinstance(slug, str) or not slug.strip():
            raise doc.error(f"users.{name}: give the SourceCraft user slug as a string",
                            key_node.start_mark.line + 1, f"users.{name}")
        users[name] = slug.strip()
    return users
