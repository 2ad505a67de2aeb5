"""Running a kind's actions in sequences: one after another within one, in parallel across.

Comments of one issue must land in order, and kept issue numbers need every create
in iid order; everything else may run side by side. A kind says which sequence an
action belongs to (`sequence_of`, None: none) and, if the plan's order is not the
one to keep, how to rank it (`sequence_rank`). Once an action of a sequence fails,
the rest of that sequence is not attempted: nothing lands out of its turn.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bridge.models import ItemOutcome, Planned, target_of


def run_in_sequences(pool: ThreadPoolExecutor, actions: Sequence[Planned], kind: Any,
                     one: Callable[[Planned], ItemOutcome],
                     sends_nothing: Callable[[Planned], bool] = lambda _planned: False
                     ) -> list[ItemOutcome]:
    """Every action through `one`, sequences kept; outcomes in the plan's order.

    A sequence of actions that all send nothing (`sends_nothing`: unchanged, skipped, in
    conflict) is settled here, on the caller's thread: a re-run of 3,000 unchanged issues
    queues no task on the pool.
    """
    sequence_of = getattr(kind, "sequence_of", None)  # None: every action on its own
    name = getattr(kind, "sequence_name", "sequence")
    groups: dict[Any, list[int]] = {}
    for index, planned in enumerate(actions):
        key = None if sequence_of is None else sequence_of(planned)
        groups.setdefault(("alone", index) if key is None else key, []).append(index)
    rank = getattr(kind, "sequence_rank", None)
    if rank is not None:
        for indices in groups.values():
            indices.sort(key=lambda i: rank(actions[i]))
    outcomes: list[ItemOutcome | None] = [None] * len(actions)

    def in_turn(indices: list[int]) -> None:
        broken: str | None = None
        for index in indices:
            planned = actions[index]
            if broken is not None:
                outcomes[index] = ItemOutcome(planned, ok=False, target=target_of(planned),
                                              error=broken, attempted=False)
                continue
            outcome = one(planned)
            outcomes[index] = outcome
            if not outcome.ok:
                broken = (f"not attempted: an earlier one of the same {name} "
                          "did not go through")

    queued = []
    for indices in groups.values():
        if all(sends_nothing(actions[index]) for index in indices):
            in_turn(indices)
        else:
            queued.append(indices)
    list(pool.map(in_turn, queued))
    return [outcome for outcome in outcomes if outcome is not None]
