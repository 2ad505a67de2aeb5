"""The thin edge: parse arguments, configure logging, run a command, map errors to exit codes.

Start-up is kept cheap: this module imports only the standard library and light parts of
`bridge`; what a subcommand needs (the pipeline, the sandbox, requests, rich, structlog) is
imported once the arguments say which subcommand runs (`bridge.commands` does the rest).
"""

from __future__ import annotations

import argparse
import gc
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

from bridge import __version__
from bridge.errors import BridgeError
from bridge.logs import configure_logging, mask_text

PROG = "scbridge"


class _Parser(argparse.ArgumentParser):
    """argparse that names the nearest option for a misspelt one: `--dryrun` -> `--dry-run`."""

    def error(self, message: str) -> NoReturn:
        unknown = message.removeprefix("unrecognized arguments: ")
        if unknown != message:
            import difflib  # only on this error path: start-up stays cheap
            known = set(self._option_string_actions)
            for action in self._actions:
                if isinstance(action, argparse._SubParsersAction):
                    for sub in action.choices.values():
                        known.update(sub._option_string_actions)
            for word in unknown.split():
                near = difflib.get_close_matches(word.split("=", 1)[0], sorted(known), n=1,
                                                 cutoff=0.75)
                if word.startswith("-") and near:
                    message += f"; did you mean {near[0]}?"
                    break
        super().error(message)


def _plan_commands(commands: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    """`apply` and `verify` (SPEC §12, §13)."""
    text = "carry out a plan saved by --dry-run --plan-out, refusing it if anything changed"
    sub = commands.add_parser("apply", help=text, description=text)
    sub.add_argument("plan", type=Path, help="the plan file")
    sub.add_argument("-c", "--config", type=Path,
                     help="the config file (default: the one the plan was made with)")
    sub.add_argument("--report", type=Path, metavar="PATH",
                     help="also write the report: .json, .md or .html")
    sub.add_argument("--checkpoint", metavar="PATH",
                     help="checkpoint file (overrides the config; DIR/ for its name in DIR)")
    sub.add_argument("--no-progress", action="store_true", help="no progress bar")
    common(sub)
    text = "compare SourceCraft with the mapped GitLab project, every field; write nothing"
    sub = commands.add_parser("verify", help=text, description=text)
    sub.add_argument("-c", "--config", required=True, type=Path, help="the config file")
    sub.add_argument("--report", type=Path, metavar="PATH",
                     help="also write the differences: .json, .md or .html")
    sub.add_argument("--checkpoint", metavar="PATH",
                     help="checkpoint to read settled slugs from (default: the config's)")
    shard_options(sub)
    sub.add_argument("--no-progress", action="store_true", help="no progress bar")
    common(sub)


def shard_options(sub: argparse.ArgumentParser) -> None:
    """--shard K/N and --shards N, for the commands that take a many-project config."""
    sub.add_argument("--shard", metavar="K/N",
                     help="many projects: only those in shard K of N (by a stable hash)")
    sub.add_argument("--shards", type=int, metavar="N",
                     help="many projects: N shards, this one from JOB_COMPLETION_INDEX")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG, description="Move milestones from GitLab (API v3) into SourceCraft.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("-v", "--verbose", action="count", default=0,
                         help="more logging (debug with -v); tracebacks on errors")
        sub.add_argument("-q", "--quiet", action="store_true", help="warnings and errors only")
        sub.add_argument("--log-format", choices=("auto", "console", "json"), default="auto",
                         help="auto: console on a TTY, JSON lines otherwise")

    for name, text in (("migrate", "one-shot: create what the target lacks, close what GitLab "
                                   "closed"),
                       ("mirror", "recurring: also update changed fields, reopen, apply the "
                                  "deletion policy")):
        sub = commands.add_parser(name, help=text, description=text)
        sub.add_argument("-c", "--config", required=True, type=Path, help="the config file")
        sub.add_argument("--dry-run", action="store_true",
                         help="every read, no write; print the plan")
        sub.add_argument("--report", type=Path, metavar="PATH",
                         help="also write the report: .json, .md or .html")
        sub.add_argument("--checkpoint", metavar="PATH",
                         help="checkpoint file (overrides the config); DIR/ for a file in DIR; "
                              "with many projects, their folder")
        shard_options(sub)
        sub.add_argument("--fresh", action="store_true",
                         help="start over: move the old checkpoint aside (never deleted)")
        sub.add_argument("--plan-out", type=Path, metavar="PATH",
                         help="with --dry-run: save the plan for `scbridge apply`")
        sub.add_argument("--no-progress", action="store_true", help="no progress bar")
        common(sub)

    _plan_commands(commands, common)

    for name, text in (("validate", "check config and mapping, no network"),
                       ("status", "what the checkpoint holds")):
        sub = commands.add_parser(name, help=text, description=text)
        sub.add_argument("-c", "--config", required=True, type=Path, help="the config file")
        if name == "status":
            sub.add_argument("--checkpoint", metavar="PATH",
                             help="checkpoint file (overrides the config); DIR/ for a file in "
                                  "DIR; with many projects, their folder")
            shard_options(sub)
        common(sub)

    sub = commands.add_parser(
        "demo", help="the whole pipeline against the bundled sandbox",
        description="Start a fake GitLab v3 and a fake SourceCraft on 127.0.0.1 (the bundled "
                    "demo project), print the dry-run report, migrate, show what SourceCraft "
                    "now holds, and run again to show zero writes. No token, no network; the "
                    "checkpoint is a temporary one.")
    sub.add_argument("--no-progress", action="store_true",
                     help="no progress bar (it is only drawn on a terminal anyway)")
    common(sub)
    sub = commands.add_parser(
        "sandbox", help="run the fake GitLab and SourceCraft in the foreground",
        description="Serve a fake GitLab v3 and a fake SourceCraft on 127.0.0.1 with the demo "
                    "project until Ctrl-C or SIGTERM; print their URLs, tokens and a config "
                    "to point scbridge at them, then one line per request.")
    sub.add_argument("--gitlab-port", type=int, default=0, metavar="PORT",
                     help="port of the fake GitLab (default 0: any free port)")
    sub.add_argument("--sourcecraft-port", type=int, default=0, metavar="PORT",
                     help="port of the fake SourceCraft (default 0: any free port)")
    sub.add_argument("--latency-ms", type=float, default=0.0, metavar="MS",
                     help="delay added to every answer of both fakes, in milliseconds "
                          "(default 0)")
    sub.add_argument("--seed", type=int, default=0,
                     help="seed of the SourceCraft ids and request ids, so runs repeat "
                          "(default 0)")
    sub.add_argument("--projects", type=int, default=1, metavar="N",
                     help="serve N GitLab projects, each with its SourceCraft repository "
                          "(default 1)")
    common(sub)
    return parser


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

