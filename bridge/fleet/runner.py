"""Run many projects, a bounded number at once; one project's failure never stops the others."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed

import structlog

from bridge.config import Config
from bridge.errors import BridgeError
from bridge.fleet.report import ProjectResult
from bridge.logs import mask_text
from bridge.pipeline import RunOptions, run

log = structlog.get_logger(__name__)

RunOne = Callable[[Config], ProjectResult]


def result_of(config: Config, *, exit_code: int, error: str | None) -> ProjectResult:
    """A project's result with no report of its own (it ended before having one)."""
    return ProjectResult(source=config.source.project, org=config.target.org,
                         repo=config.target.repo, checkpoint=config.checkpoint,
                         exit_code=exit_code, report=None, error=error)


def run_project(config: Config, options: RunOptions) -> ProjectResult:
    """One project through the one-project pipeline; every error becomes this project's result.

    A held lock is exit 4 for this project (another shard or run works on it), a missing
    repository exit 3, and so on (SPEC §7); a bug is exit 1 with its name.
    """
    try:
        # Every event this project's thread logs names it: projects' logs interleave.
        with structlog.contextvars.bound_contextvars(fleet_project=config.source.project):
            result = run(config, options)
    except BridgeError as exc:
        log.info("project_failed", project=config.source.project, exit_code=exc.exit_code,
                    error=mask_text(str(exc)))
        return result_of(config, exit_code=exc.exit_code, error=mask_text(str(exc)))
    except Exception as exc:  # a bug in one project's run must not stop the others
        log.exception("project_crashed", project=config.source.project)
        return result_of(config, exit_code=1,
                         error=f"internal error: {type(exc).__name__}: {mask_text(str(exc))}")
    error = mask_text(str(result.error)) if result.error is not None else None
    return ProjectResult(source=config.source.project, org=config.target.org,
                         repo=config.target.repo, checkpoint=config.checkpoint,
                         exit_code=result.report.exit_code, report=result.report, error=error)


def run_all(configs: Sequence[Config], run_one: RunOne, *, parallel: int,
            stop: threading.Event, on_done: Callable[[ProjectResult], None] = lambda r: None
            ) -> list[ProjectResult]:
    """Every project's result, in the order given; at most `parallel` run at once.

    Once `stop` is set no further project starts: those are reported as exit 130, not
    started, while the ones running finish their requests in flight and stop (SPEC §7).
    """
    def guarded(config: Config) -> ProjectResult:
        if stop.is_set():
            return result_of(config, exit_code=130, error="not started: the run was interrupted")
        return run_one(config)

    results: list[ProjectResult | None] = [None] * len(configs)
    with ThreadPoolExecutor(max(1, parallel), thread_name_prefix="scbridge-project") as pool:
        futures = {pool.submit(guarded, config): index for index, config in enumerate(configs)}
        for future in as_completed(futures):
            result = future.result()
            results[futures[future]] = result
            on_done(result)
    return [r for r in results if r is not None]
