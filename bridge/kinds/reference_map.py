"""What a reference rewrite needs to know: where each GitLab object went on SourceCraft.

Built once per run from what the kinds before it learnt (labels, milestones,
issue numbers). The SourceCraft web address of an issue is not documented
(neither `sourcecraft-api.md` nor the OpenAPI file names a web URL), so it is a
pattern: by default `https://sourcecraft.dev/<org>/<repo>/issues/<number>`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

#: SourceCraft's public API and the site its repositories are shown on.
PUBLIC_API = "api.sourcecraft.tech"
PUBLIC_WEB = "https://sourcecraft.dev"


def sourcecraft_web(api_url: str) -> str:
    """The web base for an API base: the public API's is sourcecraft.dev, else the API's host.

    An assumption, not a documented fact: make it a config value where it matters.
    """
    parts = urlsplit(api_url)
    host = parts.netloc.lower()
    if host == PUBLIC_API:
        return PUBLIC_WEB
    host = host.removeprefix("api.")
    return f"{parts.scheme or 'https'}://{host}"


def issue_url_pattern(org: str, repo: str, *, web: str = PUBLIC_WEB) -> str:
    """`<web>/<org>/<repo>/issues/{number}`, the form `ReferenceMap.sourcecraft_issue_url` takes."""
    return f"{web.rstrip('/')}/{quote(org)}/{quote(repo)}/issues/{{number}}"


@dataclass(frozen=True)
class ReferenceMap:
    """GitLab objects and their SourceCraft counterparts, as one text's rewrite sees them.

    Absent from a mapping means "not known to GitLab" (left alone where GitLab
    would not have linked it either, else linked to GitLab); a None value means
    "known, but not on SourceCraft" (linked to GitLab; for an issue: not created
    *yet*, so the text is reported as pending).
    """

    gitlab_url: str  # https://gitlab.example.com
    project_path: str  # group/project
    sourcecraft_issue_url: str  # a pattern with {number}, see issue_url_pattern
    project_web_url: str | None = None  # the project's web_url; default gitlab_url/project_path
    #: GitLab issue iid -> SourceCraft issue number (its slug); None: not created yet.
    issues: Mapping[int, int | str | None] = field(default_factory=dict)
    #: GitLab note id -> the URL of its SourceCraft comment, where one is known.
    comment_urls: Mapping[int, str] = field(default_factory=dict)
    #: GitLab milestone iid -> SourceCraft milestone slug; None: on GitLab, not migrated.
    milestone_slugs: Mapping[int, str | None] = field(default_factory=dict)
    #: GitLab milestone title -> its iid (for `%v1.0` and `%"two words"`).
    milestone_titles: Mapping[str, int] = field(default_factory=dict)
    #: GitLab label id -> its name (every label of the project, for `~4`).
    label_names: Mapping[int, str] = field(default_factory=dict)
    #: GitLab label name -> the name of the SourceCraft label it became.
    label_targets: Mapping[str, str] = field(default_factory=dict)
    #: The project's snippet ids, if known; None: every `$N` is taken for a snippet.
    snippets: frozenset[int] | None = None
    enabled: bool = True  # False: texts are left exactly as GitLab has them

    def gitlab_project(self, path: str | None = None) -> str:
        """The web URL of this project, or of the project at `path` on the same GitLab."""
        if path is None or self.is_here(path):
            if self.project_web_url:
                return self.project_web_url.rstrip("/")
            path = self.project_path
        return f"{self.gitlab_url.rstrip('/')}/{path}"

    def is_here(self, path: str) -> bool:
        """Whether `group/project` names this project (GitLab paths ignore case)."""
        return path.lower() == self.project_path.lower()

    def issue_url(self, number: int | str) -> str:
        """The SourceCraft issue's web URL."""
        return self.sourcecraft_issue_url.format(number=number)

    def label_known(self, name: str) -> bool:
        """Whether GitLab has a label of that name in this project."""
        return name in self.label_targets or name in self.label_names.values()
