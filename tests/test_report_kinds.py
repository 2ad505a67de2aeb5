"""Reports of many kinds: a summary table per kind, each kind's own columns, capped on screen."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any

from rich.cells import cell_len
from test_report_files import md_tables, parse
from test_report_sample import PROJECT, item, report

from bridge.models import Action
from bridge.report import (
    ReportItem,
    RunReport,
    render_html,
    render_json,
    render_markdown,
    render_text,
    report_from_dict,
)
from bridge.report.grouping import SHOWN_PER_KIND
from bridge.report.markdown import MAX_CHARS, ROWS_PER_KIND


def label(n: int, action: str = "create", **kw: Any) -> ReportItem:
    name = f"label-{n}"
    return ReportItem(source_id=n, source_iid=None, title=name, action=action,
                      target_slug=name, changes={"name": [None, name], "color": [None, "FF0000"]},
                      issues=None, reason=None, error=None, project_path=PROJECT, kind="label",
                      ref=f"{PROJECT}~{name}", **kw)


def issue(iid: int, action: str = "create", *, number: int | None = None,
          **kw: Any) -> ReportItem:
    description = f"> From GitLab: [{PROJECT}#{iid}](https://gl/{PROJECT}/issues/{iid})\n\n" \
                  + "words " * 40
    return ReportItem(source_id=1000 + iid, source_iid=iid, title=f"Issue number {iid}",
                      action=action, target_slug=None if number is None else str(number),
                      changes={"title": [None, f"Issue number {iid}"],
                               "description": [None, description], "status": [None, "closed"],
                               "labels": [None, ["bug", "docs"]],
                               "visibility": [None, "public"]},
                      issues=None, reason=None, error=kw.pop("error", None),
                      project_path=PROJECT, kind="issue", ref=f"{PROJECT}#{iid}",
                      ok=True, **kw)


def note(nid: int, iid: int, action: str = "create") -> ReportItem:
    return ReportItem(source_id=nid, source_iid=None, title=f"note {nid} on #{iid}",
                      action=action, target_slug=f"#{iid}",
                      changes={"body": [None, "> From GitLab: comment\n\n" + "x " * 100]},
                      issues=None, reason=None, error=None, project_path=PROJECT,
                      kind="comment", ref=f"{PROJECT}#{iid} note {nid}")


def tracker(issues: int = 12, *, failing: tuple[int, ...] = ()) -> RunReport:
    """Labels, one milestone, `issues` issues (some failing) and two comments."""
    items = [label(1), label(2, "unchanged"), item(Action.CREATE, 1, "v1.0", "v1-0")]
    items += [issue(i, error="422 Unprocessable Entity: bad labels" if i in failing else None)
              for i in range(1, issues + 1)]
    items += [note(3001, 1), note(3002, 1, "unchanged")]
    rep = report(items, exit_code=1 if failing else 0)
    return replace(rep, notes=("GitLab label descriptions have no SourceCraft field",))


def lines_of(text: str) -> list[str]:
    return text.rstrip("\n").split("\n")


class TestTextByKind:
    def test_summary_table_has_a_row_per_kind(self) -> None:
        """Rows: kind; columns: the usual summary keys; counts per kind."""
        lines = lines_of(render_text(tracker(failing=(3,)), width=100))
        head = next(i for i, line in enumerate(lines) if line.startswith("kind "))
        assert lines[head].split() == ["kind", "create", "close", "update", "unchanged", "skip",
                                       "conflict", "failed"]
        rows = {line.split()[0]: line.split()[1:] for line in lines[head + 2:head + 6]}
        assert rows == {"labels": ["1", "0", "0", "1", "0", "0", "0"],
                        "milestones": ["1", "0", "0", "0", "0", "0", "0"],
                        "issues": ["11", "0", "0", "0", "0", "0", "1"],
                        "comments": ["1", "0", "0", "1", "0", "0", "0"]}
        assert "note: GitLab label descriptions have no SourceCraft field" in lines

    def test_rare_columns_only_when_not_zero_and_narrow_screens_turn_it(self) -> None:
        """Adopted, not attempted... join the table when some kind has them; too wide for the
        screen, the table is turned on its side and still fits."""
        rep = tracker()
        items = [*rep.items, replace(issue(99), attempted=False), replace(label(9), adopted=True),
                 issue(98, "reopen"), issue(97, "delete")]
        rep = replace(rep, items=tuple(items))
        wide = render_text(rep, width=200)
        assert "not attempted" in wide.split("\n")[2]
        narrow = lines_of(render_text(rep, width=60))
        assert narrow[2].split() == ["labels", "milestones", "issues", "comments"]
        assert narrow[4].split()[:2] == ["create", "1"]
        assert all(cell_len(line) <= 60 for line in narrow[:-1])

    def test_each_kind_has_its_own_headers(self) -> None:
        """An issue's row leads with its GitLab number; columns say what each kind holds."""
        rep = tracker(issues=3)
        rep = replace(rep, items=(*rep.items, issue(50, "unchanged", number=7)))
        text = render_text(rep, width=120)
        heads = [line.split() for line in lines_of(text) if line.startswith("action")]
        assert heads == [["action", "label", "name", "and", "why"],
                         ["action", "milestone", "slug", "issues", "and", "why"],
                         ["action", "issue", "number", "and", "why"],
                         ["action", "note", "issue", "and", "why"]]
        row = next(line for line in lines_of(text) if "#50 Issue number 50" in line)
        assert row.split()[:6] == ["unchanged", "#50", "Issue", "number", "50", "7"]
        assert "(issues: open/closed)" in text  # under the milestones only
        assert text.count("(issues: open/closed)") == 1

    def test_long_texts_show_their_length_and_defaults_are_left_out(self) -> None:
        """A description or comment body is its length on screen; public visibility and the
        title the row already shows are not repeated; labels read as words."""
        text = render_text(tracker(issues=1), width=120)
        assert "description: " in text
        assert "From GitLab" not in text
        assert "body: " in text
        assert " characters" in text
        assert "visibility" not in text
        assert "title: Issue number 1" not in text
        assert "labels: bug, docs" in text

    def test_thirty_thousand_issues_are_quick_and_capped(self) -> None:
        """30,000 issues render in well under a second, in a screenful per kind, with every
        failure listed and the rest left to the report file."""
        rep = tracker(30_000, failing=(5, 20_000))
        started = time.perf_counter()
        text = render_text(rep, width=100, report_path="run.json")
        assert time.perf_counter() - started < 1.0
        lines = lines_of(text)
        assert len(lines) < 250
        issue_rows = [line for line in lines if line.startswith(("create", "✗ create"))
                      and "Issue number" in line]
        assert len(issue_rows) == SHOWN_PER_KIND
        assert (f"... {30_000 - SHOWN_PER_KIND:,} more issue items in run.json; the 1 failures "
                "and conflicts among them are listed below") in text
        below = text[text.index("conflicts and failures:"):]
        assert f"{PROJECT}#20000" in below
        assert f"{PROJECT}#5 " in below
        assert lines[-1].startswith("created 30001")  # 1 label, 1 milestone, 29,998 issues, 1 note

    def test_without_a_report_file_it_says_how_to_get_one(self) -> None:
        text = render_text(tracker(issues=SHOWN_PER_KIND + 3))
        assert "... 3 more issue items (run with --report FILE for all)" in text

    def test_extra_counts_shown_and_kept_in_json(self) -> None:
        """An issue's comment and reference counts show in its row and survive the JSON."""
        rep = tracker(issues=1)
        items = tuple(replace(it, extra={"comments": 3, "references": 2})
                      if it.kind == "issue" else it for it in rep.items)
        rep = replace(rep, items=items)
        assert "comments: 3, references rewritten: 2" in render_text(rep, width=120)
        doc = json.loads(render_json(rep))
        assert [it["extra"] for it in doc["items"] if it["kind"] == "issue"] == [
            {"comments": 3, "references": 2}]
        assert all(it["extra"] is None for it in doc["items"] if it["kind"] != "issue")
        assert report_from_dict(doc) == rep
        assert "comments: 3, references rewritten: 2" in render_markdown(rep)

    def test_quiet_keeps_only_what_changed_per_kind(self) -> None:
        """Quiet: no summary table, unchanged items and kinds with nothing to do left out."""
        rep = replace(tracker(issues=0), items=(label(2, "unchanged"), issue(1, "update")))
        text = render_text(rep, quiet=True)
        assert "kind " not in text
        assert "labels (" not in text
        assert "issues (1)" in text
        assert text.rstrip("\n").split("\n")[-1].startswith("2025-03-01T10:00:02Z scbridge")

    def test_milestones_alone_look_as_before(self) -> None:
        """A milestones-only report has no per-kind table or headings."""
        rep = report([item(Action.CREATE, i, f"v{i}", f"v{i}") for i in range(1, 30)])
        text = render_text(rep)
        assert "kind " not in text
        assert "milestones (" not in text
        assert "more milestone items" not in text
        assert "v29" in text

    def test_lines_fit_80_columns(self) -> None:
        text = render_text(tracker(failing=(2,)), width=80)
        assert [line for line in lines_of(text)[:-1] if cell_len(line) > 80] == []


