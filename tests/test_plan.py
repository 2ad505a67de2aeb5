"""The planner turns wanted milestones, the target's milestones and the checkpoint into actions."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import SimpleNamespace
from typing import Any

import pytest

from bridge.checkpoint import Record, content_hash
from bridge.config import MirrorConfig
from bridge.engine.plan import MIGRATE_DIFFERS, Mode, PlanInput, plan
from bridge.errors import ConfigError
from bridge.kinds.milestone import MilestoneKind
from bridge.models import (
    Create,
    Planned,
    Skip,
    Skipped,
    SourceMilestone,
    TargetMilestone,
    WantedMilestone,
    source_id_of,
    source_of,
    target_of,
)

DEADLINE, LATER = "2016-07-22T00:00:00Z", "2016-08-01T00:00:00Z"
EDITED = "edited on SourceCraft"


def src(sid: int = 1) -> SourceMilestone:
    return SourceMilestone(id=sid, iid=sid, project_id=9, title=f"v{sid}.0")


def want(sid: int = 1, **fields: Any) -> WantedMilestone:
    base = WantedMilestone(src(sid), name=f"v{sid}.0", slug=f"v{sid}-0", description="notes",
                           deadline=DEADLINE)
    return replace(base, **fields)


def tgt(sid: int = 1, **fields: Any) -> TargetMilestone:
    base = TargetMilestone(id=f"t-{sid}", name=f"v{sid}.0", slug=f"v{sid}-0", description="notes",
                           deadline=DEADLINE, updated_at="2026-01-01T00:00:00Z")
    return replace(base, **fields)


def rec(sid: int = 1, *, state: str = "created", written: TargetMilestone | None = None,
        **fields: Any) -> Record:
    """A record as the loader leaves it after writing `written` (by default the plain target)."""
    wrote = written or tgt(sid)
    base = Record(kind="milestone", source_id=sid, target_id=f"t-{sid}", key=f"v{sid}-0",
                  state=state,
                  written_hash=content_hash(wrote.managed()),
                  target_updated_at=wrote.updated_at, error=None, updated_at="x")
    return replace(base, **fields)


def skipped(sid: int = 1, error: str | None = None) -> Skipped:
    return Skipped(src(sid), reason="excluded by filter", error=error)

@dataclass(frozen=True)
class Case:
    id: str
    results: list[WantedMilestone | Skipped]
    target: list[TargetMilestone]
    records: list[Record]
    expected: list[tuple[Any, ...]]  # (action, source_id, target id, changes, reason, error)
    mode: Mode = "mirror"
    mirror: MirrorConfig = field(default_factory=MirrorConfig)
    follow: bool = False
    census: bool = True


def milestones(follow: bool = False) -> MilestoneKind:
    """The milestone kind as the planner sees it: only the mapping's rename setting matters."""
    ctx: Any = SimpleNamespace(mapping=SimpleNamespace(slugs_follow_renames=follow))
    return MilestoneKind(ctx)


def run(case: Case) -> list[Planned]:
    inp = PlanInput(case.results, case.target, {r.source_id: r for r in case.records},
                    census_complete=case.census)
    return plan(milestones(case.follow), inp, mode=case.mode, mirror=case.mirror)


def flat(actions: list[Planned]) -> list[tuple[Any, ...]]:
    return [(a.action.value, source_id_of(a), target_of(a).id if target_of(a) else None,
             dict(a.changes), a.reason, a.error if isinstance(a, Skip) else None)
            for a in actions]


def row(action: str, sid: int, target: str | None = None, changes: dict[str, Any] | None = None,
        reason: str | None = None, *, error: str | None = None) -> tuple[Any, ...]:
    return (action, sid, target, changes or {}, reason, error)


CREATED = {"name": (None, "v1.0"), "slug": (None, "v1-0"), "description": (None, "notes"),
           "deadline": (None, DEADLINE), "status": (None, "open")}
STRANGER = ("slug 'v1-0' is taken by a SourceCraft milestone named 'Theirs' that scbridge "
            "did not create")

