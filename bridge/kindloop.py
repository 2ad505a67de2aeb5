"""The loop over one run's kinds: extract them all, then plan, load and report each in turn.

A kind's target listing that does not depend on what is read (`lists_ahead()`) is
read from SourceCraft while GitLab is read (in parallel); each kind then runs through
`bridge.engine.batches.run_kind`, its report lines going to a `Spill`, and a
run-fatal error (credentials refused, the target gone) ends the loop.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import structlog

from bridge.checkpoint import Checkpoint
from bridge.config import Config
from bridge.engine.batches import KindRun, listing, run_kind
from bridge.engine.kind import Kind
from bridge.engine.load import Loader
from bridge.engine.refs import Refs
from bridge.engine.spill import Spill
from bridge.errors import ApiError
from bridge.models import ItemOutcome, Planned
from bridge.net.http import HttpClient
from bridge.progress import Progress
from bridge.report import ReportItem
from bridge.report.items import ReportItems

if TYPE_CHECKING:
    from bridge.pipeline import RunOptions

log = structlog.get_logger("bridge.pipeline")


def run_kinds(kinds: Sequence[Kind], config: Config, options: RunOptions, *,
               checkpoint: Checkpoint, progress: Progress, target_http: HttpClient,
               project_path: str
               ) -> tuple[Spill[ReportItem], tuple[str, ...], ApiError | None]:
    """Extract every kind, then plan and load them in dependency order, passing refs along.

    A kind whose listing does not depend on what is read (`lists_ahead()`: labels,
    milestones, a migrate's issues) has it read from SourceCraft while GitLab is read, each
    on a thread of its own (no more at once than `http.concurrency`), so no listing is left
    between the last GitLab page and the first plan.
    """
    early = [kind for kind in kinds if getattr(kind, "lists_ahead", lambda: False)()]
    abandoned = threading.Event()  # the run ended (an error): stop reading after the page
    with ThreadPoolExecutor(max_workers=max(1, min(len(early), config.http.concurrency)),
                            thread_name_prefix="ahead") as pool:
        ahead = {kind.name: pool.submit(listing, kind, Refs(), options.stop, abandoned)
                 for kind in early}
        try:
            return _extract_and_load(kinds, config, options, checkpoint=checkpoint,
                                     progress=progress, target_http=target_http,
                                     project_path=project_path, ahead=ahead)
        finally:
            abandoned.set()
            for future in ahead.values():
                future.cancel()


def _extract_and_load(kinds: Sequence[Kind], config: Config, options: RunOptions, *,
                      checkpoint: Checkpoint, progress: Progress, target_http: HttpClient,
                      project_path: str, ahead: Mapping[str, Future[list[Any]]]
                      ) -> tuple[Spill[ReportItem], tuple[str, ...], ApiError | None]:
    sources = {kind.name: kind.extract() for kind in kinds}
    for kind in kinds:
        log.info("extracted", kind=kind.plural, items=sources[kind.name].count(),
                 pages=sources[kind.name].pages, **dict(sources[kind.name].extra))
    notes = tuple(note for kind in kinds for note in sources[kind.name].notes)
    refs = Refs()
    items = ReportItems()  # on disk: 600,000 report lines keep memory flat; counted as added

    def loader(kind: Kind) -> Loader:
        progress.phase(f"load {kind.plural}", total=sources[kind.name].count())
        return Loader(kind, checkpoint, refs=refs, retrying=target_http.retrying,
                      concurrency=config.http.concurrency, stop=options.stop,
                      on_item=lambda _outcome: progress.advance())

    def on_batch(kind: Kind, actions: Sequence[Planned],
                 outcomes: Sequence[ItemOutcome | None], refs: Refs) -> None:
        if options.on_planned is not None:  # a saved plan (--plan-out) records each batch
            options.on_planned(kind, actions, refs)
        items.extend(ReportItem.from_planned(a, o, project_path=project_path, kind=kind)
                     for a, o in zip(actions, outcomes, strict=True))

    fatal: ApiError | None = None
    pointed_at = {name for kind in kinds for name in kind.depends_on}
    for kind in kinds:
        if fatal is not None:
            break  # credentials refused, target gone, numbers drifting: the report says so
        step = KindRun(checkpoint=checkpoint, mode=options.command,
                       mirror=config.mirror.for_kind(kind.name), dry_run=options.dry_run,
                       stop=options.stop, loader=loader, keep_refs=kind.name in pointed_at,
                       listed=ahead.get(kind.name))
        fatal = run_kind(kind, sources[kind.name], refs, step, on_batch)
    return items, notes, fatal


