"""The mirror's issue table in the checkpoint: each GitLab issue as the last scan saw it.

A mirror run counts milestones' issues incrementally: it keeps one row per GitLab issue
(id, milestone id, state, updated_at) and upserts only those updated since its bookmark.
`Checkpoint` has these methods from `IssueTable`; schema 2 added the table.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from bridge.checkpoint import schema
from bridge.checkpoint.access import Access

#: One GitLab issue as the mirror's issue scan last saw it: id, milestone id, state, updated_at.
IssueRow = tuple[int, int | None, str, str | None]

_BATCH = 500  # ids per `IN (...)`: well under SQLite's 999 bound-parameter limit of old builds


class IssueTable(Access):
    """The issue rows of a checkpoint (mixed into `Checkpoint`, which gives the connection)."""

    version: int

    def issue_rows(self, ids: Collection[int]) -> dict[int, IssueRow]:
        """The saved rows of these GitLab issues (those the table has), by issue id."""
        if not self._has_issues():
            return {}
        wanted = sorted(set(ids))
        rows: dict[int, IssueRow] = {}
        for start in range(0, len(wanted), _BATCH):
            chunk = wanted[start:start + _BATCH]
            sql = schema.SELECT_ISSUES.format(marks=", ".join("?" * len(chunk)))
            rows.update((row[0], (row[0], row[1], row[2], row[3]))
                        for row in self._read(sql, tuple(chunk)))
        return rows

    def issue_tally(self) -> list[tuple[int, str, int]]:
        """(milestone id, issue state, how many issues) over the saved issues that carry one."""
        if not self._has_issues():
            return []
        return [(int(m), str(s), int(n)) for m, s, n in self._read(schema.TALLY_ISSUES)]

    def issue_total(self) -> int:
        """How many issues the table holds."""
        return int(self._read(schema.COUNT_ISSUES)[0][0]) if self._has_issues() else 0

    def save_issues(self, rows: Iterable[IssueRow], *, scan: int = 0,
                    unlink: Collection[int] = (), prune: bool = False,
                    meta: Mapping[str, str] | None = None) -> None:
        """Upsert issue rows as seen by full scan number `scan`, in one durable transaction.

        Then issues carrying a milestone in `unlink` carry none (GitLab unlinks them
        without touching their `updated_at`), `prune` drops rows `scan` did not write,
        and `meta` notes are set: all of it or, after a crash, none of it.
        """
        with self._transaction() as conn:
            conn.executemany(schema.UPSERT_ISSUE, ((*row, scan) for row in rows))
            conn.executemany(schema.UNLINK_ISSUES, ((m,) for m in sorted(unlink)))
            if prune:
                conn.execute(schema.PRUNE_ISSUES, (scan,))
            conn.executemany(schema.UPSERT_META, sorted((meta or {}).items()))

    def _has_issues(self) -> bool:
        return self._conn is not None and self.version >= 2  # schema 2 added the table
