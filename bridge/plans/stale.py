"""Does a saved plan still hold? Its entries against a plan made afresh, before any write.

An entry holds when its GitLab object is as it was (same fingerprint), its
SourceCraft object is as it was or as this plan itself left it (the checkpoint
records what scbridge wrote: a resumed apply), and what the fresh plan would
write now is what the saved plan approved, or the rest of it. Anything else is
named, and the plan is refused with exit 5.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from bridge.checkpoint import Record
from bridge.engine.refs import Refs
from bridge.plans.entries import EntryKey, by_key, resolve


def _name(entry: Mapping[str, Any]) -> str:
    key = entry.get("key")
    return f"{entry['kind']} {entry['source_id']}" + (f" ({key})" if key else "")


def _ours(saved: Mapping[str, Any], fresh: Mapping[str, Any], record: Record | None) -> bool:
    """True when the target changed only by this plan's own writes (an apply cut short)."""
    if record is None or not saved["writes"]:
        return False
    if record.state == "pending":  # the POST went, its answer never came: found by key now
        return saved["action"] == "create" and record.target_id is None
    return (record.target_id == fresh.get("target_id")
            and record.written_hash == fresh.get("target_fingerprint"))


def approved(saved: Mapping[str, Any] | None, fresh_writes: Sequence[Any], refs: Refs) -> bool:
    """True when `fresh_writes` are the saved entry's writes, or their remainder (resumed)."""
    if not fresh_writes:
        return True
    if saved is None:
        return False
    planned = resolve(saved["writes"], refs)
    return bool(list(fresh_writes) == planned[len(planned) - len(fresh_writes):])


def problems(saved: Sequence[Mapping[str, Any]], fresh: Sequence[Mapping[str, Any]], *,
             records: Mapping[str, Mapping[int, Record]], refs: Refs,
             settled: Collection[EntryKey] = ()) -> list[str]:
    """One line per object that changed since the plan was made; empty when the plan holds.

    `settled`: objects the kind did not read this time because the checkpoint says they
    are done and unchanged since (comments of an issue whose stamp matches): a plan
    carried out already, not an object gone from GitLab. An object the plan writes
    nothing for may be absent too (notes that are not comments, of a settled issue):
    had it vanished from GitLab with a target to act on, a mirror would plan its
    deletion policy for it, which is an entry of its own.
    """
    old, new = by_key(saved), by_key(fresh)
    out: list[str] = []
    for key, entry in old.items():
        now = new.get(key)
        if now is None:
            if key not in settled and entry["writes"]:
                out.append(f"{_name(entry)}: no longer on GitLab")
            continue
        if now["source_fingerprint"] != entry["source_fingerprint"]:
            out.append(f"{_name(entry)}: changed on GitLab")
        elif ((now["target_id"], now["target_fingerprint"])
              != (entry["target_id"], entry["target_fingerprint"])
              and not _ours(entry, now, records.get(key[0], {}).get(key[1]))):
            out.append(f"{_name(entry)}: changed on SourceCraft")
        elif not approved(entry, now["writes"], refs):
            out.append(f"{_name(entry)}: would now {now['action']}, the plan says "
                       f"{entry['action']}")
    out.extend(f"{_name(entry)}: new since the plan (would {entry['action']})"
               for key, entry in new.items() if key not in old and entry["writes"])
    return out
