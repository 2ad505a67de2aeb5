"""Start-up: `scbridge --help` and `scbridge validate` against a bare `python -c pass`, one run.

Each round starts the three commands one after another (in a rotating order), so load on
the machine falls on all three alike; the median over the rounds is compared, and the
minimum is shown as the least disturbed figure.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

CONFIG = """\
source: {url: "http://127.0.0.1:9", project: group/project}
target: {url: "http://127.0.0.1:9", org: my-org, repo: my-repo}
"""


def _scbridge() -> list[str]:
    """The console script beside this interpreter (what a user runs), else `python -m bridge`."""
    script = Path(sys.executable).with_name("scbridge")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bridge"]


def _once(argv: list[str]) -> float:
    started = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False,
                          timeout=60)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr[-500:]!r}")
    return elapsed


def run(work: Path, *, rounds: int = 20) -> dict[str, Any]:
    """Time each command `rounds` times; medians, minima, and each against the bare start."""
    work.mkdir(parents=True, exist_ok=True)
    config = work / "scbridge.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    commands = {"python -c pass": [sys.executable, "-c", "pass"],
                "scbridge --help": [*_scbridge(), "--help"],
                "scbridge validate": [*_scbridge(), "validate", "-c", str(config)]}
    names = list(commands)
    times: dict[str, list[float]] = {name: [] for name in names}
    for argv in commands.values():  # warm the file cache (and .pyc files) first
        _once(argv)
    for n in range(rounds):
        for name in names[n % 3:] + names[:n % 3]:
            times[name].append(_once(commands[name]))
    bare = statistics.median(times[names[0]])
    rows = []
    for name in names:
        median = statistics.median(times[name])
        rows.append({"command": name, "median_s": median, "min_s": min(times[name]),
                     "over_bare_s": median - bare, "ratio": median / bare})
    return {"rounds": rounds, "rows": rows}
