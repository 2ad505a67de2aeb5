"""The benchmark's other parts: extraction side by side, sandbox placement, RSS, profiles."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import Any

from bounds import Shape, expected_requests
from children import ChildRun, json_child, migrate, write_config
from sandbox_proc import SandboxProcess

HERE = Path(__file__).resolve().parent


def _sc(info: dict[str, Any], concurrency: int, *extra: str) -> list[str]:
    return [sys.executable, str(HERE / "sc_extract.py"), info["gitlab_url"], info["project"],
            "--concurrency", str(concurrency), *extra]


def python_gitlab_ready(python: Path) -> bool:
    """Whether `python` exists and imports python-gitlab 1.4.0."""
    if not python.exists():
        return False
    probe = subprocess.run([str(python), "-c", "import gitlab; print(gitlab.__version__)"],
                           capture_output=True, text=True, check=False)
    return probe.returncode == 0 and probe.stdout.strip() == "1.4.0"


def _row(run: ChildRun, counts: dict[str, int]) -> dict[str, Any]:
    return {**run.data, "process_wall_s": run.wall_s, "max_rss_mb": run.max_rss_mb,
            "requests": counts.get("source_read", 0)}


def side_by_side(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    """scbridge's extractor at `--concurrency` and at 1, then python-gitlab (or the fallback)."""
    sandbox = SandboxProcess(args.milestones, args.issues, args.latency_ms, seed=args.seed)
    out: dict[str, Any] = {}
    try:
        info = sandbox.info
        plan = [("scbridge", _sc(info, args.concurrency)), ("scbridge_1", _sc(info, 1))]
        if not args.no_python_gitlab:
            pg = [str(HERE / "pg_extract.py"), info["gitlab_url"], str(info["project_id"])]
            if not args.naive and python_gitlab_ready(args.pg_python):
                plan.append(("other", [str(args.pg_python), *pg]))
            else:
                out["fallback"] = ("python-gitlab 1.4.0 not found at "
                                   f"{args.pg_python}; a plain requests loop stands in")
                plan.append(("other", [sys.executable, *pg, "--naive"]))
        for name, argv in plan:
            sandbox.clear()
            run = json_child(argv, info, folder, name)
            out[name] = _row(run, sandbox.counts())
    finally:
        sandbox.close()
    if "other" in out:
        out["ratio"] = out["other"]["seconds"] / out["scbridge"]["seconds"]
        out["ratio_1"] = out["other"]["seconds"] / out["scbridge_1"]["seconds"]
    return out


def placement(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    """The same extraction with the sandbox in its own process, then inside the client's."""
    sandbox = SandboxProcess(args.milestones, args.issues, args.latency_ms, seed=args.seed)
    try:
        apart = json_child(_sc(sandbox.info, args.concurrency), sandbox.info, folder, "apart")
    finally:
        sandbox.close()
    inside = json_child(
        [sys.executable, str(HERE / "sc_extract.py"), "-", "-", "--concurrency",
         str(args.concurrency), "--sandbox-here", str(args.milestones), str(args.issues),
         str(args.latency_ms)], {"gitlab_token": "", "sourcecraft_token": ""}, folder, "inside")
    return {"separate_process_s": apart.data["seconds"], "same_process_s": inside.data["seconds"]}


def rss_stress(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    """A dry run over `--rss-issues` issues: peak RSS must not grow with the issue count."""
    sandbox = SandboxProcess(args.milestones, args.rss_issues, args.latency_ms, seed=args.seed)
    try:
        config = write_config(folder, sandbox.info, per_page=args.per_page,
                              page_size=args.page_size, concurrency=args.concurrency)
        sandbox.clear()
        run = migrate(config, sandbox.info, dry_run=True, name="rss-dry-run")
        counts = sandbox.counts()
    finally:
        sandbox.close()
    shape = Shape(args.milestones, args.rss_issues, args.per_page, args.page_size)
    expected = expected_requests(shape, target_before=0, writes=0)
    return {"issues": args.rss_issues, "max_rss_mb": run.max_rss_mb, "wall_s": run.wall_s,
            "exact": counts == expected}


def rss_kinds(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    """Dry runs moving labels, issues and comments (two notes per issue), JSON report
    written, at `--issues` and at `--rss-kinds-issues`: peak RSS must not grow with them."""
    rows = []
    for issues in (args.issues, args.rss_kinds_issues):
        sandbox = SandboxProcess(10, issues, 0.0, seed=args.seed, notes=2 * issues, labels=20)
        try:
            config = write_config(folder / str(issues), sandbox.info, per_page=args.per_page,
                                  page_size=args.page_size, concurrency=args.concurrency,
                                  issues=True)
            sandbox.clear()
            run = migrate(config, sandbox.info, dry_run=True, name="rss-kinds")
            counts = sandbox.counts()
        finally:
            sandbox.close()
        creates = run.data["summary"]["create"]
        rows.append({"issues": issues, "notes": 2 * issues, "max_rss_mb": run.max_rss_mb,
                     "wall_s": run.wall_s, "creates": creates,
                     "source_read": counts["source_read"],
                     "target_write": counts["target_write"]})
    return {"rows": rows}


def profile(args: argparse.Namespace, folder: Path, out_dir: Path) -> dict[str, str]:
    """Dry run and migration in this process under a profiler of every thread."""
    from profiling import ThreadProfiler

    from bridge.config import load_config
    from bridge.logs import configure_logging
    from bridge.pipeline import RunOptions, run

    out_dir.mkdir(parents=True, exist_ok=True)
    configure_logging(fmt="json", verbosity=-1)
    sandbox = SandboxProcess(args.milestones, args.issues, args.latency_ms, seed=args.seed)
    written: dict[str, str] = {}
    try:
        info = sandbox.info
        config = load_config(write_config(folder, info, per_page=args.per_page,
                                          page_size=args.page_size,
                                          concurrency=args.concurrency),
                             env={"GITLAB_TOKEN": info["gitlab_token"],
                                  "SOURCECRAFT_TOKEN": info["sourcecraft_token"]})
        for name, dry_run in (("dry-run", True), ("migration", False)):
            with ThreadProfiler() as profiler:
                run(config, RunOptions(dry_run=dry_run, progress=False))
            text = profiler.write(out_dir / f"{name}.prof", top=30)
            (out_dir / f"{name}.txt").write_text(text, encoding="utf-8")
            written[name] = str(out_dir / f"{name}.txt")
    finally:
        sandbox.close()
    return written
