"""The fleet benchmark: many synthetic projects migrated by one `scbridge migrate`, run at
several `fleet.parallel` values on a fresh sandbox each, timed and counted from outside.

    python benchmarks/fleet.py --projects 40 --milestones 25 --issues 200 --latency-ms 20 \\
        --parallel 1 4

prints, per parallelism, the wall time, the speed-up over the first value, and the requests
the sandbox saw against the exact formula (each project's reads and writes, times the
projects). The sandbox runs in a process of its own (sandbox_proc.py), as in run.py.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from bounds import Shape, expected_requests  # noqa: E402  after the path is set
from children import measure, token_env  # noqa: E402
from sandbox_proc import SandboxProcess  # noqa: E402


def write_fleet(folder: Path, info: dict[str, Any], *, parallel: int, concurrency: int) -> Path:
    """A fleet config naming every sandbox project, each to its repository."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f"source:\n  url: {info['gitlab_url']}", f"target:\n  url: {info['sourcecraft_url']}"
             f"\n  org: {info['org']}", f"http:\n  concurrency: {concurrency}",
             f"fleet:\n  parallel: {parallel}", "checkpoint: state", "projects:"]
    lines += [f"  - {{source: {path}, target: {repo}}}"
              for path, repo in zip(info["projects"], info["repos"], strict=True)]
    config = folder / "fleet.yaml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def one(args: argparse.Namespace, parallel: int, work: Path) -> dict[str, Any]:
    """A migration of every project at `parallel`, on a fresh sandbox; one row."""
    sandbox = SandboxProcess(args.milestones, args.issues, args.latency_ms, seed=args.seed,
                             projects=args.projects)
    try:
        folder = work / f"parallel-{parallel}"
        config = write_fleet(folder, sandbox.info, parallel=parallel,
                             concurrency=args.concurrency)
        sandbox.clear()
        report = folder / "fleet.json"
        run = measure([sys.executable, "-m", "bridge", "migrate", "-c", str(config), "--report",
                       str(report), "--no-progress", "-q"], env=token_env(sandbox.info),
                      cwd=folder, stdout=folder / "out.txt", stderr=folder / "err.txt")
        counts = sandbox.counts()
        after = sandbox.target()
    finally:
        sandbox.close()
    shape = Shape(milestones=args.milestones, issues=args.issues, concurrency=args.concurrency,
                  latency_s=args.latency_ms / 1000)
    per_project = expected_requests(shape, target_before=0, writes=0)
    expected = {kind: n * args.projects for kind, n in per_project.items()}
    expected["target_write"] = after["total"] + after["closed"]
    data = json.loads(report.read_text(encoding="utf-8")) if report.exists() else {}
    return {"parallel": parallel, "wall_s": run.wall_s, "run_s": data.get("duration_s"),
            "exit_code": run.exit_code, "client_cpu_s": run.cpu_s, "max_rss_mb": run.max_rss_mb,
            "requests": counts, "expected": expected,
            "exact": {k: counts.get(k, 0) for k in expected} == expected,
            "target_after": after, "projects_ok": data.get("totals", {}).get("by_exit_code")}


def render(results: dict[str, Any]) -> str:
    """The table RESULTS.md quotes."""
    rows = results["rows"]
    base = rows[0]["wall_s"]
    out = [f"fleet benchmark: {results['command']}",
           f"shape: {results['projects']} projects x {results['milestones']} milestones x "
           f"{results['issues']} issues, latency {results['latency_ms']:g} ms, "
           f"http.concurrency {results['concurrency']}", "",
           "parallel  wall s  in-run s  speed-up  source_read  target_read  target_write  "
           "exact  exit  peak RSS MB",
           "--------  ------  --------  --------  -----------  -----------  ------------  "
           "-----  ----  -----------"]
    for row in rows:
        req, exp = row["requests"], row["expected"]
        cells = [f"{kind_seen} / {exp[kind]}" for kind in ("source_read", "target_read",
                                                           "target_write")
                 for kind_seen in [req.get(kind, 0)]]
        out.append(f"{row['parallel']:>8}  {row['wall_s']:>6.2f}  {row['run_s'] or 0:>8.2f}  "
                   f"{base / row['wall_s']:>7.2f}x  {cells[0]:>11}  {cells[1]:>11}  "
                   f"{cells[2]:>12}  {'yes' if row['exact'] else 'NO':>5}  "
                   f"{row['exit_code']:>4}  {row['max_rss_mb']:>11.1f}")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run each parallelism; 0 when every run exits 0 with exact request counts."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--projects", type=int, default=40)
    parser.add_argument("--milestones", type=int, default=25)
    parser.add_argument("--issues", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--parallel", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, metavar="PATH", help="write every number here")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="scbridge-fleet-bench-"))
    try:
        rows = [one(args, parallel, work) for parallel in args.parallel]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results = {"command": " ".join(["benchmarks/fleet.py", *(argv or sys.argv[1:])]),
               "projects": args.projects, "milestones": args.milestones, "issues": args.issues,
               "latency_ms": args.latency_ms, "concurrency": args.concurrency, "rows": rows}
    sys.stdout.write(render(results))
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    return 0 if all(r["exact"] and r["exit_code"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
