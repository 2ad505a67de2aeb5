"""What a run must cost at least: the exact request counts, and the time the network allows.

The request economy is SPEC §10's promise (reads = project + milestone pages + issue pages +
the repository's preflight read + target pages; writes = creates + closes). The lower bound
charges each phase its requests times the latency, divided by the concurrency that phase
may use: the first page of a GitLab list is alone (only its X-Total-Pages allows fetching
ahead), SourceCraft's page tokens are sequential, and writes share the pool.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Shape:
    """The benchmark's knobs: the project's size, page sizes, concurrency and latency."""

    milestones: int
    issues: int
    per_page: int = 100
    page_size: int = 100
    concurrency: int = 4
    latency_s: float = 0.02


def pages(items: int, size: int) -> int:
    """Pages a list of `items` takes; an empty list still takes one request to learn it."""
    return max(1, math.ceil(items / size))


def expected_requests(shape: Shape, *, target_before: int, writes: int) -> dict[str, int]:
    """The exact counts a run must make, by the sandbox log's kinds."""
    return {"source_read": 1 + pages(shape.milestones, shape.per_page)
            + pages(shape.issues, shape.per_page),
            "target_read": 1 + pages(target_before, shape.page_size),  # + the preflight read
            "target_write": writes}


def _listing(page_count: int, concurrency: int, latency: float) -> float:
    """A GitLab list: page 1 alone, the rest `concurrency` at a time."""
    if concurrency <= 1:
        return page_count * latency
    return (1 + math.ceil((page_count - 1) / concurrency)) * latency


def lower_bound(shape: Shape, *, target_before: int, writes: int) -> dict[str, float]:
    """Seconds each phase needs at least; `total` is their sum."""
    c, latency = shape.concurrency, shape.latency_s
    phases = {
        "project": 2 * latency,  # and the repository's preflight read
        "milestones": _listing(pages(shape.milestones, shape.per_page), c, latency),
        "issues": _listing(pages(shape.issues, shape.per_page), c, latency),
        "target list": pages(target_before, shape.page_size) * latency,
        "writes": math.ceil(writes / c) * latency if writes else 0.0,
    }
    phases["total"] = sum(phases.values())
    return phases
