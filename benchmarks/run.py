"""The scbridge benchmark: a dry run, a migration and a re-run against a synthetic sandbox.

    python benchmarks/run.py --milestones 300 --issues 30000 --latency-ms 20 --concurrency 4

prints wall times against the network's lower bound, requests by kind against the exact
formula, peak RSS, extraction rates side by side with python-gitlab 1.4.0, the sandbox
placement check, the checkpoint's scaling, RSS at a larger issue count, and the start-up of
`scbridge --help` and `scbridge validate` against a bare interpreter. See README.md.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import checkpoint_bench  # noqa: E402  after the path is set
import extraction  # noqa: E402
import report  # noqa: E402
import startup  # noqa: E402
from bounds import Shape, expected_requests, lower_bound  # noqa: E402
from children import ROOT, migrate, write_config  # noqa: E402
from sandbox_proc import SandboxProcess  # noqa: E402

RUNS = (("dry run", "dry-run", True), ("migration", "migration", False),
        ("re-run", "re-run", False))
ISSUE_RUNS = (("issue migration", "issue-migration", False),
              ("issue re-run", "issue-re-run", False))

#: `--quick`: every part, small enough to finish in well under a minute (a smoke check).
QUICK = {"milestones": 30, "issues": 2_000, "latency_ms": 5.0, "issue_milestones": 10,
         "issue_issues": 300, "notes": 600, "labels": 20, "rate_limit": 20,
         "checkpoint_items": 10_000, "rss_issues": 0, "rss_kinds_issues": 0,
         "startup_rounds": 3, "repeat": 1}
#: The full benchmark, as RESULTS.md quotes it.
FULL = {"milestones": 300, "issues": 30_000, "latency_ms": 20.0, "issue_milestones": 30,
        "issue_issues": 3_000, "notes": 6_000, "labels": 20, "rate_limit": 100,
        "checkpoint_items": 600_000, "rss_issues": 200_000, "rss_kinds_issues": 200_000,
        "startup_rounds": 20, "repeat": 1}


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
            "platform": platform.platform(), "loadavg": [round(x, 2) for x in os.getloadavg()]}


def fresh_bytecode(roots: list[Path]) -> str:
    """Write current bytecode for each checkout's `bridge/`, as `pip install` would.

    With PYTHONDONTWRITEBYTECODE set (as on the machine of RESULTS.md) nothing is ever
    cached, so every child would compile each module it imports from source: tens of
    milliseconds of start-up a user's installed copy never pays, and a checkout with an
    older cache or none (a baseline worktree) would pay more than another.
    """
    for root in roots:
        compileall.compile_dir(str(root / "bridge"), quiet=1)
    env = "PYTHONDONTWRITEBYTECODE is set" if os.environ.get("PYTHONDONTWRITEBYTECODE") \
        else "PYTHONDONTWRITEBYTECODE is not set"
    return f"bytecode written ahead for {len(roots)} checkout(s) ({env})"


def pipeline_runs(args: argparse.Namespace, shape: Shape, work: Path, *,
                  plan: tuple[tuple[str, str, bool], ...] = RUNS,
                  root: Path = ROOT) -> list[dict[str, Any]]:
    """The runs of `plan` (by default dry run, migration, re-run) on one fresh sandbox.

    `root`: the checkout whose scbridge runs (this one, or `--baseline`'s).
    """
    sandbox = SandboxProcess(shape.milestones, shape.issues, args.latency_ms, seed=args.seed,
                             notes=shape.notes, labels=shape.labels or 6)
    rows: list[dict[str, Any]] = []
    try:
        config = write_config(work / "pipeline", sandbox.info, per_page=args.per_page,
                              page_size=args.page_size, concurrency=args.concurrency,
                              issues=shape.move_issues)
        for label, name, dry_run in plan:
            before = sandbox.target()
            sandbox.clear()
            cpu = sandbox.cpu()
            run = migrate(config, sandbox.info, dry_run=dry_run, name=name, root=root)
            counts = sandbox.counts()
            after = sandbox.target()
            # One write per object: milestone creates and closes, labels, issues, comments.
            writes = sum(after[k] - before[k] for k in after)
            prior = {"target_before": before["total"], "writes": writes,
                     "labels_before": before["labels"], "issues_before": before["issues"]}
            expected = expected_requests(shape, **prior)
            objects = (not shape.move_issues or dry_run or before["issues"] > 0
                       or (after["labels"], after["issues"], after["comments"])
                       == (shape.labels, shape.issues, shape.notes))
            rows.append({
                "run": label, "wall_s": run.wall_s, "run_s": run.data.get("duration_s"),
                "exit_code": run.exit_code, "client_cpu_s": run.cpu_s,
                "sandbox_cpu_s": sandbox.cpu() - cpu, "max_rss_mb": run.max_rss_mb,
                "requests": counts, "expected": expected,
                "exact": counts == expected and objects and run.exit_code == 0,
                "reported": run.data.get("requests"), "summary": run.data.get("summary"),
                "target_after": after, "bound": lower_bound(shape, **prior)})
    finally:
        sandbox.close()
    return rows


def rate_limited(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """A dry run against servers that allow `--rate-limit` requests a second each."""
    sandbox = SandboxProcess(args.milestones, args.issues, args.latency_ms, seed=args.seed,
                             rate_limit=args.rate_limit)
    try:
        config = write_config(work / "rate-limit", sandbox.info, per_page=args.per_page,
                              page_size=args.page_size, concurrency=args.concurrency)
        sandbox.clear()
        run = migrate(config, sandbox.info, dry_run=True, name="rate-limited")
        counts, refused = sandbox.counts(), sandbox.refused()
    finally:
        sandbox.close()
    source = counts.get("source_read", 0)
    return {"limit": args.rate_limit, "wall_s": run.wall_s, "run_s": run.data.get("duration_s"),
            "exit_code": run.exit_code, "requests": counts, "refused": refused,
            "ideal_s": source / args.rate_limit}


def side_by_side(args: argparse.Namespace,
                 one_pass: Callable[[str, Path], list[dict[str, Any]]]
                 ) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None]:
    """`--repeat` passes of this checkout, best kept, and as many of `--baseline`'s, if given.

    The two take turns (baseline first on even passes, this one first on odd ones), so a
    burst of load on the machine falls on both rather than on one.
    """
    passes: dict[str, list[list[dict[str, Any]]]] = {"baseline": [], "this": []}
    for n in range(args.repeat):
        order = [("this", ROOT)] if args.baseline is None else [("baseline", args.baseline),
                                                                 ("this", ROOT)]
        for who, root in order[::-1] if n % 2 else order:
            passes[who].append(one_pass(f"{n}-{who}", root))
    return best(passes["this"]), (best(passes["baseline"]) if passes["baseline"] else None)


def baseline_info(root: Path) -> dict[str, str]:
    """Which code the baseline is: its folder and, when it is a git checkout, its commit."""
    proc = subprocess.run(["git", "-C", str(root), "log", "-1", "--format=%h %s"],
                          capture_output=True, text=True, check=False)
    line = proc.stdout.strip() if proc.returncode == 0 else ""
    return {"root": str(root), "commit": (line[:72] + "...") if len(line) > 75 else
            line or "not a git checkout"}


def best(passes: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Per run, the pass with the least wall time: the one least disturbed by other load."""
    return [min(group, key=lambda row: row["wall_s"]) for group in zip(*passes, strict=True)]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="small sizes for every part: a smoke check in well under a minute")
    parser.add_argument("--milestones", type=int)
    parser.add_argument("--issues", type=int)
    parser.add_argument("--latency-ms", type=float)
    parser.add_argument("--issue-milestones", type=int,
                        help="milestones of the issue project (labels, issues and comments)")
    parser.add_argument("--issue-issues", type=int, help="issues of the issue project (0: skip)")
    parser.add_argument("--notes", type=int, help="notes of the issue project")
    parser.add_argument("--labels", type=int, help="labels of the issue project")
    parser.add_argument("--rate-limit", type=int, metavar="N",
                        help="requests a second each server allows in the rate-limit row "
                             "(0: skip)")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--per-page", type=int, default=100)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int,
                        help="run the pipeline this many times (fresh sandbox each); best kept")
    parser.add_argument("--no-python-gitlab", action="store_true",
                        help="skip the side-by-side with python-gitlab 1.4.0")
    parser.add_argument("--naive", action="store_true",
                        help="compare with a plain requests loop instead of python-gitlab")
    parser.add_argument("--pg-python", type=Path, default=HERE / ".venv-pg" / "bin" / "python",
                        help="the interpreter that has python-gitlab 1.4.0")
    parser.add_argument("--no-placement", action="store_true",
                        help="skip timing the sandbox inside the client's process")
    parser.add_argument("--checkpoint-items", type=int,
                        help="items recorded for the checkpoint resume test (0: skip)")
    parser.add_argument("--rss-issues", type=int,
                        help="issues for the peak-RSS comparison dry run (0: skip)")
    parser.add_argument("--rss-kinds-issues", type=int,
                        help="issues (two notes each) for the peak-RSS dry run that moves "
                             "labels, issues and comments, against --issues (0: skip)")
    parser.add_argument("--startup-rounds", type=int,
                        help="rounds of the start-up timing (0: skip)")
    parser.add_argument("--startup-only", action="store_true",
                        help="only the start-up timing: no sandbox, no pipeline")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="also profile an in-process migration; write the stats here")
    parser.add_argument("--baseline", type=Path, metavar="DIR",
                        help="also run the pipeline runs with the scbridge of this checkout "
                             "(e.g. a worktree of the commit before a change), pass by pass "
                             "in turn with this one's, and print the two side by side")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write every number here")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args(argv)
    if args.baseline is not None:
        args.baseline = args.baseline.resolve()
        if not (args.baseline / "bridge" / "__init__.py").is_file():
            parser.error(f"--baseline {args.baseline}: no bridge/ package there")
    for key, value in (QUICK if args.quick else FULL).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.quick:
        args.no_placement = True
    return args


