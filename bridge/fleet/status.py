"""`scbridge status` over a fleet: each project's checkpoint in one line, then their sums."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from bridge.checkpoint import Checkpoint
from bridge.config import Config


def _states(counts: dict[str, dict[str, int]]) -> str:
    """`milestone: closed 6, created 7; label: created 3`."""
    return "; ".join(f"{kind}: " + ", ".join(f"{state} {n}" for state, n in sorted(states.items()))
                     for kind, states in sorted(counts.items())) or "none"


def print_status(configs: Sequence[Config]) -> int:
    """Print what every project's checkpoint holds and the totals; read-only, always 0."""
    total: dict[str, Counter[str]] = {}
    last_codes: Counter[str] = Counter()
    for config in configs:
        name = f"{config.source.project} -> {config.target.org}/{config.target.repo}"
        if not config.checkpoint.exists():
            print(f"{name}: no checkpoint yet ({config.checkpoint})")
            last_codes["no run yet"] += 1
            continue
        with Checkpoint.open(config.checkpoint, readonly=True) as checkpoint:
            counts = checkpoint.counts()
            last = checkpoint.last_run()
        for kind, states in counts.items():
            total.setdefault(kind, Counter()).update(states)
        items = sum(n for states in counts.values() for n in states.values())
        if last is None:
            ran = "no run finished"
            last_codes["never finished"] += 1
        elif last.finished_at is None:
            ran = f"last run {last.command} started {last.started_at}, never finished"
            last_codes["never finished"] += 1
        else:
            ran = f"last run {last.command} exit {last.exit_code} at {last.finished_at}"
            last_codes[f"exit {last.exit_code}"] += 1
        print(f"{name}: {items} items ({_states(counts)}); {ran}")
    items = sum(sum(states.values()) for states in total.values())
    runs = ", ".join(f"{what} {n}" for what, n in sorted(last_codes.items()))
    print(f"total: {len(configs)} projects, {items} items "
          f"({_states({k: dict(v) for k, v in total.items()})}); last runs: {runs or 'none'}")
    return 0
