"""The fake GitLab's tracker per 8.x version: labels, issue fields, notes and their quirks."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from bridge.sandbox import Sandbox


def get(sb: Sandbox, path: str, **params: Any) -> requests.Response:
    """GET /api/v3<path> with the sandbox's token."""
    return requests.get(f"{sb.gitlab_url}/api/v3{path}", params=params,
                        headers={"PRIVATE-TOKEN": sb.gitlab_token}, timeout=10)


def all_notes(sb: Sandbox, issue_id: int, per_page: int = 2) -> list[list[int]]:
    """Every page of an issue's notes, following X-Next-Page, as lists of note ids."""
    pages, page = [], "1"
    while page:
        response = get(sb, f"/projects/42/issues/{issue_id}/notes", per_page=per_page, page=page)
        assert response.status_code == 200
        pages.append([n["id"] for n in response.json()])
        page = response.headers["X-Next-Page"]
    return pages


BASE_ISSUE = {"id", "iid", "project_id", "title", "description", "state", "created_at",
              "updated_at", "labels", "milestone", "assignee", "author"}


class TestIssueFields:
    """Issue JSON gains fields release by release."""

    @pytest.mark.parametrize(("version", "extra"), [
        ("8.6.0", set()),
        ("8.7.0", {"subscribed"}),
        ("8.8.0", {"subscribed", "user_notes_count"}),
        ("8.9.0", {"subscribed", "user_notes_count", "upvotes", "downvotes"}),
        ("8.10.0", {"subscribed", "user_notes_count", "upvotes", "downvotes", "due_date"}),
        ("8.12.0", {"subscribed", "user_notes_count", "upvotes", "downvotes", "due_date",
                    "confidential", "web_url"}),
    ])
    def test_fields_by_version(self, version: str, extra: set[str]) -> None:
        """Exactly the 8.0 fields plus those the version added."""
        with Sandbox(gitlab_version=version) as sb:
            assert set(get(sb, "/projects/42/issues/1003").json()) == BASE_ISSUE | extra
            listed = get(sb, "/projects/42/issues", per_page=1).json()[0]
            assert set(listed) == BASE_ISSUE | extra

    def test_user_notes_count_counts_user_notes(self, sandbox: Sandbox) -> None:
        """System notes do not count, hidden user notes would; award notes are gone in 8.9+."""
        assert get(sandbox, "/projects/42/issues/1003").json()["user_notes_count"] == 3
        assert get(sandbox, "/projects/42/issues/1001").json()["user_notes_count"] == 3
        assert get(sandbox, "/projects/42/issues/1009").json()["user_notes_count"] == 0

    def test_award_notes_count_in_8_8(self) -> None:
        """In 8.8 an award emoji is a user note, so it counts."""
        with Sandbox(gitlab_version="8.8.5") as sb:
            assert get(sb, "/projects/42/issues/1001").json()["user_notes_count"] == 4

    def test_demo_descriptions_carry_references(self, sandbox: Sandbox) -> None:
        """The demo has a relative upload link and #, %, ~, ! references, and Cyrillic text."""
        text = get(sandbox, "/projects/42/issues/1003").json()["description"]
        assert "(/uploads/0123456789abcdef0123456789abcdef/export.png)" in text
        assert all(ref in text for ref in ("#2", "%2", "~bug", "!4"))
        assert "метки" in get(sandbox, "/projects/42/issues/1042").json()["description"]
        confidential = get(sandbox, "/projects/42/issues/1127").json()
        assert confidential["confidential"] is True


