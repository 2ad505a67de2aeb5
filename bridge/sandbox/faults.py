"""Fault injection for the fake servers: what goes wrong, where and how often, repeatably."""

from __future__ import annotations

import math
import random
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

#: Faults that change how a request is served but still let the app answer it.
MODIFIERS: frozenset[str] = frozenset({"latency", "page_cap", "foreign_link", "repeat_page"})
#: Faults that decide the response (or its absence) themselves, or spoil the app's answer.
TERMINAL: frozenset[str] = frozenset({
    "status", "drop", "commit_then_drop", "html_error", "truncated", "rack_attack",
    "rate_limit"})
FAULT_KINDS: frozenset[str] = MODIFIERS | TERMINAL
SERVERS: frozenset[str] = frozenset({"gitlab", "sourcecraft", "both"})


@dataclass(slots=True)
class Fault:
    """One injected fault and its matching rules; `fired` counts how often it took effect."""

    server: str
    kind: str
    method: str | None
    path: re.Pattern[str] | None
    rate: float
    every: int | None
    times: int | None
    params: dict[str, Any]
    rng: random.Random
    matched: int = 0
    fired: int = 0
    route: str | None = None  # a route name as the request log records it, e.g. "comments"
    window: float = -1.0  # rate_limit: the start of the current window (Unix time)
    used: int = 0  # rate_limit: requests counted in it

    def matches(self, server: str, method: str, path: str, route: str = "") -> bool:
        """Whether a request to `server` with `method` on `path` is one this fault is about."""
        if self.server not in ("both", server):
            return False
        if self.method is not None and self.method != method.upper():
            return False
        if self.route is not None and self.route != route:
            return False
        return self.path is None or self.path.search(path) is not None

    def roll(self) -> bool:
        """Count one matching request and decide whether the fault fires on it."""
        self.matched += 1
        if self.times is not None and self.fired >= self.times:
            return False
        if self.every is not None and self.matched % self.every != 0:
            return False
        # Always draw, so one fault's firing never shifts another's random sequence.
        draw = self.rng.random()
        if draw >= self.rate:
            return False
        self.fired += 1
        return True


@dataclass(slots=True)
class Decision:
    """What the faults decided for one request: modifiers and at most one terminal fault."""

    latency_ms: float = 0.0
    page_cap: int | None = None
    link_base: str | None = None  # foreign_link: pagination links point at this scheme://host
    repeat_page: bool = False  # repeat_page: "next" points at the page just served
    terminal: Fault | None = None
    fired: list[str] = field(default_factory=list)
    headers: list[tuple[str, str]] = field(default_factory=list)  # rate_limit's RateLimit-*


