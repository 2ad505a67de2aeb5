"""`scbridge status` over a fleet: each project's checkpoint in one line, then their sums."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from bridge.checkpoint import Checkpoint
from bridge.config import Config


def print_status(configs: Sequence[Config]) -> int:
    """Print what every project's checkpoint holds and the totals; read-only, always 0."""
    states: Counter[str] = Counter()
    last_codes: Counter[str] = Counter()
    for config in configs:
        name = f"{config.source.project} -> {config.target.org}/{config.target.repo}"
        if not config.checkpoint.exists():
            print(f"{name}: no checkpoint yet ({config.checkpoint})")
            last_codes["no run yet"] += 1
            continue
        with Checkpoint.open(config.checkpoint, readonly=True) as checkpoint:
            records = checkpoint.records()
            last = checkpoint.last_run()
        counts = Counter(r.state for r in records.values())
        states.update(counts)
        held = ", ".join(f"{state} {n}" for state, n in sorted(counts.items()))
        if last is None:
            ran = "no run finished"
            last_codes["never finished"] += 1
        elif last.finished_at is None:
            ran = f"last run {last.command} started {last.started_at}, never finished"
            last_codes["never finished"] += 1
        else:
            ran = f"last run {last.command} exit {last.exit_code} at {last.finished_at}"
            last_codes[f"exit {last.exit_code}"] += 1
        print(f"{name}: {len(records)} items ({held or 'none'}); {ran}")
    total = sum(states.values())
    held = ", ".join(f"{state} {n}" for state, n in sorted(states.items()))
    runs = ", ".join(f"{what} {n}" for what, n in sorted(last_codes.items()))
    print(f"total: {len(configs)} projects, {total} items ({held or 'none'}); last runs: "
          f"{runs or 'none'}")
    return 0
