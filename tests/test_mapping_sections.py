"""The mapping's `label:` and `issue:` sections: checked with file:line, bundled when absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.errors import ConfigError
from bridge.rules import load_mapping
from bridge.rules.report import validate_report

MILESTONE = ("version: 1\nmilestone:\n  name: {from: title}\n  slug: {from: title}\n"
             "  status: {from: state, map: {active: open, closed: closed}}\n")


def mapping(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "m.yaml"
    path.write_text(MILESTONE + extra, encoding="utf-8")
    return path


class TestSections:
    @pytest.mark.parametrize(("extra", "line", "words"), [
        ("issue:\n  title: {from: nosuch}\n  status: {from: state}\n", 7, "unknown GitLab field"),
        ("issue:\n  status: {from: state}\n", 6, "no rule for title"),
        ("label:\n  name: {from: name}\n  colour: {from: color}\n", 8, "colour"),
        ("references:\n  rewrite: maybe\n", 7, "rewrite"),
    ], ids=["unknown-field", "missing-title", "unknown-target", "bad-switch"])
    def test_a_mistake_names_the_file_the_line_and_the_rule(
            self, tmp_path: Path, extra: str, line: int, words: str) -> None:
        """Found when the mapping compiles (by `validate`, before any request)."""
        with pytest.raises(ConfigError) as caught:
            load_mapping(mapping(tmp_path, extra))
        assert f"m.yaml:{line}:" in str(caught.value)
        assert words in str(caught.value)

    def test_a_milestone_only_mapping_gets_the_bundled_label_and_issue_rules(
            self, tmp_path: Path) -> None:
        """A mapping written before labels and issues keeps working, and validate says so."""
        compiled = load_mapping(mapping(tmp_path, ""))
        assert not compiled.has_section("issue")
        assert set(compiled.section("issue").rules) == {"title", "description", "status",
                                                        "visibility", "deadline"}
        assert "Issues, when `transfer:` moves them (the bundled rules" in (
            validate_report(compiled))

    def test_own_rules_win(self, tmp_path: Path) -> None:
        """A section the file has is used as written."""
        compiled = load_mapping(mapping(tmp_path, "label:\n  name: {from: name, apply: [lower]}\n"))
        assert compiled.section("label").values({"name": "Bug", "color": "#fff"}) == {
            "name": "bug"}
