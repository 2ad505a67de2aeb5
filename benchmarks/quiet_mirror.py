"""A quiet hourly mirror of a big issue project: what it reads, what it writes, how long.

A synthetic project (labels, milestones, N issues) is migrated with issues and comments
moved, at no latency (set-up, not measured); then, at the given latency, a first mirror
(a full issue scan, which saves the bookmark) and the quiet one it is all about: nothing
changed in GitLab, so it must read a few pages and write nothing. Printed: each measured
run's requests by server, wall time, peak RSS, and the quiet run against its own latency
bound (requests x latency / concurrency). The sandbox runs in this process; every
scbridge run is a child process, measured from spawn to exit.

    python benchmarks/quiet_mirror.py --issues 30000 --latency-ms 20
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from children import measure, token_env  # noqa: E402

from bridge.sandbox import Sandbox  # noqa: E402

CONFIG = """\
source:
  url: {gitlab_url}
  project: {project}
target:
  url: {sourcecraft_url}
  org: {org}
  repo: {repo}
checkpoint: checkpoint.db
http:
  concurrency: {concurrency}
  max_backoff_s: 0.05
transfer:
  labels: true
  issues: true
  comments: true
"""


def run(sb: Sandbox, folder: Path, command: str, name: str) -> dict[str, Any]:
    """One CLI run, its requests as the sandbox counted them, its wall time and memory."""
    info = {"gitlab_token": sb.gitlab_token, "sourcecraft_token": sb.sourcecraft_token}
    sb.log.clear()
    child = measure([sys.executable, "-m", "bridge", command, "-c", str(folder / "cfg.yaml"),
                     "--no-progress", "-q"], env=token_env(info), cwd=folder,
                    stdout=folder / f"{name}.out", stderr=folder / f"{name}.err")
    if child.exit_code != 0:
        raise RuntimeError(f"{name} exited {child.exit_code}: "
                           f"{(folder / f'{name}.err').read_text()[-600:]}")
    return {"run": name, "wall_s": round(child.wall_s, 2), "rss_mb": round(child.max_rss_mb, 1),
            **sb.log.counts()}


def main(argv: list[str] | None = None) -> int:
    """Set up, measure, print a table (and `--json` the rows)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--issues", type=int, default=30_000)
    parser.add_argument("--milestones", type=int, default=50)
    parser.add_argument("--labels", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    rows = []
    with Sandbox.synthetic(milestones=args.milestones, issues=args.issues,
                           labels=args.labels) as sb, \
            tempfile.TemporaryDirectory(prefix="scbridge-quiet-") as tmp:
        folder = Path(tmp)
        (folder / "cfg.yaml").write_text(CONFIG.format(
            gitlab_url=sb.gitlab_url, project=sb.project_path, sourcecraft_url=sb.sourcecraft_url,
            org=sb.org, repo=sb.repo, concurrency=args.concurrency), encoding="utf-8")
        started = time.perf_counter()
        run(sb, folder, "migrate", "set-up migrate")
        setup_s = time.perf_counter() - started
        sb.faults.add("both", "latency", ms=args.latency_ms)
        rows.append(run(sb, folder, "mirror", "first mirror (full scan)"))
        rows.append(run(sb, folder, "mirror", "quiet mirror"))
    quiet = rows[-1]
    requests = quiet["source_read"] + quiet["target_read"] + quiet["target_write"]
    bound = requests * args.latency_ms / 1000 / args.concurrency
    print(f"quiet mirror: {args.issues} issues, {args.milestones} milestones, {args.labels} "
          f"labels, latency {args.latency_ms:g} ms, concurrency {args.concurrency} "
          f"(set-up migrate {setup_s:.0f} s, unmeasured)\n")
    print(f"{'run':<26} {'wall s':>7} {'GitLab reads':>13} {'SC reads':>9} {'SC writes':>10} "
          f"{'peak RSS MB':>12}")
    for row in rows:
        print(f"{row['run']:<26} {row['wall_s']:>7.2f} {row['source_read']:>13} "
              f"{row['target_read']:>9} {row['target_write']:>10} {row['rss_mb']:>12.1f}")
    print(f"\nquiet mirror: {requests} requests, latency bound {bound:.2f} s (one request at a "
          f"time would take {requests * args.latency_ms / 1000:.2f} s); wall includes "
          "interpreter start-up and imports")
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "bound_s": bound}, indent=2),
                             encoding="utf-8")
    return 0 if quiet["target_write"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
