"""The text report: 80 columns, the closing line, problems listed, hostile titles tamed."""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from dataclasses import replace

import pytest
from rich.cells import cell_len
from test_report_sample import PROJECT, item, mixed_report, report, spec_report

from bridge.logs import clear_secrets, register_secret
from bridge.models import Action
from bridge.report import render_text
from bridge.report.cells import summary_words
from bridge.report.text import INDENT, _wrap_words, report_width, wrap

TOKEN = "glpat-S3cretT0ken-XYZ"


@pytest.fixture
def secret() -> Iterator[str]:
    """A registered token, forgotten after the test."""
    register_secret(TOKEN)
    yield TOKEN
    clear_secrets()


def body(text: str) -> list[str]:
    """Every line but the closing summary line."""
    return text.rstrip("\n").split("\n")[:-1]


class TestRenderText:
    """render_text."""

    def test_spec_closing_line(self) -> None:
        """The last line reads exactly as SPEC §6's example."""
        assert render_text(spec_report()).rstrip("\n").split("\n")[-1] == (
            "created 3, closed 1, updated 0, unchanged 5, skipped 1, conflicts 0, failed 0 "
            "in 14 requests")

    def test_dry_run_closing_line(self) -> None:
        """A dry run's closing line says what would be done, and that it was a dry run."""
        assert render_text(spec_report(dry_run=True)).rstrip("\n").split("\n")[-1] == (
            "would create 3, close 1, update 0, unchanged 5, skipped 1, conflicts 0, failed 0 "
            "in 14 requests (dry run)")

    def test_reopen_and_delete_only_when_nonzero(self) -> None:
        """Reopened and deleted counts join the closing line only when there are some."""
        assert "reopened" not in render_text(spec_report())
        last = render_text(mixed_report()).rstrip("\n").split("\n")[-1]
        assert last.startswith("created 1, closed 0, reopened 1, updated 1, unchanged 0")
        assert "deleted" not in last

    @pytest.mark.parametrize("width", [60, 80, 120])
    def test_lines_fit_the_width(self, width: int) -> None:
        """Every line but the closing one fits in `width` cells, even with CJK and 100 KB titles."""
        text = render_text(mixed_report(), width=width)
        too_wide = [line for line in body(text) if cell_len(line) > width]
        assert too_wide == []

    def test_hostile_title_cut_at_gitlabs_limit(self) -> None:
        """A 100 KB title (GitLab allows 255 characters) is cut with an ellipsis there."""
        text = render_text(mixed_report())
        assert len(text) < 5_000
        assert "x" * 300 not in text
        assert "x" * 254 + "…" in text

    def test_table_columns(self) -> None:
        """The table has the action, milestone, slug, issues and changes columns, in order."""
        lines = render_text(spec_report()).split("\n")
        header = next(i for i, line in enumerate(lines) if line.startswith("action"))
        assert lines[header].split() == ["action", "milestone", "slug", "issues", "and", "why"]
        close_row = next(line for line in lines if line.startswith("close "))
        assert close_row.split() == ["close", "v0.9", "v0-9", "3/5", "status:", "open", "→",
                                     "closed"]

    def test_create_lists_what_it_sets(self) -> None:
        """A create row shows the deadline it will set on its own line."""
        text = render_text(report([item(Action.CREATE, 1, "v4.0", "v4-0")]), width=100)
        assert "deadline: 2016-07-22T00:00:00Z" in text

    def test_hostile_title_stays_on_one_line(self) -> None:
        """Newlines and escape sequences in a title neither break the table nor reach the TTY."""
        text = render_text(report([item(Action.CREATE, 1, "a\nb\x1b[31mred\r", "a")]))
        assert "\x1b" not in text
        assert "\r" not in text
        row = next(line for line in text.split("\n") if line.startswith("create"))
        assert "a b\ufffd[31mred" in row

    def test_problems_listed_with_reference(self) -> None:
        """Conflicts and failures are listed below the table with reference, reason and error."""
        text = render_text(mixed_report(), width=100)
        below = text[text.index("conflicts and failures:"):]
        assert f"conflict  {PROJECT}%3" in below
        assert 'reason: slug big-one is taken by "Big" (id 7)' in below
        assert f"✗ create  {PROJECT}%4" in below
        assert "error: 422 Unprocessable Entity: name too long" in below

    def test_no_problem_section_when_clean(self) -> None:
        """A clean run has no conflicts and failures section."""
        assert "conflicts and failures" not in render_text(spec_report())

    def test_empty_report(self) -> None:
        """A project without milestones says so instead of printing an empty table."""
        text = render_text(report([], requests=(2, 1, 0)))
        assert "no milestones" in text
        assert text.endswith("conflicts 0, failed 0 in 3 requests\n")

    def test_registered_secret_never_printed(self, secret: str) -> None:
        """A token inside an error text is masked in the text report."""
        text = render_text(report([item(Action.CREATE, 1, "a", "a",
                                        error=f"401 for PRIVATE-TOKEN {secret}")]))
        assert secret not in text
        assert "PRIVATE-TOKEN ***" in text


