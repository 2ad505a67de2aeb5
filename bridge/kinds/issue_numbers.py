"""`issues: {numbering: preserve}`: GitLab #12 becomes SourceCraft #12, or the run stops.

SourceCraft numbers issues itself, one after another. Into a repository with no
issues, creating them one at a time in iid order, and a closed placeholder for each
iid GitLab no longer has (a deleted issue), gives every issue its GitLab number;
each number SourceCraft returns is checked, and a mismatch stops the run (exit 3)
instead of letting every later number drift, the failure peers' tools are known for.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bridge.errors import ApiError
from bridge.kinds.issue_refs import iid_of
from bridge.sources.gitlab import IssueRef
from bridge.targets.records import TargetIssue

PRESERVE = "preserve"
PLACEHOLDER_TEXT = ("The GitLab issue numbered {iid} was deleted. scbridge made this closed "
                    "placeholder so that the issues after it keep their GitLab numbers.")


class NumberDriftError(ApiError):
    """SourceCraft gave an issue another number than its GitLab iid: stop, never drift."""

    stops_the_run = True  # the loader ends the run (exit 3) rather than go on drifting


def placeholders(issues: Sequence[IssueRef], known: Iterable[int], project_path: str
                 ) -> list[IssueRef]:
    """A closed placeholder for every iid below the highest that no issue has any more.

    Their ids are negative (-iid), so they can never be a GitLab id in the checkpoint.
    """
    present = {issue.iid for issue in issues} | set(known)
    top = max(present, default=0)
    return [IssueRef(id=-iid, iid=iid, state="closed", milestone=None, updated_at=None,
                     title=f"Placeholder for deleted GitLab issue #{iid}",
                     description=PLACEHOLDER_TEXT.format(iid=iid), project_path=project_path)
            for iid in range(1, top + 1) if iid not in present]


def cannot_apply(target: Iterable[TargetIssue]) -> str | None:
    """Why the repository cannot keep GitLab's numbers, None when it can.

    It can when it has no issues, or only those scbridge made in step (a resumed run).
    """
    strangers = [issue for issue in target
                 if issue.key is None or str(iid_of(issue.key)) != issue.slug]
    if not strangers:
        return None
    return (f"issues: numbering: preserve needs a repository with no issues of its own; "
            f"this one has {len(strangers)} (e.g. #{strangers[0].slug}) that scbridge did not "
            "create in GitLab's numbering")


def check(wanted_iid: int, key: str, created: TargetIssue) -> None:
    """Raise NumberDriftError unless SourceCraft gave the issue its GitLab number."""
    if created.slug != str(wanted_iid):
        raise NumberDriftError(
            f"issues: numbering: preserve: SourceCraft gave number {created.slug} to GitLab "
            f"issue #{wanted_iid} ({key}); stopping so that no later number drifts (did "
            "someone create an issue in the repository during the run?)")
