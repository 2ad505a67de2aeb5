"""Shards: split a fleet over N machines with no coordinator, by a hash every machine agrees on.

A project's shard is sha256 of its GitLab path (lower-cased, as GitLab resolves paths without
regard to case) modulo N: the same on every machine and every Python version, unlike
`hash()`, which is salted per process. Each project falls in exactly one shard of N.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from bridge.errors import ConfigError

#: What a Kubernetes Indexed Job sets in each pod: its 0-based completion index.
INDEX_ENV = "JOB_COMPLETION_INDEX"
MAX_SHARDS = 10_000


def shard_of(source: str, count: int) -> int:
    """The shard (1..count) that holds the GitLab project `source`."""
    key = source.strip().strip("/").lower().encode("utf-8")
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big") % count + 1


@dataclass(frozen=True, slots=True)
class Shard:
    """Shard `index` of `count`, both counted from 1 as `--shard K/N` writes them."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def holds(self, source: str) -> bool:
        """Whether the project `source` belongs to this shard."""
        return shard_of(source, self.count) == self.index


def parse_shard(text: str) -> Shard:
    """`K/N` with 1 <= K <= N; ConfigError (exit 2) otherwise."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if match is None:
        raise ConfigError(f"--shard {text!r}: write it as K/N, e.g. --shard 2/4")
    index, count = int(match[1]), int(match[2])
    if not 1 <= count <= MAX_SHARDS:
        raise ConfigError(f"--shard {text}: N must be from 1 to {MAX_SHARDS}")
    if not 1 <= index <= count:
        raise ConfigError(f"--shard {text}: K counts from 1 to N ({count})")
    return Shard(index, count)


def choose_shard(shard: str | None, shards: int | None, env: Mapping[str, str]) -> Shard | None:
    """The shard asked for: `--shard K/N`, or `--shards N` with K from JOB_COMPLETION_INDEX + 1."""
    if shard is not None and shards is not None:
        raise ConfigError("give --shard K/N or --shards N, not both")
    if shard is not None:
        return parse_shard(shard)
    if shards is None:
        return None
    if not 1 <= shards <= MAX_SHARDS:
        raise ConfigError(f"--shards {shards}: N must be from 1 to {MAX_SHARDS}")
    raw = env.get(INDEX_ENV, "").strip()
    if not raw:
        raise ConfigError(f"--shards {shards} reads this shard's number from {INDEX_ENV} (as a "
                          "Kubernetes Indexed Job sets it), which is not set; use --shard K/N")
    if not raw.isdigit() or int(raw) >= shards:
        raise ConfigError(f"{INDEX_ENV}={raw!r} is not an index from 0 to {shards - 1} "
                          f"(--shards {shards})")
    return Shard(int(raw) + 1, shards)