MATCHING = [
    Case("absent-is-created", [want()], [], [], [row("create", 1, None, CREATED)]),
    Case("closed-source-is-still-a-create", [want(status="closed")], [], [],
         [row("create", 1, None, {**CREATED, "status": (None, "closed")})]),
    Case("create-lists-only-non-empty-fields", [want(description="", deadline=None)], [], [],
         [row("create", 1, None, {"name": (None, "v1.0"), "slug": (None, "v1-0"),
                                  "status": (None, "open")})]),
    Case("matched-by-checkpoint-id-whatever-its-slug", [want()], [tgt(slug="renamed")],
         [rec()], [row("unchanged", 1, "t-1")], mode="migrate"),
    Case("pending-record-adopts-its-landed-post-by-slug-and-name", [want()], [tgt(id="t-7")],
         [rec(target_id=None, state="pending", written_hash=None)],
         [row("unchanged", 1, "t-7")], mode="migrate"),
    Case("pending-record-never-claims-a-stranger-on-its-slug", [want()],
         [tgt(id="t-7", name="Theirs")],
         [rec(target_id=None, state="pending", written_hash=None)],
         [row("conflict", 1, "t-7", reason=STRANGER)], mode="migrate"),
    Case("failed-record-without-id-is-not-matched-by-slug", [want()],
         [tgt(id="t-7", name="Theirs")], [rec(target_id=None, state="failed")],
         [row("conflict", 1, "t-7", reason=STRANGER)]),
    Case("vanished-id-is-not-replaced-by-the-slug-holder", [want()],
         [tgt(id="t-7", name="Theirs")], [rec(target_id="t-gone")],
         [row("conflict", 1, "t-7", reason=STRANGER)]),
    Case("same-slug-same-name-is-adopted", [want()], [tgt()], [], [row("unchanged", 1, "t-1")],
         mode="migrate"),
    Case("adopted-then-closed", [want(status="closed")], [tgt()], [],
         [row("close", 1, "t-1", {"status": ("open", "closed")})], mode="migrate"),
    Case("same-slug-other-name-is-a-conflict", [want()], [tgt(name="Theirs")], [],
         [row("conflict", 1, "t-1", reason=STRANGER)], mode="migrate"),
    Case("slug-held-by-another-record-is-a-conflict", [want()], [tgt()], [rec(2, target_id="t-1")],
         [row("conflict", 1, "t-1", reason="slug 'v1-0' belongs to the SourceCraft milestone "
                                           "scbridge made for GitLab milestone 2")],
         mode="migrate"),
    Case("deliberate-skip", [skipped()], [], [],
         [row("skip", 1, reason="excluded by filter")]),
    Case("failed-mapping-skip-keeps-its-error", [skipped(error="unmapped state 'x'")], [], [],
         [row("skip", 1, reason="excluded by filter", error="unmapped state 'x'")]),
]

MIGRATE = [
    Case("closed-in-gitlab-is-closed", [want(status="closed")], [tgt()], [rec()],
         [row("close", 1, "t-1", {"status": ("open", "closed")})]),
    Case("close-names-fields-it-leaves", [want(status="closed", deadline=LATER)], [tgt()],
         [rec()], [row("close", 1, "t-1", {"status": ("open", "closed")}, MIGRATE_DIFFERS)]),
    Case("reopened-after-scbridge-closed-it", [want()], [tgt(status="closed")],
         [rec(state="closed")], [row("reopen", 1, "t-1", {"status": ("closed", "open")})]),
    Case("closed-by-hand-stays-closed", [want()], [tgt(status="closed")], [rec()],
         [row("unchanged", 1, "t-1", {"status": ("closed", "open")},
              "closed on SourceCraft, not by scbridge; kept")]),
    Case("adopted-closed-stays-closed", [want()], [tgt(status="closed")], [],
         [row("unchanged", 1, "t-1", {"status": ("closed", "open")},
              "closed on SourceCraft, not by scbridge; kept")]),
    Case("field-differences-are-reported-not-written", [want(deadline=LATER)], [tgt()], [rec()],
         [row("unchanged", 1, "t-1", {"deadline": (DEADLINE, LATER)}, MIGRATE_DIFFERS)]),
    Case("same-instant-other-spelling-is-no-difference", [want(description="")],
         [tgt(deadline="2016-07-22T00:00:00.000+00:00", description=None)], [rec()],
         [row("unchanged", 1, "t-1")]),
    Case("vanished-milestones-are-left-alone", [], [tgt(5)], [rec(5)], []),
]
MIGRATE = [replace(case, mode="migrate") for case in MIGRATE]

