"""The config file of SPEC §3 as frozen dataclasses; nothing past `load_config` touches raw YAML."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


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
    token_env: str = "GITLAB_TOKEN"
    token_file: Path | None = None
    per_page: int = 100
    token: Secret | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class TargetConfig:
    org: str
    repo: str
    url: str = "https://api.sourcecraft.tech"
    token_env: str = "SOURCECRAFT_TOKEN"
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


@dataclass(frozen=True, slots=True)
class MirrorConfig:
    on_deleted: str = "keep"  # keep | close | delete
    on_target_edited: str = "source-wins"  # source-wins | keep-target | report


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
