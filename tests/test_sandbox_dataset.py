"""Sandbox datasets: the bundled demo has the awkward cases; custom files load or fail clearly."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from slugify import slugify

from bridge.errors import ConfigError
from bridge.sandbox import Dataset, Sandbox, load_dataset


@pytest.fixture(scope="module")
def demo() -> Dataset:
    """The bundled demo dataset."""
    return load_dataset("demo")


class TestDemoDataset:
    """examples/sandbox/demo.yaml covers what the issue asks for."""

    def test_milestone_mix(self, demo: Dataset) -> None:
        """About 12 listed milestones, active and closed, with and without due and start dates."""
        listed = [m for m in demo.milestones if not m["hidden"]]
        assert len(listed) == 12
        assert {m["state"] for m in listed} == {"active", "closed"}
        assert {m["due_date"] is None for m in listed} == {True, False}
        assert {m["start_date"] is None for m in listed} == {True, False}
        assert any(m["description"] == "" for m in listed)

    def test_awkward_titles(self, demo: Dataset) -> None:
        """One Cyrillic title, and two titles that slugify alike."""
        titles = [m["title"] for m in demo.milestones]
        assert "Релиз 1.0" in titles
        slugs = Counter(slugify(t) for t in titles)
        assert max(slugs.values()) >= 2

    def test_issue_mix(self, demo: Dataset) -> None:
        """About 150 issues: some without milestone, some with a hidden one, some reopened."""
        hidden = {m["id"] for m in demo.milestones if m["hidden"]}
        assert len(demo.issues) == 150
        assert any(i["milestone"] is None for i in demo.issues)
        assert any(i["milestone"] in hidden for i in demo.issues)
        assert Counter(i["state"] for i in demo.issues)["reopened"] >= 3

    def test_label_mix(self, demo: Dataset) -> None:
        """Labels: a 3-digit colour, a two-word name, one no issue uses, one group label."""
        names = {la["name"] for la in demo.labels}
        used = {name for issue in demo.issues for name in issue["labels"]}
        assert used <= names
        assert "wontfix" in names - used
        assert any(len(la["color"]) == 4 for la in demo.labels)
        assert any(" " in la["name"] for la in demo.labels)
        assert any(la["group"] for la in demo.labels)

    def test_note_mix(self, demo: Dataset) -> None:
        """About 20 notes: system, award and hidden ones, not stored in creation order."""
        assert 18 <= len(demo.notes) <= 25
        assert sum(n["system"] for n in demo.notes) >= 5
        assert [n["body"] for n in demo.notes if n["award"]] == ["thumbsup"]
        assert any(n["hidden"] for n in demo.notes)
        assert [n["attachment"] for n in demo.notes if n["attachment"]] == ["export-8.1.csv"]
        by_issue = [n["created_at"] for n in demo.notes if n["issue"] == 1001]
        assert by_issue != sorted(by_issue)

    def test_tracker_text(self, demo: Dataset) -> None:
        """Cyrillic text, a relative upload link, references, confidential issues."""
        texts = " ".join(i["description"] or "" for i in demo.issues)
        assert "/uploads/0123456789abcdef0123456789abcdef/export.png" in texts
        assert all(ref in texts for ref in ("#3", "%2", "~bug", "!4", '~"good first issue"'))
        assert any("метки" in (i["description"] or "") for i in demo.issues)
        assert any(i["confidential"] for i in demo.issues)
        assert {i["state"] for i in demo.issues} == {"opened", "reopened", "closed"}
        assert {u["slug"] for u in demo.target_users} >= {"lennie", "ivan-petrov"}

    def test_packaged_copy_is_the_example(self) -> None:
        """bridge/sandbox/demo.yaml (what a wheel ships) has the content of examples/sandbox/."""
        import bridge.sandbox

        packaged = Path(bridge.sandbox.__file__).parent / "demo.yaml"
        example = Path(__file__).parents[1] / "examples" / "sandbox" / "demo.yaml"
        assert packaged.read_bytes() == example.read_bytes()

    def test_gitlab_issues_iterate_in_stored_form(self, demo: Dataset) -> None:
        """sb.gitlab.issues iterates every issue, added ones included."""
        with Sandbox(demo) as sb:
            sb.gitlab.add_issue(title="extra")
            titles = [issue["title"] for issue in sb.gitlab.issues]
        assert len(titles) == 151
        assert titles[-1] == "extra"

    def test_copies_are_independent(self, demo: Dataset) -> None:
        """Each load is a fresh copy, so one sandbox's edits never leak into another's."""
        load_dataset("demo").milestones[0]["title"] = "changed"
        assert load_dataset("demo").milestones[0]["title"] != "changed"
        assert demo.milestones[0]["title"] != "changed"


class TestCustomDatasets:
    """Loading other files."""

    def test_json_dataset(self, tmp_path: Path) -> None:
        """A .json dataset seeds both fakes, target milestones included."""
        path = tmp_path / "tiny.json"
        path.write_text(json.dumps({
            "gitlab": {"project": {"id": 5, "path": "g/p"},
                       "milestones": [{"id": 1, "iid": 1, "title": "Only"}],
                       "issues": [{"title": "An issue", "milestone": 1}]},
            "sourcecraft": {"org": "o", "repo": "r", "milestones": [{"name": "Pre-existing"}]},
        }), encoding="utf-8")
        with Sandbox(path) as sb:
            assert (sb.project_path, sb.org, sb.repo) == ("g/p", "o", "r")
            assert [m["title"] for m in sb.gitlab.milestones()] == ["Only"]
            assert [m["slug"] for m in sb.sourcecraft.milestones()] == ["pre-existing"]

    @pytest.mark.parametrize(("text", "message"), [
        ("[1, 2]", "gitlab"),
        ("gitlab: {milestones: [{id: 1}]}", "malformed"),
        ("gitlab: {issues: [{title: t, milestone: 9}]}", "milestone id 9"),
        ("gitlab: {milestones: [{id: 1, iid: 1, title: t, state: opened}]}", "active or closed"),
        ("gitlab: [", "cannot read"),
        ("gitlab: {issues: [{title: t, user_notes_count: 3}]}", "counted from"),
        ("gitlab: {notes: [{issue: 5, body: x}]}", "issue id 5"),
        ("gitlab: {labels: [{name: 'a,b'}]}", "no comma"),
    ], ids=["not-mapping", "missing-key", "unknown-milestone", "bad-state", "bad-yaml",
            "notes-count", "note-issue", "label-comma"])
    def test_bad_datasets_fail_clearly(self, tmp_path: Path, text: str, message: str) -> None:
        """A broken dataset is a ConfigError naming the file and the problem."""
        path = tmp_path / "bad.yaml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError, match=message) as caught:
            load_dataset(path)
        assert str(path) in str(caught.value)

    def test_missing_file(self, tmp_path: Path) -> None:
        """A dataset path that does not exist is a ConfigError."""
        with pytest.raises(ConfigError, match="cannot read"):
            load_dataset(tmp_path / "absent.yaml")
