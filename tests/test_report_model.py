"""The report model: items built from the plan, the summary, the JSON document, its round trip."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace

import pytest
from test_report_sample import (
    PROJECT,
    ROWS,
    item,
    mixed_report,
    planned,
    report,
    source,
    spec_report,
)

from bridge.errors import ConfigError
from bridge.models import Action, Gone, ItemOutcome, Skip, Skipped, TargetMilestone
from bridge.report import ITEM_KEYS, SUMMARY_KEYS, ReportItem, RunReport, report_from_dict


class TestReportItemFromPlanned:
    """ReportItem.from_planned."""

    def test_create_shows_every_field_it_sets(self) -> None:
        """A create lists each field it sets as [null, value], empty ones left out."""
        got = item(Action.CREATE, 3, "v4.0", "v4-0")
        assert got.changes == {"name": [None, "v4.0"], "slug": [None, "v4-0"],
                               "deadline": [None, "2016-07-22T00:00:00Z"],
                               "status": [None, "open"]}

    def test_unchanged_shows_no_changes(self) -> None:
        """An unchanged milestone has no changes even if the plan carried some."""
        got = item(Action.UNCHANGED, 3, "v4.0", "v4-0", changes={"name": ("a", "b")})
        assert got.changes == {}

    def test_update_copies_the_planned_changes(self) -> None:
        """An update shows the plan's before -> after pairs as lists."""
        got = item(Action.UPDATE, 3, "v4.0", "v4-0", changes={"deadline": (None, "2016")})
        assert got.changes == {"deadline": [None, "2016"]}

    def test_identity_issues_and_reference(self) -> None:
        """Ids, title, slug and issue counts come from the source; the reference is path%iid."""
        got = item(Action.CLOSE, 3, "v4.0", "v4-0")
        assert (got.source_id, got.source_iid, got.title, got.target_slug, got.action) == (
            103, 3, "v4.0", "v4-0", "close")
        assert got.issues == {"open": 3, "closed": 5}
        assert got.reference == f"{PROJECT}%3"

    def test_dry_run_item_is_ok(self) -> None:
        """Without an outcome (dry run) the item is ok and has no error."""
        got = item(Action.CREATE, 1, "a", "a")
        assert got.ok
        assert got.error is None
        assert not got.failed

    def test_failed_outcome_sets_error(self) -> None:
        """A failed outcome makes the item not ok and carries its error text."""
        got = item(Action.CREATE, 1, "a", "a", error="HTTP 500")
        assert (got.ok, got.error, got.failed) == (False, "HTTP 500", True)

    def test_failed_outcome_without_text_still_has_an_error(self) -> None:
        """A failure is never silent: an outcome without error text gets a placeholder."""
        plan = planned(Action.CREATE, 1, "a", "a")
        got = ReportItem.from_planned(plan, ItemOutcome(plan, ok=False), project_path=PROJECT,
                                      kind=ROWS)
        assert got.error
        assert not got.ok

    def test_skip_with_mapping_error_fails(self) -> None:
        """A skip whose mapping failed (Skip.error) is a failed item."""
        skipped = Skipped(source(2, "x"), reason="unmapped state", error="state 'odd' unmapped")
        plan = Skip("milestone", skipped.source, skipped.reason, error=skipped.error)
        got = ReportItem.from_planned(plan, None, project_path=PROJECT, kind=ROWS)
        assert got.failed
        assert got.error == "state 'odd' unmapped"

    def test_slug_from_the_outcome_wins(self) -> None:
        """The slug the load actually used (a collision suffix) is the one reported."""
        plan = planned(Action.CREATE, 1, "a", "a")
        done = ItemOutcome(plan, ok=True, target=TargetMilestone(id="9", name="a", slug="a-2"))
        got = ReportItem.from_planned(plan, done, project_path=PROJECT, kind=ROWS)
        assert got.target_slug == "a-2"

    def test_delete_without_source(self) -> None:
        """A delete of a milestone GitLab no longer lists uses the source id and target name."""
        plan = Gone("milestone", Action.DELETE, 42,
                    TargetMilestone(id="9", name="gone", slug="gone"), "deleted in GitLab")
        got = ReportItem.from_planned(plan, None, project_path=PROJECT, kind=ROWS)
        assert (got.source_id, got.source_iid, got.title, got.target_slug) == (
            42, None, "gone", "gone")
        assert got.reference == f"{PROJECT} milestone id 42"


