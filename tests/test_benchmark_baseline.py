"""`benchmarks/run.py --baseline DIR`: the same runs with another checkout, side by side."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_baseline_checkout_runs_and_is_printed_beside_this_one(tmp_path: Path) -> None:
    """Each baseline run is that checkout's scbridge (a marker proves it), in its own table."""
    base = tmp_path / "base"
    shutil.copytree(ROOT / "bridge", base / "bridge",
                    ignore=shutil.ignore_patterns("__pycache__"))
    marker = tmp_path / "baseline-ran"
    main = base / "bridge" / "__main__.py"
    main.write_text(f"open({str(marker)!r}, 'a').write('run\\n')\n"
                    + main.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--milestones", "5",
         "--issues", "200", "--latency-ms", "0", "--issue-issues", "0", "--rate-limit", "0",
         "--no-python-gitlab", "--checkpoint-items", "0", "--startup-rounds", "0",
         "--repeat", "2", "--baseline", str(base), "--json", str(out)],
        capture_output=True, text=True, timeout=180, check=False, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads(out.read_text(encoding="utf-8"))
    assert marker.read_text(encoding="utf-8").count("run") == 2 * 3  # two passes of three runs
    assert [row["run"] for row in results["baseline"]["runs"]] == ["dry run", "migration",
                                                                   "re-run"]
    assert all(row["exact"] for row in results["baseline"]["runs"])
    assert results["baseline"]["root"] == str(base)
    assert f"baseline: {base} (not a git checkout)" in proc.stdout
    assert "wall before" in proc.stdout


def test_a_baseline_without_bridge_is_refused(tmp_path: Path) -> None:
    """A folder that holds no scbridge is a usage error, before any sandbox starts."""
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick",
                           "--baseline", str(tmp_path)],
                          capture_output=True, text=True, timeout=60, check=False, cwd=ROOT)
    assert proc.returncode == 2
    assert "no bridge/ package there" in proc.stderr