def project_runs(args: argparse.Namespace, shape: Shape, work: Path,
                 results: dict[str, Any]) -> None:
    """The milestone project's runs and the issue project's, with `--baseline`'s beside them."""
    results["runs"], before = side_by_side(
        args, lambda tag, root: pipeline_runs(args, shape, work / f"pass-{tag}", root=root))
    if before is not None:
        results["baseline"] = {**baseline_info(args.baseline), "runs": before}
        results["this"] = baseline_info(ROOT)["commit"]
    if args.issue_issues > 0:
        kinds = Shape(milestones=args.issue_milestones, issues=args.issue_issues,
                      per_page=args.per_page, page_size=args.page_size,
                      concurrency=args.concurrency, latency_s=args.latency_ms / 1000,
                      labels=args.labels, notes=args.notes, move_issues=True)
        results["issue_shape"] = vars(kinds)
        results["issue_runs"], before = side_by_side(
            args, lambda tag, root: pipeline_runs(args, kinds, work / f"issues-{tag}",
                                                  plan=ISSUE_RUNS, root=root))
        if before is not None:
            results["baseline"]["issue_runs"] = before


def main(argv: list[str] | None = None) -> int:
    """Run every part asked for, print the tables; 0 when request counts are exact."""
    args = parse_args(argv)
    shape = Shape(milestones=args.milestones, issues=args.issues, per_page=args.per_page,
                  page_size=args.page_size, concurrency=args.concurrency,
                  latency_s=args.latency_ms / 1000)
    work = Path(tempfile.mkdtemp(prefix="scbridge-bench-"))
    results: dict[str, Any] = {"command": " ".join([Path(sys.argv[0]).as_posix(),
                                                    *(argv or sys.argv[1:])]),
                               "machine": machine(), "shape": vars(shape)}
    results["machine"]["bytecode"] = fresh_bytecode(
        [ROOT] + ([args.baseline] if args.baseline is not None else []))
    try:
        if args.startup_rounds > 0:
            results["startup"] = startup.run(work / "startup", rounds=args.startup_rounds)
        if args.startup_only:
            sys.stdout.write(report.render(results))
            return _save(args, results, exact=True)
        project_runs(args, shape, work, results)
        if args.rate_limit > 0:
            results["rate_limit"] = rate_limited(args, work / "rate")
        results["extraction"] = extraction.side_by_side(args, work / "extract")
        if not args.no_placement:
            results["placement"] = extraction.placement(args, work / "placement")
        if args.checkpoint_items > 0:
            results["checkpoint"] = checkpoint_bench.run(work / "checkpoint",
                                                         items=args.checkpoint_items)
        if args.rss_issues > 0:
            results["rss"] = extraction.rss_stress(args, work / "rss")
        if args.rss_kinds_issues > 0:
            results["rss_kinds"] = extraction.rss_kinds(args, work / "rss-kinds")
        if args.profile is not None:
            results["profile"] = extraction.profile(args, work / "profile", args.profile)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    sys.stdout.write(report.render(results))
    rows = results["runs"] + results.get("issue_runs", [])
    return _save(args, results, exact=all(row["exact"] for row in rows))


def _save(args: argparse.Namespace, results: dict[str, Any], *, exact: bool) -> int:
    """Write the JSON if asked; the exit code: 0 when request counts are exact."""
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    return 0 if exact else 1


if __name__ == "__main__":
    sys.exit(main())
