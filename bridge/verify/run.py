"""`scbridge verify`: read both sides, map the source afresh, compare every kind; write nothing.

No lock and no write: the checkpoint is only read, when it exists, for the
slugs earlier runs settled (the kinds themselves read as on a fresh machine, so
no stamp or bookmark lets them skip anything); everything is matched by natural key, so a fresh
machine can audit a migration. GitLab is read by the kinds' own extracts while
SourceCraft's listings are read at the same time, one thread per kind.

Requests, with P the source's `per_page`, S the target's `page_size`, at least
one page per listing, and only the kinds transferred: GitLab 1 (the project) +
1 (labels, one list) + ceil(M/P) + ceil(I/P) for the M milestones GitLab lists
and its I issues (read once, for the milestones' counts and the issue kind
both); SourceCraft 1 (the repository, by the preflight) + ceil(L'/S) +
ceil(M'/S) + ceil(I'/S) for the labels,
milestones and issues it holds, + one look-up per SourceCraft user that
`users:` maps an assignee to. No write.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog

from bridge import pipeline
from bridge.checkpoint import Checkpoint
from bridge.config import Config
from bridge.engine.batchsize import batch_size
from bridge.engine.kind import Kind, SourceSet
from bridge.engine.refs import Refs
from bridge.engine.spill import Spill
from bridge.outputs import check_checkpoint
from bridge.progress import Progress
from bridge.rules import load_mapping
from bridge.rules.lint import refuse_problems
from bridge.verify.compare import Difference, KeyIndex, compare_batches

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


class _Listings:
    """Each kind's target listing, read in a thread of its own from the start where it can be.

    A kind whose listing needs the refs of the kinds before it (`lists_by_refs`: comments
    list the issues' comments by their numbers) is read once those kinds are compared.
    Each listing is whole when used: a kind's `transform` reads it (issue numbers).
    """

    def __init__(self, kinds: Sequence[Kind], pool: ThreadPoolExecutor) -> None:
        self._pool = pool
        self._open: dict[str, Future[Spill[Any]]] = {}
        for kind in kinds:
            if not getattr(kind, "lists_by_refs", False):
                self._start(kind, Refs())

    def _start(self, kind: Kind, refs: Refs) -> None:
        self._open[kind.name] = self._pool.submit(
            lambda: Spill(item for page in kind.target_pages(refs) for item in page))

    def of(self, kind: Kind, refs: Refs) -> Spill[Any]:
        """The whole listing of `kind` (read now, with `refs`, if it was not read ahead)."""
        if kind.name not in self._open:
            self._start(kind, refs)
        return self._open.pop(kind.name).result()

    def close(self) -> None:
        """Drop what was not used; a listing in flight ends on its own."""
        for future in self._open.values():
            future.cancel()


def _compare(kinds: Sequence[Kind], sources: dict[str, SourceSet], listings: _Listings,
             checkpoint: Checkpoint, project_path: str
             ) -> tuple[list[Difference], dict[str, int]]:
    """Each kind mapped (with the links the kinds before it found) and compared, in order."""
    refs = Refs()
    differences: list[Difference] = []
    checked: dict[str, int] = {}
    for kind in kinds:
        records = checkpoint.records(kind.name)
        reserved = {sid: rec.key for sid, rec in records.items() if rec.key}
        listed = listings.of(kind, refs)  # on disk, with an index of its keys
        source = sources.pop(kind.name)
        split = getattr(kind, "batches", None)
        parts = [source] if split is None else split(source)
        found, checked[kind.name] = compare_batches(
            kind, (kind.transform(part, refs, reserved=reserved, target=listed)
                   for part in parts),
            KeyIndex(kind, listed), refs, project_path=project_path)
        del listed, source
        differences.extend(found)
        log.info("verified", kind=kind.plural, matched=checked[kind.name],
                 differences=len(found))
    return differences, checked


def verify(config: Config, options: pipeline.RunOptions) -> VerifyReport:
    """Compare SourceCraft with the mapped GitLab project, every kind `transfer:` moves."""
    started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    clock0 = time.monotonic()
    options = replace(options, command="migrate", dry_run=True, fresh=False)
    mapping = refuse_problems(load_mapping(config.mapping))  # exit 2 before any request
    batch_size(1)  # a bad SCBRIDGE_BATCH too
    path = options.checkpoint or config.checkpoint
    check_checkpoint(path, readonly=True)
    # The kinds read as on a fresh machine (no stamps, no bookmark: everything is read);
    # the real checkpoint, if any, gives only the slugs earlier runs settled.
    with Checkpoint.open(path, readonly=True) as checkpoint, \
            tempfile.TemporaryDirectory(prefix="scbridge-verify-") as empty, \
            Checkpoint.open(Path(empty) / "none", readonly=True) as nothing, \
            Progress(enabled=options.progress) as progress:
        source_http, target_http = pipeline._clients(config, options)
        try:
            reader, kinds = pipeline._kinds(config, options, mapping, checkpoint=nothing,
                                            progress=progress, source_http=source_http,
                                            target_http=target_http)
            project_path = reader.project().path
            with ThreadPoolExecutor(max_workers=max(1, len(kinds)),
                                    thread_name_prefix="verify") as pool:
                listings = _Listings(kinds, pool)
                try:
                    sources = {kind.name: kind.extract() for kind in kinds}
                    differences, checked = _compare(kinds, sources, listings, checkpoint,
                                                    project_path)
                finally:
                    listings.close()
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