#: Commands that run nothing which logs (no HTTP, no engine): configuring structlog would cost
#: them more start-up time than the command itself takes.
_NO_LOGGING = frozenset({"validate"})


def _install_stop_handlers(stop: threading.Event) -> None:
    """SIGINT/SIGTERM set `stop`: in-flight work finishes, the checkpoint stays consistent."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set():  # a second signal: the user really wants out now
            raise KeyboardInterrupt
        stop.set()
        print(f"{PROG}: stopping after the requests in flight (signal {signum})",
              file=sys.stderr)

    for sig in _STOP_SIGNALS:
        signal.signal(sig, handler)


def _print_traceback() -> None:
    import traceback  # only with -v, after an error: not worth its start-up cost otherwise

    traceback.print_exc()


#: The cyclic collector's thresholds while a command runs (CPython's are 700, 10, 10). What
#: start-up imports and a run allocate is nearly all freed by reference counting, yet at 700
#: the collector ran about 150 times in a milestone dry run (45 ms) and 280 times in the
#: issue project's re-run (95 ms), rescanning every live object; here 3 and 7 times (15 ms,
#: 35 ms) with the same peak RSS. Cycles are still collected, only less often.
GC_THRESHOLDS = (20_000, 10, 10)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit code (SPEC §7)."""
    previous = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        return _main(argv)
    finally:
        gc.set_threshold(*previous)  # an embedder's (or a test run's) own settings come back


def entry() -> int:
    """The `scbridge` console script and `python -m bridge`: `main()`, then a short exit.

    Once the command is over nothing of its heap is needed again. Frozen, it is left out of
    the collections the interpreter makes as it shuts down, which walked every object still
    alive: 35-45 ms of the issue project's 1.4 s re-run, 5 ms instead (measured as the time
    from main() returning to the process ending). Files and the checkpoint are closed and
    logs flushed before `main()` returns; only the collector's last passes are skipped. Not
    in `main()` itself: a test or an embedder calling it many times keeps its collector.
    """
    code = main()
    gc.freeze()
    return code


def _main(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    verbosity = -1 if args.quiet else args.verbose
    if args.command == "demo" and not args.verbose:
        verbosity = -1  # the demo's story is its reports on stdout; info logs would bury it
    if args.command not in _NO_LOGGING:
        configure_logging(fmt=args.log_format, verbosity=verbosity)
    stop = threading.Event()
    _install_stop_handlers(stop)
    try:
        from bridge import commands  # imported per run: see the docstring
        return commands.dispatch(args, stop)
    except BridgeError as exc:
        if args.verbose:
            _print_traceback()
        print(f"{PROG}: error: {mask_text(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug of ours: say so in one line, unless asked for details
        if args.verbose:
            _print_traceback()
        hint = "" if args.verbose else " (run again with -v for the traceback)"
        print(f"{PROG}: internal error: {type(exc).__name__}: {mask_text(str(exc))}{hint}",
              file=sys.stderr)
        return 1
    finally:
        # The command is over and its exit code decided: a signal arriving now must not
        # turn a finished run into a traceback or a death by signal.
        for sig in _STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)
