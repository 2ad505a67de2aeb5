"""One HTTP client for both APIs: sessions, timeouts, origin checks, retries and request counts."""

from __future__ import annotations

import copy
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import requests
import structlog
import tenacity

from bridge.config import HttpConfig
from bridge.confignames import is_loopback
from bridge.errors import (
    AmbiguousWriteError,
    ApiError,
    ConfigError,
    ConnectionFailedError,
    FatalApiError,
    RetriableApiError,
)
from bridge.net.classify import parse_json, raise_for_response, remember_json
from bridge.net.ratelimit import RateLimiter
from bridge.net.retry import build_retrying
from bridge.net.session import Wire
from bridge.net.transport import address, cause, never_sent

__all__ = ["HttpClient", "parse_json", "raise_for_response"]

log = structlog.get_logger("bridge.net.http")

#: What OpenSSL says when the server's certificate chain is not trusted (never transient).
_CERT_FAILED = re.compile(r"certificate verify failed:?\s*([^(')\]]*)", re.IGNORECASE)

_TRANSPORT = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
              requests.exceptions.ContentDecodingError)


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    try:
        port = parts.port or default
    except ValueError:
        port = None
    return parts.scheme, (parts.hostname or "").lower(), port


class HttpClient:
    """Talks to one server: GET, PATCH and DELETE are retried, POST is sent exactly once."""

    def __init__(self, base_url: str, *, kind: Literal["source", "target"],
                 headers: Mapping[str, str], http: HttpConfig,
                 allow_insecure_http: bool = False, sleep: Callable[[float], None] = time.sleep,
                 jitter: Callable[[], float] = random.random,
                 clock: Callable[[], float] = time.monotonic,
                 session: requests.Session | None = None) -> None:
        scheme, host, _ = _origin(base_url)
        if scheme not in ("http", "https") or not host:
            raise ConfigError(f"{kind} url {base_url!r} is not an http(s) URL")
        if scheme == "http" and not allow_insecure_http and not is_loopback(host):
            raise ConfigError(f"{kind} url {base_url!r} is plain http to a non-loopback host; "
                              "use https or set allow_insecure_http: true")
        self.base_url = base_url.rstrip("/")
        self.kind = kind
        self.address = address(self.base_url)  # host:port, for logs and error lines
        self.requests_made: dict[str, int] = {"read": 0, "write": 0}
        self._origin = (scheme, host, _origin(base_url)[2])
        self._http = http
        self._sleep, self._jitter, self._clock = sleep, jitter, clock
        # "Bearer <token>": a server may echo the bare token, so mask that too.
        values = [value.removeprefix("Bearer ").strip() for value in headers.values()]
        self._secrets = sorted({value for value in [*headers.values(), *values]
                                if len(value) >= 4}, key=len, reverse=True)
        self._lock = threading.Lock()
        # Shared by every thread: holds them all when the server's rate limit is spent.
        self.limiter = RateLimiter(sleep=sleep, clock=clock, max_wait_s=http.max_backoff_s)
        # `http.concurrency` is what may be in flight to this server at once, however many
        # threads ask (page walks, listings read ahead, the write pool): the rest wait here.
        self._slots = threading.BoundedSemaphore(max(1, http.concurrency))
        self._wire = Wire(self.base_url, headers, http, session)

    def get(self, path_or_url: str, params: Mapping[str, Any] | None = None, *,
            decoder: Callable[[bytes], Any] | None = None) -> requests.Response:
        """GET with retries; a 2xx body that is not JSON counts as retriable garbage.

        `decoder` reads the body into typed records when it can (see `remember_json`).
        """
        return self._retried("GET", path_or_url, params=params, check_json=True,
                             decoder=decoder)

    def patch(self, path: str, json: Any, params: Mapping[str, Any] | None = None
              ) -> requests.Response:
        """PATCH with retries: setting the same fields twice ends in the same state."""
        return self._retried("PATCH", path, params=params, json=json, check_json=True)

    def put(self, path: str, json: Any, params: Mapping[str, Any] | None = None
            ) -> requests.Response:
        """PUT with retries: it replaces a whole set, so sending it twice changes nothing more."""
        return self._retried("PUT", path, params=params, json=json, check_json=False)

    def delete(self, path: str, params: Mapping[str, Any] | None = None) -> requests.Response:
        """DELETE with retries; a 404 on a repeat is the caller's to read as 'already gone'."""
        return self._retried("DELETE", path, params=params, check_json=False)

    def post(self, path: str, json: Any, params: Mapping[str, Any] | None = None
             ) -> requests.Response:
        """POST exactly once: an unknown outcome is AmbiguousWriteError, never a blind re-send.

        A 429 is RetriableApiError: the server refused the request before acting on it.
        A failure to connect at all is RetriableApiError too (nothing was sent); a read
        timeout, a reset after sending or a 5xx is AmbiguousWriteError.
        """
        url = self._url(path)
        try:
            response = self._send("POST", url, 1, params=params, json=json)
        except _TRANSPORT as error:
            if never_sent(error):
                raise self._redacted(ConnectionFailedError(
                    f"POST {urlsplit(url).path}: could not connect to {self.address}: "
                    f"{cause(error)}, nothing was sent", address=self.address,
                    never_sent=True)) from None
            raise self._redacted(AmbiguousWriteError(
                f"POST {urlsplit(url).path}: outcome unknown ({cause(error)} at "
                f"{self.address})")) from None
        try:
            raise_for_response(response)
        except RetriableApiError as error:
            if error.status == 429:
                raise self._redacted(error) from None
            raise self._redacted(AmbiguousWriteError(
                f"outcome unknown: {error}", status=error.status,
                request_id=error.request_id)) from None
        except ApiError as error:
            raise self._redacted(error) from None
        return response

    def retrying(self, log_context: Mapping[str, Any]) -> tenacity.Retrying:
        """The one retry policy, with this client's settings, for a caller that re-sends itself.

        The loader uses it for creates, whose re-send rule (look before sending again) is
        its own; the waits, attempts and budget are the same as for every other request.
        """
        return build_retrying(self._http, sleep=self._sleep, jitter=self._jitter,
                              clock=self._clock, log_context={"server": self.kind, **log_context})

    def close(self) -> None:
        """Release the pooled connections."""
        self._wire.close()

    # -- internals ---------------------------------------------------------------------------

    def _url(self, path_or_url: str) -> str:
        """The absolute URL; a URL on another scheme, host or port is refused before sending."""
        if "://" not in path_or_url:
            return f"{self.base_url}/{path_or_url.lstrip('/')}"
        if _origin(path_or_url) != self._origin:
            scheme, host, port = _origin(path_or_url)
            raise FatalApiError(f"refusing to follow a link to {scheme}://{host}:{port}, "
                                f"which is not {self.kind} server {self.base_url}: "
                                "the token would go with it")
        return path_or_url

    def _retried(self, method: str, path_or_url: str, *, params: Mapping[str, Any] | None,
                 check_json: bool, json: Any = None,
                 decoder: Callable[[bytes], Any] | None = None) -> requests.Response:
        url = self._url(path_or_url)
        retrying = build_retrying(self._http, sleep=self._sleep, jitter=self._jitter,
                                  clock=self._clock,
                                  log_context={"method": method, "path": urlsplit(url).path,
                                               "server": self.kind, "host": self.address})
        number = 0
        try:
            for attempt in retrying:
                with attempt:
                    number = attempt.retry_state.attempt_number
                    try:
                        response = self._send(method, url, number, params=params, json=json)
                        raise_for_response(response)
                        # GET bodies must be JSON; a PATCH may answer with none at all.
                        if check_json and response.status_code != 204 and (
                                method == "GET" or response.content):
                            remember_json(response, decoder)
                    except (requests.ConnectionError, requests.Timeout) as error:
                        raise ConnectionFailedError(
                            f"{method} {urlsplit(url).path}: cannot reach {self.address}: "
                            f"{cause(error)}", address=self.address,
                            never_sent=never_sent(error)) from None
                    except _TRANSPORT as error:
                        raise RetriableApiError(f"{method} {urlsplit(url).path}: "
                                                f"{type(error).__name__}") from None
                    except ApiError as error:
                        raise self._redacted(error) from None
                    return response
        except ConnectionFailedError as error:
            if number > 1:  # say that retrying was tried, and how long
                raise self._redacted(error, suffix=f" (gave up after {number} attempts)") \
                    from None
            raise
        raise AssertionError("unreachable: tenacity reraises the last error")  # pragma: no cover

    def _send(self, method: str, url: str, attempt: int, *, params: Mapping[str, Any] | None,
              json: Any) -> requests.Response:
        with self._slots:  # a slot first: the rate limiter counts only what is really sent
            return self._send_now(method, url, attempt, params=params, json=json)

    def _send_now(self, method: str, url: str, attempt: int, *,
                  params: Mapping[str, Any] | None, json: Any) -> requests.Response:
        with self._lock:
            self.requests_made["read" if method == "GET" else "write"] += 1
        self.limiter.acquire()
        started = self._clock()
        status: int | None = None
        answer: requests.Response | None = None
        try:
            response = answer = self._wire.send(method, url, params=params, json=json)
            status = response.status_code
        except requests.exceptions.SSLError as error:
            verdict = _CERT_FAILED.search(str(error))
            if verdict is None:
                raise  # a handshake cut short may pass next time: retried as transport
            # An untrusted certificate stays untrusted: say why once instead of retrying.
            raise FatalApiError(
                f"{method} {urlsplit(url).path}: TLS certificate not trusted "
                f"({verdict.group(1).strip() or 'verify failed'}); for a private CA, set "
                "http.verify_tls to its CA bundle path") from None
        finally:
            self.limiter.release(status, answer.headers if answer is not None else None)
            log.debug("http_request", server=self.kind, method=method, path=urlsplit(url).path,
                      status=status, ms=round((self._clock() - started) * 1000, 1),
                      attempt=attempt)
        if 300 <= response.status_code < 400:
            # Never follow: requests would carry PRIVATE-TOKEN to whatever host it names.
            location = urlunsplit((*urlsplit(response.headers.get("Location", ""))[:3], "", ""))
            raise FatalApiError(f"{method} {urlsplit(url).path} redirected "
                                f"({response.status_code}) to {location or 'nowhere'}; "
                                "put the final URL in the config", status=response.status_code)
        return response

    def _redacted(self, error: ApiError, *, suffix: str = "") -> ApiError:
        """The same error, with this server's host:port, any token masked out of its message."""
        if error.address is None:
            error.address = self.address
        message = str(error) + suffix
        if not suffix and not any(secret in message for secret in self._secrets):
            return error
        for secret in self._secrets:
            message = message.replace(secret, "***")
        masked = copy.copy(error)  # keeps the type and every attribute, only the text changes
        masked.args = (message,)
        return masked
