"""The sandbox's request log: what each fake server was asked, so tests and benchmarks can count."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: The kinds a request is counted under (SPEC §6 "requests": source, target_read, target_write).
KINDS: tuple[str, ...] = ("source_read", "target_read", "target_write")

#: Query parameters whose values are secrets; the log keeps the key but never the value.
SECRET_PARAMS: frozenset[str] = frozenset({"private_token", "access_token"})


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request as a fake server handled it; `status` is None when the connection was dropped."""

    server: str  # "gitlab" | "sourcecraft"
    method: str
    path: str  # the raw path, percent-encoding kept, without the query
    query: dict[str, str]  # first value of each parameter; secret values replaced
    status: int | None
    kind: str  # one of KINDS
    silent: bool | None = None  # SourceCraft `?silent=`; None when the parameter was absent
    auth: str | None = None  # "header" | "param" | "bearer" | None: how the token came
    fault: str | None = None  # the kind of the fault that fired, if any
    body: Any = None  # the parsed JSON request body of a write, if any
    request_id: str = ""
    peer: str = ""  # the client's host:port; one keep-alive connection keeps one port
    route: str = ""  # the app's name for the route, e.g. "issues", "notes" ("" if none)
    extra: dict[str, Any] = field(default_factory=dict)


class RequestLog:
    """Thread-safe list of `RequestRecord`s with counters by kind and per-request callbacks."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[RequestRecord] = []
        self._counts: Counter[str] = Counter()
        self._subscribers: list[Callable[[RequestRecord], None]] = []

    @property
    def entries(self) -> list[RequestRecord]:
        """A snapshot of every record so far, oldest first."""
        with self._lock:
            return list(self._entries)

    def count(self, kind: str, route: str | None = None, method: str | None = None) -> int:
        """How many requests of `kind` ("source_read", "target_read", "target_write") were seen.

        `route` narrows it to one route name (as `RequestRecord.route`, e.g. "issues",
        "issue_labels", "comments", "notes"), `method` to one HTTP method.
        """
        if kind not in KINDS:
            raise ValueError(f"unknown request kind {kind!r}; one of {', '.join(KINDS)}")
        with self._lock:
            if route is None and method is None:
                return self._counts[kind]
            return sum(1 for r in self._entries if r.kind == kind
                       and route in (None, r.route) and method in (None, r.method))

    def by_route(self) -> dict[tuple[str, str, str], int]:
        """Request counts keyed by (server, route, method), for exact per-route assertions."""
        with self._lock:
            return dict(Counter((r.server, r.route, r.method) for r in self._entries))

    def counts(self) -> dict[str, int]:
        """Every counter, including those still at zero."""
        with self._lock:
            return {kind: self._counts[kind] for kind in KINDS}

    def clear(self) -> None:
        """Forget every record and reset the counters (subscribers stay)."""
        with self._lock:
            self._entries.clear()
            self._counts.clear()

    def subscribe(self, callback: Callable[[RequestRecord], None]) -> Callable[[], None]:
        """Call `callback(record)` once each request is handled; returns an unsubscriber.

        The call comes after the app has acted (a write is committed) and before the answer is
        written, in the server's thread: a client that has its answer finds its record logged.
        """
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def record(self, record: RequestRecord) -> None:
        """Append `record`, count it, then tell the subscribers (outside the lock)."""
        with self._lock:
            self._entries.append(record)
            self._counts[record.kind] += 1
            subscribers = list(self._subscribers)
        for callback in subscribers:
            callback(record)


def redact_query(query: dict[str, list[str]]) -> dict[str, str]:
    """First value per parameter, with secret values replaced so the log can be printed."""
    return {key: ("[redacted]" if key in SECRET_PARAMS else values[0] if values else "")
            for key, values in query.items()}
