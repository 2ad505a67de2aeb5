"""Large generated projects: every issue is a pure function of its index, so none is stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bridge.sandbox.dataset import SyntheticSpec

_EPOCH = datetime(2014, 1, 6, 9, 0, tzinfo=UTC)
_LABELS = ("bug", "feature", "docs", "regression", "security", "performance")
_COLORS = ("#d9534f", "#428bca", "#5cb85c", "#f0ad4e", "#8e44ad", "#34495e", "#69D100")
_HIDDEN = 3  # milestones that issues carry but the milestone list does not show
_MASK = (1 << 64) - 1


def stamp(moment: datetime) -> str:
    """GitLab's timestamp form: ISO 8601 with milliseconds and Z."""
    # isoformat is several times faster than strftime, and this runs twice per served issue.
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def mix(value: int) -> int:
    """splitmix64: a cheap, well-spread hash of an integer."""
    value = (value + 0x9E3779B97F4A7C15) & _MASK
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK
    return value ^ (value >> 31)


def synthetic_milestones(spec: SyntheticSpec) -> list[dict[str, Any]]:
    """The stored milestones of a synthetic project: `spec.milestones` listed, a few hidden."""
    result = []
    count = spec.milestones
    for j in range(count + _HIDDEN):
        hidden = j >= count
        created = _EPOCH + timedelta(days=7 * j, seconds=j * 13 % 997)
        due = (created + timedelta(days=30)).date().isoformat() if j % 4 != 3 else None
        start = created.date().isoformat() if j % 3 == 0 else None
        result.append({
            "id": 2000 + j, "iid": j + 1,
            "title": f"Group milestone {j - count + 1}" if hidden else f"v{j // 10 + 1}.{j % 10}",
            "description": "" if j % 5 == 0 else f"Release train {j + 1}.",
            "state": "closed" if j < count * 4 // 5 or hidden else "active",
            "created_at": stamp(created), "updated_at": stamp(created + timedelta(hours=j % 48)),
            "due_date": due, "start_date": start, "hidden": hidden})
    return result


def synthetic_labels(spec: SyntheticSpec) -> list[dict[str, Any]]:
    """The GitLab labels of a synthetic project: the six classic names, then `area-N` ones."""
    names = list(_LABELS[: spec.labels]) + [f"area-{n}" for n in range(7, spec.labels + 1)]
    return [{"id": 500 + n, "name": name, "color": _COLORS[n % len(_COLORS)],
             "description": "" if n % 2 else f"Issues about {name}."}
            for n, name in enumerate(names)]


class SyntheticIssues:
    """Issue number `index` of a synthetic project, computed on demand."""

    def __init__(self, spec: SyntheticSpec, milestone_ids: list[int],
                 hidden_ids: list[int]) -> None:
        self.spec = spec
        self.count = spec.issues
        self._listed = milestone_ids
        self._hidden = hidden_ids
        self._salt = spec.seed * 1_000_003
        self._extra = [f"area-{n}" for n in range(7, spec.labels + 1)][:21]

    def _hash(self, index: int) -> int:
        return mix(self._salt + index)

    def milestone(self, index: int) -> int | None:
        """The milestone id issue `index` carries, or None."""
        h = self._hash(index)
        if h % 10 == 0 or not self._listed:
            return None
        if self._hidden and h % 53 == 1:
            return self._hidden[(h >> 20) % len(self._hidden)]
        # Issues follow the release train: milestone near index * M / N, give or take two.
        near = index * len(self._listed) // max(1, self.count) + (h >> 12) % 5 - 2
        return self._listed[min(len(self._listed) - 1, max(0, near))]

    def state(self, index: int) -> str:
        """opened, closed, or (one in twenty) reopened."""
        r = (self._hash(index) >> 8) % 20
        return "closed" if r < 12 else "reopened" if r == 19 else "opened"

    def labels(self, index: int) -> list[str]:
        """Zero to three of the classic labels chosen by the hash bits, then some `area-N`."""
        h = self._hash(index) >> 32
        names = [name for bit, name in enumerate(_LABELS[: self.spec.labels])
                 if h >> (bit * 3) & 7 == 0]
        if self._extra:
            g = mix(self._hash(index))
            names += [name for bit, name in enumerate(self._extra) if g >> (bit * 3) & 7 == 0]
        return names

    def created(self, index: int) -> datetime:
        """Strictly increasing with the index: one issue every 15 minutes."""
        return _EPOCH + timedelta(minutes=15 * index)

    def updated(self, index: int) -> datetime:
        """Some time after creation, in no particular order."""
        return self.created(index) + timedelta(seconds=self._hash(index) % 8_000_000)

    def stored(self, index: int) -> dict[str, Any]:
        """The stored form of issue `index`, as a dataset would hold it."""
        h = self._hash(index)
        created = self.created(index)
        return {"id": 100_000 + index, "iid": index + 1,
                "title": f"Synthetic issue {index + 1}",
                "description": "" if h % 7 == 0 else f"Generated for load tests ({h % 100_000}).",
                "state": self.state(index), "created_at": stamp(created),
                "updated_at": stamp(self.updated(index)), "labels": self.labels(index),
                "milestone": self.milestone(index), "author": "root",
                "assignee": "root" if h % 3 == 0 else None,
                "due_date": (created + timedelta(days=14)).date().isoformat()
                if h % 11 == 0 else None,
                "confidential": False}
