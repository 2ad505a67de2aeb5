"""Every mapping shipped with scbridge loads, compiles and maps a typical milestone."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
import yaml

from bridge.models import SourceMilestone, WantedMilestone
from bridge.rules import load_mapping, validate_report

ROOT = Path(__file__).resolve().parents[1]


def _is_mapping(path: Path) -> bool:
    # examples/ also holds configs and sandbox data; a mapping is the YAML with `milestone:` on top.
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError:
        return False
    return isinstance(data, dict) and "milestone" in data


FILES = sorted({*ROOT.glob("mappings/*.y*ml"), *ROOT.glob("examples/**/*.y*ml")})
MAPPINGS = [p for p in FILES if p.parent.name == "mappings" or _is_mapping(p)]
BUNDLED = resources.files("bridge") / "data" / "gitlab-v3-to-sourcecraft.yaml"

TYPICAL = SourceMilestone(id=17, iid=3, project_id=5, title="v4.0", description="Big one",
                          state="active", due_date="2016-07-22", start_date="2016-07-01",
                          web_url="https://gitlab.example.com/g/p/milestones/3",
                          issues_open=3, issues_closed=5)


class TestShippedMappings:
    def test_there_are_mappings_to_check(self) -> None:
        """The default and at least three examples are found, so the next test is not vacuous."""
        assert ROOT / "mappings" / "gitlab-v3-to-sourcecraft.yaml" in MAPPINGS
        assert len([p for p in MAPPINGS if "examples" in p.parts]) >= 3

    @pytest.mark.parametrize("path", MAPPINGS, ids=[str(p.relative_to(ROOT)) for p in MAPPINGS])
    def test_mapping_compiles_and_maps(self, path: Path) -> None:
        """Each file compiles, validates, and maps a typical active milestone to an open one."""
        mapping = load_mapping(path)
        assert "compiles." in validate_report(mapping)
        result = mapping.apply(TYPICAL)
        assert isinstance(result, WantedMilestone)
        assert result.status == "open"
        assert result.name == "v4.0"

    def test_bundled_copy_is_identical(self) -> None:
        """The package's default mapping is byte for byte the one users copy from mappings/."""
        copy = (ROOT / "mappings" / "gitlab-v3-to-sourcecraft.yaml").read_bytes()
        assert BUNDLED.read_bytes() == copy

    def test_bundled_mapping_loads_from_the_package(self) -> None:
        """The default mapping loads from the installed package and follows SPEC §4's example."""
        with resources.as_file(BUNDLED) as path:
            result = load_mapping(path).apply(TYPICAL)
        assert isinstance(result, WantedMilestone)
        assert result.managed() == {
            "name": "v4.0", "slug": "v4-0", "description": "Big one",
            "start_date": "2016-07-01T00:00:00Z", "deadline": "2016-07-22T00:00:00Z",
            "status": "open"}

    def test_iid_example_makes_gl_slugs(self) -> None:
        """The iid example turns milestone 3 into slug gl-3."""
        result = load_mapping(ROOT / "examples" / "mappings" / "iid-slugs.yaml").apply(TYPICAL)
        assert isinstance(result, WantedMilestone)
        assert result.slug == "gl-3"

    def test_footer_example_links_back(self) -> None:
        """The footer example ends the description with the GitLab URL."""
        path = ROOT / "examples" / "mappings" / "gitlab-link-footer.yaml"
        result = load_mapping(path).apply(TYPICAL)
        assert isinstance(result, WantedMilestone)
        assert result.description.startswith("Big one\n\n---\n")
        assert "https://gitlab.example.com/g/p/milestones/3" in result.description

    def test_active_only_example_drops_closed(self) -> None:
        """The active-only example skips closed milestones and those without issues."""
        mapping = load_mapping(ROOT / "examples" / "mappings" / "active-only.yaml")
        closed = SourceMilestone(id=1, iid=1, project_id=5, title="old", state="closed",
                                 issues_open=1)
        empty = SourceMilestone(id=2, iid=2, project_id=5, title="new")
        assert not isinstance(mapping.apply(closed), WantedMilestone)
        assert not isinstance(mapping.apply(empty), WantedMilestone)
        assert isinstance(mapping.apply(TYPICAL), WantedMilestone)