class TestSummary:
    """RunReport.summary."""

    def test_counts_by_action(self) -> None:
        """The SPEC example run counts 3 creates, 1 close, 5 unchanged, 1 skip."""
        assert spec_report().summary() == {"create": 3, "close": 1, "reopen": 0, "update": 0,
                                           "delete": 0, "unchanged": 5, "skip": 1,
                                           "conflict": 0, "failed": 0, "adopted": 0,
                                           "not_attempted": 0, "create_closed": 0}

    def test_failed_counts_only_as_failed(self) -> None:
        """A failed create counts under failed and not under create."""
        got = report([item(Action.CREATE, 1, "a", "a", error="boom"),
                      item(Action.CREATE, 2, "b", "b")]).summary()
        assert (got["create"], got["failed"]) == (1, 1)

    def test_not_attempted_is_not_failed(self) -> None:
        """An item the stopped run never tried counts as not attempted, with no error."""
        plan = planned(Action.CREATE, 1, "a", "a")
        stopped = ItemOutcome(plan, ok=False, error="not attempted: the run was stopped",
                              attempted=False)
        got = ReportItem.from_planned(plan, stopped, project_path=PROJECT, kind=ROWS)
        assert (got.attempted, got.failed, got.error) == (False, False, None)
        assert got.reason == "not attempted: the run was stopped"
        summary = report([got]).summary()
        assert (summary["not_attempted"], summary["failed"], summary["create"]) == (1, 0, 0)

    def test_adopted_counts_apart_from_created(self) -> None:
        """A create that found its milestone there, or a plan match by slug, is adopted."""
        plan = planned(Action.CREATE, 1, "a", "a")
        found = ReportItem.from_planned(plan, ItemOutcome(plan, ok=True, adopted=True),
                                        project_path=PROJECT, kind=ROWS)
        matched = ReportItem.from_planned(
            replace(planned(Action.UNCHANGED, 2, "b", "b"), adopted=True), None,
            project_path=PROJECT, kind=ROWS)
        summary = report([found, matched, item(Action.CREATE, 3, "c", "c")]).summary()
        assert (summary["adopted"], summary["create"], summary["unchanged"]) == (2, 1, 0)

    def test_create_closed_is_part_of_create(self) -> None:
        """A create made closed counts under create, and create_closed says how many."""
        closed = replace(item(Action.CREATE, 1, "a", "a"),
                         changes={"name": [None, "a"], "status": [None, "closed"]})
        summary = report([closed, item(Action.CREATE, 2, "b", "b")]).summary()
        assert (summary["create"], summary["create_closed"]) == (2, 1)

    def test_every_key_present_and_ordered(self) -> None:
        """An empty report still has every summary key, in schema order."""
        assert tuple(report([]).summary()) == SUMMARY_KEYS


class TestToDict:
    """RunReport.to_dict."""

    def test_top_level_keys(self) -> None:
        """The document has exactly the SPEC §6 keys plus timing and exit code."""
        assert list(spec_report().to_dict()) == [
            "version", "command", "dry_run", "source", "target", "summary", "summary_by_kind",
            "requests", "items", "notes", "started_at", "finished_at", "duration_s", "exit_code"]

    def test_item_keys_and_values(self) -> None:
        """Each item has exactly the SPEC §6 item keys, with JSON-ready values."""
        doc = json.loads(json.dumps(spec_report().to_dict()))
        assert all(tuple(it) == ITEM_KEYS for it in doc["items"])
        assert doc["items"][0] == {
            "kind": "milestone", "source_id": 101, "source_iid": 1, "title": "v1.0",
            "reference": "group/project%1", "action": "create", "target_slug": "v1-0",
            "changes": {"name": [None, "v1.0"], "slug": [None, "v1-0"],
                        "deadline": [None, "2016-07-22T00:00:00Z"], "status": [None, "open"]},
            "issues": {"open": 3, "closed": 5}, "reason": None, "error": None,
            "adopted": False, "attempted": True, "extra": None}
        assert doc["version"] == 2
        assert doc["summary_by_kind"] == {"milestone": doc["summary"]}
        assert doc["requests"] == {"source": 7, "target_read": 3,
                                                           "target_write": 4}

    def test_numeric_project_keeps_the_path(self) -> None:
        """When the config names the project by id, the path used in references is kept."""
        base = spec_report()
        doc = replace(base, source={"url": "u", "project": "5"}).to_dict()
        assert doc["source"] == {"url": "u", "project": "5", "project_path": PROJECT}


class TestReportFromDict:
    """report_from_dict."""

    @pytest.mark.parametrize("build", [spec_report, mixed_report, lambda: report([
        replace(item(Action.CREATE, 1, "a", "a"), adopted=True),
        replace(item(Action.CREATE, 2, "b", "b"), attempted=False, reason="not attempted"),
    ])], ids=["spec", "mixed", "adopted-and-not-attempted"])
    def test_round_trip(self, build: Callable[[], RunReport]) -> None:
        """A report survives to_dict -> JSON -> report_from_dict unchanged."""
        original = build()
        again = report_from_dict(json.loads(json.dumps(original.to_dict())))
        assert again == original
        assert again.summary() == original.summary()

    def test_version_1_report_reads_as_milestones(self) -> None:
        """A version 1 document (no kind, no reference) is read back as milestones."""
        doc = spec_report().to_dict()
        doc["version"] = 1
        for it in doc["items"]:
            del it["kind"], it["reference"]
        back = report_from_dict(doc)
        assert {it.kind for it in back.items} == {"milestone"}
        assert back.items[0].reference == "group/project%1"

    def test_newer_version_refused(self) -> None:
        """A report from a newer scbridge is a clear error, not a guess."""
        doc = spec_report().to_dict() | {"version": 3}
        with pytest.raises(ConfigError, match="version 3"):
            report_from_dict(doc)

    def test_missing_key_named(self) -> None:
        """A document without items says which key is missing."""
        doc = spec_report().to_dict()
        del doc["items"]
        with pytest.raises(ConfigError, match="'items'"):
            report_from_dict(doc)
