"""A target that dies mid-run: every retry logged with host:port, exit 3 naming the cause, resume.

Issue 12, item 6. Connection refused, reset, DNS and TLS failures are each made for
real on 127.0.0.1 (DNS by a resolver that fails), retried within `max_attempts` and
the backoff cap, logged at the default level, and end the run with one line that
names host:port and the cause; the next run resumes exactly.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import struct
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests
import structlog
from reliability_support import (
    assert_checkpoint_consistent,
    assert_target_exact,
    cli,
    token_env,
    write_config,
)
from structlog.testing import capture_logs

from bridge.checkpoint import Checkpoint
from bridge.config import HttpConfig
from bridge.engine.load import Loader
from bridge.engine.refs import Refs
from bridge.errors import ConnectionFailedError
from bridge.kinds.milestone import MilestoneKind
from bridge.models import Create, SourceMilestone, WantedMilestone
from bridge.net.http import HttpClient
from bridge.net.transport import cause, never_sent
from bridge.sandbox import RequestRecord, Sandbox
from bridge.targets.sourcecraft import SourceCraftClient


@pytest.fixture(autouse=True)
def info_logging() -> Iterator[None]:
    """Let warnings through for capture_logs, whatever other tests configured."""
    saved = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
                        cache_logger_on_first_use=False)
    yield
    structlog.configure(**saved)


def closed_port() -> int:
    """A 127.0.0.1 port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ResettingListener:
    """Accepts, reads the request, then resets the connection (SO_LINGER 0): 'reset by peer'."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen()
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            conn.recv(65536)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()

    def close(self) -> None:
        self._sock.close()


def _failure(url: str) -> requests.RequestException:
    try:
        requests.get(url, timeout=5)
    except requests.RequestException as exc:
        return exc
    raise AssertionError(f"{url} answered")


class TestCauses:
    """Each transport failure in plain words, and whether the request can have been sent."""

    def test_refused(self) -> None:
        error = _failure(f"http://127.0.0.1:{closed_port()}/")
        assert (cause(error), never_sent(error)) == ("connection refused", True)

    def test_reset_after_sending(self) -> None:
        listener = ResettingListener()
        try:
            error = _failure(listener.url + "/")
        finally:
            listener.close()
        assert (cause(error), never_sent(error)) == ("connection reset", False)

    def test_tls_handshake_with_a_plain_http_server(self, sandbox: Sandbox) -> None:
        error = _failure(sandbox.sourcecraft_url.replace("http://", "https://") + "/")
        assert cause(error).startswith("TLS failure (")
        assert never_sent(error) is False  # not proven: a POST is looked up, never re-sent blind

    def test_dns(self, monkeypatch: pytest.MonkeyPatch) -> None:
        def no_such_name(*_args: Any, **_kwargs: Any) -> Any:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

        monkeypatch.setattr(socket, "getaddrinfo", no_such_name)
        error = _failure("http://sourcecraft.invalid/")
        assert (cause(error), never_sent(error)) == ("name not resolved (DNS)", True)


class TestGetGivesUp:
    def test_each_retry_is_a_warning_with_host_and_the_last_error_names_it(self) -> None:
        """A refused GET: every retry logged (attempt, wait, host:port), then one named error."""
        port = closed_port()
        waits: list[float] = []
        http = HttpClient(f"http://127.0.0.1:{port}", kind="target", headers={},
                          http=HttpConfig(max_attempts=4, max_backoff_s=2.0), sleep=waits.append,
                          jitter=lambda: 1.0)
        with capture_logs() as logs, pytest.raises(ConnectionFailedError) as caught:
            http.get("/repos/o/r")
        assert str(caught.value) == (f"GET /repos/o/r: cannot reach 127.0.0.1:{port}: "
                                     "connection refused (gave up after 4 attempts)")
        retries = [e for e in logs if e["event"] == "http_retry"]
        assert [(e["log_level"], e["attempt"], e["wait_s"], e["host"]) for e in retries] == [
            ("warning", 1, 1.0, f"127.0.0.1:{port}"), ("warning", 2, 2.0, f"127.0.0.1:{port}"),
            ("warning", 3, 2.0, f"127.0.0.1:{port}")]  # capped at max_backoff_s
        assert waits == [1.0, 2.0, 2.0]


def _create(source_id: int, slug: str) -> Create:
    source = SourceMilestone(id=source_id, iid=source_id, project_id=1, title=slug)
    return Create("milestone", WantedMilestone(source=source, name=slug, slug=slug,
                                               status="open"))


class TestPostGivesUp:
    def test_a_post_never_connected_is_resent_with_the_reason_then_the_run_stops(
            self, tmp_path: Path) -> None:
        """Refused POSTs: resent (safe, logged why), then fatal; later items not attempted."""
        port = closed_port()
        waits: list[float] = []
        http = HttpClient(f"http://127.0.0.1:{port}", kind="target", headers={},
                          http=HttpConfig(max_attempts=3, max_backoff_s=0.5), sleep=waits.append,
                          jitter=lambda: 1.0)
        ctx: Any = SimpleNamespace(target=SourceCraftClient(http, org="o", repo="r"))
        with Checkpoint.open(tmp_path / "cp") as checkpoint, capture_logs() as logs:
            loader = Loader(MilestoneKind(ctx), checkpoint, refs=Refs(), retrying=http.retrying,
                            concurrency=1)
            outcomes = loader.run([_create(1, "a"), _create(2, "b"), _create(3, "c")])
            records = checkpoint.records("milestone")
        assert isinstance(loader.fatal, ConnectionFailedError)
        assert str(loader.fatal) == (f"POST /repos/o/r/milestones: could not connect to "
                                     f"127.0.0.1:{port}: connection refused, nothing was sent "
                                     "(gave up after 3 attempts)")
        retries = [e for e in logs if e["event"] == "http_retry"]
        assert [(e["log_level"], e["attempt"], e["wait_s"], e["host"], e["method"])
                for e in retries] == [("warning", 1, 0.5, f"127.0.0.1:{port}", "POST"),
                                      ("warning", 2, 0.5, f"127.0.0.1:{port}", "POST")]
        assert all("never established" in e["resend"] for e in retries)
        assert waits == [0.5, 0.5]
        assert [o.error for o in outcomes[1:]] == ["not attempted: the run was stopped"] * 2
        assert records[1].state == "failed"  # its POST never left: nothing to reconcile
        assert set(records) == {1}


def _plain(stderr: str) -> list[str]:
    """stderr without its JSON log lines."""
    lines = []
    for line in stderr.splitlines():
        try:
            json.loads(line)
        except ValueError:
            lines.append(line)
    return lines


def _events(stderr: str, name: str) -> list[dict[str, Any]]:
    found = []
    for line in stderr.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("event") == name:
            found.append(event)
    return found


#: Three attempts a hundredth of a second apart at most: the run gives up in milliseconds.
HTTP = {"max_attempts": 3, "max_backoff_s": 0.01}


class TestEndToEnd:
    @pytest.mark.parametrize("cut", [False, True], ids=["stopped", "cut-mid-request"])
    def test_sourcecraft_stopped_mid_run_exits_3_and_the_next_run_resumes_exactly(
            self, sandbox: Sandbox, tmp_path: Path, cut: bool) -> None:
        """SourceCraft goes away after the third create; exit 3 naming it; back up, resume.

        Stopped: the third create is answered, the next POST cannot connect and is sent
        again, logged as safe. Cut: the third create's answer is lost (a reset), and the
        slug look-up that must come first cannot connect either.
        """
        # One worker when stopped, so the next request is certainly a new connection.
        config = write_config(tmp_path, sandbox, http={**HTTP, "concurrency": 1 if not cut else 4})
        closed = {m["title"].strip() for m in sandbox.gitlab.milestones()
                  if m["state"] == "closed"}
        posts: list[str] = []

        def take_down_after_three(record: RequestRecord) -> None:
            if record.method != "POST" or len(posts) >= 3:
                return
            # Open ones only: what follows their create is the next create, not a close.
            if record.body["name"] not in closed:
                posts.append(record.body["name"])
                if len(posts) == 3:
                    sandbox.take_down("sourcecraft", cut=cut)

        address = sandbox.sourcecraft_url.removeprefix("http://")
        unsubscribe = sandbox.log.subscribe(take_down_after_three)
        try:
            run = cli(["migrate", "-c", str(config), "--no-progress", "--log-format", "json"],
                      token_env(sandbox))
        finally:
            unsubscribe()
        assert run.returncode == 3, run.stderr[-2000:]
        [line] = _plain(run.stderr)
        assert re.fullmatch(rf"scbridge: error: (POST|GET|PATCH) /\S+: (could not connect to|"
                            rf"cannot reach) {re.escape(address)}: connection (refused|reset)"
                            r".* \(gave up after 3 attempts\)", line), line
        assert "ConnectionError" not in run.stderr
        retries = _events(run.stderr, "http_retry")
        assert retries, "no retry was logged"
        assert all(e["level"] == "warning" and e["host"] == address and e["wait_s"] <= 0.01
                   and 1 <= e["attempt"] < 3 for e in retries)
        if not cut:
            assert [e["resend"] for e in retries if e["method"] == "POST"] == [
                "safe: the connection was never established, nothing reached the server"] * 2
        assert_checkpoint_consistent(tmp_path / "checkpoint.db", sandbox)

        sandbox.bring_up("sourcecraft")
        again = cli(["migrate", "-c", str(config), "--no-progress"], token_env(sandbox))
        assert again.returncode == 0, again.stderr[-2000:]
        assert_target_exact(sandbox)  # every milestone once: nothing lost, nothing doubled
        assert_checkpoint_consistent(tmp_path / "checkpoint.db", sandbox)

    def test_a_closed_port_from_the_start_stops_at_the_preflight(
            self, sandbox: Sandbox, tmp_path: Path) -> None:
        """Nothing listens at target.url: exit 3 before any GitLab page is read."""
        port = closed_port()
        config = write_config(tmp_path, sandbox, http=HTTP)
        text = config.read_text(encoding="utf-8").replace(sandbox.sourcecraft_url,
                                                           f"http://127.0.0.1:{port}")
        config.write_text(text, encoding="utf-8")
        run = cli(["migrate", "-c", str(config), "--no-progress", "--log-format", "json"],
                  token_env(sandbox))
        assert run.returncode == 3
        assert _plain(run.stderr) == [
            f"scbridge: error: GET /repos/{sandbox.org}/{sandbox.repo}: cannot reach "
            f"127.0.0.1:{port}: connection refused (gave up after 3 attempts)"]
        assert [e["attempt"] for e in _events(run.stderr, "http_retry")] == [1, 2]
        assert [r.path for r in sandbox.log.entries] == [
            f"/api/v3/projects/{sandbox.project_path.replace('/', '%2F')}"]

    def test_a_tls_failure_is_named_not_a_bare_ssl_error(self, sandbox: Sandbox,
                                                         tmp_path: Path) -> None:
        """https:// to a server that speaks plain http: exit 3, 'TLS failure (...)' and where."""
        config = write_config(tmp_path, sandbox, http=HTTP)
        https = sandbox.sourcecraft_url.replace("http://", "https://")
        text = config.read_text(encoding="utf-8").replace(sandbox.sourcecraft_url, https)
        config.write_text(text, encoding="utf-8")
        run = cli(["migrate", "-c", str(config), "--no-progress", "--log-format", "json"],
                  token_env(sandbox))
        assert run.returncode == 3
        [line] = _plain(run.stderr)
        address = sandbox.sourcecraft_url.removeprefix("http://")
        assert re.fullmatch(rf"scbridge: error: GET /repos/\S+: cannot reach {re.escape(address)}"
                            r": TLS failure \(.+\) \(gave up after 3 attempts\)", line), line
        assert "SSLError" not in run.stderr
