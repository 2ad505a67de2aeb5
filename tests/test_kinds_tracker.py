"""The label and issue kinds' own rules: colours, references, the header and its key, links."""

from __future__ import annotations

from typing import Any

import pytest

from bridge.engine.refs import Refs, TargetRef
from bridge.kinds import issue_text
from bridge.kinds.issue_links import resolve_links
from bridge.kinds.label import LabelRows, six_hex
from bridge.models import SourceMilestone
from bridge.rules import RecordError
from bridge.sources.gitlab import GitLabUser, IssueRef, SourceLabel, label_id

PROJECT_URL = "https://gitlab.example.com/group/project"


def issue(**fields: Any) -> IssueRef:
    base: dict[str, Any] = {
        "id": 1012, "iid": 12, "state": "opened", "milestone": None, "updated_at": None,
        "title": "Login fails", "author": GitLabUser("alice", "Alice Example"),
        "created_at": "2016-03-01T10:20:30.000+03:00", "project_path": "group/project"}
    base.update(fields)
    return IssueRef(**base)


class TestLabelColours:
    @pytest.mark.parametrize(("gitlab", "sourcecraft"), [
        ("#f00", "FF0000"), ("#428bca", "428BCA"), ("#ABC", "AABBCC"), ("d9534f", "D9534F")])
    def test_gitlab_colours_become_six_hex_digits(self, gitlab: str, sourcecraft: str) -> None:
        """#rgb and #rrggbb (any case) become six upper-case hex digits without '#'."""
        assert six_hex(gitlab) == sourcecraft

    @pytest.mark.parametrize("bad", ["red", "#12", "#1234567", ""])
    def test_anything_else_fails_the_label(self, bad: str) -> None:
        """A colour SourceCraft would refuse fails that label with the value named."""
        with pytest.raises(RecordError, match="is not #rgb or #rrggbb"):
            six_hex(bad)


class TestLabelReference:
    @pytest.mark.parametrize(("name", "shown"), [
        ("bug", "group/project~bug"), ("good first issue", 'group/project~"good first issue"')])
    def test_references_read_as_gitlab_writes_them(self, name: str, shown: str) -> None:
        """One word is `~bug`; anything else is quoted, `~"two words"`."""
        assert LabelRows().reference(SourceLabel(name, "#fff"), label_id(name),
                                     "group/project") == shown

    def test_a_label_id_is_stable_and_fits_sqlite(self) -> None:
        """The id of a name is the same on every run and machine, and below 2**63."""
        assert label_id("bug") == label_id("bug") != label_id("Bug")
        assert 0 < label_id("bug") < 2**56


class TestHeader:
    def test_the_header_links_the_issue_and_names_people_without_mentions(self) -> None:
        """First line: the link (the key); then the author by name and the date in UTC."""
        text = issue_text.description(issue(), "Body", project_web_url=PROJECT_URL)
        first, second = text.split("\n")[:2]
        assert first == f"> From GitLab: [group/project#12]({PROJECT_URL}/issues/12)  "
        assert second == "> Opened by Alice Example (alice) on 2016-03-01 07:20 UTC"
        assert "@" not in text
        assert text.endswith("\n\nBody")

    def test_the_key_is_the_url_in_the_header_only(self) -> None:
        """A link to another issue in the text is never taken for the key."""
        other = f"see [#3]({PROJECT_URL}/issues/3)"
        text = issue_text.description(issue(), other, project_web_url=PROJECT_URL)
        assert issue_text.key_of(text) == f"{PROJECT_URL}/issues/12"
        assert issue_text.key_of(other) is None
        assert issue_text.key_of(f"x\n{text}") is None  # the header's place is fixed

    def test_web_url_is_used_when_gitlab_sends_it(self) -> None:
        """From 8.12 the issue's own web_url; before it, the project's URL + /issues/<iid>."""
        assert issue_text.issue_url(issue(web_url="https://g/x/issues/12"),
                                    PROJECT_URL) == "https://g/x/issues/12"
        assert issue_text.issue_url(issue(), PROJECT_URL) == f"{PROJECT_URL}/issues/12"

    def test_relative_uploads_become_absolute(self) -> None:
        """`/uploads/<32 hex>/file` links point at the GitLab project; others stay as written."""
        secret = "0123456789abcdef0123456789abcdef"
        text = f"![shot](/uploads/{secret}/a.png) and [x](/other/{secret})"
        assert issue_text.absolute_uploads(text, PROJECT_URL) == (
            f"![shot]({PROJECT_URL}/uploads/{secret}/a.png) and [x](/other/{secret})")

    def test_a_user_without_a_sourcecraft_account_is_named_in_the_header(self) -> None:
        """An unmapped assignee gets a header line, still with no mention."""
        text = issue_text.description(issue(), "", project_web_url=PROJECT_URL,
                                      unmapped_assignee=GitLabUser("bob", "@Bob"))
        assert "Assigned on GitLab to Bob (bob)" in text
        assert "@" not in text


MILESTONE = SourceMilestone(id=7, iid=2, project_id=1, title="v1.0")


class TestLinks:
    def refs(self) -> Refs:
        refs = Refs()
        refs.put("milestone", 7, TargetRef("m-7", "v1-0", "v1.0"))
        refs.put("label", label_id("bug"), TargetRef("l-1", "bug", "bug"))
        return refs

    def test_milestone_labels_and_assignee_resolve(self) -> None:
        """Each link is the migrated object; a mapped, known user is the assignee."""
        links = resolve_links(issue(milestone=MILESTONE, labels=("bug",),
                                    assignee=GitLabUser("alice", "Alice")), self.refs(),
                              users={"alice": "alice-sc"}, user_ids={"alice-sc": "u-1"})
        assert (links.milestone.slug if links.milestone else None) == "v1-0"
        assert [label.name for label in links.labels] == ["bug"]
        assert (links.assignee, links.assignee_id, links.error) == ("alice-sc", "u-1", None)

    @pytest.mark.parametrize("kind", ["milestone", "label"])
    def test_a_failed_dependency_fails_the_issue(self, kind: str) -> None:
        """An issue is never created half-linked: its milestone's or label's failure is its own."""
        refs = self.refs()
        key = 7 if kind == "milestone" else label_id("bug")
        refs.miss(kind, key, f"{kind} failed: 422 Unprocessable")
        links = resolve_links(issue(milestone=MILESTONE, labels=("bug",)), refs, users={},
                              user_ids={})
        assert links.error is not None
        assert "422 Unprocessable" in links.error

    def test_a_milestone_left_out_by_the_mapping_is_not_linked(self) -> None:
        """A milestone filtered out on purpose: the issue is created without it, and says so."""
        refs = self.refs()
        refs.miss("milestone", 7, "milestone not migrated: excluded by filter")
        links = resolve_links(issue(milestone=MILESTONE), refs, users={}, user_ids={})
        assert (links.error, links.milestone) == (None, None)
        assert "not linked" in links.notes[0]

    @pytest.mark.parametrize(("users", "ids", "said"), [
        ({}, {}, "not in users:"), ({"bob": "bob-sc"}, {"bob-sc": None}, "no such SourceCraft")])
    def test_an_unmapped_or_unknown_user_is_reported_not_failed(
            self, users: dict[str, str], ids: dict[str, str | None], said: str) -> None:
        """No assignee then, the user named in the header, the reason in the report."""
        links = resolve_links(issue(assignee=GitLabUser("bob", "Bob")), self.refs(),
                              users=users, user_ids=ids)
        assert (links.error, links.assignee) == (None, None)
        assert links.unmapped_assignee == GitLabUser("bob", "Bob")
        assert said in links.notes[0]
