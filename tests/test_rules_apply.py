"""Applying a compiled mapping to one milestone: each rule kind, filters, per-record failures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bridge.models import Skipped, SourceMilestone, WantedMilestone
from bridge.rules import CompiledMapping, load_mapping

BASE = {
    "name": "{from: title}",
    "slug": "{from: title, apply: [slugify]}",
    "status": "{from: state, map: {active: open, closed: closed}}",
}


def mapping(tmp_path: Path, extra: str = "", **rules: str) -> CompiledMapping:
    """A mapping file built from BASE with `rules` replacing or adding field rules."""
    body = "".join(f"  {name}: {rule}\n" for name, rule in {**BASE, **rules}.items())
    path = tmp_path / "m.yaml"
    path.write_text(f"version: 1\nmilestone:\n{body}{extra}", encoding="utf-8")
    return load_mapping(path)


def milestone(**fields: Any) -> SourceMilestone:
    values: dict[str, Any] = {"id": 10, "iid": 3, "project_id": 5, "title": "v4.0"}
    return SourceMilestone(**{**values, **fields})


def wanted(result: WantedMilestone | Skipped) -> WantedMilestone:
    assert isinstance(result, WantedMilestone), result
    return result


def failed(result: WantedMilestone | Skipped) -> Skipped:
    assert isinstance(result, Skipped), result
    assert result.error is not None
    return result


class TestFieldRules:
    def test_from_renames_a_field(self, tmp_path: Path) -> None:
        """`from` copies a GitLab field into the SourceCraft field."""
        result = wanted(mapping(tmp_path, description="{from: project_path}").apply(
            milestone(project_path="group/proj")))
        assert result.name == "v4.0"
        assert result.description == "group/proj"

    def test_from_non_text_field_reads_as_text(self, tmp_path: Path) -> None:
        """A number or boolean source field becomes its text form."""
        m = mapping(tmp_path, description="{from: from_issues_only}", name="{from: iid}")
        result = wanted(m.apply(milestone(from_issues_only=True)))
        assert (result.name, result.description) == ("3", "true")

    def test_map_translates_values(self, tmp_path: Path) -> None:
        """`map` turns GitLab's state words into SourceCraft's."""
        m = mapping(tmp_path)
        assert wanted(m.apply(milestone(state="active"))).status == "open"
        assert wanted(m.apply(milestone(state="closed"))).status == "closed"

    def test_unmapped_value_fails_the_record(self, tmp_path: Path) -> None:
        """A value missing from `map` without a default fails that record, naming value and rule."""
        m = mapping(tmp_path)
        result = failed(m.apply(milestone(state="locked")))
        assert result.reason == "mapping failed: rule 'status'"
        assert result.error == (f"{tmp_path / 'm.yaml'}: rule 'status': value 'locked' is not "
                                "in map (active, closed) and the rule has no default")

    def test_unmapped_value_takes_the_default(self, tmp_path: Path) -> None:
        """With a default, an unmapped value gets it instead of failing."""
        m = mapping(tmp_path, status="{from: state, map: {closed: closed}, default: open}")
        assert wanted(m.apply(milestone(state="locked"))).status == "open"

    def test_default_fills_an_empty_value(self, tmp_path: Path) -> None:
        """A null source value takes the rule's default, which the chain does not touch."""
        m = mapping(tmp_path, description="{from: description, apply: [lower], default: 'N/A'}")
        assert wanted(m.apply(milestone(description=None))).description == "N/A"
        assert wanted(m.apply(milestone(description="ABC"))).description == "abc"

    def test_missing_optional_fields_are_empty(self, tmp_path: Path) -> None:
        """Without rules, description is empty and both dates are absent."""
        result = wanted(mapping(tmp_path).apply(milestone(due_date="2016-07-22")))
        assert (result.description, result.start_date, result.deadline) == ("", None, None)

    def test_rule_level_template(self, tmp_path: Path) -> None:
        """A `template` rule builds the value from any source fields."""
        m = mapping(tmp_path, slug="{template: 'gl-{iid}'}")
        assert wanted(m.apply(milestone(iid=42))).slug == "gl-42"

    def test_empty_name_fails_the_record(self, tmp_path: Path) -> None:
        """A name that comes out empty fails the record rather than sending a nameless milestone."""
        result = failed(mapping(tmp_path, name="{from: title, apply: [strip]}").apply(
            milestone(title="   ")))
        assert "rule 'name'" in (result.error or "")

    def test_status_outside_open_closed_fails(self, tmp_path: Path) -> None:
        """A status rule without a map that yields another word fails the record."""
        result = failed(mapping(tmp_path, status="{from: state}").apply(milestone(state="active")))
        assert "status 'active' is not open or closed" in (result.error or "")


