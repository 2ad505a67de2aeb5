"""What each subcommand does once its arguments are parsed; the CLI maps errors to exit codes.

Heavy modules (the pipeline, the checkpoint, reports, the sandbox: requests, rich, structlog)
are imported inside the command that uses them, so `validate` starts as fast as Python does.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from bridge.config import Config, load_config
from bridge.errors import ConfigError
from bridge.fleet.spec import is_fleet_config
from bridge.logs import register_secret
from bridge.rules import load_mapping, validate_report
from bridge.rules.lint import mapping_problems

if TYPE_CHECKING:
    from bridge.checkpoint import RunInfo


def dispatch(args: argparse.Namespace, stop: threading.Event) -> int:
    """Run the parsed command; return its exit code."""
    single = args.command == "apply"  # a plan is one project's
    if not single and getattr(args, "config", None) is not None \
            and is_fleet_config(args.config):
        from bridge.fleet.command import fleet_command
        return fleet_command(args, stop)  # many projects (SPEC §14)
    if getattr(args, "shard", None) is not None or getattr(args, "shards", None) is not None:
        raise ConfigError("--shard and --shards need a config with projects: or discover:")
    runs = {"migrate": cmd_run, "mirror": cmd_run, "apply": cmd_apply, "verify": cmd_verify}
    if args.command in runs:
        return runs[args.command](args, stop)
    if args.command == "validate":
        return cmd_validate(args)
    if args.command == "status":
        return cmd_status(args)
    if args.command == "demo":
        from bridge.demo import run_demo
        return run_demo(progress=not args.no_progress, stop=stop)
    from bridge.sandbox import run_foreground
    return run_foreground(gitlab_port=args.gitlab_port, sourcecraft_port=args.sourcecraft_port,
                          latency_ms=args.latency_ms, seed=args.seed, projects=args.projects)


def cmd_run(args: argparse.Namespace, stop: threading.Event) -> int:
    """`migrate` and `mirror`, real or dry."""
    from bridge.outputs import prepare_report
    from bridge.pipeline import RunOptions, run
    _check_report_suffix(args.report)
    if args.plan_out is not None and not args.dry_run:
        raise ConfigError("--plan-out needs --dry-run: a plan is made without writing, then "
                          "carried out by `scbridge apply`")
    config = _with_secrets_registered(load_config(args.config))
    prepare_report(args.report)  # before any request: a run must not end unable to save
    collector = None
    if args.plan_out is not None:
        from bridge.plans.collect import PlanCollector
        collector = PlanCollector()
    options = RunOptions(command=args.command, dry_run=args.dry_run, fresh=args.fresh,
                         checkpoint=_checkpoint(args.checkpoint, config),
                         progress=not args.no_progress and sys.stderr.isatty(), stop=stop,
                         on_planned=collector)
    result = run(config, options)
    # The renderers (and rich) once the run is over: none is needed before its first request.
    from bridge.report import render_text, write_report
    from bridge.report.text import report_width
    sys.stdout.write(render_text(result.report, width=report_width(sys.stdout),
                                 quiet=args.quiet,
                                 report_path=None if args.report is None else str(args.report)))
    if args.report is not None:
        write_report(result.report, args.report)
    if collector is not None:
        from bridge.plans import document
        doc = document.build(config, command=args.command, kinds=collector.kinds,
                             actions=collector.entries(), notes=result.report.notes)
        document.save(doc, args.plan_out)
        writes = sum(len(entry["writes"]) for entry in collector.entries())
        print(f"scbridge: plan saved to {args.plan_out} ({writes} writes); carry it out with "
              f"`scbridge apply {args.plan_out}`", file=sys.stderr)
    if result.error is not None:
        print(f"scbridge: error: {result.error}", file=sys.stderr)
    return result.report.exit_code


def cmd_apply(args: argparse.Namespace, stop: threading.Event) -> int:
    """`apply PLAN`: the saved plan, checked against both sides, then carried out."""
    from bridge.outputs import prepare_report
    from bridge.pipeline import RunOptions
    from bridge.plans import document
    from bridge.plans.apply import apply_plan
    _check_report_suffix(args.report)
    doc = document.load(args.plan)
    config = _with_secrets_registered(load_config(args.config or Path(doc["config_path"])))
    document.check_identity(doc, config, args.plan)
    prepare_report(args.report)
    options = RunOptions(checkpoint=_checkpoint(args.checkpoint, config),
                         progress=not args.no_progress and sys.stderr.isatty(), stop=stop)
    result = apply_plan(doc, config, options, path=str(args.plan))
    from bridge.report import render_text, write_report  # after the run, as in cmd_run
    from bridge.report.text import report_width
    sys.stdout.write(render_text(result.report, width=report_width(sys.stdout),
                                 quiet=args.quiet))
    if args.report is not None:
        write_report(result.report, args.report)
    if result.error is not None:
        print(f"scbridge: error: {result.error}", file=sys.stderr)
    return result.report.exit_code


def _check_report_suffix(path: Path | None) -> None:
    """ConfigError unless `--report` names a format by its extension (before any request)."""
    from bridge.report import REPORT_SUFFIXES
    if path is not None and path.suffix.lower() not in REPORT_SUFFIXES:
        raise ConfigError(f"--report {path}: the format comes from the extension, one of "
                          f"{', '.join(REPORT_SUFFIXES)}")


def cmd_verify(args: argparse.Namespace, stop: threading.Event) -> int:
    """`verify`: every difference between SourceCraft and the mapped source; no write."""
    from bridge.outputs import prepare_report
    from bridge.pipeline import RunOptions
    from bridge.verify import render
    from bridge.verify.run import verify
    if args.report is not None and args.report.suffix.lower() not in render.FORMATS:
        raise ConfigError(f"--report {args.report}: the format comes from the extension, one of "
                          f"{', '.join(sorted(render.FORMATS))}")
    config = _with_secrets_registered(load_config(args.config))
    prepare_report(args.report)
    options = RunOptions(checkpoint=_checkpoint(args.checkpoint, config),
                         progress=not args.no_progress and sys.stderr.isatty(), stop=stop)
    report = verify(config, options)
    sys.stdout.write(render.render_text(report))
    if args.report is not None:
        render.write(report, args.report)
    return report.exit_code


def cmd_validate(args: argparse.Namespace) -> int:
    """Load the config and compile the mapping; say where each SourceCraft field comes from."""
    config = load_config(args.config, require_tokens=False, token_files=True)
    mapping = load_mapping(config.mapping)
    problems = mapping_problems(mapping)
    for problem in problems:  # each one would fail every milestone it touches
        print(f"scbridge: error: {problem}", file=sys.stderr)
    if problems:
        return 2
    print(f"config  {config.path}: ok")
    print(f"mapping {mapping.path}: ok")
    print(validate_report(mapping).rstrip("\n"))
    for name in (config.source.token_env, config.target.token_env):
        if name and not os.environ.get(name, "").strip():
            state = "set but empty" if name in os.environ else "not set"
            print(f"note: {name} is {state}; migrate and mirror will need it")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """Print what the checkpoint holds: items by state, the last run, failed items."""
    from bridge.outputs import open_checkpoint
    config = load_config(args.config, require_tokens=False)
    path: Path = _checkpoint(args.checkpoint, config) or config.checkpoint
    if not path.exists():
        print(f"checkpoint {path}: none yet (no run has written it)")
        return 0
    with open_checkpoint(path, readonly=True) as checkpoint:
        counts = checkpoint.counts()
        failed = [record for kind, states in counts.items() if states.get("failed")
                  for record in checkpoint.records(kind).values() if record.state == "failed"]
        last = checkpoint.last_run()
    for kind, states in counts.items() or {"milestone": {}}.items():
        total = sum(states.values())
        print(f"checkpoint {path}: {total} {kind}s")
        for state, count in sorted(states.items()):
            print(f"  {state:<10} {count}")
    if last is None:
        print("last run: none finished")
    else:
        print(f"last run: {last_run_line(last)}")
    for record in sorted(failed, key=lambda r: (r.kind, r.source_id)):
        print(f"failed: GitLab {record.kind} {record.source_id} ({record.key}): {record.error}")
    return 0


def last_run_line(last: RunInfo) -> str:
    """How the last run ended, in the words of its report's closing line."""
    from bridge.report.cells import summary_words
    if last.finished_at is None:
        ended = "never finished (killed, or the machine stopped)"
    elif last.exit_code == 130:
        ended = f"interrupted at {last.finished_at}, exit 130"
    else:
        ended = f"finished {last.finished_at}, exit {last.exit_code}"
    counts = summary_words(last.summary, dry_run=last.dry_run) if last.summary else ""
    return f"{last.command} started {last.started_at}, {ended}{': ' + counts if counts else ''}"


def _checkpoint(option: str | None, config: Config) -> Path | None:
    """`--checkpoint`; `DIR/` (a trailing slash) means the config's checkpoint file name in DIR."""
    if option is None:
        return None
    if option.endswith(("/", os.sep)) and not Path(option).expanduser().is_file():
        return Path(option).expanduser() / config.checkpoint.name  # a file there: as before
    return Path(option).expanduser()


def _with_secrets_registered(config: Config) -> Config:
    """From here on, logs and reports mask both tokens wherever they might appear."""
    for secret in (config.source.token, config.target.token):
        if secret is not None:
            register_secret(secret.reveal())
    return config
