"""`scbridge apply PLAN`: carry out a saved plan, and nothing else, under the run's lock.

In two phases, under the checkpoint's lock. First every kind is read and
planned afresh exactly as the dry run did, and compared with the saved plan
(`bridge.plans.stale`): any object changed on either side refuses the plan with
exit 5, a body that is not what the same objects give (an edited plan) with
exit 2, before a single write. Then kind by kind, in dependency order, the
plan is made again with the ids the earlier kinds were given, each write (the
completion of issue references after the load too) is checked, body for body,
against what was approved (`bridge.plans.approve`), and the one loader every
run uses carries it out: intents before POSTs, look-ups after unknown outcomes,
one record per outcome, so a killed apply is simply run again (what it already did now reads
as done, and the rest is what remains).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Literal

import structlog

from bridge import pipeline
from bridge.checkpoint import Checkpoint, Record
from bridge.config import Config
from bridge.engine.batches import listing, scoped_records
from bridge.engine.kind import Kind
from bridge.engine.learn import learn
from bridge.engine.load import Loader
from bridge.engine.plan import PlanInput, plan
from bridge.engine.post import RetryFactory
from bridge.engine.refs import Refs
from bridge.errors import ApiError, BridgeError, ConfigError, StalePlanError
from bridge.models import ItemOutcome, Planned, source_id_of
from bridge.plans import stale
from bridge.plans.approve import Approvals
from bridge.plans.entries import by_key, created_issues, entries_of
from bridge.progress import Progress
from bridge.report import ReportItem
from bridge.rules import load_mapping
from bridge.rules.lint import refuse_problems

log = structlog.get_logger(__name__)

#: At most this many changed objects are named in the one-line refusal (all are logged).
_NAMED = 10


def apply_plan(doc: Mapping[str, Any], config: Config, options: pipeline.RunOptions, *,
               path: str = "the plan") -> pipeline.RunResult:
    """Carry out `doc` (already loaded and checked against `config`); the run's report."""
    command: Literal["migrate", "mirror"] = "mirror" if doc["command"] == "mirror" else "migrate"
    if doc["command"] != command:
        raise ConfigError(f"the plan's command '{doc['command']}' is not migrate or mirror")
    options = replace(options, command=command, dry_run=False, fresh=False)
    started, clock0 = pipeline._now(), time.monotonic()
    mapping = refuse_problems(load_mapping(config.mapping))  # exit 2 before any request
    with pipeline._open_checkpoint(config, options) as checkpoint, \
            Progress(enabled=options.progress) as progress:
        run_id = checkpoint.begin_run("apply")
        log.info("apply_started", command=command, actions=len(doc["actions"]))
        source_http, target_http = pipeline._clients(config, options)
        try:
            reader, kinds = pipeline._kinds(config, options, mapping, checkpoint=checkpoint,
                                            progress=progress, source_http=source_http,
                                            target_http=target_http)
            if [kind.name for kind in kinds] != list(doc["kinds"]):
                raise ConfigError(f"the plan moves {', '.join(doc['kinds'])}; the config "
                                  f"moves {', '.join(k.name for k in kinds)}")
            run = _Apply(doc, config, options, checkpoint, kinds, path=path)
            run.check()
            items, fatal = run.load(progress=progress, retrying=target_http.retrying,
                                    project_path=reader.project().path)
            report = pipeline._report(config, options, items=items, source_http=source_http,
                                      target_http=target_http, started=started, clock0=clock0)
            notes = tuple(note for kind in kinds for note in run.sources[kind.name].notes)
            report = replace(report, notes=notes)
            if fatal is not None:
                report = replace(report, exit_code=fatal.exit_code)
        except (BridgeError, KeyboardInterrupt) as exc:
            checkpoint.end_run(run_id, summary={}, exit_code=getattr(exc, "exit_code", 130))
            raise
        finally:
            source_http.close()
            target_http.close()
        checkpoint.end_run(run_id, summary=report.summary(), exit_code=report.exit_code)
    log.info("apply_finished", exit_code=report.exit_code, **report.summary())
    return pipeline.RunResult(report, fatal)


