"""Helpers shared by end-to-end tests: a config for a sandbox, and the real CLI as a process."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from bridge.sandbox import Sandbox

GITLAB_ENV = "E2E_GITLAB_TOKEN"
SOURCECRAFT_ENV = "E2E_SOURCECRAFT_TOKEN"


def write_config(sb: Sandbox, folder: Path, **overrides: dict[str, object]) -> Path:
    """A config file for `sb` in `folder`; each override merges into its top-level section."""
    config: dict[str, dict[str, object]] = {
        "source": {"url": sb.gitlab_url, "project": sb.project_path, "token_env": GITLAB_ENV},
        "target": {"url": sb.sourcecraft_url, "org": sb.org, "repo": sb.repo,
                   "token_env": SOURCECRAFT_ENV},
        "http": {"max_backoff_s": 0.2, "timeout_s": 10},
    }
    for section, values in overrides.items():
        config.setdefault(section, {}).update(values)
    path = folder / "scbridge.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def token_env(sb: Sandbox) -> dict[str, str]:
    """The environment a CLI process needs: this one plus both sandbox tokens."""
    return {**os.environ, GITLAB_ENV: sb.gitlab_token, SOURCECRAFT_ENV: sb.sourcecraft_token}


@dataclass(frozen=True)
class Run:
    """What one CLI process did."""

    code: int
    stdout: str
    stderr: str


def run_cli(sb: Sandbox | None, *args: str | Path, cwd: Path | None = None,
            timeout: float = 60) -> Run:
    """Run `python -m bridge ARGS` to the end and capture everything it printed."""
    env = token_env(sb) if sb is not None else dict(os.environ)
    done = subprocess.run([sys.executable, "-m", "bridge", *map(str, args)], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=timeout, check=False)
    return Run(done.returncode, done.stdout, done.stderr)
