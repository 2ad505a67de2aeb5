"""Pieces every report renderer shares: the item table's columns and an item's notes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields, replace
from typing import Any

import pytest
from test_report_sample import item, report

from bridge.logs import clear_secrets, register_secret
from bridge.models import Action
from bridge.report import ReportItem
from bridge.report.cells import COLUMNS, masked_copy, masked_item, notes
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


def _same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (a tuple is not a list here)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


class TestMaskedItem:
    TOKEN = "glpat-cells-secret-1"

    @pytest.fixture(autouse=True)
    def _secret(self) -> Iterator[None]:
        clear_secrets()
        register_secret(self.TOKEN)
        yield
        clear_secrets()

    def test_every_field_and_change_is_masked_as_before(self) -> None:
        """A secret anywhere (a text, a key, deep in the changes), a secret key, a tuple or
        an odd object: the same item as the masking copy gave, field for field and type for
        type; an item with nothing to mask comes back as it is."""
        base = item(Action.UPDATE, 1, "v1.0", "v1-0", changes={"name": ("a", "b")})
        t = self.TOKEN
        variants = [
            {}, {"title": f"x {t}"}, {"target_slug": t}, {"reason": f"why {t}"},
            {"error": f"boom {t}"}, {"project_path": f"g/{t}"}, {"ref": f"g/p#{t}"},
            {"changes": {"d": [None, f"has {t}"]}}, {"changes": {f"k{t}": [1, 2]}},
            {"changes": {"token": ["a", "b"]}}, {"changes": {"Private-Token": [None, "x"]}},
            {"changes": {"l": [["a", ["b", {"c": t}]], []]}}, {"changes": {"t": [("a",), "b"]}},
            {"changes": {"s": [{"a"}, None]}}, {"changes": {"o": [Action.CREATE, 1.5]}},
            {"changes": {"n": [None, True, 0, -2.5, "plain", ["x", {"y": None}]]}},
            {"changes": {1: ["int", "key"]}}, {"target_slug": None, "reason": None, "ref": None},
        ]
        for change in variants:
            it = replace(base, **change)
            got, want = masked_item(it), masked_copy(it)
            assert got == want, change
            assert all(_same(getattr(got, f.name), getattr(want, f.name))
                       for f in fields(ReportItem)), change
            assert t not in repr(got)
        plain = replace(base, changes={"n": [None, ["x", {"y": 1.5}]]})
        assert masked_item(plain) is plain  # nothing to mask: no copy
        assert masked_item(replace(base, title=f"x {t}")).title == "x ***"