HAND = tgt(name="Hand-made")  # what someone made of our milestone on SourceCraft
POLICY = {p: MirrorConfig(on_target_edited=p) for p in ("source-wins", "keep-target", "report")}

MIRROR = [
    Case("in-line-is-unchanged", [want()], [tgt()], [rec()], [row("unchanged", 1, "t-1")]),
    Case("rename-patches-the-name-and-keeps-the-slug", [want(name="v1 final", slug="v1-final")],
         [tgt()], [rec()], [row("update", 1, "t-1", {"name": ("v1.0", "v1 final")})]),
    Case("slug-follows-a-rename-when-asked", [want(name="v1 final", slug="v1-final")], [tgt()],
         [rec()], [row("update", 1, "t-1", {"name": ("v1.0", "v1 final"),
                                            "slug": ("v1-0", "v1-final")})], follow=True),
    Case("status-alone-closes", [want(status="closed")], [tgt()], [rec()],
         [row("close", 1, "t-1", {"status": ("open", "closed")})]),
    Case("status-alone-reopens", [want()], [tgt(status="closed")],
         [rec(state="closed", written=tgt(status="closed"))],
         [row("reopen", 1, "t-1", {"status": ("closed", "open")})]),
    Case("status-and-fields-update-together", [want(status="closed", deadline=LATER)], [tgt()],
         [rec()], [row("update", 1, "t-1", {"status": ("open", "closed"),
                                            "deadline": (DEADLINE, LATER)})]),
    Case("hand-edit-source-wins", [want()], [HAND], [rec()],
         [row("update", 1, "t-1", {"name": ("Hand-made", "v1.0")},
              f"{EDITED}; overwritten (source-wins)")], mirror=POLICY["source-wins"]),
    Case("hand-edit-keep-target", [want()], [HAND], [rec()],
         [row("skip", 1, "t-1", {"name": ("Hand-made", "v1.0")}, f"{EDITED}; kept (keep-target)")],
         mirror=POLICY["keep-target"]),
    Case("hand-edit-report", [want()], [HAND], [rec()],
         [row("conflict", 1, "t-1", {"name": ("Hand-made", "v1.0")},
              f"{EDITED} since scbridge wrote it")], mirror=POLICY["report"]),
    Case("hand-edit-that-matches-gitlab-needs-nothing", [want(deadline=LATER)],
         [tgt(deadline=LATER)], [rec()], [row("unchanged", 1, "t-1")], mirror=POLICY["report"]),
    Case("updated-at-alone-is-not-a-hand-edit", [want(deadline=LATER)],
         [tgt(updated_at="2026-02-02T00:00:00Z")], [rec()],
         [row("update", 1, "t-1", {"deadline": (DEADLINE, LATER)})], mirror=POLICY["report"]),
    Case("adopted-milestone-is-updated", [want(deadline=LATER)], [tgt()], [],
         [row("update", 1, "t-1", {"deadline": (DEADLINE, LATER)})], mirror=POLICY["report"]),
    Case("pending-record-has-no-hash-to-judge-by", [want(deadline=LATER)], [tgt()],
         [rec(target_id=None, state="pending", written_hash=None)],
         [row("update", 1, "t-1", {"deadline": (DEADLINE, LATER)})], mirror=POLICY["report"]),
]

