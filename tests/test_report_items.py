"""ReportItems counts a run's items as they come: every answer equals a re-count from disk."""

from __future__ import annotations

import json
import pickle
from dataclasses import replace
from pathlib import Path

import pytest
import reliability_support as support
from test_report_sample import mixed_report

from bridge.engine.spill import CHUNK, Spill
from bridge.report import (
    ReportItem,
    RunReport,
    render_html,
    render_json,
    render_markdown,
    render_text,
    report_from_dict,
)
from bridge.report.cells import problems
from bridge.report.grouping import by_kind, only_milestones
from bridge.report.items import ReportItems
from bridge.report.views import grouped
from bridge.sandbox import Sandbox


def many() -> list[ReportItem]:
    """Items of four kinds across several chunks, with every outcome the summary counts."""
    base = mixed_report().items
    out: list[ReportItem] = []
    for n in range(3 * CHUNK + 7):
        item = base[n % len(base)]
        kind = ("milestone", "label", "issue", "comment")[n % 4 if n > 40 else n % 2]
        item = replace(item, kind=kind, source_id=n, project_path="" if n % 9 else "g/p",
                       title=item.title[:300],
                       changes={k: [str(v)[:300] for v in pair]
                                for k, pair in item.changes.items()})
        if n % 11 == 0:
            item = replace(item, attempted=False)  # not attempted; a conflict still needs a look
        if n % 13 == 0:
            item = replace(item, adopted=True, action="unchanged", error=None, ok=True)
        if n % 17 == 0:
            item = replace(item, action="create", changes={"status": [None, "closed"]})
        out.append(item)
    return out


def recount(items: list[ReportItem]) -> RunReport:
    """The same report over a tuple: every count made by reading every item."""
    return replace(mixed_report(), items=tuple(items))


def test_counts_equal_a_recount() -> None:
    items = many()
    counted = ReportItems()
    for item in items[:5]:
        counted.append(item)
    counted.extend(items[5:])
    tally = replace(recount(items), items=counted)
    slow = recount(items)
    assert tally.summary_by_kind() == slow.summary_by_kind()
    assert list(tally.summary_by_kind()) == list(slow.summary_by_kind())  # order met
    assert tally.summary() == slow.summary()
    assert all(tally.summary()[key] for key in ("not_attempted", "adopted", "create_closed",
                                                 "failed", "conflict"))
    assert tally.to_dict(items=False) == slow.to_dict(items=False)  # the project path too
    assert problems(tally) == problems(slow)
    assert any(not item.attempted for item in problems(slow))  # counted though not attempted
    assert only_milestones(tally) is only_milestones(slow) is False
    fast, read = grouped(counted), grouped(tuple(items))
    assert list(fast) == list(read)
    for kind, group in fast.items():
        assert list(group) == list(read[kind])
        assert group.problems == sum(item.problem for item in read[kind])
    assert counted.summary_by_kind() is not counted.summary_by_kind()  # copies, not the tally


def test_no_problems_and_milestones_only_are_answered_without_reading() -> None:
    items = [item for item in mixed_report().items if not item.problem]
    counted = ReportItems(items)
    report = replace(mixed_report(), items=counted)
    counted._chunk = None  # type: ignore[assignment, method-assign]  # any read would fail
    assert problems(report) == []
    assert only_milestones(report) is True
    assert {kind: len(group) for kind, group in by_kind(counted).items()} == {
        "milestone": len(items)}


def test_clear_and_pickle_keep_the_counts_right() -> None:
    items = many()
    counted = ReportItems(items)
    back = pickle.loads(pickle.dumps(counted))  # noqa: S301 - our own bytes
    assert isinstance(back, ReportItems)
    assert back.summary_by_kind() == counted.summary_by_kind()
    assert list(back) == items
    counted.clear()
    assert len(counted) == 0
    assert counted.summary_by_kind() == {}
    assert counted.positions_by_kind() == {}
    assert counted.project_paths() == set()
    counted.extend(items[:3])
    assert counted.summary_by_kind() == recount(items[:3]).summary_by_kind()


@pytest.mark.parametrize("quiet", [False, True])
def test_every_format_is_the_same_as_from_a_recount(quiet: bool) -> None:
    items = many()
    counted = replace(recount(items), items=ReportItems(items))
    spilled = replace(recount(items), items=Spill(items))
    for report in (counted, spilled):
        assert render_text(report, width=100, quiet=quiet) == render_text(
            recount(items), width=100, quiet=quiet)
    assert render_json(counted) == render_json(recount(items))
    assert render_html(counted) == render_html(recount(items))
    assert render_markdown(counted) == render_markdown(recount(items))


def test_a_real_runs_summary_equals_a_recount_of_its_items(tmp_path: Path) -> None:
    """Through the CLI: the JSON report's summaries are what counting its items gives."""
    extra = "transfer:\n  labels: true\n  issues: true\n  comments: true\n"
    with Sandbox() as sb:
        config = support.write_config(tmp_path, sb, extra=extra)
        out = tmp_path / "run.json"
        run = support.cli(["migrate", "-c", str(config), "--no-progress", "--report", str(out)],
                          support.token_env(sb))
    assert run.returncode in (0, 1), run.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    again = report_from_dict(doc)  # a tuple of items: counted by reading them
    assert isinstance(again.items, tuple)
    assert doc["summary_by_kind"] == again.summary_by_kind()
    assert doc["summary"] == again.summary()
    assert sum(doc["summary"][key] for key in doc["summary"] if key != "create_closed") == len(
        doc["items"])


def test_masked_counted_items_stay_counted_and_mask_the_paths() -> None:
    """What the HTML and Markdown renderers get (the report masked) is still counted: the
    same counts and groups as a recount of the masked items, with no read to count them,
    and the project paths masked as the items' own are."""
    from bridge.logs import clear_secrets, register_secret
    from bridge.report.cells import masked
    from bridge.report.protocols import Tallied

    items = many()
    register_secret("g/p")
    try:
        view = masked(replace(recount(items), items=ReportItems(items))).items
        slow = masked(recount(items)).items
        assert isinstance(view, Tallied)
        assert view.project_paths() == {item.project_path for item in slow} == {"", "***"}
        assert replace(recount(items), items=view).summary_by_kind() == \
            replace(recount(items), items=tuple(slow)).summary_by_kind()
        fast = grouped(view)
        for kind, group in grouped(tuple(slow)).items():
            assert list(fast[kind]) == list(group)  # masked as they are read
    finally:
        clear_secrets()
