"""scbridge's extract stage alone, timed from after the imports, for the side-by-side.

`python sc_extract.py URL PROJECT --concurrency N [--profile FILE]`, with the token in
BENCH_GITLAB_TOKEN; prints one JSON line. `run_extract` is also called in-process by the
benchmark when it measures the sandbox sharing the client's interpreter.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bridge.config import HttpConfig
from bridge.engine.extract import extract
from bridge.logs import configure_logging
from bridge.net.http import HttpClient
from bridge.sources.gitlab import GitLabReader


def run_extract(url: str, project: str, token: str, *, concurrency: int,
                per_page: int = 100) -> dict[str, Any]:
    """Extract every milestone and issue once; the time, the counts and the requests made."""
    started, cpu = time.perf_counter(), time.process_time()
    client = HttpClient(url, kind="source", headers={"PRIVATE-TOKEN": token},
                        http=HttpConfig(concurrency=concurrency))
    try:
        reader = GitLabReader(client, project=project, per_page=per_page,
                              concurrency=concurrency)
        extracted = extract(reader)
    finally:
        client.close()
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "cpu": time.process_time() - cpu,
            "milestones": len(extracted.milestones),
            "issues": extracted.issues, "requests": client.requests_made["read"],
            "with_milestone": sum(m.issues_open + m.issues_closed
                                  for m in extracted.milestones),
            "client": f"scbridge (concurrency {concurrency})"}


def main() -> int:
    """Extract once and print the result as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("project")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--profile", type=Path, help="write a cProfile of the extraction here")
    parser.add_argument("--sandbox-here", nargs=3, type=float,
                        metavar=("MILESTONES", "ISSUES", "LATENCY_MS"),
                        help="serve the sandbox from this process (URL and PROJECT are ignored)")
    args = parser.parse_args()
    sandbox = None
    if args.sandbox_here:
        from sandbox_proc import InProcessSandbox

        milestones, issues, latency = args.sandbox_here
        sandbox = InProcessSandbox(int(milestones), int(issues), latency)
        args.url, args.project = sandbox.info["gitlab_url"], sandbox.info["project"]
        token = sandbox.info["gitlab_token"]
    else:
        token = os.environ["BENCH_GITLAB_TOKEN"]
    configure_logging(fmt="json", verbosity=0)  # as the CLI runs by default: info and up
    profiler = cProfile.Profile() if args.profile else None
    if profiler is not None:
        profiler.enable()
    result = run_extract(args.url, args.project, token, concurrency=args.concurrency)
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.profile)
    if sandbox is not None:
        sandbox.close()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