class Faults:
    """The faults in force on a sandbox; add and clear them at any time, even mid-run."""

    def __init__(self, seed: int = 0, wall: Any = time.time) -> None:
        self._seed = seed
        self.wall = wall  # rate_limit's clock: windows start on multiples of its period
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._added = 0

    def add(self, server: str = "both", kind: str = "status", *, method: str | None = None,
            path: str | None = None, rate: float = 1.0, every: int | None = None,
            times: int | None = None, route: str | None = None, **params: Any) -> Fault:
        """Inject a fault of `kind` on `server` for requests matching `method` and the `path` regex.

        `route` narrows it to one route name, as `RequestRecord.route` names them ("labels",
        "issues", "issue", "issue_labels", "comments", "comment", "notes", ...).

        It fires on every `every`-th matching request (if given), with probability `rate`,
        at most `times` times. Kind parameters: latency `ms`, `jitter_ms`; status `status`,
        `retry_after` (seconds or an HTTP date), `retry_after_date` (seconds from now, sent as
        an HTTP date), `ratelimit_reset`; page_cap `max`; html_error `status`; rack_attack
        `retry_after`; foreign_link `base` (default http://evil.example); repeat_page none;
        rate_limit `limit` requests per `period` seconds (default 1) in fixed windows, as
        GitLab counts them: every answer carries RateLimit-Limit/-Remaining/-Reset (a Unix
        time), and a request over the limit gets 429 with Retry-After.
        """
        if server not in SERVERS:
            raise ValueError(f"unknown server {server!r}; one of {', '.join(sorted(SERVERS))}")
        if kind not in FAULT_KINDS:
            kinds = ", ".join(sorted(FAULT_KINDS))
            raise ValueError(f"unknown fault kind {kind!r}; one of {kinds}")
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate must be within 0..1, not {rate}")
        if every is not None and every < 1:
            raise ValueError(f"every must be 1 or more, not {every}")
        _check_params(kind, params)
        with self._lock:
            self._added += 1
            fault = Fault(server=server, kind=kind, method=method.upper() if method else None,
                          path=re.compile(path) if path is not None else None, rate=rate,
                          every=every, times=times, params=params,
                          rng=random.Random(f"{self._seed}:{self._added}"), route=route)
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        """Remove every fault."""
        with self._lock:
            self._faults.clear()

    def remove(self, fault: Fault) -> None:
        """Remove one fault returned by `add`."""
        with self._lock:
            if fault in self._faults:
                self._faults.remove(fault)

    @property
    def active(self) -> list[Fault]:
        """The faults in force, in the order they were added."""
        with self._lock:
            return list(self._faults)

    def decide(self, server: str, method: str, path: str, route: str = "") -> Decision:
        """Roll every matching fault for one request; the first terminal fault that fires wins."""
        decision = Decision()
        with self._lock:
            for fault in self._faults:
                if not fault.matches(server, method, path, route) or not fault.roll():
                    continue
                if fault.kind == "rate_limit":
                    if not self._count(fault, decision):
                        fault.fired -= 1  # within the limit: served, so it did not fire
                        continue
                    if decision.terminal is None:
                        decision.terminal = fault
                elif fault.kind == "latency":
                    jitter = float(fault.params.get("jitter_ms", 0))
                    decision.latency_ms += float(fault.params.get("ms", 0)) + (
                        fault.rng.uniform(0, jitter) if jitter else 0.0)
                elif fault.kind == "page_cap":
                    cap = int(fault.params["max"])
                    current = decision.page_cap
                    decision.page_cap = cap if current is None else min(cap, current)
                elif fault.kind == "foreign_link":
                    decision.link_base = str(fault.params.get("base", "http://evil.example"))
                elif fault.kind == "repeat_page":
                    decision.repeat_page = True
                elif decision.terminal is None:
                    decision.terminal = fault
                else:
                    continue
                decision.fired.append(fault.kind)
        return decision


    def _count(self, fault: Fault, decision: Decision) -> bool:
        """Count one request in the fault's window; True when it is over the limit."""
        limit, period = int(fault.params["limit"]), float(fault.params.get("period", 1))
        now = float(self.wall())
        window = math.floor(now / period) * period
        if window != fault.window:
            fault.window, fault.used = window, 0
        fault.used += 1
        reset = window + period
        over = fault.used > limit
        decision.headers[:] = [("RateLimit-Limit", str(limit)),
                               ("RateLimit-Remaining", str(max(0, limit - fault.used))),
                               ("RateLimit-Reset", f"{reset:.0f}" if period >= 1 else f"{reset}")]
        if over:
            decision.headers.append(("Retry-After", str(max(1, math.ceil(reset - now)))))
        return over


def _check_params(kind: str, params: dict[str, Any]) -> None:
    """Refuse parameters a fault kind does not know, so a typo fails in the test that made it."""
    known = {
        "latency": {"ms", "jitter_ms"},
        "status": {"status", "retry_after", "retry_after_date", "ratelimit_reset"},
        "drop": set(),
        "commit_then_drop": set(),
        "page_cap": {"max"},
        "foreign_link": {"base"},
        "repeat_page": set(),
        "html_error": {"status"},
        "truncated": set(),
        "rack_attack": {"retry_after", "retry_after_date"},
        "rate_limit": {"limit", "period"},
    }[kind]
    unknown = set(params) - known
    if unknown:
        raise ValueError(f"fault {kind!r} takes no parameter {', '.join(sorted(unknown))}")
    if kind == "status" and not 400 <= int(params.get("status", 503)) <= 599:
        raise ValueError("status fault takes a 4xx or 5xx status (429, 500, 502, 503, 504 usually)")
    if kind == "rate_limit" and (int(params.get("limit", 0)) < 1
                                 or float(params.get("period", 1)) <= 0):
        raise ValueError("rate_limit needs limit=N with N >= 1 and a period above 0")
    if kind == "page_cap" and int(params.get("max", 0)) < 1:
        raise ValueError("page_cap needs max=N with N >= 1")
