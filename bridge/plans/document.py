"""The saved plan file: a versioned, checksummed JSON document, and the checks before it is used.

The plan names its source and target, the hashes of the config and mapping
files it was made with (never a token: tokens are not in the config file), and
every action (`bridge.plans.entries`). Its `checksum` is the sha256 of the
canonical JSON of everything else, so a damaged or hand-edited plan is refused,
as is one of a newer format or for another project. The format is described by
`docs/plan.schema.json`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from hashlib import sha256
from pathlib import Path
from typing import Any

from bridge import __version__
from bridge.config import Config
from bridge.errors import ConfigError

FORMAT = "scbridge-plan"
#: The plan format this scbridge writes and reads; a plan of another one is refused. Format 2
#: lists the PATCHes that complete issue references (format 1 left them out).
PLAN_VERSION = 2
_REQUIRED = {"format": str, "version": int, "command": str, "source": dict, "target": dict,
             "config_sha256": str, "mapping_sha256": str, "kinds": list, "actions": list,
             "checksum": str}
_ACTION = {"kind": str, "source_id": int, "action": str, "writes": list}


def file_sha256(path: Path) -> str:
    """The sha256 of a file's bytes."""
    try:
        return sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc


def identity(config: Config) -> dict[str, Any]:
    """What a plan must match in the config that applies it: source, target, file hashes."""
    return {"source": {"url": config.source.url.rstrip("/"), "project": config.source.project},
            "target": {"url": config.target.url.rstrip("/"), "org": config.target.org,
                       "repo": config.target.repo},
            "config_sha256": file_sha256(config.path),
            "mapping_sha256": file_sha256(config.mapping)}


def checksum(doc: Mapping[str, Any]) -> str:
    """The sha256 of the canonical JSON of the document without its checksum."""
    body = {key: value for key, value in doc.items() if key != "checksum"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + sha256(text.encode()).hexdigest()


def build(config: Config, *, command: str, kinds: Sequence[str],
          actions: Sequence[Mapping[str, Any]], notes: Sequence[str] = ()) -> dict[str, Any]:
    """The plan document, checksum included."""
    summary: dict[str, dict[str, int]] = {}
    for entry in actions:
        counts = summary.setdefault(str(entry["kind"]), {})
        counts[str(entry["action"])] = counts.get(str(entry["action"]), 0) + 1
    doc: dict[str, Any] = {
        "format": FORMAT, "version": PLAN_VERSION, "made_by": f"scbridge {__version__}",
        "made_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "command": command,
        "config_path": str(config.path), **identity(config), "kinds": list(kinds),
        "notes": list(notes), "summary": summary, "actions": list(actions)}
    doc["checksum"] = checksum(doc)
    return doc


def save(doc: Mapping[str, Any], path: Path) -> None:
    """Write the plan atomically (a temporary file renamed over `path`)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ConfigError(f"--plan-out {path}: cannot write: {exc.strerror or exc}") from exc


def load(path: Path) -> dict[str, Any]:
    """The plan at `path`, refused (exit 2, one line) if unreadable, newer, damaged or edited."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the plan: {exc.strerror or exc}") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not a scbridge plan (damaged: {exc})") from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ConfigError(f"{path}: not a scbridge plan")
    version = doc.get("version")
    if isinstance(version, int) and version > PLAN_VERSION:
        raise ConfigError(f"{path}: made by a newer scbridge ({doc.get('made_by')}, plan "
                          f"format {version}); this one reads format {PLAN_VERSION}: upgrade")
    if isinstance(version, int) and version < PLAN_VERSION:
        raise ConfigError(f"{path}: made by an older scbridge ({doc.get('made_by')}, plan "
                          f"format {version}); this one reads format {PLAN_VERSION}: make the "
                          "plan again with --dry-run --plan-out")
    for key, typ in _REQUIRED.items():
        if not isinstance(doc.get(key), typ):
            raise ConfigError(f"{path}: damaged plan: '{key}' missing or not a {typ.__name__}")
    if doc["checksum"] != checksum(doc):
        raise ConfigError(f"{path}: the plan is damaged or was edited by hand (checksum "
                          "mismatch); make it again with --dry-run --plan-out")
    for index, entry in enumerate(doc["actions"]):
        if not isinstance(entry, dict) or any(not isinstance(entry.get(k), t)
                                              for k, t in _ACTION.items()):
            raise ConfigError(f"{path}: damaged plan: action {index} is malformed")
    return doc


def check_identity(doc: Mapping[str, Any], config: Config, path: Path) -> None:
    """Refuse (exit 2) a plan for another project or target, or made with another config."""
    mine = identity(config)
    for part, what in (("target", "SourceCraft repository"), ("source", "GitLab project")):
        if doc[part] != mine[part]:
            want = " ".join(str(v) for v in doc[part].values())
            have = " ".join(str(v) for v in mine[part].values())
            raise ConfigError(f"{path}: this plan is for another {what} ({want}); the config "
                              f"names {have}")
    for key, what in (("config_sha256", f"config {config.path}"),
                      ("mapping_sha256", f"mapping {config.mapping}")):
        if doc[key] != mine[key]:
            raise ConfigError(f"{path}: the {what} changed since the plan was made; make the "
                              "plan again")