class TestTransforms:
    def test_slugify_transliterates_cyrillic(self, tmp_path: Path) -> None:
        """«Релиз 1.0» gives the readable Latin slug `reliz-1-0`."""
        assert wanted(mapping(tmp_path).apply(milestone(title="Релиз 1.0"))).slug == "reliz-1-0"

    def test_slug_without_slugify_is_still_cleaned(self, tmp_path: Path) -> None:
        """Whatever the slug rule yields is cleaned into SourceCraft's alphabet."""
        m = mapping(tmp_path, slug="{from: title}")
        assert wanted(m.apply(milestone(title="Sprint 12 / Q3"))).slug == "sprint-12-q3"

    def test_empty_slug_falls_back_to_the_iid(self, tmp_path: Path) -> None:
        """A title with nothing sluggable (only emoji) gives `milestone-<iid>`."""
        assert wanted(mapping(tmp_path).apply(milestone(title="🎉🎉", iid=9))).slug == "milestone-9"

    def test_strip_lower_truncate_chain_in_order(self, tmp_path: Path) -> None:
        """Transforms run left to right: strip, then lower, then cut to the length."""
        m = mapping(tmp_path, name="{from: title, apply: [strip, lower, {truncate: 5}]}")
        assert wanted(m.apply(milestone(title="  RELEASE Candidate "))).name == "relea"

    def test_apply_template_sees_value_and_fields(self, tmp_path: Path) -> None:
        """An `apply` template gets `{value}` and any source field, such as a GitLab link footer."""
        m = mapping(tmp_path, description=(
            "{from: description, apply: [{template: '{value} | GitLab: {web_url}'}]}"))
        result = wanted(m.apply(milestone(description="Notes", web_url="https://gl/m/3")))
        assert result.description == "Notes | GitLab: https://gl/m/3"

    def test_template_renders_null_as_empty(self, tmp_path: Path) -> None:
        """A null field inside a template reads as empty text, not 'None'."""
        m = mapping(tmp_path, description="{template: '[{web_url}]'}")
        assert wanted(m.apply(milestone(web_url=None))).description == "[]"

    def test_template_literal_braces(self, tmp_path: Path) -> None:
        """Doubled braces are literal braces."""
        m = mapping(tmp_path, description="{template: '{{iid}} is {iid}'}")
        assert wanted(m.apply(milestone(iid=4))).description == "{iid} is 4"

    def test_date_to_datetime_default_midnight_utc(self, tmp_path: Path) -> None:
        """`2016-07-22` becomes `2016-07-22T00:00:00Z` by default."""
        m = mapping(tmp_path, deadline="{from: due_date, apply: [date_to_datetime]}")
        assert wanted(m.apply(milestone(due_date="2016-07-22"))).deadline == "2016-07-22T00:00:00Z"

    def test_date_settings_from_top_level(self, tmp_path: Path) -> None:
        """The top-level `dates` section sets the time of day and zone, output in UTC."""
        m = mapping(tmp_path, extra="dates: {time: '09:30', zone: Europe/Moscow}\n",
                    deadline="{from: due_date, apply: [date_to_datetime]}")
        assert wanted(m.apply(milestone(due_date="2016-07-22"))).deadline == "2016-07-22T06:30:00Z"

    def test_date_settings_per_rule_override(self, tmp_path: Path) -> None:
        """Settings written on the transform override the top-level ones for that rule only."""
        m = mapping(tmp_path, extra="dates: {time: '12:00'}\n",
                    start_date="{from: start_date, apply: [{date_to_datetime: {zone: '+05:00'}}]}",
                    deadline="{from: due_date, apply: [date_to_datetime]}")
        result = wanted(m.apply(milestone(start_date="2016-07-01", due_date="2016-07-22")))
        assert result.start_date == "2016-07-01T07:00:00Z"
        assert result.deadline == "2016-07-22T12:00:00Z"

    def test_null_date_stays_absent(self, tmp_path: Path) -> None:
        """A milestone without a due date gets no deadline."""
        m = mapping(tmp_path, deadline="{from: due_date, apply: [date_to_datetime]}")
        assert wanted(m.apply(milestone(due_date=None))).deadline is None

    def test_unparsable_date_fails_only_that_record(self, tmp_path: Path) -> None:
        """`2016-02-30` fails that milestone with the rule named; the next one still maps."""
        m = mapping(tmp_path, deadline="{from: due_date, apply: [date_to_datetime]}")
        bad = failed(m.apply(milestone(due_date="2016-02-30")))
        assert bad.error == (f"{tmp_path / 'm.yaml'}: rule 'deadline': cannot read "
                             "'2016-02-30' as a date (YYYY-MM-DD)")
        assert wanted(m.apply(milestone(due_date="2016-02-29"))).deadline == "2016-02-29T00:00:00Z"

    def test_date_without_conversion_fails_the_record(self, tmp_path: Path) -> None:
        """A bare date sent as a deadline would be refused, so it fails with a hint instead."""
        result = failed(mapping(tmp_path, deadline="{from: due_date}").apply(
            milestone(due_date="2016-07-22")))
        assert "add date_to_datetime" in (result.error or "")


