"""`migrate`, `mirror`, `verify`, `status` and `validate` over a many-project config (§14).

As in bridge.commands, the heavy modules (the runner, the network, reports, rich) are
imported by the command that uses them, so `validate` stays quick.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bridge.config import Config
from bridge.errors import ConfigError
from bridge.fleet.expand import project_config
from bridge.fleet.shards import Shard, choose_shard
from bridge.fleet.spec import FleetConfig, ProjectSpec, load_fleet
from bridge.logs import register_secret
from bridge.rules import load_mapping

if TYPE_CHECKING:
    from bridge.fleet.report import ProjectResult


def fleet_command(args: argparse.Namespace, stop: threading.Event) -> int:
    """Run the parsed command over every project of the config (or of one shard of it)."""
    if args.command == "validate":
        return _validate(args)
    if args.command == "status":
        from bridge.fleet.status import print_status

        fleet = load_fleet(args.config, require_tokens=False)
        shard = choose_shard(args.shard, args.shards, os.environ)
        specs = _specs(fleet, needs_network=False)
        return print_status(_configs(fleet, _in_shard(specs, shard), _folder(args.checkpoint)))
    if args.command == "verify":
        from bridge.fleet.verifyall import verify_fleet

        return verify_fleet(args, stop)
    if args.command not in ("migrate", "mirror"):
        raise ConfigError(f"{args.command} does not take a many-project config yet; run it "
                          "with each project's own config")
    if getattr(args, "plan_out", None) is not None:  # a saved plan is one project's
        raise ConfigError("--plan-out saves one project's plan, and this config has many: "
                          "make each plan with that project's own config")
    return _run(args, stop)


def chosen_projects(args: argparse.Namespace
                    ) -> tuple[FleetConfig, Shard | None, tuple[ProjectSpec, ...], list[Config]]:
    """The fleet file (its tokens masked from here on), the shard, every project and the
    configs of those in the shard."""
    fleet = load_fleet(args.config)
    for secret in (fleet.base.source.token, fleet.base.target.token):
        if secret is not None:
            register_secret(secret.reveal())
    shard = choose_shard(args.shard, args.shards, os.environ)
    specs = _specs(fleet)
    return fleet, shard, specs, _configs(fleet, _in_shard(specs, shard), _folder(args.checkpoint))


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _specs(fleet: FleetConfig, *, needs_network: bool = True) -> tuple[ProjectSpec, ...]:
    if fleet.discover is None:
        return fleet.projects
    from bridge.fleet.discover import discover

    if not needs_network and fleet.base.source.token is None:
        raise ConfigError(f"{fleet.base.path}: discover: lists the group's projects from GitLab, "
                          f"which needs {fleet.base.source.token_env} set, even for status")
    return discover(fleet, fleet.discover)


def _in_shard(specs: tuple[ProjectSpec, ...], shard: Shard | None) -> list[ProjectSpec]:
    return [spec for spec in specs if shard is None or shard.holds(spec.source)]


def _configs(fleet: FleetConfig, specs: list[ProjectSpec], checkpoint_dir: Path | None
             ) -> list[Config]:
    configs = [project_config(fleet, spec, checkpoint_dir=checkpoint_dir) for spec in specs]
    seen: dict[Path, str] = {}
    for config in configs:  # discovered names may collide, e.g. two groups' "api"
        other = seen.setdefault(config.checkpoint, config.source.project)
        if other != config.source.project:
            raise ConfigError(f"{config.source.project} and {other} would share the checkpoint "
                              f"{config.checkpoint} (both go to {config.target.org}/"
                              f"{config.target.repo}); give each its own target")
    return configs


def _run(args: argparse.Namespace, stop: threading.Event) -> int:
    from bridge.fleet.render import FLEET_FORMATS, render_fleet_text
    from bridge.fleet.report import FleetReport
    from bridge.fleet.runner import run_all, run_project
    from bridge.pipeline import RunOptions
    from bridge.progress import Progress
    from bridge.report import render_text
    from bridge.report.files import write_atomic

    if args.report is not None and args.report.suffix.lower() not in FLEET_FORMATS:
        raise ConfigError(f"--report {args.report}: the format comes from the extension, one of "
                          f"{', '.join(sorted(FLEET_FORMATS))}")
    fleet, shard, specs, configs = chosen_projects(args)
    for mapping in dict.fromkeys(config.mapping for config in configs):
        load_mapping(mapping)  # every mapping error is found before any project starts
    options = RunOptions(command=args.command, dry_run=args.dry_run, fresh=args.fresh,
                         progress=False, stop=stop)
    started, clock0 = _now(), time.monotonic()
    with Progress(enabled=not args.no_progress, unit="projects") as progress:
        progress.phase("projects", total=len(configs))
        results = run_all(configs, lambda config: run_project(config, options),
                          parallel=fleet.parallel, stop=stop, on_done=lambda _r: progress.advance())
    if args.report is not None:
        # Shards name their reports per pod or job (reports/migrate-3.json): make the folder.
        args.report.parent.mkdir(parents=True, exist_ok=True)
        results = [_write_own(result, args.report) for result in results]
    report = FleetReport(command=args.command, dry_run=args.dry_run,
                         shard=None if shard is None else str(shard), fleet_size=len(specs),
                         projects=tuple(results), started_at=started, finished_at=_now(),
                         duration_s=round(time.monotonic() - clock0, 3))
    for result in results:
        sys.stdout.write(f"== {result.name} (exit {result.exit_code})\n")
        sys.stdout.write(render_text(result.report) if result.report is not None else
                         f"no report: {result.error}\n")
        sys.stdout.write("\n")
    sys.stdout.write(render_fleet_text(report))
    if args.report is not None:
        write_atomic(args.report, FLEET_FORMATS[args.report.suffix.lower()](report))
    for result in results:
        if result.error is not None:
            print(f"scbridge: error: {result.name}: {result.error}", file=sys.stderr)
    return report.exit_code


def _write_own(result: ProjectResult, combined: Path) -> ProjectResult:
    """The project's own report file beside the combined one (when it has a report)."""
    from bridge.fleet.render import project_report_path
    from bridge.report import write_report

    if result.report is None:
        return result
    path = project_report_path(combined, result.org, result.repo)
    write_report(result.report, path)
    return dataclasses.replace(result, report_file=path)


def _validate(args: argparse.Namespace) -> int:
    fleet = load_fleet(args.config, require_tokens=False)
    print(f"config  {fleet.base.path}: ok (many projects, {fleet.parallel} at a time)")
    mappings = {fleet.base.mapping, *(p.mapping for p in fleet.projects if p.mapping)}
    for path in sorted(mappings):
        print(f"mapping {load_mapping(path).path}: ok")
    if fleet.discover is not None:
        print(f"projects: those of GitLab group {', '.join(fleet.discover.groups)}, listed at "
              f"run time, each to {fleet.base.target.org}/{fleet.discover.target_repo}")
    for config in _configs(fleet, list(fleet.projects), None):
        print(f"project {config.source.project} -> {config.target.org}/{config.target.repo}"
              f"  (checkpoint {config.checkpoint})")
    return 0


def _folder(option: str | None) -> Path | None:
    """`--checkpoint DIR` of a many-project run: the folder of every project's checkpoint."""
    return Path(option).expanduser() if option else None