class TestFilesByKind:
    def test_markdown_has_a_table_per_kind_within_a_comment(self) -> None:
        """30,000 issues: the per-kind summary, each kind's table capped, under the size limit."""
        rep = tracker(30_000, failing=tuple(range(100, 30_000, 7)))
        text = render_markdown(rep)
        assert len(text) <= MAX_CHARS + 2_000
        tables = md_tables(text)
        kinds = tables[1]
        assert kinds[0][0] == "kind"
        assert [row[0] for row in kinds[1:]] == ["labels", "milestones", "issues", "comments"]
        issues = next(t for t in tables if t[0][1] == "GitLab issue")
        assert issues[0][3] == "SourceCraft number"
        assert ROWS_PER_KIND < len(issues) - 1 < 30_000
        assert "more issue items" in text
        assert " more" in text.rstrip("\n").split("\n")[-1]  # the "to look at" list is capped
        assert "#### comments (2)" in text

    def test_markdown_shows_failures_after_the_first_rows(self) -> None:
        rep = tracker(100, failing=(90,))
        rows = next(t for t in md_tables(render_markdown(rep)) if t[0][1] == "GitLab issue")
        refs = [row[2] for row in rows[1:]]
        assert len(refs) == ROWS_PER_KIND + 1
        assert refs[-1] == f"{PROJECT}#90"

    def test_html_shows_every_item_grouped(self) -> None:
        rep = tracker(300)
        page = parse(render_html(rep))
        heads = [row for row in page.rows if row and row[0] == "action"]
        assert [row[1] for row in heads] == ["GitLab label", "GitLab milestone", "GitLab issue",
                                             "GitLab note"]
        assert sum(1 for row in page.rows if row and row[2].startswith(f"{PROJECT}#")
                   and "note" not in row[2]) == 300
        assert ["kind", "create", "close", "update", "unchanged", "skip", "conflict",
                "failed"] in page.rows
        assert "issues (300)" in "".join(page.text)
