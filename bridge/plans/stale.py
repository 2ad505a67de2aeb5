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
    # Recorded, or written and killed before its record: the state the write leaves.
    return (record.target_id == fresh.get("target_id")
            and fresh.get("target_fingerprint") in (record.written_hash,
                                                    saved.get("result_fingerprint")))


def same_writes(saved: Mapping[str, Any], fresh_writes: Sequence[Any], refs: Refs) -> bool:
    """True when `fresh_writes` are the saved entry's writes, or their remainder, body for body
    (placeholders filled in from `refs`)."""
    if not fresh_writes:
        return True
    planned = resolve(saved["writes"], refs)
    return bool(list(fresh_writes) == planned[len(planned) - len(fresh_writes):])


def approved(saved: Mapping[str, Any] | None, action: str, fresh_writes: Sequence[Any]) -> bool:
    """True when the saved plan approved this action: the same one, or the close a create
    still owes (a milestone created, then killed before its close). No write: always."""
    if not fresh_writes:
        return True
    if saved is None or not saved["writes"]:
        return False
    return action == saved["action"] or (saved["action"] == "create"
                                         and action in ("close", "reopen"))


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

    Bodies are compared exactly while none of the plan is done. Once some is (a resumed
    apply), every input is still checked (GitLab fingerprints, SourceCraft fingerprints or
    our own writes, the config and mapping hashes, nothing new), so a body can differ only
    through this plan's own writes: a text that now links the SourceCraft number of an
    issue the plan created. Then the action is compared, not the body.
    """
    old, new = by_key(saved), by_key(fresh)
    out: list[str] = []
    ours = {key for key, entry in old.items() if key in new and _changed(entry, new[key])
            and _ours(entry, new[key], records.get(key[0], {}).get(key[1]))}
    for key, entry in old.items():
        now = new.get(key)
        if now is None:
            if key not in settled and entry["writes"]:
                out.append(f"{_name(entry)}: no longer on GitLab")
            continue
        if now["source_fingerprint"] != entry["source_fingerprint"]:
            out.append(f"{_name(entry)}: changed on GitLab")
        elif _changed(entry, now) and key not in ours:
            out.append(f"{_name(entry)}: changed on SourceCraft")
        elif key in ours:
            continue  # done by this plan; what a later run owes it is not in the plan
        elif not approved(entry, str(now["action"]), now["writes"]) or (
                not ours and not same_writes(entry, now["writes"], refs)):
            out.append(f"{_name(entry)}: would now {now['action']}, the plan says "
                       f"{entry['action']}")
    out.extend(f"{_name(entry)}: new since the plan (would {entry['action']})"
               for key, entry in new.items() if key not in old and entry["writes"])
    return out


def _changed(saved: Mapping[str, Any], fresh: Mapping[str, Any]) -> bool:
    return bool((fresh["target_id"], fresh["target_fingerprint"])
                != (saved["target_id"], saved["target_fingerprint"]))
