"""The one place where extract -> transform -> plan -> load are wired together for a run."""

from __future__ import annotations

import random
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Literal

import structlog

from bridge.checkpoint import Checkpoint, move_aside
from bridge.config import Config
from bridge.engine.batches import batch_size
from bridge.engine.kind import Kind
from bridge.engine.refs import Refs
from bridge.errors import ApiError, BridgeError, CheckpointError, Interrupted
from bridge.kindloop import run_kinds
from bridge.kinds.context import KindContext
from bridge.kinds.reference_map import issue_url_pattern, sourcecraft_web
from bridge.kinds.registry import build_kinds
from bridge.models import Planned
from bridge.net.http import HttpClient
from bridge.outputs import check_checkpoint, open_checkpoint
from bridge.preflight import Preflight
from bridge.progress import Progress
from bridge.report import ReportItem, RunReport
from bridge.rules import CompiledMapping, load_mapping
from bridge.rules.lint import refuse_problems
from bridge.sources.gitlab import GitLabReader
from bridge.targets.sourcecraft import SourceCraftClient
from bridge.targets.tracker import TrackerClient

log = structlog.get_logger(__name__)

Command = Literal["migrate", "mirror"]


@dataclass(frozen=True)
class RunOptions:
    """What the command line asked of one migrate or mirror run."""

    command: Command = "migrate"
    dry_run: bool = False
    fresh: bool = False
    checkpoint: Path | None = None  # overrides the config
    progress: bool = True
    stop: threading.Event = field(default_factory=threading.Event)
    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[], float] = random.random
    #: Called with each kind's actions once they are planned (and loaded), refs as learned.
    on_planned: Callable[[Kind, Sequence[Planned], Refs], None] | None = None


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _clients(config: Config, options: RunOptions) -> tuple[HttpClient, HttpClient]:
    source_token = config.source.token.reveal() if config.source.token else ""
    target_token = config.target.token.reveal() if config.target.token else ""
    client = partial(HttpClient, http=config.http,
                     allow_insecure_http=config.allow_insecure_http, sleep=options.sleep,
                     jitter=options.jitter)
    return (client(config.source.url, kind="source", headers={"PRIVATE-TOKEN": source_token}),
            client(config.target.url, kind="target",
                   headers={"Authorization": f"Bearer {target_token}"}))


@contextmanager
def _open_checkpoint(config: Config, options: RunOptions) -> Iterator[Checkpoint]:
    """Lock before any request, so a second run exits 4 having sent and written nothing."""
    path = options.checkpoint or config.checkpoint
    check_checkpoint(path, readonly=options.dry_run)  # exit 2 naming the path, not a traceback
    if options.fresh and options.dry_run:
        # Plan exactly as the fresh run will: with no checkpoint at all; the old one untouched.
        with tempfile.TemporaryDirectory(prefix="scbridge-fresh-") as empty, \
                Checkpoint.open(Path(empty) / "checkpoint", readonly=True) as nothing:
            yield nothing
        return
    if options.fresh:
        moved = move_aside(path)
        if moved is not None:
            log.info("checkpoint_moved_aside", path=str(moved))
    checkpoint = open_checkpoint(path, readonly=options.dry_run)
    try:
        identity = f"{config.source.url.rstrip('/')} {config.source.project}"
        known = checkpoint.meta().get("source")
        if known is not None and known != identity:
            raise CheckpointError(
                f"{path} belongs to another project ({known}); use --checkpoint or --fresh")
        yield checkpoint
    finally:
        checkpoint.close()


@dataclass(frozen=True)
class RunResult:
    """The report of a run, and the error that cut it short after writes began (exit 3)."""

    report: RunReport
    error: ApiError | None = None


