"""`scbridge verify` on a large migrated project: wall time, peak RSS, requests against the formula.

For each size: a synthetic sandbox (in this process), a config moving labels, milestones and
issues, one `migrate` to fill SourceCraft, then `verify` (and a dry run, to compare) as child
processes under `peak.py`, which notes the child's own peak RSS.

    python benchmarks/verify_bench.py --issues 3000 30000 --milestones 300
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _cli(args: list[str], env: dict[str, str], peak: Path | None = None) -> tuple[int, float]:
    command = [sys.executable, *([str(ROOT / "benchmarks" / "peak.py"), str(peak)] if peak
                                 else []), "-m", "bridge", *args]
    start = time.monotonic()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):
        sys.stderr.write(done.stderr)
    return done.returncode, time.monotonic() - start


def measure(issues: int, milestones: int, labels: int) -> dict[str, Any]:
    """One size: the migration, then verify and a dry run, each measured."""
    from bridge.sandbox import Sandbox

    with Sandbox.synthetic(milestones=milestones, issues=issues, labels=labels) as sb, \
            tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        config = folder / "scbridge.yaml"
        config.write_text(
            f"source:\n  url: {sb.gitlab_url}\n  project: {sb.project_path}\n"
            f"target:\n  url: {sb.sourcecraft_url}\n  org: {sb.org}\n  repo: {sb.repo}\n"
            "checkpoint: checkpoint.db\nhttp:\n  concurrency: 4\n"
            "transfer:\n  labels: true\n  issues: true\n", encoding="utf-8")
        env = {**os.environ, "GITLAB_TOKEN": sb.gitlab_token,
               "SOURCECRAFT_TOKEN": sb.sourcecraft_token}
        base = ["-c", str(config), "--no-progress", "-q"]
        code, migrate_s = _cli(["migrate", *base], env)
        assert code == 0, "the migration failed"
        out: dict[str, Any] = {"issues": issues, "milestones": milestones, "labels": labels,
                               "migrate_s": round(migrate_s, 1)}
        for name, args in (("verify", ["verify", *base]),
                           ("dry_run", ["migrate", "--dry-run", *base])):
            sb.log.clear()
            peak = folder / f"{name}.peak"
            code, seconds = _cli(args, env, peak)
            out[name] = {"exit": code, "wall_s": round(seconds, 2),
                         "peak_rss_mb": round(int(peak.read_text()) / 1024, 1),
                         "source_read": sb.log.count("source_read"),
                         "target_read": sb.log.count("target_read"),
                         "target_write": sb.log.count("target_write")}
        pages = -(-issues // 100)
        listed, held = len(sb.gitlab.listed()), len(sb.sourcecraft.milestones())
        out["formula"] = {"source_read": 1 + 1 + -(-listed // 100) + pages,
                          "target_read": 1 + 1 + -(-held // 100) + pages}
        return out


def main() -> int:
    """Measure each size and print one JSON line per size."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--issues", type=int, nargs="+", default=[3000, 30000])
    parser.add_argument("--milestones", type=int, default=300)
    parser.add_argument("--labels", type=int, default=6)
    args = parser.parse_args()
    for size in args.issues:
        print(json.dumps(measure(size, args.milestones, args.labels)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
