"""The stdlib HTTP plumbing under each fake: keep-alive connections served by daemon threads."""

from __future__ import annotations

import contextlib
import email.utils
import socket
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from bridge.sandbox.messages import Request, Response

if TYPE_CHECKING:
    from bridge.sandbox.server import FakeServer


class Server(ThreadingHTTPServer):
    """ThreadingHTTPServer that remembers open connections so `stop` can end keep-alive threads."""

    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog of 5 drops SYNs under a pool of workers: a 1 s retransmit.
    request_queue_size = 128
    fake: FakeServer

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        self.closing = False  # set by a graceful stop: answer what is in flight, then close
        self.busy: set[socket.socket] = set()  # connections with a request being answered
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Condition()
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
            self._open_lock.notify_all()
        super().shutdown_request(request)

    def wait_idle(self, timeout: float) -> bool:
        """Block until no connection is open (every request read, answered or dropped)."""
        with self._open_lock:
            return self._open_lock.wait_for(lambda: not self._open, timeout=timeout)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up (killed, timed out) is routine here, not a traceback."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)

    def close_connections(self, *, idle_only: bool = False) -> None:
        with self._open_lock:
            sockets = [s for s in self._open if not (idle_only and s in self.busy)]
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class Handler(BaseHTTPRequestHandler):
    """Parses each request on a keep-alive connection and hands it to the FakeServer."""

    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    # Headers and body are two writes; without this, Nagle plus delayed ACKs add ~40 ms a page.
    disable_nagle_algorithm = True
    timeout = 120
    server: Server

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def version_string(self) -> str:
        """`Server: nginx`, as GitLab.com and most gateways answer."""
        return "nginx"

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The `Date` header on the sandbox's clock (injectable, like the rest of its time)."""
        return email.utils.formatdate(self.server.fake.now() if timestamp is None
                                      else timestamp, usegmt=True)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the stdlib's stderr access log; the RequestLog is the record."""

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        if len(body) < length:
            # The client went away mid-body (a killed process): like a real front proxy, never
            # hand a half request to the app, so nothing is applied or logged for it.
            self.close_connection = True
            return
        raw_path, _, query_string = self.path.partition("?")
        fake = self.server.fake
        host = self.headers.get("Host") or fake.url.removeprefix("http://")
        request = Request(
            method=self.command, raw_path=raw_path,
            query=urllib.parse.parse_qs(query_string, keep_blank_values=True),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body, base_url=f"http://{host}", request_id=fake.next_request_id(),
            peer=f"{self.client_address[0]}:{self.client_address[1]}")
        fake.serve(self, request)

    def send(self, response: Response, request_id: str) -> None:
        """Write `response` with Content-Length, so the connection can be kept alive."""
        self.send_response(response.status)
        if response.content_type is not None:
            self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("X-Request-Id", request_id)
        if self.server.closing:
            self.send_header("Connection", "close")  # and the handler closes after this one
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD" and response.body:
            self.wfile.write(response.body)

    def drop(self) -> None:
        """Close the connection without a byte of response."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)
