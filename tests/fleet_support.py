"""A many-project config, the CLI run on it, and the check that a repository is exact."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bridge.config import HttpConfig, bundled_mapping
from bridge.engine.extract import extract
from bridge.engine.transform import transform
from bridge.models import WantedMilestone
from bridge.net.http import HttpClient
from bridge.rules import load_mapping
from bridge.sandbox import Sandbox
from bridge.sources.gitlab import GitLabReader

MANAGED = ("name", "slug", "description", "start_date", "deadline", "status")
GITLAB_ENV, SOURCECRAFT_ENV = "FLEET_GITLAB_TOKEN", "FLEET_SOURCECRAFT_TOKEN"  # variable names


@dataclass
class Fleet:
    """One fleet config (every sandbox project by default) and its shared checkpoint folder."""

    sb: Sandbox
    root: Path

    def write(self, projects: Sequence[tuple[str, str]] | None = None, *, name: str = "fleet",
              parallel: int = 2, extra: str = "") -> Path:
        """Write `<name>.yaml` listing `projects` (path, repo); the checkpoints in state/."""
        chosen = projects if projects is not None else self.pairs
        lines = [f"source:\n  url: {self.sb.gitlab_url}\n  token_env: {GITLAB_ENV}",
                 f"target:\n  url: {self.sb.sourcecraft_url}\n  org: {self.sb.org}\n"
                 f"  token_env: {SOURCECRAFT_ENV}",
                 "checkpoint: state", "http:\n  timeout_s: 10\n  max_backoff_s: 0.02",
                 f"fleet:\n  parallel: {parallel}", extra.rstrip("\n"), "projects:"]
        lines += [f"  - {{source: {path}, target: {repo}}}" for path, repo in chosen]
        config = self.root / f"{name}.yaml"
        config.write_text("\n".join(line for line in lines if line) + "\n", encoding="utf-8")
        return config

    @property
    def pairs(self) -> list[tuple[str, str]]:
        """Every sandbox project with its repository."""
        return list(zip(self.sb.project_paths, self.sb.repos, strict=True))

    def env(self, **override: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("FLEET_") and k != "JOB_COMPLETION_INDEX"}
        env.update({GITLAB_ENV: self.sb.gitlab_token, SOURCECRAFT_ENV: self.sb.sourcecraft_token,
                    "PYTHONUNBUFFERED": "1"})
        env.update(override)
        return env

    def argv(self, config: Path, *args: str, command: str = "migrate") -> list[str]:
        extra = ["--no-progress"] if command in ("migrate", "mirror") else []
        return [sys.executable, "-m", "bridge", command, "-c", str(config), "-q", *extra, *args]

    def run(self, config: Path, *args: str, command: str = "migrate",
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """Run the real CLI to its end."""
        return subprocess.run(self.argv(config, *args, command=command), capture_output=True,
                              text=True, timeout=120, env=self.env(**(env or {})),
                              cwd=self.root, check=False)

    def start(self, config: Path, *args: str) -> subprocess.Popen[str]:
        """Start `scbridge migrate` without waiting."""
        return subprocess.Popen(self.argv(config, *args), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=self.env(), cwd=self.root)

    def report(self, name: str) -> dict[str, Any]:
        return dict(json.loads((self.root / name).read_text(encoding="utf-8")))


def wanted_of(sb: Sandbox, path: str) -> list[WantedMilestone]:
    """What one sandbox project's milestones should become: the bundled mapping, applied here."""
    http = HttpClient(sb.gitlab_url, kind="source", headers={"PRIVATE-TOKEN": sb.gitlab_token},
                      http=HttpConfig())
    try:
        extracted = extract(GitLabReader(http, project=path))
    finally:
        http.close()
    results = transform(load_mapping(bundled_mapping()), extracted.milestones)
    return [r for r in results if isinstance(r, WantedMilestone)]


def target_problems(sb: Sandbox, repo: str, wanted: list[WantedMilestone]) -> list[str]:
    """How the repository differs from exactly one milestone per wanted one, fields as mapped."""
    target = sb.sourcecraft.milestones(sb.org, repo)
    names = Counter(str(m["name"]) for m in target)
    problems = [f"{repo}: {name} x{count}" for name, count in names.items() if count != 1]
    if sorted(names) != sorted(w.name for w in wanted):
        problems.append(f"{repo}: has {sorted(names)}")
    by_name = {m["name"]: {k: m[k] for k in MANAGED} for m in target}
    problems += [f"{repo}: {w.name} is {by_name.get(w.name)}" for w in wanted
                 if by_name.get(w.name) != w.managed()]
    return problems
