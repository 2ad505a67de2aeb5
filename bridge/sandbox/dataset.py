"""What the sandbox starts with: a GitLab project with milestones and issues, a SourceCraft repo."""

from __future__ import annotations

import copy
import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bridge.errors import ConfigError

#: Where `dataset="demo"` comes from. In a checkout bridge/sandbox/demo.yaml is a symlink to
#: examples/sandbox/demo.yaml (the file people read); a wheel carries the file itself.
_DEMO_NAME = "demo.yaml"
_HERE = Path(__file__).resolve().parent
_SEARCH = (_HERE, _HERE.parents[1] / "examples" / "sandbox")

DEFAULT_TIME = "2016-01-04T15:31:39.996Z"


@dataclass(frozen=True, slots=True)
class SyntheticSpec:
    """A generated project: issues are computed from their index, never stored."""

    milestones: int = 300
    issues: int = 30_000
    seed: int = 0
    notes: int = 0  # user notes in all, spread exactly over 4 issues in 5
    labels: int = 6  # GitLab labels; issues carry the first six by their hash, then the rest


@dataclass(slots=True)
class Dataset:
    """The initial state of both fakes; the Sandbox copies it, so one Dataset can seed many runs."""

    name: str
    project: dict[str, Any]
    users: list[dict[str, Any]]
    milestones: list[dict[str, Any]]  # stored GitLab milestones; `hidden: true` ones are not listed
    issues: list[dict[str, Any]]  # stored issues; `milestone` is a milestone id or None
    labels: list[dict[str, Any]] = field(default_factory=list)  # GitLab labels, group ones too
    notes: list[dict[str, Any]] = field(default_factory=list)  # issue notes, in database order
    org: str = "demo-org"
    repo: str = "demo-repo"
    target_milestones: list[dict[str, Any]] = field(default_factory=list)  # already on SourceCraft
    target_labels: list[dict[str, Any]] = field(default_factory=list)  # CreateLabelBody fields
    target_users: list[dict[str, Any]] = field(default_factory=list)  # {slug, display_name?, id?}
    target_issues: list[dict[str, Any]] = field(default_factory=list)  # CreateIssueBody fields
    gitlab_version: str = "8.17.8"
    synthetic: SyntheticSpec | None = None

    @classmethod
    def synthetic_project(cls, milestones: int = 300, issues: int = 30_000,
                          seed: int = 0, notes: int = 0, labels: int = 6) -> Dataset:
        """A large generated project (SPEC §10): `milestones` milestones, `issues` issues."""
        # synthetic.py needs SyntheticSpec from here: import late to keep the cycle harmless.
        from bridge.sandbox.synthetic import synthetic_labels, synthetic_milestones  # noqa: PLC0415

        spec = SyntheticSpec(milestones=milestones, issues=issues, seed=seed, notes=notes,
                             labels=labels)
        return cls(name=f"synthetic-{milestones}-{issues}-{seed}",
                   project=_project({"id": 7, "path": "big-group/big-project"}),
                   users=[_user({"id": 1, "username": "root", "name": "Administrator"})],
                   milestones=synthetic_milestones(spec), issues=[], org="big-org",
                   repo="big-repo", synthetic=spec,
                   labels=[_label(raw, n) for n, raw in
                           enumerate(synthetic_labels(spec), start=1)])

    def copy(self) -> Dataset:
        """A deep copy the fakes may mutate."""
        return copy.deepcopy(self)


def load_dataset(spec: str | Path | Dataset) -> Dataset:
    """`"demo"`, a path to a .yaml/.json dataset, or a Dataset, as a fresh mutable copy."""
    if isinstance(spec, Dataset):
        return spec.copy()
    if str(spec) == "demo":
        for folder in _SEARCH:
            if (folder / _DEMO_NAME).is_file():
                return _load_file(str((folder / _DEMO_NAME).resolve())).copy()
        raise ConfigError(f"the demo dataset examples/sandbox/{_DEMO_NAME} was not found")
    return _load_file(str(Path(spec).resolve())).copy()


@functools.lru_cache(maxsize=8)
def _load_file(path: str) -> Dataset:
    try:
        text = Path(path).read_text(encoding="utf-8")
        raw = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read the sandbox dataset: {exc}", file=path) from None
    if not isinstance(raw, dict) or not isinstance(raw.get("gitlab"), dict):
        raise ConfigError("a sandbox dataset is a mapping with a `gitlab:` section", file=path)
    return from_dict(raw, name=Path(path).stem, file=path)