class TestChangesWrap:
    """The changes column wraps instead of cutting."""

    def test_before_and_after_are_shown_whole_at_80_columns(self) -> None:
        """An update's before -> after survives the 80-column table, wrapped over lines."""
        changes = {"deadline": ("2016-07-22T00:00:00Z", "2016-09-30T00:00:00Z"),
                   "description": ("Old words", "New words for the milestone")}
        text = render_text(report([item(Action.UPDATE, 4, "A fairly long milestone title",
                                        "a-fairly-long-milestone-title", changes=changes)]),
                           width=80)
        lines = body(text)
        assert all(cell_len(line) <= 80 for line in lines)
        joined = "".join(line.split("  ")[-1].strip() for line in lines)
        for before, after in changes.values():
            assert before in joined
            assert after in joined


class TestNothingCutMidWord:
    """Long text wraps at spaces; titles, slugs and dates stay whole at any sensible width."""

    def test_wrap_breaks_at_spaces_only(self) -> None:
        """Each wrapped piece is whole words; joined again it is the text."""
        text = "deadline: 2016-03-01T00:00:00Z and a description of some length to wrap"
        pieces = wrap(text, 24)
        assert all(cell_len(p) <= 24 for p in pieces)
        assert " ".join(p.strip() for p in pieces) == text
        assert "2016-03-01T00:00:00Z" in pieces[0] + pieces[1]
        assert any(p.strip() == "2016-03-01T00:00:00Z" or "2016-03-01T00:00:00Z" in p
                   for p in pieces)

    def test_a_fitting_line_is_what_word_by_word_wrapping_gives(self) -> None:
        """The shortcut for printable ASCII that fits gives what breaking word by word gives,
        for every width around the text's length; other text still goes word by word."""
        rng = random.Random(5)
        words = ["a", "bb", "deadline:", "2016-03-01T00:00:00Z", "", "→", "日本", "\x1b[31m"]
        for _ in range(400):
            text = " " * rng.randrange(3) + " ".join(rng.choice(words) for _ in range(
                rng.randrange(8)))
            for width in range(max(10, len(text) - 2), len(text) + 3):
                assert wrap(text, width) == _wrap_words(text, width, INDENT), (text, width)
                assert wrap(text, width, indent="    ") == _wrap_words(text, width, "    ")
        assert wrap("short one", 9) == ["short one"]
        assert wrap("short one", 8) == ["short", "  one"]

    @pytest.mark.parametrize("width", [60, 80, 100, None])
    def test_titles_slugs_and_dates_whole(self, width: int | None) -> None:
        """The spec report's titles, slugs and every date appear whole, at any width."""
        rep = report([item(Action.UPDATE, 4, "A fairly long milestone title", "a-long-slug",
                           changes={"deadline": ("2016-07-22T00:00:00Z",
                                                 "2016-09-30T00:00:00Z")})])
        text = render_text(rep, width=width)
        for whole in ("a-long-slug", "2016-07-22T00:00:00Z", "2016-09-30T00:00:00Z"):
            assert whole in text, (width, whole)
        # On one line from 80 columns on; narrower, wrapped at a space but never cut.
        title = "A fairly long milestone title"
        if width == 60:
            assert all(word in text.split() for word in title.split())
        else:
            assert title in text
        assert "…" not in text

    def test_no_width_is_not_80(self) -> None:
        """Without a width (a pipe), a long title is on one line however wide that makes it."""
        title = "A milestone title that is rather long, as real titles sometimes are, to see"
        text = render_text(report([item(Action.CREATE, 1, title, "a-slug")]))
        assert any(title in line for line in text.split("\n"))

    def test_reason_shown_in_the_table(self) -> None:
        """An update's reason is in its row, not only in the report files."""
        rep = report([item(Action.UPDATE, 4, "v1", "v1", changes={"name": ("a", "v1")},
                           reason="edited on SourceCraft; overwritten (source-wins)")])
        assert "(edited on SourceCraft; overwritten (source-wins))" in render_text(rep)