class TestFilters:
    @pytest.mark.parametrize(("section", "fields", "kept"), [
        ("include:\n  state: active\n", {"state": "active"}, True),
        ("include:\n  state: [active]\n", {"state": "closed"}, False),
        ("exclude:\n  state: [closed]\n", {"state": "closed"}, False),
        ("include:\n  title: '^v\\d'\n", {"title": "v4.0"}, True),
        ("include:\n  title: '^v\\d'\n", {"title": "Backlog"}, False),
        ("exclude:\n  title: ['(?i)wip', 'draft']\n", {"title": "WIP: next"}, False),
        ("exclude:\n  title: ['(?i)wip', 'draft']\n", {"title": "v5"}, True),
        ("include:\n  has_issues: true\n", {"issues_open": 0, "issues_closed": 1}, True),
        ("include:\n  has_issues: true\n", {}, False),
        ("exclude:\n  has_issues: false\n", {}, False),
        ("exclude:\n  from_issues_only: true\n", {"from_issues_only": True}, False),
        ("exclude:\n  from_issues_only: true\n", {}, True),
        ("include:\n  from_issues_only: false\n", {"from_issues_only": True}, False),
    ], ids=["state-in", "state-out", "exclude-state", "title-in", "title-out", "exclude-wip",
            "exclude-wip-no-match", "has-issues", "no-issues", "exclude-empty",
            "exclude-issues-only", "keep-listed", "include-listed-only"])
    def test_filter_keeps_or_drops(self, tmp_path: Path, section: str,
                                   fields: dict[str, Any], kept: bool) -> None:
        """Each criterion keeps or drops the milestone as the section says."""
        result = mapping(tmp_path, extra=section).apply(milestone(**fields))
        assert isinstance(result, WantedMilestone) is kept
        if not kept:
            assert isinstance(result, Skipped)
            assert result.reason.startswith("filtered: ")
            assert result.error is None

    def test_reason_names_the_rule(self, tmp_path: Path) -> None:
        """A filtered milestone's reason names the section and criterion that dropped it."""
        m = mapping(tmp_path, extra="include:\n  state: [active]\nexclude:\n  title: beta\n")
        closed = m.apply(milestone(state="closed"))
        beta = m.apply(milestone(title="2.0 beta"))
        assert isinstance(closed, Skipped)
        assert isinstance(beta, Skipped)
        assert closed.reason == ("filtered: include.state "
                                 "(keeps only milestones whose state is active)")
        assert beta.reason == ("filtered: exclude.title "
                               "(drops milestones whose title matches 'beta')")

    def test_filters_run_before_rules(self, tmp_path: Path) -> None:
        """A filtered milestone is skipped, not failed, even when its fields would not map."""
        m = mapping(tmp_path, extra="include:\n  state: [active]\n")
        result = m.apply(milestone(state="closed", title=""))
        assert isinstance(result, Skipped)
        assert result.error is None


class TestSettings:
    def test_follow_renames_defaults_false(self, tmp_path: Path) -> None:
        """Without a `slugs` section the slug stays put on renames."""
        assert mapping(tmp_path).slugs_follow_renames is False

    def test_follow_renames_can_be_set(self, tmp_path: Path) -> None:
        """`slugs: {follow_renames: true}` is read into the compiled mapping."""
        m = mapping(tmp_path, extra="slugs: {follow_renames: true}\n")
        assert m.slugs_follow_renames is True
        assert m.path == tmp_path / "m.yaml"


class TestDescribe:
    def test_describe_lists_every_field_in_order(self, tmp_path: Path) -> None:
        """describe() says where each SourceCraft field comes from, mapped or not."""
        m = mapping(tmp_path, deadline="{from: due_date, apply: [date_to_datetime]}",
                    description="{from: description, default: ''}")
        rows = dict(m.describe())
        assert [name for name, _ in m.describe()] == [
            "name", "slug", "description", "start_date", "deadline", "status"]
        assert rows["name"] == "GitLab title"
        assert rows["slug"].startswith("GitLab title, then slugify; cleaned")
        assert rows["description"] == "GitLab description; '' when empty"
        assert rows["start_date"] == "not mapped: no date"
        assert rows["deadline"] == "GitLab due_date, then date placed at 00:00 UTC"
        assert rows["status"] == "GitLab state, mapped active -> open, closed -> closed"
