"""The config file of SPEC §3 as frozen dataclasses; nothing past `load_config` touches raw YAML."""

from __future__ import annotations

import importlib.resources
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from yaml.nodes import MappingNode, ScalarNode

from bridge.configfile import Entry, Spec, YamlFile, convert
from bridge.configkinds import read_users, transfer_kinds
from bridge.confignames import REFUSAL, check_names, check_url
from bridge.yamlread import describe


class Secret:
    """A token that never shows itself: its repr and str are masked, `reveal()` is explicit."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True, slots=True)
class SourceConfig:
    url: str  # server root; the client appends /api/v3 or /api/v4
    project: str  # path or numeric id
    api_version: str = "v3"
    token_env: str = "GITLAB_TOKEN"  # noqa: S105 - a variable name, not a token
    token_file: Path | None = None
    per_page: int = 100
    token: Secret | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class TargetConfig:
    org: str
    repo: str
    url: str = "https://api.sourcecraft.tech"
    token_env: str = "SOURCECRAFT_TOKEN"  # noqa: S105 - a variable name
    token_file: Path | None = None
    silent: bool = True
    page_size: int = 100
    token: Secret | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class HttpConfig:
    timeout_s: float = 30.0
    connect_timeout_s: float = 10.0
    max_attempts: int = 6
    max_backoff_s: float = 120.0
    max_wait_s: float = 600.0  # total time one request may spend waiting between attempts
    concurrency: int = 4
    verify_tls: bool | str = True  # or a CA bundle path


OnDeleted = Literal["keep", "close", "delete"]
OnTargetEdited = Literal["source-wins", "keep-target", "report"]


@dataclass(frozen=True, slots=True)
class MirrorConfig:
    on_deleted: OnDeleted = "keep"
    on_target_edited: OnTargetEdited = "source-wins"
    #: Per kind ("issue", ...): the settings that kind overrides (`mirror: {issues: {...}}`).
    kinds: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def for_kind(self, kind: str) -> MirrorConfig:
        """The policy one kind follows: the section's own, with that kind's overrides."""
        own = self.kinds.get(kind, {})
        return MirrorConfig(
            on_deleted=cast(OnDeleted, own.get("on_deleted", self.on_deleted)),
            on_target_edited=cast(OnTargetEdited,
                                  own.get("on_target_edited", self.on_target_edited)))


_POLICY: tuple[tuple[str, Spec], ...] = (
    ("on_deleted", Spec("enum", choices=("keep", "close", "delete"))),
    ("on_target_edited", Spec("enum", choices=("source-wins", "keep-target", "report"))))
#: `mirror:` keys that override the policy for one kind, and the kind each names.
MIRROR_KINDS = {"labels": "label", "milestones": "milestone", "issues": "issue",
                "comments": "comment"}


@dataclass(frozen=True, slots=True)
class Config:
    path: Path  # the config file, for messages and relative paths
    source: SourceConfig
    target: TargetConfig
    mapping: Path  # resolved; the bundled mapping by default
    checkpoint: Path  # resolved; .scbridge/<org>-<repo> beside the config by default
    http: HttpConfig = field(default_factory=HttpConfig)
    mirror: MirrorConfig = field(default_factory=MirrorConfig)
    allow_insecure_http: bool = False
    #: kind name -> moved; see `transfer_kinds`.
    transfer: Mapping[str, bool] = field(default_factory=lambda: transfer_kinds({}))
    users: Mapping[str, str] = field(default_factory=dict)  # GitLab username -> SourceCraft slug
    #: "sourcecraft": SourceCraft numbers issues as they come; "preserve": into a repository
    #: with no issues, in iid order, gaps filled, so GitLab #12 is SourceCraft #12.
    numbering: Literal["sourcecraft", "preserve"] = "sourcecraft"


# -- the loader ----------------------------------------------------------------------------




_SECTIONS: dict[str, dict[str, Spec]] = {
    "source": {"url": Spec("url", True), "project": Spec("project", True),
               "api_version": Spec("enum", choices=("v3", "v4")), "token_env": Spec("str"),
               "token_file": Spec("path"), "per_page": Spec("int", low=1, high=100)},
    "target": {"url": Spec("url"), "org": Spec("str", True), "repo": Spec("str", True),
               "token_env": Spec("str"), "token_file": Spec("path"), "silent": Spec("bool"),
               "page_size": Spec("int", low=1, high=1000)},
    "http": {"timeout_s": Spec("num", low=0.001), "connect_timeout_s": Spec("num", low=0.001),
             "max_attempts": Spec("int", low=1, high=100), "max_backoff_s": Spec("num", low=0),
             "max_wait_s": Spec("num", low=0), "concurrency": Spec("int", low=1, high=64),
             "verify_tls": Spec("tls")},
    "mirror": {**dict(_POLICY),
               **{key: Spec("mapping", keys=_POLICY) for key in MIRROR_KINDS}},
    "transfer": {"milestones": Spec("bool"), "labels": Spec("bool"), "issues": Spec("bool"),
                 "comments": Spec("bool")},
    "issues": {"numbering": Spec("enum", choices=("sourcecraft", "preserve"))},
}
_TOP: dict[str, Spec] = {"mapping": Spec("path"), "checkpoint": Spec("path"),
                          "allow_insecure_http": Spec("bool")}
_BUNDLED_MAPPING = "gitlab-v3-to-sourcecraft.yaml"
#: The keys of a many-project config (SPEC §14): bridge.fleet reads them; in such a file each
#: `projects:` entry names its source project and target repo, so those two keys are refused.
FLEET_KEYS = ("projects", "discover", "fleet")
_PER_PROJECT = (("source", "project"), ("target", "repo"))


def bundled_mapping() -> Path:
    """The mapping shipped inside the package, used when the config names none."""
    return Path(str(importlib.resources.files("bridge").joinpath("data", _BUNDLED_MAPPING)))


def default_checkpoint(folder: Path, org: str, repo: str) -> Path:
    """`<folder>/<org>-<repo>`: the one place a project's default checkpoint name is made."""
    return folder / re.sub(r"[^A-Za-z0-9._-]", "_", f"{org}-{repo}")


