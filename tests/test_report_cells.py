"""Pieces every report renderer shares: the item table's columns and an item's notes."""

from __future__ import annotations

from dataclasses import replace

from test_report_sample import item, report

from bridge.models import Action
from bridge.report.cells import COLUMNS, notes
from bridge.report.htmlpage import render_html
from bridge.report.markdown import HEADERS


class TestNotes:
    def test_reason_then_error(self) -> None:
        """An item with both gets its reason first, then its error, each labelled."""
        failed = replace(item(Action.CREATE, 1, "v1.0", "v1-0", error="boom"), reason="why")
        assert notes(failed) == [("reason", "why"), ("error", "boom")]

    def test_missing_and_empty_are_left_out(self) -> None:
        """No reason and an empty error give no notes at all."""
        plain = replace(item(Action.CREATE, 1, "v1.0", "v1-0"), reason=None, error="")
        assert notes(plain) == []


class TestColumns:
    def test_markdown_and_html_share_the_columns(self) -> None:
        """Markdown heads its table with the shared columns; HTML adds the arrow to changes."""
        page = render_html(report([item(Action.CREATE, 1, "v1.0", "v1-0")]))
        assert HEADERS == COLUMNS
        assert "".join(f"<th>{c}</th>" for c in COLUMNS).replace(
            "what changes", "what changes (→)") in page