def run(config: Config, options: RunOptions) -> RunResult:
    """One migrate or mirror run (or its dry run), ending in the report of what was done."""
    started, clock0 = _now(), time.monotonic()
    mapping = refuse_problems(load_mapping(config.mapping))  # exit 2 before any request
    batch_size(1)  # a bad SCBRIDGE_BATCH: exit 2 before any request too
    with _open_checkpoint(config, options) as checkpoint, \
            Progress(enabled=options.progress) as progress:
        run_id = None if options.dry_run else checkpoint.begin_run(options.command)
        # Logged once the checkpoint is open and locked: a run refused before that never began.
        log.info("run_started", command=options.command, dry_run=options.dry_run,
                 project=config.source.project, org=config.target.org, repo=config.target.repo)
        source_http, target_http = _clients(config, options)
        try:
            reader, kinds = _kinds(config, options, mapping, checkpoint=checkpoint,
                                   progress=progress, source_http=source_http,
                                   target_http=target_http)
            items, notes, fatal = run_kinds(kinds, config, options, checkpoint=checkpoint,
                                             progress=progress, target_http=target_http,
                                             project_path=reader.project().path)
            report = _report(config, options, items=items, source_http=source_http,
                             target_http=target_http, started=started, clock0=clock0)
            report = replace(report, notes=notes)
            if fatal is not None:
                report = replace(report, exit_code=fatal.exit_code)
        except (BridgeError, KeyboardInterrupt) as exc:
            # `status` then shows how the run ended (3, 130, ...) instead of "never finished";
            # a KeyboardInterrupt is a second signal: out at once, but as an interrupted run.
            if run_id is not None:
                checkpoint.end_run(run_id, summary={}, exit_code=getattr(exc, "exit_code", 130))
            raise
        finally:
            source_http.close()
            target_http.close()
        if run_id is not None:
            checkpoint.end_run(run_id, summary=report.summary(), exit_code=report.exit_code)
    log.info("run_finished", command=options.command, dry_run=options.dry_run,
             exit_code=report.exit_code, **report.summary())
    return RunResult(report, fatal)


def _kinds(config: Config, options: RunOptions, mapping: CompiledMapping, *,
           checkpoint: Checkpoint, progress: Progress, source_http: HttpClient,
           target_http: HttpClient) -> tuple[GitLabReader, list[Kind]]:
    """The GitLab reader and the kinds `transfer:` asks for, once both sides answered.

    `run`, `apply` and `verify` build their kinds here.
    """
    reader = GitLabReader(source_http, project=config.source.project,
                          per_page=config.source.per_page, concurrency=config.http.concurrency,
                          api_prefix=f"/api/{config.source.api_version}")
    target = SourceCraftClient(target_http, org=config.target.org, repo=config.target.repo,
                               silent=config.target.silent, page_size=config.target.page_size)
    tracker = TrackerClient(target_http, org=config.target.org, repo=config.target.repo,
                            silent=config.target.silent, page_size=config.target.page_size)
    ctx = KindContext(reader=reader, target=target, tracker=tracker, mapping=mapping,
                      checkpoint=checkpoint, command=options.command,
                      save=not options.dry_run, on_page=_on_page(options, progress),
                      users=dict(config.users), gitlab_url=config.source.url,
                      concurrency=config.http.concurrency, numbering=config.numbering,
                      issue_url_pattern=issue_url_pattern(
                          config.target.org, config.target.repo,
                          web=sourcecraft_web(config.target.url)))
    asked = Preflight(config, reader, source_http, target)  # both sides asked at once
    kinds = build_kinds(config.transfer, ctx)  # imported and built while the answers travel
    asked.result()  # exit 3 before any page is read
    _claim(config, options, checkpoint)
    return reader, kinds


def _claim(config: Config, options: RunOptions, checkpoint: Checkpoint) -> None:
    """Once the project is known to exist: a new checkpoint records whose it is."""
    if checkpoint.meta().get("source") is None and not options.dry_run:
        checkpoint.set_meta("source", f"{config.source.url.rstrip('/')} {config.source.project}")


def _on_page(options: RunOptions, progress: Progress) -> Callable[[str, int], None]:
    phases: set[str] = set()

    def on_page(what: str, items: int) -> None:
        if options.stop.is_set():
            raise Interrupted("interrupted during extraction; nothing was written")
        if what not in phases:
            phases.add(what)
            progress.phase(f"extract {what}")
        progress.advance(items, pages=1)

    return on_page


def _report(config: Config, options: RunOptions, *, items: Sequence[ReportItem],
            source_http: HttpClient, target_http: HttpClient, started: str,
            clock0: float) -> RunReport:
    interrupted = options.stop.is_set() and not options.dry_run
    report = RunReport(
        command=options.command, dry_run=options.dry_run,
        source={"url": config.source.url, "project": config.source.project},
        target={"url": config.target.url, "org": config.target.org, "repo": config.target.repo},
        items=items,
        requests={"source": source_http.requests_made["read"],
                  "target_read": target_http.requests_made["read"],
                  "target_write": target_http.requests_made["write"]},
        started_at=started, finished_at=_now(), duration_s=round(time.monotonic() - clock0, 3),
        exit_code=0)
    summary = report.summary()
    code = 130 if interrupted else (1 if summary["failed"] or summary["conflict"] else 0)
    return replace(report, exit_code=code)
