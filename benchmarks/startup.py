"""Start-up: `scbridge --help`, `validate` and a run's first request against `python -c pass`.

Each round starts the commands one after another (in a rotating order), so load on the
machine falls on all alike; the median over the rounds is compared, and the minimum is
shown as the least disturbed figure. The first-request row is a `migrate --dry-run` whose
servers are a closed port: it is timed from the process's start to its first
`socket.connect` (an audit hook in the child reports when), which follows every check a
run makes before it sends anything (config, mapping, report path, checkpoint).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

CONFIG = """\
source: {url: "http://127.0.0.1:9", project: group/project}
target: {url: "http://127.0.0.1:9", org: my-org, repo: my-repo}
http: {max_attempts: 1}
"""

#: Runs scbridge (argv after the pipe's fd) and writes time.time() to that fd at the first
#: socket.connect, the moment the first request goes out (a line per thread that gets
#: there before any has written: preflight asks both servers at once; the earliest counts).
_FIRST_REQUEST = """\
import os, sys, time
fd, sent = int(sys.argv[1]), []
def hook(event, args):
    if event == "socket.connect" and not sent:
        sent.append(os.write(fd, f"{time.time()!r}\\n".encode()))
sys.addaudithook(hook)
from bridge.cli import main
sys.exit(main(sys.argv[2:]))
"""

FIRST_REQUEST = "scbridge migrate: 1st request"


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


def _first_request(argv: list[str]) -> float:
    """Seconds from spawning `argv` (scbridge's arguments) to its first socket.connect."""
    read, write = os.pipe()
    try:
        started = time.time()
        proc = subprocess.run([sys.executable, "-c", _FIRST_REQUEST, str(write), *argv],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False,
                              timeout=60, pass_fds=(write,),
                              env={**os.environ, "GITLAB_TOKEN": "bench-token",
                                   "SOURCECRAFT_TOKEN": "bench-token"})
        os.close(write)
        write = -1
        sent = os.read(read, 1000)
    finally:
        os.close(read)
        if write >= 0:
            os.close(write)
    if not sent:
        raise RuntimeError(f"scbridge {' '.join(argv)} sent no request (exit "
                           f"{proc.returncode}): {proc.stderr[-500:]!r}")
    return min(map(float, sent.split())) - started


def run(work: Path, *, rounds: int = 20) -> dict[str, Any]:
    """Time each command `rounds` times; medians, minima, and each against the bare start."""
    work.mkdir(parents=True, exist_ok=True)
    config = work / "scbridge.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    commands = {"python -c pass": [sys.executable, "-c", "pass"],
                "scbridge --help": [*_scbridge(), "--help"],
                "scbridge validate": [*_scbridge(), "validate", "-c", str(config)],
                FIRST_REQUEST: ["migrate", "-c", str(config), "--dry-run", "--no-progress",
                                "--log-format", "json", "--checkpoint", str(work / "cp")]}
    names = list(commands)
    times: dict[str, list[float]] = {name: [] for name in names}

    def once(name: str) -> float:
        argv = commands[name]
        return _first_request(argv) if name == FIRST_REQUEST else _once(argv)

    for name in names:  # warm the file cache (and .pyc files) first
        once(name)
    for n in range(rounds):
        for name in names[n % len(names):] + names[:n % len(names)]:
            times[name].append(once(name))
    bare = statistics.median(times[names[0]])
    rows = []
    for name in names:
        median = statistics.median(times[name])
        rows.append({"command": name, "median_s": median, "min_s": min(times[name]),
                     "over_bare_s": median - bare, "ratio": median / bare})
    return {"rounds": rounds, "rows": rows}