def _section(doc: YamlFile, top: dict[str, Entry], name: str, base: Path, fleet: bool = False
             ) -> tuple[dict[str, Any], dict[str, Entry]]:
    specs = _SECTIONS[name]
    entry = top.get(name)
    if entry is None or (isinstance(entry.node, ScalarNode) and doc.value(entry.node) is None):
        found: dict[str, Entry] = {}
        line = entry.line if entry else 1
    elif not isinstance(entry.node, MappingNode):
        raise doc.error(f"{name} must be a mapping of keys, not "
                        f"{describe(entry.node, doc.value(entry.node))}", entry.line, name)
    else:
        found, line = doc.entries(entry.node, name, specs), entry.line
    values: dict[str, Any] = {}
    for key, spec in specs.items():
        item = found.get(key)
        if item is not None and not (isinstance(item.node, ScalarNode)
                                     and doc.value(item.node) is None):
            values[key] = convert(doc, item, spec, base)
        elif fleet and (name, key) in _PER_PROJECT:
            continue
        elif spec.required:
            raise doc.error(f"missing required key {name}.{key}", item.line if item else line,
                            f"{name}.{key}")
    return values, found


def _token(doc: YamlFile, name: str, section: tuple[dict[str, Any], dict[str, Entry]], *,
           default_env: str, env: Mapping[str, str], required: bool,
           files: bool = False) -> Secret | None:
    values, found = section
    token_file: Path | None = values.get("token_file")
    if token_file is not None:
        where = found["token_file"]
        try:
            text = token_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            if not required and not (files and not token_file.is_file()):
                return None
            raise doc.error(f"{where.key}: cannot read {token_file}", where.line,
                            where.key) from None
        if not text and required:
            raise doc.error(f"{where.key}: {token_file} is empty", where.line, where.key)
        return Secret(text) if text else None
    variable = values.get("token_env", default_env)
    text = env.get(variable, "").strip()
    if not text and required:
        env_entry = found.get("token_env")
        state = "is set but empty" if variable in env else "is not set"
        raise doc.error(f"environment variable {variable} {state} (it holds the {name} "
                        f"token; see {name}.token_env, or use {name}.token_file)",
                        env_entry.line if env_entry else None, f"{name}.token_env")
    return Secret(text) if text else None


