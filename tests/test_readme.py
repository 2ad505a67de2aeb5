"""The README covers what issues 6 and 9 promise users, and its commands and figures stay true."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from test_report_sample import mixed_report

from bridge.report.files import render_json

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    """The body of the `## title` section, up to the next `## ` heading."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.M | re.S)
    assert match, f"no '## {title}' section"
    return match.group(1)


class TestReadme:
    def test_walkthrough_names_tokens_scopes_cron_and_ci(self) -> None:
        """Tokens with their scopes, a crontab line and a SourceCraft CI snippet that parses."""
        walk = section("A real migration, step by step")
        assert "`api` scope" in walk
        assert "developer" in walk
        cron = re.search(r"```cron\n(.*?)\n```", walk, re.S)
        assert cron
        assert re.match(r"(\S+\s+){5}.*scbridge mirror -c \S+", cron.group(1))
        ci = re.search(r"```yaml\n(workflows:.*?)```", walk, re.S)
        assert ci
        assert "scbridge mirror" in str(yaml.safe_load(ci.group(1)))

    def test_troubleshooting_covers_each_failure_issue_6_lists(self) -> None:
        """401, 403, 404, 429, resume and a held lock each have their entry."""
        trouble = section("Troubleshooting")
        for entry in ("**401**", "**403**", "**404**", "**429", "**Resume**", "**Lock held**"):
            assert f"- {entry}" in trouble

    def test_reliability_section_states_what_is_tested_with_figures(self) -> None:
        """The Reliability section names each proof with its figure and links the details."""
        reliable = section("Reliability")
        for figure in ("500 milestones", "30 `kill -9`", "85 bad", "zero hits", "exits 130"):
            assert figure in reliable
        assert "docs/reliability.md" in reliable

    def test_corpus_size_in_the_readme_is_the_real_one(self) -> None:
        """The hostile-input count the README quotes is the number of cases in the corpus."""
        cases = yaml.safe_load((ROOT / "tests/data/bad/cases.yaml").read_text(encoding="utf-8"))
        assert f"{len(cases)} bad configs" in section("Reliability")

    def test_every_json_report_key_is_named_in_the_readme(self) -> None:
        """Each top-level and per-item key of a real JSON report appears in the Reports section."""
        report = json.loads(render_json(mixed_report()))
        reports = section("Reports")
        for key in [*report, *report["items"][0]]:
            assert f"`{key}`" in reports


class TestMovingAWholeInstance:
    def test_the_fleet_config_shown_loads_and_the_examples_it_links_exist(
            self, tmp_path: Path) -> None:
        """The section's YAML is a many-project config scbridge accepts; its links resolve."""
        from bridge.fleet import load_fleet

        text = section("Moving a whole instance")
        block = re.search(r"```yaml\n(.*?)```", text, re.S)
        assert block
        config = tmp_path / "fleet.yaml"
        config.write_text(block.group(1), encoding="utf-8")
        fleet = load_fleet(config, env={"GITLAB_TOKEN": "x", "SOURCECRAFT_TOKEN": "y"})
        assert [p.target for p in fleet.projects] == ["api", "web-frontend", "data-pipeline"]
        for link in re.findall(r"\]\(((?:examples|benchmarks)/[^)]*)\)", text):
            assert (ROOT / link).exists(), link
        assert "130 (interrupted" in text
