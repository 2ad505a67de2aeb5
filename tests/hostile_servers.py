"""Hostile answers for the bad-input corpus: each spoils one kind of response of the sandbox."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from bridge.sandbox import Sandbox
from bridge.sandbox.messages import App, Request, Response

Answer = Callable[[], Response]
Change = Callable[[Request, Answer], Response]

MILESTONES = r"^/api/v3/projects/\d+/milestones$"
ISSUES = r"^/api/v3/projects/\d+/issues$"
PROJECT = r"^/api/v3/projects/[^/]+$"
TARGET_LIST = r"^/repos/[^/]+/[^/]+/milestones$"


class Spoiled:
    """A fake app whose answers to matching requests go through `change`, from the nth on."""

    def __init__(self, app: App, *, method: str, path: str, change: Change,
                 after: int = 0) -> None:
        self._app = app
        self._method = method
        self._path = re.compile(path)
        self._change = change
        self._after = after
        self.matched = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._app, name)

    def handle(self, request: Request) -> Response:
        """The app's answer, or the spoiled one for a matching request past the first `after`."""
        if request.method != self._method or not self._path.search(request.raw_path):
            return self._app.handle(request)
        self.matched += 1
        if self.matched <= self._after:
            return self._app.handle(request)
        return self._change(request, lambda: self._app.handle(request))


def spoil(sb: Sandbox, server: str, *, method: str = "GET", path: str, change: Change,
          after: int = 0) -> None:
    """Put `change` between the fake `server` ("gitlab" or "sourcecraft") and its answers."""
    fake = sb._server(0 if server == "gitlab" else 1)
    fake.app = Spoiled(fake.app, method=method, path=path, change=change,
                       after=after)


def body_of(transform: Callable[[Any], Any]) -> Change:
    """A change that rewrites the JSON body of the real answer."""
    def change(_request: Request, answer: Answer) -> Response:
        response = answer()
        response.body = json.dumps(transform(json.loads(response.body))).encode()
        return response
    return change


def raw_body(body: bytes, headers: list[tuple[str, str]] | None = None,
             status: int = 200, content_type: str = "application/json") -> Change:
    """A change that answers with these exact bytes, whatever was asked."""
    def change(_request: Request, _answer: Answer) -> Response:
        return Response(status, body, content_type, list(headers or []))
    return change


def headers_of(update: dict[str, str], drop: tuple[str, ...] = ()) -> Change:
    """A change that keeps the real body and rewrites some headers."""
    def change(_request: Request, answer: Answer) -> Response:
        response = answer()
        names = {name.lower() for name in (*update, *drop)}
        response.headers = [(k, v) for k, v in response.headers if k.lower() not in names]
        response.headers += list(update.items())
        return response
    return change


def first_item(edit: Callable[[dict[str, Any]], None]) -> Callable[[Any], Any]:
    """A body transform that edits the first object of a list in place."""
    def transform(items: Any) -> Any:
        edit(items[0])
        return items
    return transform


@dataclass
class Setup:
    """What a hostile case changes besides the answers: config overrides and environment."""

    config: dict[str, str] = field(default_factory=dict)  # "source.project" -> value
    env: dict[str, str] = field(default_factory=dict)


def _error(status: int, message: str) -> Change:
    def change(request: Request, answer: Answer) -> Response:
        return Response(status, json.dumps({"error_code": "Unauthenticated", "message": message,
                                            "request_id": request.request_id}).encode())
    return change


def _deep_json(_request: Request, _answer: Answer) -> Response:
    return Response(200, b"[" * 100_000 + b"]" * 100_000)


def _redirect(elsewhere: str) -> Change:
    def change(_request: Request, _answer: Answer) -> Response:
        return Response(302, b"", None, [("Location", f"{elsewhere}/api/v3/projects/7")])
    return change