class TestLabels:
    """`GET /projects/:id/labels`: one unpaginated list whose fields grow by version."""

    def test_one_answer_holds_every_label(self, sandbox: Sandbox) -> None:
        """per_page and page are ignored; no pagination headers; group label included (8.13+)."""
        response = get(sandbox, "/projects/42/labels", per_page=2, page=2)
        names = [label["name"] for label in response.json()]
        assert len(names) == 8
        assert "X-Next-Page" not in response.headers
        assert {"#f00", "#69D100"} <= {label["color"] for label in response.json()}
        assert "good first issue" in names
        assert "needs review" in names

    @pytest.mark.parametrize(("version", "fields", "count"), [
        ("8.6.0", {"name", "color"}, 7),
        ("8.7.0", {"name", "color", "description", "open_issues_count", "closed_issues_count",
                   "open_merge_requests_count"}, 7),
        ("8.13.0", {"name", "color", "description", "open_issues_count", "closed_issues_count",
                    "open_merge_requests_count", "subscribed"}, 8),
        ("8.14.0", {"id", "name", "color", "description", "open_issues_count",
                    "closed_issues_count", "open_merge_requests_count", "subscribed",
                    "priority"}, 8),
    ])
    def test_fields_by_version(self, version: str, fields: set[str], count: int) -> None:
        """Label ids appear only in 8.14; group labels only from 8.13."""
        with Sandbox(gitlab_version=version) as sb:
            labels = get(sb, "/projects/42/labels").json()
            assert {frozenset(label) for label in labels} == {frozenset(fields)}
            assert len(labels) == count

    def test_counts_follow_issues(self, sandbox: Sandbox) -> None:
        """open/closed_issues_count count the issues carrying the label, and follow edits."""
        def wontfix() -> dict[str, Any]:
            labels = get(sandbox, "/projects/42/labels").json()
            return next(label for label in labels if label["name"] == "wontfix")

        assert (wontfix()["open_issues_count"], wontfix()["closed_issues_count"]) == (0, 0)
        sandbox.gitlab.update_issue(1005, labels=["wontfix"])
        assert (wontfix()["open_issues_count"], wontfix()["closed_issues_count"]) == (0, 1)

    def test_label_handles(self, sandbox: Sandbox) -> None:
        """add, rename (issues follow), remove (issues lose it)."""
        added = sandbox.gitlab.add_label("two words", color="#abc", description="d")
        sandbox.gitlab.update_issue(1001, labels=["two words", "bug"])
        sandbox.gitlab.update_label(added["id"], name="renamed")
        assert get(sandbox, "/projects/42/issues/1001").json()["labels"] == ["renamed", "bug"]
        sandbox.gitlab.remove_label(added["id"])
        assert get(sandbox, "/projects/42/issues/1001").json()["labels"] == ["bug"]
        with pytest.raises(ValueError, match="comma"):
            sandbox.gitlab.add_label("a,b")


class TestNotes:
    """`GET .../issues/:issue_id/notes`: global ids, database order, short pages."""

    def test_by_global_id_not_iid(self, sandbox: Sandbox) -> None:
        """The path takes the issue's global id; an iid is some other issue or a 404."""
        assert all_notes(sandbox, 1003, per_page=100)[0]
        assert get(sandbox, "/projects/42/issues/3/notes").status_code == 404

    def test_short_page_is_not_the_last(self, sandbox: Sandbox) -> None:
        """8.4+ drops a hidden note after paging: a page comes back short, yet more follow."""
        pages = all_notes(sandbox, 1003, per_page=3)
        assert [len(p) for p in pages] == [2, 3, 1]  # the first page is short
        assert get(sandbox, "/projects/42/issues/1003/notes", per_page=3).headers[
            "X-Total"] == "7"
        assert 3008 not in {n for p in pages for n in p}

    def test_before_8_4_nothing_is_dropped(self) -> None:
        """8.3 shows the cross-reference note: every page is full."""
        with Sandbox(gitlab_version="8.3.0") as sb:
            assert [len(p) for p in all_notes(sb, 1003, per_page=3)] == [3, 3, 1]

    def test_order_is_the_database_order(self, sandbox: Sandbox) -> None:
        """Notes come in table order, not by created_at; an edited note moves to the end."""
        listed = get(sandbox, "/projects/42/issues/1001/notes").json()
        stamps = [n["created_at"] for n in listed]
        assert stamps != sorted(stamps)
        sandbox.gitlab.update_note(3003, body="Same here, edited.")
        again = [n["id"] for n in get(sandbox, "/projects/42/issues/1001/notes").json()]
        assert again[-1] == 3003
        assert sorted(again) == sorted(n["id"] for n in listed)

    def test_system_and_award_notes(self) -> None:
        """System notes carry system: true; an award note is a user note with the emoji name."""
        with Sandbox(gitlab_version="8.8.0") as sb:
            notes = {n["id"]: n for n in get(sb, "/projects/42/issues/1001/notes").json()}
            assert notes[3002]["system"] is True
            assert (notes[3005]["body"], notes[3005]["system"]) == ("thumbsup", False)
            assert notes[3005]["upvote"] is True

    @pytest.mark.parametrize("version", ["8.1.0", "8.9.0", "8.17.8"])
    def test_award_notes_only_in_8_2_to_8_8(self, version: str) -> None:
        """Before 8.2 there were no awards; 8.9 moved them to their own table."""
        with Sandbox(gitlab_version=version) as sb:
            ids = {n["id"] for n in get(sb, "/projects/42/issues/1001/notes").json()}
            assert 3005 not in ids
            assert 3001 in ids

    @pytest.mark.parametrize(("version", "fields"), [
        ("8.2.0", set()), ("8.3.0", {"noteable_id", "noteable_type"}),
        ("8.7.0", {"noteable_id", "noteable_type", "updated_at"})])
    def test_fields_by_version(self, version: str, fields: set[str]) -> None:
        """noteable_id/_type from 8.3, updated_at from 8.7."""
        base = {"id", "body", "attachment", "author", "created_at", "system", "upvote",
                "downvote"}
        with Sandbox(gitlab_version=version) as sb:
            note = get(sb, "/projects/42/issues/1005/notes").json()[0]
            assert set(note) == base | fields
            assert set(note["author"]) == {"name", "username", "id", "state", "avatar_url",
                                           "web_url"}

    def test_one_note(self, sandbox: Sandbox) -> None:
        """GET .../notes/:note_id answers the note, or 404 for a hidden or foreign one."""
        assert get(sandbox, "/projects/42/issues/1001/notes/3001").json()["id"] == 3001
        assert get(sandbox, "/projects/42/issues/1001/notes/3008").status_code == 404
        assert get(sandbox, "/projects/42/issues/1003/notes/3008").status_code == 404


