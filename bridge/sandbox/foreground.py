"""`scbridge sandbox`: both fakes in the foreground, with what a person needs to use them."""

from __future__ import annotations

import contextlib
import errno
import math
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import TextIO

from bridge.errors import ConfigError
from bridge.sandbox.core import Sandbox
from bridge.sandbox.dataset import Dataset
from bridge.sandbox.log import RequestRecord

_SNIPPET = """\
# scbridge.yaml for this sandbox (export the two variables first):
#   export GITLAB_TOKEN={gitlab_token}
#   export SOURCECRAFT_TOKEN={sourcecraft_token}
source:
  url: {gitlab_url}
  project: {project}
target:
  url: {sourcecraft_url}
  org: {org}
  repo: {repo}
"""


def run_foreground(*, dataset: str | Path | Dataset = "demo", gitlab_port: int = 0,
                   sourcecraft_port: int = 0, latency_ms: float = 0, seed: int = 0,
                   projects: int = 1,
                   out: TextIO = sys.stdout, stop: threading.Event | None = None,
                   on_ready: Callable[[Sandbox], None] | None = None) -> int:
    """Serve both fakes until Ctrl-C or SIGTERM (or `stop` is set), printing each request; 0.

    A port out of range or in use and a negative latency raise ConfigError (exit 2) first.
    """
    check_options(gitlab_port=gitlab_port, sourcecraft_port=sourcecraft_port,
                  latency_ms=latency_ms)
    if not 1 <= projects <= 1000:
        raise ConfigError(f"--projects {projects}: serve from 1 to 1000 projects")
    stop = stop or threading.Event()
    sandbox = Sandbox(dataset, seed, gitlab_port=gitlab_port, sourcecraft_port=sourcecraft_port,
                      projects=projects)
    if latency_ms > 0:
        sandbox.faults.add("both", "latency", ms=latency_ms)
    with _started(sandbox, gitlab_port, sourcecraft_port) as sb, _stop_on_signals(stop):
        out.write(f"fake GitLab v3:   {sb.gitlab_url}/api/v3  project {sb.project_path} "
                  f"(id {sb.project_id})\n"
                  f"  token (PRIVATE-TOKEN):  {sb.gitlab_token}\n"
                  f"fake SourceCraft: {sb.sourcecraft_url}  repository {sb.org}/{sb.repo}\n"
                  f"  token (Bearer):         {sb.sourcecraft_token}\n\n")
        if projects > 1:
            out.write(_fleet_snippet(sb))
        else:
            out.write(_SNIPPET.format(gitlab_url=sb.gitlab_url,
                                      sourcecraft_url=sb.sourcecraft_url,
                                      project=sb.project_path, org=sb.org, repo=sb.repo,
                                      gitlab_token=sb.gitlab_token,
                                      sourcecraft_token=sb.sourcecraft_token))
        out.write("\nServing; Ctrl-C stops.\n")
        out.flush()
        unsubscribe = sb.log.subscribe(lambda record: _print(out, record))
        if on_ready is not None:
            on_ready(sb)
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            unsubscribe()
        out.write("\nstopped\n")
    return 0


def _fleet_snippet(sb: Sandbox) -> str:
    """A many-project config for this sandbox: every project, each to its repository."""
    lines = [f"# scbridge.yaml for these {len(sb.repos)} projects (export the two variables "
             "first):", f"#   export GITLAB_TOKEN={sb.gitlab_token}",
             f"#   export SOURCECRAFT_TOKEN={sb.sourcecraft_token}",
             f"source:\n  url: {sb.gitlab_url}", f"target:\n  url: {sb.sourcecraft_url}",
             f"  org: {sb.org}", "projects:"]
    lines += [f"  - {{source: {path}, target: {repo}}}"
              for path, repo in zip(sb.project_paths, sb.repos, strict=True)]
    group = sb.project_path.rpartition("/")[0]
    lines.append(f"# or: discover: {{group: {group}, target_repo: \"{{path}}\"}} (the repos "
                 "are then named after the projects)")
    return "\n".join(lines) + "\n"


def check_options(*, gitlab_port: int, sourcecraft_port: int, latency_ms: float) -> None:
    """Refuse what the fakes cannot serve with, naming the option: before anything starts."""
    ports = (("--gitlab-port", gitlab_port), ("--sourcecraft-port", sourcecraft_port))
    for flag, port in ports:
        if not 0 <= port <= 65535:
            raise ConfigError(f"{flag} {port}: a port is 1 to 65535 (0: any free port)")
    if gitlab_port and gitlab_port == sourcecraft_port:
        raise ConfigError(f"--gitlab-port and --sourcecraft-port are both {gitlab_port}: "
                          "the two fakes need a port each")
    if not math.isfinite(latency_ms) or latency_ms < 0:
        raise ConfigError(f"--latency-ms {latency_ms:g}: the added latency is 0 or more "
                          "milliseconds")
    for flag, port in ports:
        if port:
            _check_free(flag, port)


def _check_free(flag: str, port: int) -> None:
    """Bind `port` on 127.0.0.1 as the fake will (SO_REUSEADDR), and let it go again."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            why = ("already in use" if exc.errno == errno.EADDRINUSE else
                   "needs privileges (use a port above 1023)" if exc.errno == errno.EACCES else
                   exc.strerror or str(exc))
            raise ConfigError(f"{flag} {port}: 127.0.0.1:{port} {why}") from exc


def _print(out: TextIO, record: RequestRecord) -> None:
    """One access-log line; the query is the log's, so secret parameters are already redacted."""
    query = "&".join(f"{k}={v}" for k, v in record.query.items())
    status = "dropped" if record.status is None else str(record.status)
    fault = f"  [{record.fault}]" if record.fault else ""
    out.write(f"{record.server:<11} {record.method:<6} {record.path}{'?' + query if query else ''}"
              f" -> {status}{fault}\n")
    out.flush()


@contextlib.contextmanager
def _started(sandbox: Sandbox, gitlab_port: int, sourcecraft_port: int) -> Iterator[Sandbox]:
    """The running sandbox, stopped on the way out; a port taken since the check is exit 2."""
    try:
        sandbox.start()
    except OSError as exc:
        raise ConfigError(f"cannot listen on 127.0.0.1:{gitlab_port} and :{sourcecraft_port}: "
                          f"{exc.strerror or exc}") from exc
    try:
        yield sandbox
    finally:
        sandbox.stop()


@contextlib.contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Set `stop` on SIGINT and SIGTERM while serving; only the main thread may install handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
