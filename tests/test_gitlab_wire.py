"""The msgspec fast path reads GitLab pages into exactly the records the dict path makes."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.errors import FatalApiError, RetriableApiError
from bridge.net.classify import remember_json
from bridge.sandbox import Sandbox
from bridge.sources.gitlab import (
    Project,
    parse_issue,
    parse_milestone,
    parse_note,
)
from bridge.sources.gitlab_wire import (
    WireIssue,
    WireNote,
    decode_issues,
    decode_milestones,
    decode_notes,
)
from bridge.sources.records import GitLabUser

PROJECT = Project(id=7, path="g/p", web_url="https://gitlab.example.com/g/p")
_MISSING = object()

# Every JSON type, so each field is sometimes what GitLab sends and sometimes not.
_ANY = st.one_of(st.none(), st.booleans(), st.integers(-5, 2**70), st.floats(allow_nan=False),
                 st.text(max_size=5), st.lists(st.integers(), max_size=2),
                 st.dictionaries(st.sampled_from(["username", "name", "id"]),
                                 st.one_of(st.text(max_size=3), st.integers()), max_size=2))


def _field(usual: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Usually the usual type, sometimes missing, now and then any JSON value at all."""
    def pick(roll: int) -> st.SearchStrategy[Any]:
        return _ANY if roll == 0 else st.just(_MISSING) if roll == 1 else usual
    return st.integers(0, 24).flatmap(pick)


_USER = st.fixed_dictionaries({}, optional={"username": _field(st.text(max_size=4)),
                                            "name": _field(st.text(max_size=4))})
_MILESTONE = st.fixed_dictionaries({
    "id": _field(st.integers(1, 9)), "title": _field(st.text(max_size=4))}, optional={
    "iid": _field(st.integers(1, 9)), "project_id": _field(st.integers(0, 9)),
    "state": _field(st.sampled_from(["active", "closed", ""])),
    "updated_at": _field(st.sampled_from(["2016-01-04T15:31:39.996Z", "2017-01-01"])),
    "web_url": _field(st.text(max_size=4)), "due_date": _field(st.text(max_size=4))})
_ISSUE = st.fixed_dictionaries({"id": _field(st.integers(1, 10**6))}, optional={
    "iid": _field(st.integers(0, 99)), "state": _field(st.sampled_from(["opened", "closed"])),
    "milestone": _field(st.one_of(st.none(), _MILESTONE)),
    "title": _field(st.text(max_size=6)), "description": _field(st.text(max_size=6)),
    "labels": _field(st.lists(st.text(max_size=3), max_size=3)),
    "author": _field(st.one_of(st.none(), _USER)), "assignee": _field(st.one_of(st.none(), _USER)),
    "confidential": _field(st.booleans()), "user_notes_count": _field(st.integers(0, 9)),
    "updated_at": _field(st.text(max_size=4)), "extra": _ANY})
_NOTE = st.fixed_dictionaries({"id": _field(st.integers(1, 10**6))}, optional={
    "body": _field(st.text(max_size=6)), "author": _field(st.one_of(st.none(), _USER)),
    "system": _field(st.booleans()), "attachment": _field(st.one_of(st.none(), st.text())),
    "created_at": _field(st.text(max_size=4))})


