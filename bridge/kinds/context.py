"""What every kind is built with: the two API clients, the mapping and the run's settings."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from bridge.checkpoint import Checkpoint
from bridge.rules import CompiledMapping
from bridge.sources.gitlab import GitLabReader
from bridge.targets.sourcecraft import SourceCraftClient
from bridge.targets.tracker import TrackerClient

#: Called after each GitLab page with what was read ("milestones", "issues", ...) and how many.
OnPage = Callable[[str, int], None]


def _ignore(_what: str, _items: int) -> None:
    return None


@dataclass(frozen=True)
class KindContext:
    """The clients and settings one run hands to each of its kinds."""

    reader: GitLabReader
    target: SourceCraftClient
    tracker: TrackerClient
    mapping: CompiledMapping
    checkpoint: Checkpoint
    command: Literal["migrate", "mirror"] = "migrate"
    save: bool = True  # False in a dry run: nothing is kept between runs
    on_page: OnPage = _ignore
    users: Mapping[str, str] = field(default_factory=dict)  # GitLab username -> SourceCraft slug
    gitlab_url: str = ""  # the GitLab server's root, for links the API does not give
    concurrency: int = 4  # reads a kind makes per object (notes per issue) run on this many
    numbering: str = "sourcecraft"  # or "preserve": see Config.numbering
    #: Where a SourceCraft issue is shown, with `{number}`: references are rewritten to it.
    issue_url_pattern: str = "https://sourcecraft.dev/{org}/{repo}/issues/{number}"
    #: What one kind's extract leaves for a later one: "issues" (a list) asks the milestone
    #: scan to keep the issues it reads, so issues are read once per run, not twice.
    shared: dict[str, Any] = field(default_factory=dict)
