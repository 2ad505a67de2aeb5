"""`scbridge demo`: the whole pipeline against the bundled sandbox, with no token and no network."""

from __future__ import annotations

import sys
import tempfile
import threading
from pathlib import Path
from typing import TextIO

from bridge.config import load_config
from bridge.demo_target import show_target
from bridge.pipeline import RunOptions, run
from bridge.report import render_text
from bridge.report.text import report_width
from bridge.sandbox import Sandbox

_CONFIG = """\
# Written by `scbridge demo`: a config like the one you will write for your own project.
source:
  url: {gitlab_url}
  project: {project}
  token_env: DEMO_GITLAB_TOKEN
target:
  url: {sourcecraft_url}
  org: {org}
  repo: {repo}
  token_env: DEMO_SOURCECRAFT_TOKEN
# The whole tracker, not only milestones (milestones: true is the default).
transfer:
  labels: true
  issues: true
  comments: true
# GitLab username -> SourceCraft user, for assignees (axel.block has no account: the issue
# header names them and the report says so).
users:
  root: root-admin
  lennie: lennie
  eileen.lowe: eileen-lowe
  ivan.petrov: ivan-petrov
"""


def _banner(out: TextIO, text: str) -> None:
    out.write(f"\n== {text} {'=' * max(0, 74 - len(text))}\n\n")


def run_demo(*, progress: bool = False, stop: threading.Event | None = None,
             out: TextIO | None = None) -> int:
    """Dry run, migration, what SourceCraft holds (per kind), then a re-run that writes nothing."""
    out = out or sys.stdout
    stop = stop or threading.Event()
    with Sandbox(dataset="demo") as sb, tempfile.TemporaryDirectory(prefix="scbridge-demo-") as tmp:
        config_path = Path(tmp) / "scbridge.yaml"
        config_path.write_text(_CONFIG.format(
            gitlab_url=sb.gitlab_url, project=sb.project_path, sourcecraft_url=sb.sourcecraft_url,
            org=sb.org, repo=sb.repo), encoding="utf-8")
        env = {"DEMO_GITLAB_TOKEN": sb.gitlab_token, "DEMO_SOURCECRAFT_TOKEN": sb.sourcecraft_token}
        config = load_config(config_path, env=env)
        out.write(f"GitLab v3 (fake):   {sb.gitlab_url}  project {sb.project_path}\n"
                  f"SourceCraft (fake): {sb.sourcecraft_url}  repository {sb.org}/{sb.repo}\n")
        steps = (("1. Dry run: the plan, nothing written", "migrate", True),
                 ("2. Migration", "migrate", False),
                 ("4. The same migration again: nothing left to write", "migrate", False))
        code = 0
        for number, (title, command, dry_run) in enumerate(steps):
            _banner(out, title)
            result = run(config, RunOptions(command=command, dry_run=dry_run,  # type: ignore[arg-type]
                                            progress=progress, stop=stop))
            out.write(render_text(result.report, width=report_width(out)))
            code = max(code, result.report.exit_code)
            if number == 1:
                _banner(out, "3. What SourceCraft holds now")
                show_target(out, sb.sourcecraft, report_width(out))
        writes = sb.log.count("target_write")
        out.write(f"\nThe sandbox saw {writes} writes in all; the last run added none.\n")
        return code

