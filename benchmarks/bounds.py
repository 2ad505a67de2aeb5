"""What a run must cost at least: the exact request counts, and the time the network allows.

The request economy is SPEC §10's promise (reads = project + milestone pages + issue pages +
the repository's preflight read + target pages; writes = creates + closes). The lower bound
charges each phase its requests times the latency, divided by the concurrency that phase
may use: the first page of a GitLab list is alone (only its X-Total-Pages allows fetching
ahead), SourceCraft's page tokens are sequential, and writes share the pool.

With the issue kinds on (labels, issues, comments): one more GitLab read for the labels (one
page), one notes page per issue that has notes (on a fresh run; a re-run re-reads none),
a target listing of labels and of issues, and one write per object (label, issue, comment;
an issue created closed is still one write). Notes reads share the pool like writes.
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
    labels: int = 0
    notes: int = 0
    move_issues: bool = False  # transfer: {labels, issues, comments} as well as milestones


def pages(items: int, size: int) -> int:
    """Pages a list of `items` takes; an empty list still takes one request to learn it."""
    return max(1, math.ceil(items / size))


def issues_with_notes(shape: Shape) -> int:
    """Issues the synthetic project gives notes: its notes spread over 4 issues in 5."""
    eligible = shape.issues - math.ceil(shape.issues / 5)
    return min(shape.notes, eligible)


def _kind_reads(shape: Shape, *, labels_before: int, issues_before: int) -> tuple[int, int, int]:
    """(GitLab label pages, notes pages, target label + issue pages) the issue kinds add."""
    if not shape.move_issues:
        return 0, 0, 0
    notes = issues_with_notes(shape) if issues_before == 0 else 0  # a re-run reads none
    return (pages(shape.labels, shape.per_page), notes,
            pages(labels_before, shape.page_size) + pages(issues_before, shape.page_size))


def expected_requests(shape: Shape, *, target_before: int, writes: int, labels_before: int = 0,
                      issues_before: int = 0) -> dict[str, int]:
    """The exact counts a run must make, by the sandbox log's kinds."""
    labels, notes, target = _kind_reads(shape, labels_before=labels_before,
                                        issues_before=issues_before)
    return {"source_read": 1 + pages(shape.milestones, shape.per_page)
            + pages(shape.issues, shape.per_page) + labels + notes,
            "target_read": 1 + pages(target_before, shape.page_size) + target,  # + preflight
            "target_write": writes}


def _listing(page_count: int, concurrency: int, latency: float) -> float:
    """A GitLab list: page 1 alone, the rest `concurrency` at a time."""
    if concurrency <= 1:
        return page_count * latency
    return (1 + math.ceil((page_count - 1) / concurrency)) * latency


def lower_bound(shape: Shape, *, target_before: int, writes: int, labels_before: int = 0,
                issues_before: int = 0) -> dict[str, float]:
    """Seconds each phase needs at least; `total` is their sum."""
    c, latency = shape.concurrency, shape.latency_s
    labels, notes, target = _kind_reads(shape, labels_before=labels_before,
                                        issues_before=issues_before)
    phases = {
        "project": 2 * latency,  # and the repository's preflight read
        "milestones": _listing(pages(shape.milestones, shape.per_page), c, latency),
        "issues": _listing(pages(shape.issues, shape.per_page), c, latency),
        "target list": (pages(target_before, shape.page_size) + target) * latency,
        "writes": math.ceil(writes / c) * latency if writes else 0.0,
    }
    if shape.move_issues:
        phases["labels"] = labels * latency
        phases["notes"] = math.ceil(notes / c) * latency
    phases["total"] = sum(phases.values())
    return phases
