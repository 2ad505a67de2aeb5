"""One planned action as a saved plan holds it: the writes it sends, and what it was computed from.

Written the same way when the plan is saved (`--plan-out`) and when `apply`
plans afresh, so the two can be compared entry by entry. The bodies come from
the kinds' own `create_body`/`change_body`, the very functions the loader's
writes call; ids of objects the same plan creates are placeholders
(`$plan:<kind>:<GitLab id>`) that `resolve` fills in once those objects exist;
in a text, `$plan:issue-number:<GitLab id>` is the number such an issue gets.

An issue whose text names issues the plan creates has one write more, marked
`"purpose": "complete references"`: the PATCH that finishes its text once they exist.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Collection, Mapping, Sequence
from hashlib import sha256
from typing import Any

from bridge.checkpoint import content_hash
from bridge.engine.kind import PLACEHOLDER_PREFIX, Kind
from bridge.engine.refs import Refs
from bridge.models import (
    Action,
    Change,
    Create,
    Gone,
    Planned,
    source_id_of,
    source_of,
    target_of,
    wanted_of,
)

#: (kind, GitLab id): how entries of two plans are paired.
EntryKey = tuple[str, int]

#: The `purpose` of the write that completes an issue's references after the issues load.
COMPLETES = "complete references"
_NUMBER = re.compile(re.escape(PLACEHOLDER_PREFIX) + r"issue-number:(\d+)")


def plain(value: Any) -> Any:
    """`value` as JSON has it (tuples as lists, anything odd as its text)."""
    return json.loads(json.dumps(value, default=str))


def source_fingerprint(source: Any) -> str | None:
    """The sha256 of every field GitLab sent for the object (None for an object GitLab lacks)."""
    if source is None:
        return None
    fields: Any = repr(source)
    if dataclasses.is_dataclass(source) and not isinstance(source, type):
        fields = dataclasses.asdict(source)
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return sha256(text.encode()).hexdigest()


def target_fingerprint(target: Any) -> str | None:
    """The hash of the managed fields SourceCraft holds (the checkpoint's `written_hash` too)."""
    return None if target is None else content_hash(target.managed())


def writes_of(kind: Kind, planned: Planned, refs: Refs) -> list[dict[str, Any]]:
    """The requests the loader sends for `planned`, in order: method and exact JSON body."""
    if isinstance(planned, Create):
        body = kind.create_body(planned.wanted, refs)
        writes: list[dict[str, Any]] = [{"method": "POST", "body": body}]
        # A kind whose create cannot carry the status (milestones) is closed right after.
        if ("status" in kind.fields and planned.wanted.status == "closed"
                and not {"status", "status_slug"} & set(body)):
            writes.append({"method": "PATCH", "body": {"status": "closed"}})
        return plain(writes)  # type: ignore[no-any-return]
    if isinstance(planned, Change):
        changes = dict(planned.changes)
        if planned.action in (Action.CLOSE, Action.REOPEN):
            after = "closed" if planned.action is Action.CLOSE else "open"
            changes = {"status": (planned.target.status, after)}
        body = kind.change_body(planned.target, planned.wanted, changes, refs)
        return plain([{"method": "PATCH", "body": body}])  # type: ignore[no-any-return]
    if isinstance(planned, Gone) and planned.action is Action.DELETE:
        return [{"method": "DELETE"}]
    if isinstance(planned, Gone) and planned.action is Action.CLOSE:
        body = kind.change_body(planned.target, None, dict(planned.changes), refs)
        return plain([{"method": "PATCH", "body": body}])  # type: ignore[no-any-return]
    return []


def result_fingerprint(planned: Planned) -> str | None:
    """The hash the target object has once `planned` is carried out; None if it writes nothing.

    So an apply cut short between a write and its record still knows the write for its own.
    """
    if isinstance(planned, Create):
        return content_hash(planned.wanted.managed())
    if isinstance(planned, Change | Gone) and planned.target is not None and planned.changes:
        fields = dict(planned.target.managed())
        fields.update({name: after for name, (_before, after) in planned.changes.items()})
        return content_hash(fields)
    return None


def entry_of(kind: Kind, planned: Planned, refs: Refs,
             completion: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """One action of a saved plan (`completion`: the body of its references' PATCH)."""
    source, wanted, target = source_of(planned), wanted_of(planned), target_of(planned)
    key = wanted.key if wanted is not None else (target.key if target is not None else None)
    writes = writes_of(kind, planned, refs)
    if completion is not None:
        writes.append({"method": "PATCH", "body": plain(completion), "purpose": COMPLETES})
    return {
        "kind": kind.name, "source_id": source_id_of(planned), "action": str(planned.action),
        "key": key, "target_id": None if target is None else target.id,
        "changes": plain({name: list(pair) for name, pair in planned.changes.items()}),
        "reason": planned.reason, "writes": writes,
        "source_fingerprint": source_fingerprint(source),
        "target_fingerprint": target_fingerprint(target),
        "result_fingerprint": result_fingerprint(planned)}


def entries_of(kind: Kind, actions: Sequence[Planned], refs: Refs,
               created: Collection[int] = ()) -> list[dict[str, Any]]:
    """Every action of one kind's plan; `created`: the GitLab ids of the issues it creates."""
    completions = getattr(kind, "completions", None)
    done = completions(actions, created) if completions is not None else {}
    return [entry_of(kind, planned, refs, done.get(source_id_of(planned)))
            for planned in actions]


def created_issues(entries: Sequence[Mapping[str, Any]]) -> frozenset[int]:
    """The GitLab ids of the issues a plan creates."""
    return frozenset(int(e["source_id"]) for e in entries
                     if e["kind"] == "issue" and e["action"] == "create")


def loader_writes(entry: Mapping[str, Any]) -> list[Any]:
    """The entry's writes the loader sends (all but the completion after the load)."""
    return [w for w in entry["writes"] if w.get("purpose") != COMPLETES]


def completion_of(entry: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """The body of the entry's references' PATCH, if it has one."""
    for write in (entry or {}).get("writes", ()):
        if write.get("purpose") == COMPLETES:
            return write.get("body")  # type: ignore[no-any-return]
    return None


def resolve(value: Any, refs: Refs) -> Any:
    """`value` with each placeholder whose object `refs` now knows replaced by its id (in a
    text: each issue number placeholder whose issue exists, by its number)."""
    if isinstance(value, str) and value.startswith(PLACEHOLDER_PREFIX):
        kind, _, source_id = value[len(PLACEHOLDER_PREFIX):].partition(":")
        ref = refs.get(kind, int(source_id)) if source_id.isdigit() else None
        if ref is not None and ref.id is not None:
            return ref.id
    if isinstance(value, str) and PLACEHOLDER_PREFIX in value:
        return _NUMBER.sub(lambda m: _number(refs, int(m.group(1))) or m.group(0), value)
    if isinstance(value, list):
        return [resolve(item, refs) for item in value]
    if isinstance(value, Mapping):
        return {name: resolve(item, refs) for name, item in value.items()}
    return value


def unresolved(value: Any) -> list[int]:
    """The GitLab ids of the issues whose number placeholders `value` still holds."""
    return sorted({int(n) for n in _NUMBER.findall(json.dumps(value))})


def _number(refs: Refs, source_id: int) -> str | None:
    ref = refs.get("issue", source_id)
    return ref.slug if ref is not None and ref.id is not None and ref.slug else None


def by_key(entries: Sequence[Mapping[str, Any]]) -> dict[EntryKey, Mapping[str, Any]]:
    """Entries by (kind, GitLab id)."""
    return {(str(e["kind"]), int(e["source_id"])): e for e in entries}
