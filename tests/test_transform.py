"""The transform stage: distinct slugs, stable whatever the input order, reserved slugs honoured."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.engine.transform import transform
from bridge.models import Skipped, SourceMilestone, WantedMilestone
from bridge.rules import CompiledMapping, load_mapping, validate_report
from bridge.slugs import SLUG_MAX, fallback_slug, is_valid_slug, make_slug, with_suffix

BUNDLED = Path(__file__).resolve().parents[1] / "mappings" / "gitlab-v3-to-sourcecraft.yaml"


@pytest.fixture(scope="module")
def bundled() -> CompiledMapping:
    return load_mapping(BUNDLED)


def ms(mid: int, title: str, due_date: str | None = None) -> SourceMilestone:
    return SourceMilestone(id=mid, iid=mid, project_id=1, title=title, due_date=due_date)


def slugs(results: list[WantedMilestone | Skipped]) -> dict[int, str]:
    return {r.source.id: r.slug for r in results if isinstance(r, WantedMilestone)}


class TestTransform:
    def test_colliding_slugs_get_suffixes_by_id(self, bundled: CompiledMapping) -> None:
        """The oldest milestone keeps the plain slug; later ones get -2, -3 in id order."""
        result = transform(bundled, [ms(30, "v1.0"), ms(10, "V1.0"), ms(20, "v1 0")])
        assert slugs(result) == {10: "v1-0", 20: "v1-0-2", 30: "v1-0-3"}
        assert [r.source.id for r in result] == [10, 20, 30]

    def test_suffix_does_not_steal_an_existing_slug(self, bundled: CompiledMapping) -> None:
        """A suffixed slug that another milestone already has moves on to the next number."""
        result = transform(bundled, [ms(1, "a"), ms(2, "a 2"), ms(3, "a")])
        assert slugs(result) == {1: "a", 2: "a-2", 3: "a-3"}

    @settings(max_examples=60, deadline=None)
    @given(titles=st.lists(st.sampled_from(["v1.0", "V1.0", "v1-0", "Релиз", "reliz", "🎉", "x"]),
                           min_size=1, max_size=12),
           data=st.data())
    def test_slugs_distinct_and_order_independent(self, bundled: CompiledMapping,
                                                  titles: list[str], data: st.DataObject) -> None:
        """Any permutation of the input gives the same, pairwise distinct, valid slugs."""
        items = [ms(i + 1, t) for i, t in enumerate(titles)]
        shuffled = data.draw(st.permutations(items))
        first, second = slugs(transform(bundled, items)), slugs(transform(bundled, shuffled))
        assert first == second
        assert len(set(first.values())) == len(first)
        assert all(is_valid_slug(s) for s in first.values())

    def test_reserved_slug_stays_with_its_milestone(self, bundled: CompiledMapping) -> None:
        """A milestone the checkpoint knows keeps its SourceCraft slug even after a rename."""
        result = transform(bundled, [ms(1, "Renamed"), ms(2, "Other")], reserved={1: "old-name"})
        assert slugs(result) == {1: "old-name", 2: "other"}

    def test_others_avoid_reserved_slugs(self, bundled: CompiledMapping) -> None:
        """A slug reserved by another milestone (even one no longer listed) is avoided."""
        result = transform(bundled, [ms(1, "beta"), ms(2, "gamma")],
                           reserved={2: "beta", 99: "gamma"})
        assert slugs(result) == {1: "beta-2", 2: "beta"}

    def test_follow_renames_recomputes_but_still_avoids(self, tmp_path: Path) -> None:
        """With follow_renames a reserved milestone gets its new slug, still clear of others'."""
        text = BUNDLED.read_text(encoding="utf-8").replace("follow_renames: false",
                                                           "follow_renames: true")
        path = tmp_path / "m.yaml"
        path.write_text(text, encoding="utf-8")
        result = transform(load_mapping(path), [ms(1, "New"), ms(2, "Two")],
                           reserved={1: "old", 2: "new"})
        assert slugs(result) == {1: "new-2", 2: "two"}

    def test_skips_pass_through(self, bundled: CompiledMapping) -> None:
        """Records that fail mapping come back as skips in id order, taking no slug."""
        result = transform(bundled, [ms(2, "a"), ms(1, "a", due_date="2016-13-01")])
        assert isinstance(result[0], Skipped)
        assert result[0].error is not None
        assert slugs(result) == {2: "a"}

    def test_long_slugs_stay_within_bound_with_suffix(self, bundled: CompiledMapping) -> None:
        """Suffixes cut the base so a clashing long slug still has at most SLUG_MAX characters."""
        result = slugs(transform(bundled, [ms(1, "x" * 300), ms(2, "x" * 300)]))
        assert result[1] == "x" * SLUG_MAX
        assert result[2] == "x" * (SLUG_MAX - 2) + "-2"


class TestSlugs:
    @pytest.mark.parametrize(("text", "slug"), [
        ("Релиз 1.0", "reliz-1-0"), ("Straße Ünïcode", "strasse-unicode"),
        ("  v4.0 (beta)  ", "v4-0-beta"), ("a--b", "a-b"), ("🎉", ""), (None, "")])
    def test_make_slug(self, text: str | None, slug: str) -> None:
        """Titles are transliterated, lower-cased and reduced to letters, digits and hyphens."""
        assert make_slug(text) == slug

    @given(st.text(max_size=300))
    def test_make_slug_is_always_valid_or_empty(self, text: str) -> None:
        """Any text gives a valid slug or nothing at all (then the iid fallback applies)."""
        slug = make_slug(text)
        assert slug == "" or is_valid_slug(slug)

    def test_with_suffix_trims_trailing_hyphen(self) -> None:
        """Cutting the base before the suffix never leaves a double hyphen."""
        base = "a" * (SLUG_MAX - 3) + "-bb"
        assert with_suffix(base, 2) == "a" * (SLUG_MAX - 3) + "-2"

    def test_fallback(self) -> None:
        """The fallback slug is built from the iid and is valid."""
        assert fallback_slug(12) == "milestone-12"
        assert is_valid_slug(fallback_slug(12))


class TestValidateReport:
    def test_report_lists_fields_filters_and_settings(self, tmp_path: Path) -> None:
        """The validate text names every SourceCraft field's source and each filter."""
        path = tmp_path / "m.yaml"
        path.write_text(BUNDLED.read_text(encoding="utf-8")
                        + "include:\n  state: [active]\n", encoding="utf-8")
        text = validate_report(load_mapping(path))
        assert f"mapping {path} (version 1) compiles." in text
        assert "deadline     <- GitLab due_date, then date placed at 00:00 UTC" in text
        assert "keep only if state is active  [include.state]" in text
        assert "slugs.follow_renames: false" in text

    def test_report_without_filters(self, bundled: CompiledMapping) -> None:
        """With no filters the report says every milestone is kept."""
        assert "every milestone (no include/exclude rules)" in validate_report(bundled)