def _clean(value: Any) -> Any:
    """The value with every field drawn as "missing" left out, at any depth."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not _MISSING}
    return value


def _body(items: list[dict[str, Any]]) -> bytes:
    return json.dumps([_clean(item) for item in items]).encode("utf-8")


def _dict_path(parse: Any, body: bytes, *args: Any) -> list[Any] | str:
    """What the dict parsers make of a page: its records, or the error they raise."""
    try:
        return [parse(item, *args) for item in json.loads(body)]
    except FatalApiError as error:
        return f"error: {error}"


class TestSameRecordsEitherWay:
    """Whatever the page holds, a typed page gives the dict path's records or is declined."""

    @settings(max_examples=300, deadline=None)
    @given(st.lists(_ISSUE, max_size=4))
    def test_issue_pages(self, items: list[dict[str, Any]]) -> None:
        """Declined pages go the dict way; typed ones must give its records, never an error."""
        body = _body(items)
        typed = decode_issues(body)
        if typed is not None:
            cache: dict[Any, Any] = {}
            assert [parse_issue(w, PROJECT, cache) for w in typed] == _dict_path(
                parse_issue, body, PROJECT, {})

    @settings(max_examples=200, deadline=None)
    @given(st.lists(_NOTE, max_size=4))
    def test_note_pages(self, items: list[dict[str, Any]]) -> None:
        """The same for notes."""
        body = _body(items)
        issue = parse_issue({"id": 5, "iid": 2}, PROJECT)
        typed = decode_notes(body)
        if typed is not None:
            assert [parse_note(w, issue) for w in typed] == _dict_path(parse_note, body, issue)

    @settings(max_examples=200, deadline=None)
    @given(st.lists(_MILESTONE, max_size=4))
    def test_milestone_pages(self, items: list[dict[str, Any]]) -> None:
        """The same for milestones."""
        body = _body(items)
        typed = decode_milestones(body)
        if typed is not None:
            assert [parse_milestone(w, PROJECT) for w in typed] == _dict_path(
                parse_milestone, body, PROJECT)

    def test_sandbox_pages_take_the_fast_path_and_agree(self) -> None:
        """Real-shaped pages (the fake GitLab's) are typed, and equal the dict path's records."""
        with Sandbox.synthetic(milestones=5, issues=40, notes=60, labels=8) as sandbox:
            base = f"{sandbox.gitlab_url}/api/v3/projects/{sandbox.project_id}"
            headers = {"PRIVATE-TOKEN": sandbox.gitlab_token}
            issues_body = requests.get(f"{base}/issues", params={"per_page": 100},
                                       headers=headers, timeout=10).content
            typed = decode_issues(issues_body)
            assert typed is not None
            assert all(isinstance(w, WireIssue) for w in typed)
            records = [parse_issue(w, PROJECT, {}) for w in typed]
            assert records == _dict_path(parse_issue, issues_body, PROJECT)
            assert any(r.milestone is not None for r in records)
            assert any(r.labels for r in records)
            with_notes = next(r for r in records if r.user_notes_count)
            notes_body = requests.get(f"{base}/issues/{with_notes.id}/notes", headers=headers,
                                      timeout=10).content
            notes = decode_notes(notes_body)
            assert notes
            assert all(isinstance(w, WireNote) for w in notes)
            assert [parse_note(w, with_notes) for w in notes] == _dict_path(
                parse_note, notes_body, with_notes)


def test_one_user_record_for_every_issue_and_note_of_one_user() -> None:
    """Authors and assignees decoded from many objects are one record each (what a Spill
    then pickles once), equal to the dict path's; another name is another record."""
    people = [{"username": "root", "name": "Administrator"}, {"username": "ann", "name": "A"}]
    body = _body([{"id": i, "iid": i, "author": people[i % 2], "assignee": people[0]}
                  for i in range(1, 7)])
    typed = decode_issues(body)
    assert typed is not None
    records = [parse_issue(w, PROJECT, {}) for w in typed]
    assert records == _dict_path(parse_issue, body, PROJECT)
    roots = {id(r.assignee) for r in records} | {id(r.author) for r in records[1::2]}
    assert len(roots) == 1
    assert len({id(r.author) for r in records}) == 2
    note = decode_notes(_body([{"id": 9, "body": "x", "author": people[0]}]))
    assert note is not None
    assert parse_note(note[0], records[0]).author is records[0].assignee
    renamed = decode_issues(_body([{"id": 8, "iid": 8,
                                    "author": {"username": "root", "name": "Root"}}]))
    assert renamed is not None
    assert parse_issue(renamed[0], PROJECT, {}).author == GitLabUser("root", "Root")


def _response(body: bytes) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response._content = body
    response.url = "http://127.0.0.1/api/v3/projects/7/issues"
    return response


class TestDeclinedBodies:
    """Bodies msgspec will not type are read by json.loads, with its results and errors."""

    def test_nan_is_read_the_old_way(self) -> None:
        """json.loads takes NaN (msgspec does not): the page still reads, as dicts."""
        data = remember_json(_response(b'[{"id": 1, "weight": NaN}]'), decode_issues)
        assert isinstance(data[0], dict)
        assert parse_issue(data[0], PROJECT).id == 1

    def test_deep_nesting_under_an_unread_field_is_still_retriable(self) -> None:
        """Nesting deeper than any real answer: the same retriable 'not JSON' as before."""
        body = b'[{"id": 1, "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}]"
        with pytest.raises(RetriableApiError, match="not JSON"):
            remember_json(_response(body), decode_issues)

    def test_garbage_is_still_retriable(self) -> None:
        """A truncated page is retriable garbage, typed decoder or not."""
        with pytest.raises(RetriableApiError, match="not JSON"):
            remember_json(_response(b'[{"id": 1, "tit'), decode_issues)

    def test_a_wrong_type_gives_the_dict_path_s_error(self) -> None:
        """An id that is a string is declined by msgspec, then refused with the usual words."""
        data = remember_json(_response(b'[{"id": "1"}]'), decode_issues)
        with pytest.raises(FatalApiError, match="without a valid 'id' field"):
            parse_issue(data[0], PROJECT)