def load_config(path: str | Path, *, env: Mapping[str, str] | None = None,
                require_tokens: bool = True, token_files: bool = False,
                fleet: bool = False) -> Config:
    """Read, check and resolve a config file; every problem is a ConfigError with file:line.

    `token_files`: a `token_file` that does not exist is an error even when the tokens
    themselves are not needed (`validate`: the run would be refused for it).
    `fleet=True` reads the shared part of a many-project file (bridge.fleet.spec): its
    source.project and target.repo are left empty, for each project to fill in.
    """
    path = Path(path)
    env = os.environ if env is None else env
    doc = YamlFile(path, refuse=("token",), why=REFUSAL)
    doc.refuse_anywhere(doc.root)
    base = path.resolve().parent
    top = doc.entries(doc.root, "", {*_SECTIONS, *_TOP, "users", *FLEET_KEYS})
    many = [key for key in FLEET_KEYS if key in top]
    if many and not fleet:
        raise doc.error(f"'{many[0]}' makes this a many-project config, which this command "
                        "cannot read", top[many[0]].line, many[0])
    for key in ("source", "target"):
        if key not in top:
            raise doc.error(f"missing required section {key}:", 1, key)
    flags = {key: convert(doc, top[key], spec, base) for key, spec in _TOP.items()
             if key in top and not (isinstance(top[key].node, ScalarNode)
                                    and doc.value(top[key].node) is None)}
    insecure = bool(flags.get("allow_insecure_http", False))
    sections = {name: _section(doc, top, name, base, fleet) for name in _SECTIONS}
    for name, key in _PER_PROJECT if fleet else ():
        if key in sections[name][1]:
            raise doc.error(f"{name}.{key} does not belong in a many-project config: each "
                            "projects: entry names its own (source: and target:)",
                            sections[name][1][key].line, f"{name}.{key}")
        sections[name][0][key] = ""
    for name in ("source", "target"):
        values, found = sections[name]
        if "url" in values:
            values["url"] = check_url(doc, found["url"], values["url"], insecure)
    source_values, target_values = sections["source"][0], sections["target"][0]
    check_names(doc, sections["source"], sections["target"])
    source_token = _token(doc, "source", sections["source"], default_env="GITLAB_TOKEN",
                          env=env, required=require_tokens, files=token_files)
    target_token = _token(doc, "target", sections["target"], default_env="SOURCECRAFT_TOKEN",
                          env=env, required=require_tokens, files=token_files)
    org, repo = target_values["org"], target_values["repo"]
    checkpoint: Path | None = flags.get("checkpoint")
    if (checkpoint is not None and not fleet and not checkpoint.is_file()
            and str(doc.value(top["checkpoint"].node)).rstrip().endswith("/")):
        # `checkpoint: state/` names a folder: the default file name inside it. Unless a file
        # is there: the previous scbridge read `state/` as that file, and a mirror job that
        # has written it for months keeps using it.
        checkpoint = default_checkpoint(checkpoint, org, repo)
    return Config(
        path=path, source=SourceConfig(**source_values, token=source_token),
        target=TargetConfig(**target_values, token=target_token),
        mapping=flags.get("mapping") or bundled_mapping(),
        checkpoint=checkpoint or default_checkpoint(base / ".scbridge", org, repo),
        http=HttpConfig(**sections["http"][0]), mirror=_mirror(sections["mirror"][0]),
        allow_insecure_http=insecure, transfer=transfer_kinds(sections["transfer"][0]),
        numbering=sections["issues"][0].get("numbering", "sourcecraft"),
        users=read_users(doc, top.get("users")))


def _mirror(values: Mapping[str, Any]) -> MirrorConfig:
    """`mirror:` as a policy, with each kind's overrides (`mirror: {issues: {...}}`) apart."""
    kinds = {MIRROR_KINDS[key]: dict(value) for key, value in values.items()
             if key in MIRROR_KINDS}
    own = {key: value for key, value in values.items() if key not in MIRROR_KINDS}
    return MirrorConfig(**own, kinds=kinds)
