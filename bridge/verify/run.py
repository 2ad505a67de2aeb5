"""`scbridge verify`: read both sides, map the source afresh, compare every kind; write nothing.

No lock and no write: the checkpoint is only read, when it exists, for the
slugs earlier runs settled; everything is matched by natural key, so a fresh
machine can audit a migration. GitLab is read by the kinds' own extracts while
SourceCraft's listings are read ahead at the same time, one thread per kind, a
few pages each (`bridge.verify.prefetch`), and compared page by page.

Requests, with P the source's `per_page`, S the target's `page_size`, at least
one page per listing, and only the kinds transferred: GitLab 1 (the project) +
1 (labels, one list) + ceil(M/P) + ceil(I/P) for the M milestones GitLab lists
and its I issues (read once, for the milestones' counts and the issue kind
both); SourceCraft ceil(L'/S) + ceil(M'/S) + ceil(I'/S) for the labels,
milestones and issues it holds, + one look-up per SourceCraft user that
`users:` maps an assignee to. No write.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import structlog

from bridge import pipeline
from bridge.checkpoint import Checkpoint
from bridge.config import Config
from bridge.engine.kind import Kind, SourceSet
from bridge.engine.refs import Refs
from bridge.progress import Progress
from bridge.rules import load_mapping
from bridge.verify.compare import Difference, compare
from bridge.verify.prefetch import Prefetch

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class VerifyReport:
    """What verify found: the objects checked per kind, every difference, what it cost."""

    source: dict[str, str]
    target: dict[str, str]
    checked: dict[str, int]  # kind -> target objects matched to a GitLab object
    differences: tuple[Difference, ...]
    requests: dict[str, int]
    started_at: str
    duration_s: float

    @property
    def exact(self) -> bool:
        """True when the target is exactly the mapped source."""
        return not self.differences

    @property
    def exit_code(self) -> int:
        """0 exact, 1 with differences."""
        return 0 if self.exact else 1

    def by_kind(self) -> dict[str, dict[str, int]]:
        """kind -> problem -> how many."""
        out: dict[str, dict[str, int]] = {kind: {} for kind in self.checked}
        for diff in self.differences:
            counts = out.setdefault(diff.kind, {})
            counts[diff.problem] = counts.get(diff.problem, 0) + 1
        return out


def _compare(kinds: Sequence[Kind], sources: dict[str, SourceSet],
             listings: Mapping[str, Prefetch], checkpoint: Checkpoint,
             project_path: str) -> tuple[list[Difference], dict[str, int]]:
    """Each kind mapped (with the links the kinds before it found) and compared, in order."""
    refs = Refs()
    differences: list[Difference] = []
    checked: dict[str, int] = {}
    for kind in kinds:
        records = checkpoint.records(kind.name)
        reserved = {sid: rec.key for sid, rec in records.items() if rec.key}
        results = kind.transform(sources.pop(kind.name), refs, reserved=reserved)
        found, checked[kind.name] = compare(kind, results, listings[kind.name], refs,
                                            project_path=project_path)
        differences.extend(found)
        log.info("verified", kind=kind.plural, matched=checked[kind.name],
                 differences=len(found))
    return differences, checked


def verify(config: Config, options: pipeline.RunOptions) -> VerifyReport:
    """Compare SourceCraft with the mapped GitLab project, every kind `transfer:` moves."""
    started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    clock0 = time.monotonic()
    options = replace(options, command="migrate", dry_run=True, fresh=False)
    mapping = load_mapping(config.mapping)
    path = options.checkpoint or config.checkpoint
    with Checkpoint.open(path, readonly=True) as checkpoint, \
            Progress(enabled=options.progress) as progress:
        source_http, target_http = pipeline._clients(config, options)
        try:
            reader, kinds = pipeline._kinds(config, options, mapping, checkpoint=checkpoint,
                                            progress=progress, source_http=source_http,
                                            target_http=target_http)
            project_path = reader.project().path
            listings = {kind.name: Prefetch(kind.target_pages, name=f"verify-{kind.name}")
                        for kind in kinds}
            try:
                sources = {kind.name: kind.extract() for kind in kinds}
                differences, checked = _compare(kinds, sources, listings, checkpoint,
                                                project_path)
            finally:
                for listing in listings.values():
                    listing.close()
        finally:
            source_http.close()
            target_http.close()
    return VerifyReport(
        source={"url": config.source.url, "project": config.source.project},
        target={"url": config.target.url, "org": config.target.org, "repo": config.target.repo},
        checked=checked, differences=tuple(differences),
        requests={"source": source_http.requests_made["read"],
                  "target_read": target_http.requests_made["read"],
                  "target_write": target_http.requests_made["write"]},
        started_at=started, duration_s=round(time.monotonic() - clock0, 3))