class TestWidthChoice:
    """report_width: COLUMNS, else the terminal, else None."""

    def test_columns_wins(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("COLUMNS", "132")
        assert report_width(io.StringIO()) == 132

    def test_pipe_without_columns_is_none(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("COLUMNS", raising=False)
        assert report_width(io.StringIO()) is None


class TestClosingWords:
    """summary_words: every item once, sub-counts in parentheses, rare counts when not zero."""

    def test_created_closed_adopted_not_attempted(self) -> None:
        words = summary_words({"create": 13, "create_closed": 6, "adopted": 2,
                               "not_attempted": 3, "failed": 0})
        assert words == ("created 13 (6 closed), adopted 2, closed 0, updated 0, unchanged 0, "
                         "skipped 0, conflicts 0, failed 0, not attempted 3")

    def test_a_summary_from_an_older_checkpoint(self) -> None:
        """Keys a checkpoint written by an older scbridge lacks read as zero."""
        assert summary_words({"create": 1}, dry_run=True).startswith("would create 1, close 0")

    def test_interrupted_closing_line(self) -> None:
        rep = replace(spec_report(), exit_code=130)
        assert render_text(rep).rstrip("\n").endswith("(interrupted: run again to finish)")


class TestQuiet:
    """render_text(quiet=True)."""

    def test_only_what_changed_and_one_stamped_line(self) -> None:
        text = render_text(spec_report(), quiet=True)
        lines = text.rstrip("\n").split("\n")
        assert lines[-1] == ("2025-03-01T10:00:02Z scbridge migrate: group/project → "
                             "my-org/my-repo: created 3, closed 1, updated 0, unchanged 5, "
                             "skipped 1, conflicts 0, failed 0 in 14 requests")
        assert not [line for line in lines if line.startswith(("unchanged", "skip"))]
        assert len([line for line in lines if line.startswith(("create", "close"))]) == 4

    def test_nothing_changed_is_one_line(self) -> None:
        rep = report([item(Action.UNCHANGED, 1, "a", "a")])
        assert render_text(rep, quiet=True).count("\n") == 1


class TestWrapEdges:
    @pytest.mark.parametrize(("text", "width", "indent"), [
        ("  x", 1, "  "), ("x", 1, "    "), ("word " * 3, 2, "      "), ("  ", 1, "   ")])
    def test_a_width_no_wider_than_the_indent_still_ends(self, text: str, width: int,
                                                         indent: str) -> None:
        """Leading spaces or an indent as wide as the line: every character once, no hang."""
        lines = wrap(text, width, indent=indent)
        assert "".join(line.strip() for line in lines) == text.replace(" ", "")
        assert all(line.strip() for line in lines[1:])  # no empty continuation line

    def test_a_word_of_100000_characters_is_folded(self) -> None:
        """A hostile 100,000-character name folds into lines of the width, each char once
        (in 0.02 s: the rest of the word is no longer measured again after each cut)."""
        lines = wrap("y" * 100_000, 80)
        assert "".join(line.strip() for line in lines) == "y" * 100_000
        assert max(cell_len(line) for line in lines) <= 80
