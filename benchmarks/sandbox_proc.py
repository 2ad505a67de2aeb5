"""The benchmark's sandbox, in a process of its own so its threads never take the client's GIL.

Run as a script it serves `Sandbox.synthetic(...)` with a latency fault on both fakes, prints
one JSON line (URLs, tokens, names) and then answers one-line commands on stdin: `counts`,
`clear`, `target` (what SourceCraft holds), `quit`. `SandboxProcess` drives it from the
benchmark; `InProcessSandbox` has the same interface with the threads in the caller's process,
to measure what sharing one interpreter costs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _target(sandbox: Any) -> dict[str, int]:
    # Every repository's milestones: one per project (a fleet sandbox has several).
    milestones = [m for repo in sandbox.repos
                  for m in sandbox.sourcecraft.milestones(sandbox.org, repo)]
    state = sandbox.sourcecraft
    return {"total": len(milestones),
            "closed": sum(1 for m in milestones if m.get("status") == "closed"),
            "labels": len(state.labels.by_id), "issues": len(state.issues.by_id),
            "comments": len(state.comments.by_id)}


def _refused(sandbox: Any) -> dict[str, int]:
    """How many answers were 429s, per server, since the last `clear`."""
    out = {"gitlab": 0, "sourcecraft": 0}
    for record in sandbox.log.entries:
        if record.status == 429:
            out[record.server] = out.get(record.server, 0) + 1
    return out


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _info(sandbox: Any) -> dict[str, Any]:
    return {"gitlab_url": sandbox.gitlab_url, "gitlab_token": sandbox.gitlab_token,
            "sourcecraft_url": sandbox.sourcecraft_url,
            "sourcecraft_token": sandbox.sourcecraft_token, "project": sandbox.project_path,
            "project_id": sandbox.project_id, "org": sandbox.org, "repo": sandbox.repo,
            "projects": sandbox.project_paths, "repos": sandbox.repos}


def _memoise(sandbox: Any) -> None:
    """Compute every synthetic issue once, before any timing, and serve them from a list.

    Synthetic issues are pure functions of their index and never edited, so this changes no
    answer; it takes the fake's per-page cost from about 4 ms to about 2 ms of CPU, which on
    2 cores would otherwise be taken from the client being measured (a real GitLab runs on
    another machine). If the sandbox's internals move, the benchmark still runs, unmemoised.
    """
    for state in getattr(sandbox, "gitlab_projects", [sandbox.gitlab]):
        synthetic = getattr(getattr(state, "issues", None), "_synthetic", None)
        if synthetic is None or not hasattr(synthetic, "stored"):
            return
        issues = [synthetic.stored(index) for index in range(synthetic.count)]
        synthetic.stored = issues.__getitem__


def _start(milestones: int, issues: int, latency_ms: float, seed: int, projects: int = 1, *,
           notes: int = 0, labels: int = 6, rate_limit: int = 0) -> Any:
    from bridge.sandbox import Sandbox

    sandbox = Sandbox.synthetic(milestones=milestones, issues=issues, seed=seed, notes=notes,
                                labels=labels, **({"projects": projects} if projects > 1 else {}))
    _memoise(sandbox)
    if latency_ms > 0:
        sandbox.faults.add("both", "latency", ms=latency_ms)
    if rate_limit > 0:  # each server its own budget of `rate_limit` requests a second
        sandbox.faults.add("gitlab", "rate_limit", limit=rate_limit)
        sandbox.faults.add("sourcecraft", "rate_limit", limit=rate_limit)
    return sandbox.start()


class InProcessSandbox:
    """The sandbox's threads in this process: the placement the benchmark compares against."""

    def __init__(self, milestones: int, issues: int, latency_ms: float, seed: int = 0) -> None:
        self._sandbox = _start(milestones, issues, latency_ms, seed)
        self.info = _info(self._sandbox)

    def counts(self) -> dict[str, int]:
        """Requests seen by kind since the last `clear`."""
        return dict(self._sandbox.log.counts())

    def clear(self) -> None:
        """Reset the request counters."""
        self._sandbox.log.clear()

    def target(self) -> dict[str, int]:
        """How many milestones SourceCraft holds, and how many of them are closed."""
        return _target(self._sandbox)

    def close(self) -> None:
        """Stop both fakes."""
        self._sandbox.stop()


class SandboxProcess:
    """A sandbox served by a child Python process, driven over its stdin and stdout."""

    def __init__(self, milestones: int, issues: int, latency_ms: float, seed: int = 0,
                 projects: int = 1, *, notes: int = 0, labels: int = 6,
                 rate_limit: int = 0) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--milestones", str(milestones),
             "--issues", str(issues), "--latency-ms", str(latency_ms), "--seed", str(seed),
             "--projects", str(projects), "--notes", str(notes), "--labels", str(labels),
             "--rate-limit", str(rate_limit)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        self.info = self._read()

    def _read(self) -> Any:
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the sandbox process ended (exit {self._proc.wait()})")
        return json.loads(line)

    def _ask(self, command: str) -> Any:
        assert self._proc.stdin is not None
        self._proc.stdin.write(command + "\n")
        self._proc.stdin.flush()
        return self._read()

    def counts(self) -> dict[str, int]:
        """Requests seen by kind since the last `clear`."""
        return dict(self._ask("counts"))

    def clear(self) -> None:
        """Reset the request counters."""
        self._ask("clear")

    def target(self) -> dict[str, int]:
        """How many milestones SourceCraft holds, and how many of them are closed."""
        return dict(self._ask("target"))

    def refused(self) -> dict[str, int]:
        """429 answers per server since the last `clear`."""
        return dict(self._ask("refused"))

    def cpu(self) -> float:
        """CPU seconds the sandbox process has used so far."""
        return float(self._ask("cpu")["seconds"])

    def close(self) -> None:
        """Ask the child to stop, and wait for it."""
        if self._proc.poll() is None:
            with contextlib.suppress(OSError, RuntimeError, ValueError):
                self._ask("quit")
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()


def main() -> int:
    """Serve until `quit` or end of input."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--milestones", type=int, required=True)
    parser.add_argument("--issues", type=int, required=True)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--projects", type=int, default=1)
    parser.add_argument("--notes", type=int, default=0)
    parser.add_argument("--labels", type=int, default=6)
    parser.add_argument("--rate-limit", type=int, default=0)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    sandbox = _start(args.milestones, args.issues, args.latency_ms, args.seed, args.projects,
                     notes=args.notes, labels=args.labels, rate_limit=args.rate_limit)
    answers = {"counts": sandbox.log.counts, "target": lambda: _target(sandbox),
               "refused": lambda: _refused(sandbox),
               "cpu": lambda: {"seconds": _cpu()},
               "clear": lambda: sandbox.log.clear() or {}}
    try:
        print(json.dumps(_info(sandbox)), flush=True)
        for line in sys.stdin:
            command = line.strip()
            if command == "quit":
                print("{}", flush=True)
                break
            print(json.dumps(answers[command]()), flush=True)
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
