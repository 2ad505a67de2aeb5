"""Saved plans' small rules: placeholders filled in, bodies compared, completions approved."""

from __future__ import annotations

from typing import Any

from bridge.engine.kind import number_placeholder, placeholder
from bridge.engine.refs import Refs, TargetRef
from bridge.plans.entries import COMPLETES, completion_of, loader_writes, resolve, unresolved
from bridge.plans.stale import approved, same_writes

TEXT = f"see [#{number_placeholder(1002)}](https://sc/o/r/issues/{number_placeholder(1002)})"


def _refs() -> Refs:
    refs = Refs()
    refs.put("milestone", 12, TargetRef("ms-id", "v1-0"))
    refs.put("issue", 1002, TargetRef("issue-id", "7"))
    refs.put("issue", 1003, TargetRef(None, "", new=True))  # planned, not created yet
    return refs


def _entry(*writes: dict[str, Any], action: str = "create") -> dict[str, Any]:
    return {"kind": "issue", "source_id": 1003, "action": action, "writes": list(writes)}


POST = {"method": "POST", "body": {"milestone_id": placeholder("milestone", 12), "title": "t"}}
DONE = {"method": "PATCH", "body": {"description": TEXT}, "purpose": COMPLETES}


class TestResolve:
    def test_ids_and_numbers_of_objects_that_exist_are_filled_in(self) -> None:
        assert resolve(POST, _refs())["body"]["milestone_id"] == "ms-id"
        assert resolve(TEXT, _refs()) == "see [#7](https://sc/o/r/issues/7)"
        assert unresolved(resolve(DONE, _refs())) == []

    def test_a_planned_issue_keeps_its_placeholder(self) -> None:
        text = f"#{number_placeholder(1003)} and {placeholder('milestone', 99)}"
        assert resolve(text, _refs()) == text
        assert resolve(placeholder("milestone", 99), _refs()) == placeholder("milestone", 99)
        assert unresolved({"body": text}) == [1003]

    def test_a_text_without_placeholders_is_left_alone(self) -> None:
        assert resolve("$plan: costs $5", _refs()) == "$plan: costs $5"


class TestApproval:
    def test_bodies_compare_with_placeholders_filled_in_on_both_sides(self) -> None:
        entry = _entry(POST, DONE)
        sent = {"method": "POST", "body": {"milestone_id": "ms-id", "title": "t"}}
        assert same_writes(entry, [sent, DONE], _refs())
        assert same_writes(entry, [DONE], _refs())  # what is left of it
        edited = {"method": "POST", "body": {"milestone_id": "ms-id", "title": "other"}}
        assert not same_writes(entry, [edited, DONE], _refs())
        assert not same_writes(entry, [sent, DONE, DONE], _refs())

    def test_a_completion_alone_is_approved_only_where_one_is_listed(self) -> None:
        assert approved(_entry(POST, DONE), "unchanged", [DONE])
        assert not approved(_entry(POST), "unchanged", [DONE])
        assert not approved(_entry(POST, DONE), "update", [POST])

    def test_the_completion_is_not_one_of_the_loader_writes(self) -> None:
        entry = _entry(POST, DONE)
        assert loader_writes(entry) == [POST]
        assert completion_of(entry) == DONE["body"]
        assert completion_of(_entry(POST)) is None
