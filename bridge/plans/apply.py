"""`scbridge apply PLAN`: carry out a saved plan, and nothing else, under the run's lock.

In two phases, under the checkpoint's lock. First every kind is read and
planned afresh exactly as the dry run did, and compared with the saved plan
(`bridge.plans.stale`): any object changed on either side refuses the plan with
exit 5, before a single write. Then kind by kind, in dependency order, the
plan is made again with the ids the earlier kinds were given, each write is
checked against what was approved, and the one loader every run uses carries
it out: intents before POSTs, look-ups after unknown outcomes, one record per
outcome, so a killed apply is simply run again (what it already did now reads
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
from bridge.engine.kind import Kind
from bridge.engine.learn import learn
from bridge.engine.load import Loader, RetryFactory
from bridge.engine.plan import PlanInput, plan
from bridge.engine.refs import Refs
from bridge.errors import ApiError, BridgeError, ConfigError, Interrupted, StalePlanError
from bridge.models import Change, ItemOutcome, Planned, Unchanged, source_id_of
from bridge.plans import stale
from bridge.plans.entries import EntryKey, by_key, entries_of, writes_of
from bridge.progress import Progress
from bridge.report import ReportItem
from bridge.rules import load_mapping
from bridge.rules.lint import refuse_problems

log = structlog.get_logger(__name__)

#: The reason the planner gives for finishing a text whose references could not point at
#: their target at its create (issues created in parallel): part of that create, as the
#: PATCH the issue kind sends after the load (`bridge.kinds.issue_complete`) is.
COMPLETES = "references completed"

#: At most this many changed objects are named in the one-line refusal (all are logged).
_NAMED = 10


def apply_plan(doc: Mapping[str, Any], config: Config,
               options: pipeline.RunOptions) -> pipeline.RunResult:
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
            run = _Apply(doc, config, options, checkpoint, kinds)
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
                 checkpoint: Checkpoint, kinds: Sequence[Kind]) -> None:
        self.doc, self.config, self.options = doc, config, options
        self.checkpoint, self.kinds = checkpoint, kinds
        self.sources = {kind.name: kind.extract() for kind in kinds}
        self.listed: dict[str, list[Any]] = {}  # read once, in the first phase

    def _listing(self, kind: Kind, refs: Refs) -> list[Any]:
        listed: list[Any] = []
        for page in kind.target_pages(refs):
            listed.extend(page)
            if self.options.stop.is_set():
                raise Interrupted("interrupted while reading SourceCraft; nothing was written")
        return listed

    def records(self, kind: Kind) -> dict[int, Record]:
        """The checkpoint's records of `kind` that this run's source covers (as `_plan`)."""
        records = self.checkpoint.records(kind.name).snapshot()
        in_scope = self.sources[kind.name].in_scope
        return records if in_scope is None else {
            sid: rec for sid, rec in records.items() if in_scope(rec)}

    def _plan(self, kind: Kind, refs: Refs, records: Mapping[int, Record]) -> list[Planned]:
        """What `pipeline._plan` does, over a listing read once for both phases.

        Read with the first phase's refs, as the dry run read it (comments list the
        issues that exist; those the plan creates have none yet).
        """
        source = self.sources[kind.name]
        reserved = {sid: rec.key for sid, rec in records.items() if rec.key}
        if kind.name not in self.listed:
            self.listed[kind.name] = self._listing(kind, refs)
        results = kind.transform(source, refs, reserved=reserved,
                                 target=self.listed[kind.name])
        inp = PlanInput(results=results, target=self.listed[kind.name], records=records,
                        census_complete=source.census_complete)
        return plan(kind, inp, mode=self.options.command,
                    mirror=self.config.mirror.for_kind(kind.name))

    def check(self) -> None:
        """Plan every kind as the dry run did; refuse (exit 5) if the saved plan no longer holds."""
        refs = Refs()
        fresh: list[dict[str, Any]] = []
        records = {kind.name: self.records(kind) for kind in self.kinds}
        for kind in self.kinds:
            actions = self._plan(kind, refs, records[kind.name])
            learn(kind, refs, actions, [None] * len(actions))
            fresh.extend(entries_of(kind, actions, refs))
        settled = {(kind.name, sid) for kind in self.kinds
                   for sid in set(self.checkpoint.records(kind.name)) - set(records[kind.name])}
        found = stale.problems(self.doc["actions"], fresh, records=records, refs=refs,
                               settled=settled)
        if found:
            for line in found:
                log.info("plan_stale", object=line)
            more = f"; and {len(found) - _NAMED} more" if len(found) > _NAMED else ""
            raise StalePlanError(f"the plan no longer matches ({len(found)} changed since it "
                                 f"was made, nothing written): {'; '.join(found[:_NAMED])}{more}")

    def load(self, *, progress: Progress, retrying: RetryFactory,
             project_path: str) -> tuple[list[ReportItem], ApiError | None]:
        """Each kind planned with the ids the kinds before it got, checked, then loaded."""
        saved = by_key(self.doc["actions"])
        refs = Refs()
        items: list[ReportItem] = []
        fatal: ApiError | None = None
        for kind in self.kinds:
            actions = [self._approved(kind, planned, saved, refs)
                       for planned in self._plan(kind, refs, self.records(kind))]
            progress.phase(f"load {kind.plural}", total=len(actions))
            loader = Loader(kind, self.checkpoint, refs=refs, retrying=retrying,
                            concurrency=self.config.http.concurrency, stop=self.options.stop,
                            on_item=lambda _outcome: progress.advance())
            outcomes: list[ItemOutcome | None] = list(loader.run(actions))
            fatal = fatal or loader.fatal
            after = getattr(kind, "after_load", None)  # as `engine.batches.run_kind` does
            if after is not None:
                after(actions, outcomes)
            finish = getattr(kind, "after_batches", None)  # one batch: all of the kind
            if finish is not None:
                finish()
            learn(kind, refs, actions, outcomes)
            items.extend(ReportItem.from_planned(a, o, project_path=project_path, kind=kind)
                         for a, o in zip(actions, outcomes, strict=True))
        return items, fatal

    @staticmethod
    def _approved(kind: Kind, planned: Planned, saved: Mapping[EntryKey, Mapping[str, Any]],
                  refs: Refs) -> Planned:
        """`planned` if the plan approved it; a write it did not approve is left undone.

        The check passed, and this phase plans from the same reads with only this apply's
        own writes added, so what is left undone is what those writes now owe (a text to
        complete with the number of an issue the plan created, after a resumed apply):
        the next `migrate` or `mirror` does it, as it would after `migrate`.
        """
        entry = saved.get((kind.name, source_id_of(planned)))
        if stale.approved(entry, str(planned.action), writes_of(kind, planned, refs)):
            return planned
        if (entry is not None and entry["action"] == "create" and isinstance(planned, Change)
                and (planned.reason or "").startswith(COMPLETES)):
            return planned  # the create's own second step, which a kill cut off (below)
        if isinstance(planned, Change):
            log.info("apply_not_in_plan", kind=kind.name, source_id=source_id_of(planned),
                     action=str(planned.action))
            return Unchanged(kind.name, planned.wanted, planned.target, planned.changes,
                             reason="not in the plan: left for the next run")
        raise StalePlanError(f"{kind.name} {source_id_of(planned)}: would {planned.action}, "
                             "which the plan does not say; nothing more is written")
