"""One fake API on a socket: faults applied around the app's answer, every request logged."""

from __future__ import annotations

import email.utils
import random
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from bridge.sandbox.faults import Fault, Faults
from bridge.sandbox.handler import Handler, Server
from bridge.sandbox.log import RequestLog, RequestRecord, redact_query
from bridge.sandbox.messages import App, Request, Response

_REASONS = {429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
            503: "Service Temporarily Unavailable", 504: "Gateway Time-out"}


class FakeServer:
    """One app served on 127.0.0.1 by daemon threads, faults applied, every request logged."""

    def __init__(self, app: App, *, faults: Faults, log: RequestLog, seed: int = 0,
                 port: int = 0, sleep: Callable[[float], None] = time.sleep,
                 now: Callable[[], float] = time.time) -> None:
        self.app = app
        self.faults = faults
        self.log = log
        self.sleep = sleep
        self.now = now
        self._ids = random.Random(f"{seed}:{app.name}:request-ids")
        self._ids_lock = threading.Lock()
        self._httpd = Server(("127.0.0.1", port), Handler)
        self._httpd.fake = self
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The server root, e.g. http://127.0.0.1:PORT."""
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def start(self) -> None:
        """Serve in a daemon thread."""
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.01},
                                        name=f"sandbox-{self.app.name}", daemon=True)
        self._thread.start()

    def stop(self, *, cut: bool = True) -> None:
        """Stop accepting, close open keep-alive connections, release the port.

        `cut=False` stops gracefully: requests being answered get their answer (with
        `Connection: close`), idle connections are closed, new ones are refused.
        """
        self._httpd.closing = not cut
        self._httpd.shutdown()
        self._httpd.close_connections(idle_only=not cut)
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def next_request_id(self) -> str:
        """A request id that repeats under the same seed."""
        with self._ids_lock:
            return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until no client connection is open; False if `timeout` passed first."""
        return self._httpd.wait_idle(timeout)

    def serve(self, handler: Handler, request: Request) -> None:
        """Apply the faults, let the app answer, write the answer (or not), then log it."""
        path = request.raw_path
        self._httpd.busy.add(handler.connection)
        try:
            self._serve(handler, request, path)
        finally:
            self._httpd.busy.discard(handler.connection)

    def _serve(self, handler: Handler, request: Request, path: str) -> None:
        route = self.app.route(path)
        decision = self.faults.decide(self.app.name, request.method, path, route)
        if decision.latency_ms > 0:
            self.sleep(decision.latency_ms / 1000.0)
        request.page_cap = decision.page_cap
        request.link_base = decision.link_base
        request.repeat_page = decision.repeat_page
        fault = decision.terminal
        response: Response | None
        if fault is None or fault.kind in ("commit_then_drop", "truncated"):
            response = self._answer(request)
            if fault is not None and fault.kind == "commit_then_drop":
                response = None
            elif fault is not None and response.body:
                response.body = response.body[: max(1, len(response.body) // 2 - 1)]
        elif fault.kind == "drop":
            response = None
        elif fault.kind == "rate_limit":
            response = Response(429, b"Retry later\n", "text/plain")
        else:
            response = self._fault_response(request, fault)
        if response is not None:
            response.headers.extend(decision.headers)
        # Logged before the answer goes out: a client holding its answer always finds the record,
        # and a subscriber that kills the client does so with the write committed, answer unseen.
        try:
            self.log.record(RequestRecord(
                server=self.app.name, method=request.method, path=path,
                query=redact_query(request.query),
                status=None if response is None else response.status,
                kind=self.app.kind(request.method), silent=request.silent, auth=request.auth,
                fault=fault.kind if fault is not None else None, body=request.logged_body,
                request_id=request.request_id, peer=request.peer, route=route))
        finally:
            if response is None:
                handler.drop()
            else:
                handler.send(response, request.request_id)

    def _answer(self, request: Request) -> Response:
        try:
            return self.app.handle(request)
        except Exception as exc:  # a bug in a fake must look like a 500, not a hang
            return self.app.error(request, 500, f"500 Internal Server Error ({type(exc).__name__})")

    def _fault_response(self, request: Request, fault: Fault) -> Response:
        params = fault.params
        if fault.kind == "html_error":
            status = int(params.get("status", 502))
            reason = _REASONS.get(status, "Error")
            html = (f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
                    f"<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
                    "</body>\r\n</html>\r\n")
            return Response(status, html.encode(), "text/html")
        if fault.kind == "rack_attack":
            response = Response(429, b"Retry later\n", "text/plain")
            response.headers.append(("Retry-After", self._retry_after(params) or "60"))
            return response
        status = int(params.get("status", 503))
        response = self.app.error(request, status, f"{status} {_REASONS.get(status, 'Error')}")
        retry_after = self._retry_after(params)
        if retry_after is not None:
            response.headers.append(("Retry-After", retry_after))
        if params.get("ratelimit_reset") is not None:
            response.headers.append(("RateLimit-Reset", str(params["ratelimit_reset"])))
        return response

    def _retry_after(self, params: dict[str, Any]) -> str | None:
        if params.get("retry_after_date") is not None:
            when = self.now() + float(params["retry_after_date"])
            return email.utils.formatdate(when, usegmt=True)
        value = params.get("retry_after")
        return None if value is None else str(value)