GONE, NO_CENSUS = "deleted in GitLab", "census incomplete: no deletion"
DELETIONS = [
    Case("keep", [], [tgt(5)], [rec(5)],
         [row("skip", 5, "t-5", reason=f"{GONE}; kept (on_deleted: keep)")]),
    Case("close", [], [tgt(5)], [rec(5)],
         [row("close", 5, "t-5", {"status": ("open", "closed")},
              f"{GONE}; closed (on_deleted: close)")], mirror=MirrorConfig(on_deleted="close")),
    Case("close-when-already-closed", [], [tgt(5, status="closed")], [rec(5)],
         [row("unchanged", 5, "t-5", reason=f"{GONE}; already closed (on_deleted: close)")],
         mirror=MirrorConfig(on_deleted="close")),
    Case("delete", [], [tgt(5)], [rec(5)],
         [row("delete", 5, "t-5", reason=f"{GONE}; deleted (on_deleted: delete)")],
         mirror=MirrorConfig(on_deleted="delete")),
    *[Case(f"incomplete-census-{policy}", [], [tgt(5)], [rec(5)],
           [row("skip", 5, "t-5", reason=NO_CENSUS)], mirror=MirrorConfig(on_deleted=policy),
           census=False) for policy in ("keep", "close", "delete")],
    Case("target-already-gone", [], [], [rec(5, state="deleted")], [],
         mirror=MirrorConfig(on_deleted="delete")),
    Case("skipped-milestone-is-still-listed", [skipped(5)], [tgt(5)], [rec(5)],
         [row("skip", 5, reason="excluded by filter")], mirror=MirrorConfig(on_deleted="delete")),
    Case("pending-record-deletes-nothing-it-cannot-prove-is-ours", [], [tgt(5)],
         [rec(5, target_id=None, state="pending", written_hash=None)], [],
         mirror=MirrorConfig(on_deleted="delete")),
]


class TestPlan:
    @pytest.mark.parametrize("case", MATCHING, ids=[c.id for c in MATCHING])
    def test_match_by_checkpoint_then_slug(self, case: Case) -> None:
        """Each wanted milestone finds its SourceCraft milestone, or is created, or conflicts."""
        assert flat(run(case)) == case.expected

    @pytest.mark.parametrize("case", MIGRATE, ids=[c.id for c in MIGRATE])
    def test_migrate_creates_closes_and_reopens_only_its_own(self, case: Case) -> None:
        """Migrate closes what GitLab closed, reopens only what it closed, and updates nothing."""
        assert flat(run(case)) == case.expected

    @pytest.mark.parametrize("case", MIRROR, ids=[c.id for c in MIRROR])
    def test_mirror_brings_fields_in_line(self, case: Case) -> None:
        """Mirror updates, closes and reopens, and applies on_target_edited to hand edits."""
        assert flat(run(case)) == case.expected

    @pytest.mark.parametrize("case", DELETIONS, ids=[c.id for c in DELETIONS])
    def test_deletion_policy(self, case: Case) -> None:
        """A milestone GitLab dropped is kept, closed or deleted; never after a partial census."""
        assert flat(run(case)) == case.expected

    def test_ordered_by_source_id_with_deletions_last(self) -> None:
        """GitLab ids in ascending order, then the vanished ones, whatever order the input had."""
        case = Case("order", [want(3), skipped(1), want(2)], [tgt(0), tgt(10)],
                    [rec(10), rec(0)], [], mirror=MirrorConfig(on_deleted="delete"))
        actions = run(case)
        assert [(a.action.value, source_id_of(a)) for a in actions] == [
            ("skip", 1), ("create", 2), ("create", 3), ("delete", 0), ("delete", 10)]
        assert actions == run(replace(case, results=case.results[::-1], target=case.target[::-1]))

    def test_actions_carry_what_the_loader_needs(self) -> None:
        """A create carries the wanted milestone; an update the target and the new values."""
        create, update = run(Case("x", [want(1), want(2, deadline=LATER)], [tgt(2)], [rec(2)], []))
        assert isinstance(create, Create)
        assert (create.wanted, target_of(create), source_of(create)) == (want(1), None, src(1))
        assert (update.wanted, update.target) == (want(2, deadline=LATER), tgt(2))
        assert update.changes == {"deadline": (DEADLINE, LATER)}

    @pytest.mark.parametrize(("mode", "mirror", "key"), [
        ("sync", MirrorConfig(), "mode"),
        ("mirror", MirrorConfig(on_deleted="purge"), "mirror.on_deleted"),
        ("mirror", MirrorConfig(on_target_edited="ignore"), "mirror.on_target_edited"),
    ], ids=["mode", "on_deleted", "on_target_edited"])
    def test_unknown_settings_are_refused(self, mode: Any, mirror: MirrorConfig,
                                          key: str) -> None:
        """An unknown mode or policy is a ConfigError naming it, not a silent default."""
        with pytest.raises(ConfigError, match=key) as caught:
            plan(milestones(), PlanInput([], [], {}), mode=mode, mirror=mirror)
        assert caught.value.key == key