def install(sb: Sandbox, name: str, elsewhere: str) -> Setup:  # noqa: PLR0911, PLR0912 - one branch a case
    """Make the sandbox hostile in the way case `name` describes; say what else it needs.

    `elsewhere` is the root URL of another host (a listener on 127.0.0.2) for links and
    redirects to point at.
    """
    gl, sc = "gitlab", "sourcecraft"
    if name == "html-502-gitlab":
        sb.faults.add(gl, "html_error", status=502)
    elif name == "html-502-sourcecraft":
        sb.faults.add(sc, "html_error", method="GET", status=502)
    elif name == "truncated-json":
        sb.faults.add(gl, "truncated", path=MILESTONES)
    elif name == "object-for-list":
        spoil(sb, gl, path=MILESTONES, change=body_of(lambda items: {"milestones": items}))
    elif name == "milestone-without-id":
        spoil(sb, gl, path=MILESTONES, change=body_of(first_item(lambda m: m.pop("id"))))
    elif name == "milestone-without-title":
        spoil(sb, gl, path=MILESTONES, change=body_of(first_item(lambda m: m.pop("title"))))
    elif name == "milestone-id-as-text":
        spoil(sb, gl, path=MILESTONES,
              change=body_of(first_item(lambda m: m.update(id=str(m["id"])))))
    elif name == "issue-not-object":
        spoil(sb, gl, path=ISSUES, change=body_of(lambda items: [*items, "issue"]))
    elif name == "title-100kb":
        sb.gitlab.add_milestone(title="Huge " + "x" * 100_000)
    elif name == "title-nul-bytes":
        sb.gitlab.add_milestone(title="v9\x00nul\x00release", description="a\x00b")
    elif name == "due-date-feb-30":
        sb.gitlab.add_milestone(title="Leap nonsense", due_date="2016-02-30")
    elif name == "unknown-state":
        spoil(sb, gl, path=MILESTONES,
              change=body_of(first_item(lambda m: m.update(state="upcoming"))))
    elif name == "x-next-page-negative":
        spoil(sb, gl, path=MILESTONES, change=headers_of({"X-Next-Page": "-1"}, drop=("Link",)))
    elif name == "x-next-page-backwards":
        spoil(sb, gl, path=MILESTONES, after=1,
              change=headers_of({"X-Next-Page": "1"}, drop=("Link",)))
        return Setup(config={"source.per_page": "5"})
    elif name == "link-other-host":
        sb.faults.add(gl, "foreign_link", path=ISSUES, base=elsewhere)
    elif name == "link-other-scheme":
        sb.faults.add(gl, "foreign_link", path=ISSUES,
                      base=sb.gitlab_url.replace("http://", "https://"))
    elif name == "repeat-page":
        sb.faults.add(gl, "repeat_page", path=ISSUES)
    elif name == "empty-200":
        spoil(sb, gl, path=PROJECT, change=raw_body(b""))
    elif name == "gzip-garbage":
        spoil(sb, gl, path=MILESTONES,
              change=raw_body(b"\x1f\x8b\x08\x00garbage, not deflate",
                              headers=[("Content-Encoding", "gzip")]))
    elif name == "invalid-utf8":
        spoil(sb, gl, path=MILESTONES, change=raw_body(b'[{"id": 1, "title": "\xff\xfe"}]'))
    elif name == "deeply-nested-json":
        spoil(sb, gl, path=MILESTONES, change=_deep_json)
    elif name == "redirect-other-host":
        spoil(sb, gl, path=PROJECT, change=_redirect(elsewhere))
    elif name == "rack-attack":
        sb.faults.add(gl, "rack_attack", retry_after="0")
    elif name == "401-mid-run":
        spoil(sb, sc, method="POST", path=TARGET_LIST, after=4,
              change=_error(401, "authentication required"))
    elif name == "401-gitlab":
        return Setup(env={"GITLAB_TOKEN": "not-the-right-token"})
    elif name == "403-gitlab":
        return Setup(env={"GITLAB_TOKEN": sb.gitlab_forbidden_token})
    elif name == "403-sourcecraft-readonly":
        return Setup(env={"SOURCECRAFT_TOKEN": sb.sourcecraft_readonly_token})
    elif name == "404-project":
        return Setup(config={"source.project": "no-group/no-project"})
    elif name == "404-repo":
        return Setup(config={"target.repo": "no-such-repo"})
    elif name == "404-org":
        return Setup(config={"target.org": "no-such-org"})
    elif name == "401-sourcecraft":
        return Setup(env={"SOURCECRAFT_TOKEN": "not-the-right-token"})
    elif name == "api-v4-on-v3":
        return Setup(config={"source.api_version": "v4"})
    elif name == "items-not-list":
        spoil(sb, sc, path=TARGET_LIST, change=body_of(lambda body: {**body, "items": {}}))
    elif name == "create-answers-garbage":
        spoil(sb, sc, method="POST", path=TARGET_LIST,
              change=lambda _r, answer: (answer(), Response(201, b"[]"))[1])
    else:
        raise KeyError(name)
    return Setup()


class Listener:
    """A TCP listener on another loopback address that records every connection it gets.

    It answers nothing useful; a client that connects to it has already failed the test,
    since whatever it sent (the token in a header) went to the wrong host.
    """

    def __init__(self, host: str = "127.0.0.2") -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind((host, 0))
        self._sock.listen(16)
        self.url = f"http://{host}:{self._sock.getsockname()[1]}"
        self.received: list[bytes] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> Listener:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        self._thread.join(timeout=5)

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    self.received.append(conn.recv(65536) or b"(connected, sent nothing)")
                except OSError:
                    self.received.append(b"(connected)")
                with contextlib.suppress(OSError):
                    conn.sendall(b"HTTP/1.1 500 Nope\r\nContent-Length: 0\r\n\r\n")