class TestNoteHandles:
    """sb.gitlab note handles, and their effect on the issue's updated_at (8.5+)."""

    @pytest.mark.parametrize(("version", "bumps"), [("8.4.0", False), ("8.5.0", True)])
    def test_new_note_touches_the_issue_from_8_5(self, version: str, bumps: bool) -> None:
        """Adding, editing and removing a note bump updated_at from 8.5 on, not before."""
        clock = [1_700_000_000.0]
        with Sandbox(gitlab_version=version, now=lambda: clock[0]) as sb:
            before = get(sb, "/projects/42/issues/1009").json()["updated_at"]
            note = sb.gitlab.add_note(1009, "A late comment", author="lennie")
            after = get(sb, "/projects/42/issues/1009").json()
            assert (after["updated_at"] != before) is bumps
            assert [n["body"] for n in sb.gitlab.issue_notes(1009)] == ["A late comment"]
            clock[0] += 60
            edited = sb.gitlab.update_note(note["id"], body="Edited")
            assert edited["updated_at"] > note["updated_at"]
            sb.gitlab.remove_note(note["id"])
            assert sb.gitlab.issue_notes(1009) == []

    def test_remove_issue(self, sandbox: Sandbox) -> None:
        """A deleted issue is gone with its notes; its iid is not given out again."""
        sandbox.gitlab.remove_issue(1150)
        assert get(sandbox, "/projects/42/issues/1150").status_code == 404
        assert sandbox.gitlab.add_issue(title="new")["iid"] == 151

    def test_bad_note_fields(self, sandbox: Sandbox) -> None:
        """Unknown fields and unknown issues are refused."""
        with pytest.raises(ValueError, match="no field"):
            sandbox.gitlab.add_note(1001, "x", colour="red")
        with pytest.raises(KeyError):
            sandbox.gitlab.add_note(9999, "x")
        with pytest.raises(KeyError):
            sandbox.gitlab.update_note(9999, body="x")


class TestSyntheticNotes:
    """Synthetic projects carry notes computed per issue, exactly as many as asked."""

    def test_exact_total_and_issues_without_notes(self) -> None:
        """3,000 issues with 6,000 notes: every fifth issue has none, ids are unique."""
        with Sandbox.synthetic(milestones=5, issues=3000, notes=6000, labels=20) as sb:
            counts = [sb.gitlab.notes.user_count(100_000 + i, awards=False) for i in range(3000)]
            assert sum(counts) == 6000
            assert counts.count(0) == 600
            ids = [n["id"] for i in range(3000) for n in sb.gitlab.notes.of(100_000 + i)]
            assert len(set(ids)) == 6000
            assert get(sb, "/projects/7/issues/100001").json()["user_notes_count"] == counts[1]
            assert len(get(sb, "/projects/7/labels").json()) == 20
