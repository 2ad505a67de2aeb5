"""What a transport failure was, in words: refused, reset, DNS, TLS or a timeout, at host:port.

requests wraps urllib3 wraps the socket error, and `str()` of the outer one is a
wall of reprs ("HTTPConnectionPool(host=..., port=...): Max retries exceeded
... NewConnectionError(...)"). Logs and the closing error line say instead what
happened and where, and whether the request can have reached the server.
"""

from __future__ import annotations

import socket
import ssl
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import NameResolutionError, NewConnectionError


def address(url: str) -> str:
    """`host:port` of a URL, with the scheme's default port when none is written."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    port = port or {"http": 80, "https": 443}.get(parts.scheme)
    host = parts.hostname or "?"
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _chain(error: BaseException) -> list[BaseException]:
    """The error, what it wraps (urllib3's `reason`, args, causes), outermost first."""
    seen: list[BaseException] = []
    todo: list[BaseException] = [error]
    while todo and len(seen) < 20:
        current = todo.pop(0)
        if any(current is known for known in seen):
            continue
        seen.append(current)
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            todo.append(reason)
        todo.extend(arg for arg in current.args if isinstance(arg, BaseException))
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                todo.append(linked)
    return seen


def never_sent(error: requests.RequestException) -> bool:
    """True when the request provably never reached the server (so a POST may be re-sent)."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    return any(isinstance(item, NewConnectionError | NameResolutionError)
               for item in _chain(error))


def cause(error: requests.RequestException) -> str:  # noqa: PLR0911 - one return per cause
    """A few plain words for what broke: 'connection refused', 'name not resolved (DNS)', ..."""
    chain = _chain(error)
    text = " ".join(str(item) for item in chain).lower()
    if isinstance(error, requests.exceptions.SSLError) or any(
            isinstance(item, ssl.SSLError) for item in chain):
        reason = next((item for item in chain if isinstance(item, ssl.SSLError)), None)
        detail = getattr(reason, "reason", None) or "handshake failed"
        return f"TLS failure ({str(detail).lower().replace('_', ' ')})"
    if isinstance(error, requests.ConnectTimeout):
        return "no connection within the connect timeout"
    if isinstance(error, requests.ReadTimeout):
        return "no answer within the timeout"
    if any(isinstance(item, NameResolutionError | socket.gaierror) for item in chain) or any(
            words in text for words in ("name or service not known", "name resolution",
                                        "nodename nor servname", "getaddrinfo failed")):
        return "name not resolved (DNS)"
    for kind, words, said in ((ConnectionRefusedError, "connection refused", "connection refused"),
                              (ConnectionResetError, "connection reset", "connection reset"),
                              (BrokenPipeError, "broken pipe", "connection broken")):
        if any(isinstance(item, kind) for item in chain) or words in text:
            return said
    if "remotedisconnected" in text or "without response" in text:
        return "connection closed without an answer"
    if "connection aborted" in text:
        return "connection aborted"
    return type(error).__name__
