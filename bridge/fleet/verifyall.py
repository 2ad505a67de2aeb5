"""`scbridge verify` over a many-project config: every project audited, the worst exit wins.

Each project is verified as `scbridge verify -c` would verify it alone (no write, no
lock), a bounded number at once; its differences print under its name, and with
`--report x.json` each project's report is written beside, as `x.<org>-<repo>.json`.
"""

from __future__ import annotations

import argparse
import sys
import threading

from bridge.config import Config
from bridge.errors import BridgeError, ConfigError
from bridge.fleet.command import chosen_projects
from bridge.fleet.render import project_report_path
from bridge.fleet.report import ProjectResult, worst
from bridge.fleet.runner import result_of, run_all
from bridge.logs import mask_text


def verify_fleet(args: argparse.Namespace, stop: threading.Event) -> int:
    """Verify every project of the config (or of one shard of it)."""
    from bridge.pipeline import RunOptions
    from bridge.verify import render
    from bridge.verify.run import verify

    if args.report is not None and args.report.suffix.lower() not in render.FORMATS:
        raise ConfigError(f"--report {args.report}: the format comes from the extension, one of "
                          f"{', '.join(sorted(render.FORMATS))}")
    fleet, _shard, _all, configs = chosen_projects(args)
    options = RunOptions(progress=False, stop=stop)
    texts: dict[str, str] = {}

    def one(config: Config) -> ProjectResult:
        try:
            report = verify(config, options)
        except BridgeError as exc:
            return result_of(config, exit_code=exc.exit_code, error=mask_text(str(exc)))
        except Exception as exc:  # a bug in one project's audit must not stop the others
            return result_of(config, exit_code=1, error=f"internal error: "
                             f"{type(exc).__name__}: {mask_text(str(exc))}")
        texts[config.source.project] = render.render_text(report)
        if args.report is not None:
            args.report.parent.mkdir(parents=True, exist_ok=True)
            render.write(report, project_report_path(args.report, config.target.org,
                                                     config.target.repo))
        return result_of(config, exit_code=report.exit_code, error=None)

    results = run_all(configs, one, parallel=fleet.parallel, stop=stop)
    for result in results:
        sys.stdout.write(f"== {result.name} (exit {result.exit_code})\n")
        sys.stdout.write(texts.get(result.source, f"not verified: {result.error}\n") + "\n")
    exact = sum(1 for r in results if r.exit_code == 0)
    sys.stdout.write(f"verify: {len(results)} projects, {exact} exact, "
                     f"{len(results) - exact} with differences or errors\n")
    for result in results:
        if result.error is not None:
            print(f"scbridge: error: {result.name}: {result.error}", file=sys.stderr)
    return worst(r.exit_code for r in results)
