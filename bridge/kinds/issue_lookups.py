"""Where the issue kind finds issues on SourceCraft: the listing, a mirror's counterparts, a key.

SourceCraft has no client key for issues, so an issue is ours when the first line
of its description (scbridge's header) names the GitLab issue's URL. A full run
lists every issue; a mirror run that read only the changed issues reads their
counterparts by the id the checkpoint holds, else by title (a prefix filter) and
key. The look-up after a create's unknown outcome is the same title filter.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from bridge.engine.refs import Refs
from bridge.errors import FatalApiError
from bridge.kinds import issue_text
from bridge.kinds.context import KindContext
from bridge.kinds.issue_map import WantedIssue
from bridge.targets.records import TargetIssue


class IssueLookups:
    """The issue kind's reads of SourceCraft's issues."""

    name = "issue"
    _ctx: KindContext
    _changed: frozenset[int] | None

    def target_pages(self, refs: Refs) -> Iterator[Sequence[TargetIssue]]:
        """Every issue of the repository, each with the key its header holds (None: not ours).

        After an incremental scan only the changed issues' counterparts: by the id the
        checkpoint holds (one read each), else by their key (a title look-up each).
        """
        del refs
        if self._changed is not None:
            yield self._counterparts(self._changed)
            return
        for page in self._ctx.tracker.issue_pages():
            yield [replace(issue, key=issue_text.key_of(issue.description)) for issue in page]

    def _counterparts(self, changed: frozenset[int]) -> list[TargetIssue]:
        records = self._ctx.checkpoint.records_for(self.name, changed)  # only those are read
        ids = [records[i].target_id for i in sorted(changed)
               if i in records and records[i].target_id]
        web_url = self._ctx.reader.project().web_url
        unknown = [(issue.title.strip(), issue_text.issue_url(issue, web_url))
                   for issue in self._ctx.shared.get("issue_items", ())
                   if issue.id in changed and not (issue.id in records
                                                   and records[issue.id].target_id)]
        with ThreadPoolExecutor(max_workers=self._ctx.concurrency,
                                thread_name_prefix="issues") as pool:
            found = [*pool.map(self._ctx.tracker.issue_by_id, [i for i in ids if i]),
                     *pool.map(lambda pair: self._find(*pair), unknown)]
        return [replace(issue, key=issue_text.key_of(issue.description))
                for issue in found if issue is not None]

    def find(self, wanted: WantedIssue) -> TargetIssue | None:
        """The issue holding our key: the title filter (a prefix match) first, else a listing."""
        return self._find(wanted.title, wanted.key)

    def _find(self, title: str, key: str) -> TargetIssue | None:
        quoted = title.replace("\\", "\\\\").replace('"', '\\"')
        try:
            pages = list(self._ctx.tracker.issue_pages(f'title="{quoted}"'))
        except FatalApiError as exc:
            if exc.status != 400:
                raise
            pages = list(self._ctx.tracker.issue_pages())  # a filter it refuses: list them all
        for page in pages:
            for issue in page:
                if issue_text.key_of(issue.description) == key:
                    return replace(issue, key=key)
        return None