class _Apply:
    """One apply: the kinds read once (GitLab and SourceCraft), then checked, then loaded."""

    def __init__(self, doc: Mapping[str, Any], config: Config, options: pipeline.RunOptions,
                 checkpoint: Checkpoint, kinds: Sequence[Kind], *, path: str = "the plan") -> None:
        self.doc, self.config, self.options = doc, config, options
        self.checkpoint, self.kinds = checkpoint, kinds
        self.sources = {kind.name: kind.extract() for kind in kinds}
        self.listed: dict[str, list[Any]] = {}  # read once, in the first phase
        self.created = created_issues(doc["actions"])  # texts name these as not yet numbered
        self.path = path

    def records(self, kind: Kind) -> dict[int, Record]:
        """The checkpoint's records of `kind` that this run's source covers, as a run reads
        them (`bridge.engine.batches.scoped_records`)."""
        return scoped_records(self.checkpoint, kind, self.sources[kind.name])

    def _plan(self, kind: Kind, refs: Refs, records: Mapping[int, Record]) -> list[Planned]:
        """One plan of the whole kind, as a dry run's batches make it, over a listing read
        once for both phases.

        Read with the first phase's refs, as the dry run read it (comments list the
        issues that exist; those the plan creates have none yet).
        """
        source = self.sources[kind.name]
        reserved = {sid: rec.key for sid, rec in records.items() if rec.key}
        if kind.name not in self.listed:
            self.listed[kind.name] = listing(kind, refs, self.options.stop)
        results = kind.transform(source, refs, reserved=reserved,
                                 target=self.listed[kind.name])
        inp = PlanInput(results=results, target=self.listed[kind.name], records=records,
                        census_complete=source.census_complete)
        return plan(kind, inp, mode=self.options.command,
                    mirror=self.config.mirror.for_kind(kind.name))

    def _as_planned(self, kind: Kind, actions: list[Planned]) -> list[Planned]:
        """The actions with their texts as the plan made them (`bridge.kinds.issue_plan`)."""
        as_planned = getattr(kind, "as_planned", None)
        return actions if as_planned is None else list(as_planned(actions, self.created))

    def check(self) -> None:
        """Plan every kind as the dry run did; refuse (exit 5) if the saved plan no longer holds,
        (exit 2) if its writes are not what the same objects give (edited)."""
        refs = Refs()
        fresh: list[dict[str, Any]] = []
        records = {kind.name: self.records(kind) for kind in self.kinds}
        for kind in self.kinds:
            actions = self._as_planned(kind, self._plan(kind, refs, records[kind.name]))
            learn(kind, refs, actions, [None] * len(actions))
            fresh.extend(entries_of(kind, actions, refs, self.created))
        settled = {(kind.name, sid) for kind in self.kinds
                   for sid in set(self.checkpoint.records(kind.name)) - set(records[kind.name])}
        found = stale.problems(self.doc["actions"], fresh, records=records, refs=refs,
                               settled=settled)
        for line in found.changed:
            log.info("plan_stale", object=line)
        for line in found.edited:
            log.info("plan_edited", object=line)
        if found.changed:
            raise StalePlanError(f"the plan no longer matches ({len(found.changed)} changed "
                                 f"since it was made, nothing written): {_named(found.changed)}")
        if found.edited:
            raise ConfigError(f"{self.path}: the plan's writes differ from what the same objects "
                              "give now (edited, or made by another scbridge; nothing written): "
                              f"{_named(found.edited)}")

    def load(self, *, progress: Progress, retrying: RetryFactory,
             project_path: str) -> tuple[list[ReportItem], ApiError | None]:
        """Each kind planned with the ids the kinds before it got, checked, then loaded."""
        approvals = Approvals(by_key(self.doc["actions"]))
        refs = Refs()
        items: list[ReportItem] = []
        fatal: ApiError | None = None
        for kind in self.kinds:
            fresh = self._as_planned(kind, self._plan(kind, refs, self.records(kind)))
            actions = [approvals.planned(kind, planned, refs) for planned in fresh]
            progress.phase(f"load {kind.plural}", total=len(actions))
            loader = Loader(kind, self.checkpoint, refs=refs, retrying=retrying,
                            concurrency=self.config.http.concurrency, stop=self.options.stop,
                            on_item=lambda _outcome: progress.advance())
            outcomes: list[ItemOutcome | None] = list(loader.run(actions))
            fatal = fatal or loader.fatal
            learn(kind, refs, actions, outcomes)  # first: the completions name these numbers
            if hasattr(kind, "approve"):
                kind.approve = approvals.completion(refs)
            after = getattr(kind, "after_load", None)  # as `engine.batches.run_kind` does
            if after is not None:
                after(actions, outcomes)
            finish = getattr(kind, "after_batches", None)  # one batch: all of the kind
            if finish is not None:
                finish()
            approvals.left(kind, actions, outcomes, refs)
            items.extend(_unsent(ReportItem.from_planned(a, o, project_path=project_path,
                                                         kind=kind), approvals.unsent.get(
                (kind.name, source_id_of(a))))
                         for a, o in zip(actions, outcomes, strict=True))
        return items, fatal


def _named(lines: Sequence[str]) -> str:
    more = f"; and {len(lines) - _NAMED} more" if len(lines) > _NAMED else ""
    return "; ".join(lines[:_NAMED]) + more


def _unsent(item: ReportItem, why: str | None) -> ReportItem:
    """The report line, saying why a write of it the plan did not approve was not sent."""
    if why is None or (item.reason or "").startswith(why):
        return item
    return replace(item, reason=f"{item.reason}; {why}" if item.reason else why)