def from_dict(raw: dict[str, Any], *, name: str = "custom", file: str | None = None) -> Dataset:
    """Build a Dataset from its YAML/JSON form, filling the fields a real server would send."""
    gitlab = raw["gitlab"]
    target = raw.get("sourcecraft") or {}
    try:
        users = [_user(u) for u in gitlab.get("users") or []]
        milestones = [_milestone(m) for m in gitlab.get("milestones") or []]
        issues = [_issue(i, n) for n, i in enumerate(gitlab.get("issues") or [], start=1)]
        labels = [_label(raw, n) for n, raw in enumerate(gitlab.get("labels") or [], start=1)]
        notes = [_note(raw, n) for n, raw in enumerate(gitlab.get("notes") or [], start=1)]
        project = _project(gitlab.get("project") or {})
    except (KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(f"malformed sandbox dataset: {exc!r}", file=file) from None
    known = {m["id"] for m in milestones}
    for issue in issues:
        if issue["milestone"] is not None and issue["milestone"] not in known:
            raise ConfigError(f"issue {issue['iid']} names milestone id {issue['milestone']}, "
                              "which the dataset does not define", file=file)
    issue_ids = {i["id"] for i in issues}
    for note in notes:
        if note["issue"] not in issue_ids:
            raise ConfigError(f"note {note['id']} is on issue id {note['issue']}, "
                              "which the dataset does not define", file=file)
    return Dataset(name=name, project=project, users=users, milestones=milestones, issues=issues,
                   labels=labels, notes=notes,
                   org=str(target.get("org", "demo-org")),
                   repo=str(target.get("repo", "demo-repo")),
                   target_milestones=list(target.get("milestones") or []),
                   target_labels=list(target.get("labels") or []),
                   target_users=list(target.get("users") or []),
                   target_issues=list(target.get("issues") or []),
                   gitlab_version=str(gitlab.get("version", "8.17.8")))


def _user(raw: dict[str, Any]) -> dict[str, Any]:
    return {"id": int(raw["id"]), "username": str(raw["username"]),
            "name": str(raw.get("name", raw["username"])), "state": "active", "avatar_url": None}


def _project(raw: dict[str, Any]) -> dict[str, Any]:
    path = str(raw.get("path", "demo-group/demo-project"))
    name = raw.get("name", path.rsplit("/", maxsplit=1)[-1])
    return {"id": int(raw.get("id", 42)), "path": path, "name": str(name),
            "description": str(raw.get("description", "")),
            "created_at": str(raw.get("created_at", DEFAULT_TIME))}


def _milestone(raw: dict[str, Any]) -> dict[str, Any]:
    created = str(raw.get("created_at", DEFAULT_TIME))
    stored = {"id": int(raw["id"]), "iid": int(raw["iid"]), "title": str(raw["title"]),
              "description": raw.get("description", ""), "state": str(raw.get("state", "active")),
              "created_at": created, "updated_at": str(raw.get("updated_at", created)),
              "due_date": raw.get("due_date"), "start_date": raw.get("start_date"),
              "hidden": bool(raw.get("hidden", False))}
    if stored["state"] not in ("active", "closed"):
        raise TypeError(f"milestone {stored['id']}: state must be active or closed")
    return stored


def _issue(raw: dict[str, Any], number: int) -> dict[str, Any]:
    created = str(raw.get("created_at", DEFAULT_TIME))
    stored = {"id": int(raw.get("id", 1000 + number)), "iid": int(raw.get("iid", number)),
              "title": str(raw["title"]), "description": raw.get("description", ""),
              "state": str(raw.get("state", "opened")), "created_at": created,
              "updated_at": str(raw.get("updated_at", created)),
              "labels": list(raw.get("labels", [])),
              "milestone": raw.get("milestone"), "author": raw.get("author", "root"),
              "assignee": raw.get("assignee"), "due_date": raw.get("due_date"),
              "confidential": bool(raw.get("confidential", False))}
    if "user_notes_count" in raw:
        raise TypeError(f"issue {stored['iid']}: user_notes_count is counted from `notes:`")
    if stored["state"] not in ("opened", "closed", "reopened"):
        raise TypeError(f"issue {stored['iid']}: state must be opened, closed or reopened")
    return stored


def _label(raw: dict[str, Any], number: int) -> dict[str, Any]:
    name = str(raw["name"])
    if "," in name:
        raise TypeError(f"label {name!r}: GitLab label names have no comma")
    return {"id": int(raw.get("id", 10 + number)), "name": name,
            "color": str(raw.get("color", "#428BCA")),
            "description": raw.get("description"), "priority": raw.get("priority"),
            "group": bool(raw.get("group", False))}


def _note(raw: dict[str, Any], number: int) -> dict[str, Any]:
    created = str(raw.get("created_at", DEFAULT_TIME))
    return {"id": int(raw.get("id", 3000 + number)), "issue": int(raw["issue"]),
            "body": str(raw["body"]), "author": str(raw.get("author", "root")),
            "created_at": created, "updated_at": str(raw.get("updated_at", created)),
            "system": bool(raw.get("system", False)), "award": bool(raw.get("award", False)),
            "hidden": bool(raw.get("hidden", False)), "attachment": raw.get("attachment")}
