"""Helpers the reliability tests share: configs, CLI runs, the expected target and its checks."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from slugify import slugify

from bridge.checkpoint import Checkpoint
from bridge.sandbox import Sandbox

#: The fields of a SourceCraft milestone that the default mapping decides.
FIELDS = ("name", "slug", "description", "start_date", "deadline", "status")

#: How long one CLI run may take before the test calls it hung.
RUN_TIMEOUT_S = 60


def write_config(folder: Path, sb: Sandbox, *, http: Mapping[str, Any] | None = None,
                 extra: str = "", name: str = "scbridge.yaml") -> Path:
    """A config for the running sandbox in `folder`, checkpoint beside it; `http` overrides."""
    settings = {"max_backoff_s": 0.02, "max_attempts": 8, "timeout_s": 10, **(http or {})}
    lines = [f"  {key}: {value}" for key, value in settings.items()]
    text = (f"source:\n  url: {sb.gitlab_url}\n  project: {sb.project_path}\n"
            f"target:\n  url: {sb.sourcecraft_url}\n  org: {sb.org}\n  repo: {sb.repo}\n"
            f"checkpoint: checkpoint.db\nhttp:\n" + "\n".join(lines) + "\n" + extra)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def token_env(sb: Sandbox) -> dict[str, str]:
    """The environment a CLI run needs: ours, plus the sandbox's two tokens."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("GITLAB_TOKEN", "SOURCECRAFT_TOKEN")}
    env.update(GITLAB_TOKEN=sb.gitlab_token, SOURCECRAFT_TOKEN=sb.sourcecraft_token,
               PYTHONDONTWRITEBYTECODE="1")
    return env


def cli(args: Sequence[str], env: Mapping[str, str], *, cwd: Path | None = None,
        timeout: float = RUN_TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    """Run `python -m bridge ARGS` to completion, capturing both streams as text."""
    return subprocess.run([sys.executable, "-m", "bridge", *args], env=dict(env), cwd=cwd,
                          capture_output=True, text=True, timeout=timeout, check=False)


def start_cli(args: Sequence[str], env: Mapping[str, str]) -> subprocess.Popen[str]:
    """Start `python -m bridge ARGS` without waiting; both streams piped as text."""
    return subprocess.Popen([sys.executable, "-m", "bridge", *args], env=dict(env),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _date_time(day: str | None) -> str | None:
    return None if not day else f"{day}T00:00:00Z"


def _wanted_milestones(sb: Sandbox) -> list[dict[str, Any]]:
    """Every listed milestone, plus every hidden one that at least one issue carries."""
    carried = {issue["milestone"] for issue in sb.gitlab.issues if issue["milestone"]}
    wanted = list(sb.gitlab.listed())
    wanted += [m for m in (sb.gitlab.milestone(i, hidden=True) for i in carried)
               if m is not None and m["hidden"]]
    return sorted(wanted, key=lambda m: m["id"])


def expected_slugs(sb: Sandbox) -> dict[int, str]:
    """GitLab milestone id -> the slug it must have (docs/mapping.md's rule, worked out here).

    Cleaned, cut to 100, milestone-<iid> if empty; in GitLab id order the oldest keeps the
    plain slug and the later ones get -2, -3, ...
    """
    taken: set[str] = set()
    slugs: dict[int, str] = {}
    for stored in _wanted_milestones(sb):
        base = slugify(stored["title"], max_length=100).strip("-") or f"milestone-{stored['iid']}"
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        taken.add(slug)
        slugs[stored["id"]] = slug
    return slugs


def expected_target(sb: Sandbox) -> dict[str, dict[str, Any]]:
    """What SourceCraft must hold after a migration with the default mapping, by slug.

    Worked out from the fake GitLab's own data, independently of the bridge's transform.
    """
    slugs = expected_slugs(sb)
    result: dict[str, dict[str, Any]] = {}
    for stored in _wanted_milestones(sb):
        slug = slugs[stored["id"]]
        result[slug] = {"name": stored["title"].strip(), "slug": slug,
                        "description": stored["description"] or "",
                        "start_date": _date_time(stored["start_date"]),
                        "deadline": _date_time(stored["due_date"]),
                        "status": "closed" if stored["state"] == "closed" else "open"}
    return result


def actual_target(sb: Sandbox) -> list[dict[str, Any]]:
    """SourceCraft's milestones now, reduced to the mapped fields, duplicates kept."""
    return [{key: item.get(key) for key in FIELDS} for item in sb.sourcecraft.milestones()]


def assert_target_exact(sb: Sandbox) -> int:
    """The target holds exactly the mapped source: no duplicate, nothing missing, fields right."""
    expected = expected_target(sb)
    actual = actual_target(sb)
    slugs = [item["slug"] for item in actual]
    duplicates = sorted({slug for slug in slugs if slugs.count(slug) > 1})
    assert not duplicates, f"duplicated on the target: {duplicates[:10]}"
    missing = sorted(set(expected) - set(slugs))
    extra = sorted(set(slugs) - set(expected))
    assert not missing, f"{len(missing)} missing on the target: {missing[:10]}"
    assert not extra, f"{len(extra)} unexpected on the target: {extra[:10]}"
    wrong = [(item, expected[item["slug"]]) for item in actual if item != expected[item["slug"]]]
    assert not wrong, f"{len(wrong)} with wrong fields, e.g. {wrong[0]}"
    authors = {item["author"]["slug"] for item in sb.sourcecraft.milestones()}
    assert authors == {"scbridge-bot"}, f"authors {authors}"
    return len(actual)


def assert_checkpoint_consistent(path: Path, sb: Sandbox) -> dict[str, int]:
    """Opened read-only: every record with a target id names a milestone that exists there.

    And the converse: every milestone the bridge created is either recorded under its
    id or still `pending` (POST sent, answer never seen) under its slug. Returns the
    count of records by state.
    """
    on_target = {item["id"]: item for item in sb.sourcecraft.milestones()}
    with Checkpoint.open(path, readonly=True) as checkpoint:
        records = checkpoint.records("milestone")
    by_state: dict[str, int] = {}
    recorded_ids = set()
    pending_slugs = set()
    for record in records.values():
        by_state[record.state] = by_state.get(record.state, 0) + 1
        if record.state == "pending":
            pending_slugs.add(record.key)
        if record.target_id is not None:
            assert record.target_id in on_target, (
                f"checkpoint names {record.target_id} ({record.key}), absent on the target")
            assert on_target[record.target_id]["slug"] == record.key, record
            recorded_ids.add(record.target_id)
    for ident, item in on_target.items():
        if item["author"]["slug"] != "scbridge-bot":
            continue
        assert ident in recorded_ids or item["slug"] in pending_slugs or any(
            r.key == item["slug"] and r.state == "failed" for r in records.values()), (
            f"{item['slug']} was written but the checkpoint does not know it")
    return by_state
