"""Does a saved plan still hold? Its entries against a plan made afresh, before any write.

An entry holds when its GitLab object is as it was (same fingerprint), its
SourceCraft object is as it was or as this plan itself left it (the checkpoint
records what scbridge wrote: a resumed apply), and what the fresh plan would
write now is what the saved plan approved, or the rest of it. Anything else is
named, and the plan is refused with exit 5. A write that differs from the saved one
while everything it is made from is as it was means the plan was edited (or made by
another scbridge): exit 2.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bridge.checkpoint import Record
from bridge.engine.refs import Refs
from bridge.plans.entries import COMPLETES, EntryKey, by_key, completion_of, resolve


def _name(entry: Mapping[str, Any]) -> str:
    key = entry.get("key")
    return f"{entry['kind']} {entry['source_id']}" + (f" ({key})" if key else "")


def _ours(saved: Mapping[str, Any], fresh: Mapping[str, Any], record: Record | None) -> bool:
    """True when the target changed only by this plan's own writes (an apply cut short)."""
    if record is None or not saved["writes"]:
        return False
    if record.state == "pending":  # the POST went, its answer never came: found by key now
        return saved["action"] == "create" and record.target_id is None
    # Recorded, or written and killed before its record: the state the write leaves.
    return (record.target_id == fresh.get("target_id")
            and fresh.get("target_fingerprint") in (record.written_hash,
                                                    saved.get("result_fingerprint")))


def same_writes(saved: Mapping[str, Any], fresh_writes: Sequence[Any], refs: Refs) -> bool:
    """True when `fresh_writes` are the saved entry's writes, or their remainder, body for body
    (placeholders filled in from `refs` on both sides)."""
    if not fresh_writes:
        return True
    planned, fresh = resolve(saved["writes"], refs), resolve(list(fresh_writes), refs)
    return len(fresh) <= len(planned) and bool(fresh == planned[len(planned) - len(fresh):])


def approved(saved: Mapping[str, Any] | None, action: str, fresh_writes: Sequence[Any]) -> bool:
    """True when the saved plan approved this action: the same one, the close a create still
    owes (a milestone created, then killed before its close), or only the completion of an
    issue's references it lists. No write: always."""
    if not fresh_writes:
        return True
    if saved is None or not saved["writes"]:
        return False
    if all(write.get("purpose") == COMPLETES for write in fresh_writes):
        return completion_of(saved) is not None
    return action == saved["action"] or (saved["action"] == "create"
                                         and action in ("close", "reopen"))


@dataclass
class Found:
    """What a check found: objects changed since the plan (exit 5), and writes that differ
    from the saved ones while nothing they are made from changed (an edited plan: exit 2)."""

    changed: list[str] = field(default_factory=list)
    edited: list[str] = field(default_factory=list)


def problems(saved: Sequence[Mapping[str, Any]], fresh: Sequence[Mapping[str, Any]], *,
             records: Mapping[str, Mapping[int, Record]], refs: Refs,
             settled: Collection[EntryKey] = ()) -> Found:
    """What changed since the plan was made; nothing found when the plan holds.

    `settled`: objects the kind did not read this time because the checkpoint says they
    are done and unchanged since (comments of an issue whose stamp matches): a plan
    carried out already, not an object gone from GitLab. An object the plan writes
    nothing for may be absent too (notes that are not comments, of a settled issue):
    had it vanished from GitLab with a target to act on, a mirror would plan its
    deletion policy for it, which is an entry of its own.

    Bodies are compared exactly, placeholders filled in on both sides: the fresh plan makes
    its texts as the saved one did (`as_planned`), so a resumed apply's remaining writes
    are the saved ones too. An object this plan already wrote (`_ours`) is not compared:
    what is left of it is checked write by write as the load sends it.
    """
    old, new = by_key(saved), by_key(fresh)
    found = Found()
    for key, entry in old.items():
        now = new.get(key)
        if now is None:
            if key not in settled and entry["writes"]:
                found.changed.append(f"{_name(entry)}: no longer on GitLab")
            continue
        if now["source_fingerprint"] != entry["source_fingerprint"]:
            found.changed.append(f"{_name(entry)}: changed on GitLab")
        elif _changed(entry, now):
            if not _ours(entry, now, records.get(key[0], {}).get(key[1])):
                found.changed.append(f"{_name(entry)}: changed on SourceCraft")
        elif not approved(entry, str(now["action"]), now["writes"]):
            found.changed.append(f"{_name(entry)}: would now {now['action']}, the plan says "
                                 f"{entry['action']}")
        elif not same_writes(entry, now["writes"], refs):
            found.edited.append(f"{_name(entry)}: the plan's writes are not what the same "
                                "objects give now")
    found.changed.extend(f"{_name(entry)}: new since the plan (would {entry['action']})"
                         for key, entry in new.items() if key not in old and entry["writes"])
    return found


def _changed(saved: Mapping[str, Any], fresh: Mapping[str, Any]) -> bool:
    return bool((fresh["target_id"], fresh["target_fingerprint"])
                != (saved["target_id"], saved["target_fingerprint"]))
