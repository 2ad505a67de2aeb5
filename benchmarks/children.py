"""Client runs as child processes, each measured from outside: wall time, CPU and peak RSS.

A child of its own gives a clean `ru_maxrss` (the client's alone, not the sandbox's or the
benchmark's) and a fresh interpreter, as a user's `scbridge migrate` would have.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

CONFIG = """\
source:
  url: {gitlab_url}
  project: {project}
  per_page: {per_page}
target:
  url: {sourcecraft_url}
  org: {org}
  repo: {repo}
  page_size: {page_size}
http:
  concurrency: {concurrency}
checkpoint: checkpoint.sqlite
{transfer}"""


@dataclass
class ChildRun:
    """What one child process cost, and what it printed or reported."""

    wall_s: float
    exit_code: int
    cpu_s: float
    max_rss_mb: float
    data: dict[str, Any] = field(default_factory=dict)


def measure(argv: list[str], *, env: dict[str, str], cwd: Path, stdout: Path,
            stderr: Path) -> ChildRun:
    """Run `argv` (an interpreter, then a script or -m module) to its end, through peak.py.

    Wall time from spawn to reap and CPU from the child's rusage; peak RSS from the child's
    own VmHWM (see peak.py), falling back to ru_maxrss where /proc has none.
    """
    peak = stdout.with_suffix(".peak")
    peak.unlink(missing_ok=True)
    wrapped = [argv[0], str(HERE / "peak.py"), str(peak), *argv[1:]]
    with stdout.open("w") as out, stderr.open("w") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(wrapped, env=env, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    # Both in KiB on Linux.
    kib = int(peak.read_text(encoding="ascii")) if peak.exists() else usage.ru_maxrss
    return ChildRun(wall, proc.returncode, usage.ru_utime + usage.ru_stime, kib / 1024)


def write_config(folder: Path, info: dict[str, Any], *, per_page: int, page_size: int,
                 concurrency: int, issues: bool = False) -> Path:
    """A config for the sandbox described by `info` (tokens stay in the environment).

    `issues`: move labels, issues and comments too, not milestones alone.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "scbridge.yaml"
    transfer = ("transfer: {labels: true, issues: true, comments: true}\n" if issues else "")
    path.write_text(CONFIG.format(per_page=per_page, page_size=page_size,
                                  concurrency=concurrency, transfer=transfer, **info),
                    encoding="utf-8")
    return path


def token_env(info: dict[str, Any], root: Path = ROOT) -> dict[str, str]:
    """The environment for a child: ours, plus the sandbox's tokens under the default names.

    `root`: the checkout whose `bridge` the child imports (another one for `--baseline`).
    """
    return {**os.environ, "GITLAB_TOKEN": info["gitlab_token"],
            "SOURCECRAFT_TOKEN": info["sourcecraft_token"],
            "BENCH_GITLAB_TOKEN": info["gitlab_token"],
            "PYTHONPATH": os.pathsep.join(filter(None, [str(root),
                                                        os.environ.get("PYTHONPATH")]))}


def migrate(config: Path, info: dict[str, Any], *, dry_run: bool, name: str,
            root: Path = ROOT) -> ChildRun:
    """`python -m bridge migrate` as a user runs it, with a JSON report to read back.

    `root`: the checkout to run (its folder is first on the child's PYTHONPATH).
    """
    folder = config.parent
    report = folder / f"{name}.json"
    argv = [sys.executable, "-m", "bridge", "migrate", "-c", str(config), "--report",
            str(report), "--no-progress", "--log-format", "json"]
    if dry_run:
        argv.append("--dry-run")
    run = measure(argv, env=token_env(info, root), cwd=folder, stdout=folder / f"{name}.out",
                  stderr=folder / f"{name}.err")
    if run.exit_code not in (0, 1):
        tail = (folder / f"{name}.err").read_text(encoding="utf-8", errors="replace")[-800:]
        raise RuntimeError(f"{name}: scbridge exited {run.exit_code}:\n{tail}")
    run.data = json.loads(report.read_text(encoding="utf-8"))
    return run


def json_child(argv: list[str], info: dict[str, Any], folder: Path, name: str) -> ChildRun:
    """A helper script that prints one JSON line (an extraction that times itself)."""
    folder.mkdir(parents=True, exist_ok=True)
    run = measure(argv, env=token_env(info), cwd=ROOT, stdout=folder / f"{name}.out",
                  stderr=folder / f"{name}.err")
    output = (folder / f"{name}.out").read_text(encoding="utf-8").strip().splitlines()
    if run.exit_code != 0 or not output:
        tail = (folder / f"{name}.err").read_text(encoding="utf-8", errors="replace")[-800:]
        raise RuntimeError(f"{name}: exited {run.exit_code}:\n{tail}")
    run.data = json.loads(output[-1])
    return run
