"""The fake SourceCraft against its official OpenAPI file: bodies in, answers out, no drift.

tests/data/sourcecraft.swagger.json is a verbatim copy of the published file (Swagger 2.0,
2026 revision). Every answer is validated with `jsonschema` against the operation's own response
definition, made strict (no property the file does not define); a JSON null stands for a field
proto3 leaves unset, so nulls are dropped before validating.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests

from bridge.sandbox import Sandbox
from bridge.sandbox.schema import DEFINITIONS

SWAGGER = Path(__file__).parent / "data" / "sourcecraft.swagger.json"
_FORMATS = jsonschema.FormatChecker(formats=())


@_FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    """RFC 3339 date-times, as protobuf's Timestamp writes them."""
    if not isinstance(value, str):
        return True
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)", value):
        raise ValueError(f"{value!r} is not an RFC 3339 date-time")
    datetime.fromisoformat(value[:19])  # a real calendar date and time of day
    return True


@functools.cache
def swagger() -> dict[str, Any]:
    """The OpenAPI document."""
    return json.loads(SWAGGER.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _strict(node: Any) -> Any:
    """Every object schema that lists properties refuses others (the file never says so)."""
    if isinstance(node, dict):
        out = {key: _strict(value) for key, value in node.items()}
        if "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [_strict(item) for item in node]
    return node


@functools.cache
def _definitions() -> dict[str, Any]:
    return _strict(copy.deepcopy(swagger()["definitions"]))  # type: ignore[no-any-return]


def validator(ref: str) -> jsonschema.Draft4Validator:
    """A strict draft-4 validator for `#/definitions/<ref>` with its $refs resolved in the file."""
    return jsonschema.Draft4Validator({"$ref": f"#/definitions/{ref}",
                                       "definitions": _definitions()}, format_checker=_FORMATS)


def _unset_dropped(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _unset_dropped(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_unset_dropped(v) for v in value]
    return value


def operation(method: str, template: str) -> dict[str, Any]:
    """The OpenAPI operation for `method` on the path `template`."""
    return swagger()["paths"][template][method.lower()]  # type: ignore[no-any-return]


def body_ref(method: str, template: str) -> str:
    """The definition name of an operation's request body."""
    param = next(p for p in operation(method, template)["parameters"] if p["in"] == "body")
    return str(param["schema"]["$ref"].rsplit("/", 1)[-1])


def check_answer(response: requests.Response, method: str, template: str) -> None:
    """The answer validates against the operation's schema for its status (or `default`)."""
    responses = operation(method, template)["responses"]
    spec = responses.get(str(response.status_code)) or responses["default"]
    if response.status_code == 204:
        assert "204" in responses
        assert response.content == b""
        return
    assert str(response.status_code) in responses or response.status_code >= 400
    ref = spec["schema"]["$ref"].rsplit("/", 1)[-1]
    validator(ref).validate(_unset_dropped(response.json()))


class Api:
    """Sends one request to the sandbox's SourceCraft by OpenAPI path template and checks it."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {sb.sourcecraft_token}"

    def call(self, method: str, template: str, body: Any = None, *, status: int,
             **path: str) -> Any:
        """Fill `template`, send, assert `status`, validate the answer; its JSON (or None)."""
        values = {"org_slug": self.sb.org, "repo_slug": self.sb.repo, **path}
        url = self.sb.sourcecraft_url + template.format(**values)
        if body is not None and status < 300:
            validator(body_ref(method, template)).validate(body)  # the test's body is valid
        response = self.session.request(method, url, json=body, timeout=10)
        assert response.status_code == status, response.text
        check_answer(response, method, template)
        return response.json() if response.content else None


@pytest.fixture
def api(sandbox: Sandbox) -> Api:
    """The checking client."""
    return Api(sandbox)


R = "/repos/{org_slug}/{repo_slug}"


class TestRequestDefinitions:
    """The fake's request checks are the file's definitions, copied without their titles."""

    @pytest.mark.parametrize("name", sorted(DEFINITIONS))
    def test_copied_definition_matches_the_file(self, name: str) -> None:
        """Each definition the fake validates with equals the file's, titles aside."""
        def untitled(node: Any) -> Any:
            if isinstance(node, dict):
                return {k: untitled(v) for k, v in node.items() if k not in ("title",
                                                                             "description")}
            return [untitled(v) for v in node] if isinstance(node, list) else node
        assert untitled(swagger()["definitions"][name]) == untitled(DEFINITIONS[name])

    @pytest.mark.parametrize(("method", "template"), [
        ("POST", R + "/labels"), ("PATCH", R + "/labels/{label_slug}"),
        ("POST", R + "/issues"), ("PATCH", R + "/issues/{issue_slug}"),
        ("PUT", R + "/issues/{issue_slug}/labels"), ("POST", R + "/issues/{issue_slug}/labels"),
        ("DELETE", R + "/issues/{issue_slug}/labels"),
        ("POST", R + "/issues/{issue_slug}/comments"),
        ("PATCH", "/issue_comments/id:{issue_comment_id}"),
    ])
    def test_the_fake_checks_each_route_with_its_own_definition(self, method: str,
                                                               template: str) -> None:
        """Every write route the fake serves names a body definition the fake knows."""
        assert body_ref(method, template) in DEFINITIONS


class TestMilestoneRoutes:
    """The milestone routes scbridge already uses answer as the file says."""

    def test_crud_answers_match_the_file(self, api: Api) -> None:
        """Create, list, get, update, delete a milestone: each answer validates."""
        made = api.call("POST", R + "/milestones", {"name": "v1.0",
                                                     "deadline": "2016-03-01T00:00:00Z"},
                        status=201)
        api.call("POST", R + "/milestones", {"name": "x", "status": "closed"}, status=400)
        api.call("GET", R + "/milestones", status=200)
        one = R + "/milestones/{milestone_slug}"
        api.call("PATCH", one, {"status": "closed"}, status=200, milestone_slug=made["slug"])
        api.call("GET", "/milestones/id:{milestone_id}", status=200, milestone_id=made["id"])
        api.call("DELETE", one, status=204, milestone_slug=made["slug"])


class TestLabelRoutes:
    """Labels: list, create, get, update, delete, by slug and by id."""

    def test_crud_answers_match_the_file(self, api: Api) -> None:
        """Every label answer validates; a duplicate name is 409 with the error envelope."""
        made = api.call("POST", R + "/labels", {"name": "Two words", "color": "FF00FF"},
                        status=201)
        api.call("POST", R + "/labels", {"name": "Two words"}, status=409)
        api.call("POST", R + "/labels", {"name": "x", "colour": "red"}, status=400)
        api.call("POST", R + "/labels", {"name": 7}, status=400)
        api.call("POST", R + "/labels", {"color": "FF00FF"}, status=400)
        api.call("GET", R + "/labels", status=200)
        api.call("GET", R + "/labels/{label_slug}", status=200, label_slug=made["slug"])
        api.call("PATCH", R + "/labels/{label_slug}", {"color": "00FF00"}, status=200,
                 label_slug=made["slug"])
        api.call("PATCH", R + "/labels/{label_slug}", {"description": "x"}, status=400,
                 label_slug=made["slug"])
        api.call("GET", "/labels/id:{label_id}", status=200, label_id=made["id"])
        api.call("PATCH", "/labels/id:{label_id}", {"name": "Renamed"}, status=200,
                 label_id=made["id"])
        api.call("DELETE", "/labels/id:{label_id}", status=204, label_id=made["id"])
        api.call("GET", R + "/labels/{label_slug}", status=404, label_slug=made["slug"])


class TestIssueRoutes:
    """Issues, their labels and comments; the statuses and users they refer to."""

    def test_issue_answers_match_the_file(self, api: Api, sandbox: Sandbox) -> None:
        """Create (every field), list, filter, get, patch, delete: each answer validates."""
        label = api.call("POST", R + "/labels", {"name": "bug"}, status=201)
        milestone = sandbox.sourcecraft.create_milestone(name="v1.0")
        user = api.call("GET", "/users/{user_slug}", status=200, user_slug="lennie")
        issue = api.call("POST", R + "/issues", {
            "title": "Полный набор", "description": "Всё сразу.", "status_slug": "closed",
            "priority": "critical", "assignee_id": user["id"], "milestone_slug": milestone["slug"],
            "visibility": "private", "label_slugs": ["bug"],
            "deadline": "2016-03-01T00:00:00Z"}, status=201)
        api.call("POST", R + "/issues", {"title": "ids", "label_ids": [label["id"]],
                                         "milestone_id": milestone["id"]}, status=201)
        api.call("POST", R + "/issues", {"title": "t", "state": "closed"}, status=400)
        api.call("POST", R + "/issues", {"title": "t", "label_slugs": "bug"}, status=400)
        api.call("POST", R + "/issues", {"description": "no title"}, status=400)
        api.call("POST", R + "/issues", {"title": "t", "priority": "urgent"}, status=400)
        api.call("POST", R + "/issues", {"title": "t", "label_slugs": ["nope"]}, status=404)
        api.call("GET", R + "/issues", status=200)
        api.call("GET", R + "/issues/{issue_slug}", status=200, issue_slug=issue["slug"])
        api.call("GET", "/issues/id:{issue_id}", status=200, issue_id=issue["id"])
        api.call("PATCH", R + "/issues/{issue_slug}", {"milestone_id": "", "assignee_id": "",
                                                       "status_slug": "open"},
                 status=200, issue_slug=issue["slug"])
        api.call("PATCH", R + "/issues/{issue_slug}", {"label_slugs": ["bug"]}, status=400,
                 issue_slug=issue["slug"])
        api.call("PATCH", "/issues/id:{issue_id}", {"title": "Renamed"}, status=200,
                 issue_id=issue["id"])
        api.call("DELETE", R + "/issues/{issue_slug}", status=204, issue_slug="2")
        api.call("GET", R + "/issues/{issue_slug}", status=404, issue_slug="2")

    def test_issue_label_answers_match_the_file(self, api: Api) -> None:
        """GET, POST, PUT, DELETE on an issue's labels answer `{labels: [...]}`."""
        for name in ("a", "b"):
            api.call("POST", R + "/labels", {"name": name}, status=201)
        issue = api.call("POST", R + "/issues", {"title": "t"}, status=201)
        path = R + "/issues/{issue_slug}/labels"
        slug = issue["slug"]
        assert api.call("POST", path, {"slugs": ["a"]}, status=200, issue_slug=slug)["labels"]
        api.call("PUT", path, {"slugs": ["a", "b"]}, status=200, issue_slug=slug)
        api.call("DELETE", path, {"slugs": ["a"]}, status=200, issue_slug=slug)
        api.call("GET", path, status=200, issue_slug=slug)
        api.call("PUT", path, {"names": ["a"]}, status=400, issue_slug=slug)
        api.call("PUT", path, {"slugs": ["zzz"]}, status=404, issue_slug=slug)
        api.call("GET", "/issues/id:{issue_id}/labels", status=200, issue_id=issue["id"])

    def test_comment_answers_match_the_file(self, api: Api) -> None:
        """Comments: create, reply, list, update, delete (soft), each answer validates."""
        issue = api.call("POST", R + "/issues", {"title": "t"}, status=201)
        path = R + "/issues/{issue_slug}/comments"
        first = api.call("POST", path, {"body": "first"}, status=201, issue_slug=issue["slug"])
        api.call("POST", path, {"body": "reply", "parent_id": first["id"]}, status=201,
                 issue_slug=issue["slug"])
        api.call("POST", path, {"text": "wrong field"}, status=400, issue_slug=issue["slug"])
        api.call("GET", path, status=200, issue_slug=issue["slug"])
        api.call("GET", "/issues/id:{issue_id}/comments", status=200, issue_id=issue["id"])
        one = "/issue_comments/id:{issue_comment_id}"
        api.call("PATCH", one, {"body": "edited"}, status=200, issue_comment_id=first["id"])
        api.call("PATCH", one, {"body": 1}, status=400, issue_comment_id=first["id"])
        api.call("DELETE", one, status=204, issue_comment_id=first["id"])
        api.call("GET", one, status=200, issue_comment_id=first["id"])

    def test_users_repository_and_statuses_match_the_file(self, api: Api) -> None:
        """GET /user, /users/{slug}, /repos/{org}/{repo}, /issue_statuses validate; 404s too."""
        assert api.call("GET", "/user", status=200)["username"] == "scbridge-bot"
        api.call("GET", "/users/{user_slug}", status=404, user_slug="axel.block")
        api.call("GET", R, status=200)
        api.call("GET", R, status=404, repo_slug="no-such-repo")
        statuses = api.call("GET", "/issue_statuses", status=200)["statuses"]
        assert {s["slug"] for s in statuses} == {"open", "inProgress", "paused", "closed",
                                                 "declined", "duplicate"}
