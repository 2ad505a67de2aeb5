"""An issue's description on SourceCraft: the provenance header, then GitLab's text.

The header is scbridge's own first line, so the GitLab URL in it is an
unambiguous natural key: original texts link other issues of the project too,
and only the URL at this fixed place says which issue this one is. Nobody is
notified by it: users are named as `Name (username)`, never `@username`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bridge.sources.gitlab import GitLabUser, IssueRef

#: The header's first line; `url` is the natural key.
KEY_LINE = re.compile(r"\A> From GitLab: \[[^\]\n]*\]\((?P<url>[^)\s]+)\)")
#: Relative upload links (8.1+): `[name](/uploads/<32 hex>/<file>)`, images with a `!`.
_UPLOAD = re.compile(r"(\]\()(/uploads/[0-9a-f]{32}/[^)\s]*)(\))")
#: SourceCraft's limit for a description: 64 KB of UTF-8.
DESCRIPTION_LIMIT = 64 * 1024


def issue_url(issue: IssueRef, project_web_url: str | None) -> str:
    """The GitLab issue's URL: its `web_url` (8.12+), else the project's URL + /issues/<iid>."""
    if issue.web_url:
        return issue.web_url
    base = (project_web_url or "").rstrip("/")
    return f"{base}/issues/{issue.iid}"


def key_of(description: str) -> str | None:
    """The GitLab URL in scbridge's header, None for a description scbridge did not write."""
    match = KEY_LINE.match(description or "")
    return match.group("url") if match else None


def who(user: GitLabUser | None) -> str:
    """`Alice Example (alice)`: named, never mentioned."""
    if user is None:
        return "an unknown user"
    name = user.name.replace("@", "")
    return name if name == user.username else f"{name} ({user.username})"


def utc_moment(moment: str) -> datetime | None:
    """An ISO 8601 date-time in UTC (one without an offset taken as UTC); None if it is none."""
    try:
        parsed = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def day(moment: str | None) -> str:
    """`2016-03-01 07:20 UTC`: the date and time in UTC, as headers show them."""
    if not moment:
        return "an unknown date"
    utc = utc_moment(moment)
    if utc is None:
        return moment
    if utc.year < 1000:  # strftime's %Y does not pad such a year here: kept as it wrote it
        return utc.strftime("%Y-%m-%d %H:%M UTC")
    # What strftime writes, a few times faster (a header per issue, 200,000 of them).
    return f"{utc.year}-{utc.month:02d}-{utc.day:02d} {utc.hour:02d}:{utc.minute:02d} UTC"


def absolute_uploads(text: str, project_web_url: str | None) -> str:
    """`](/uploads/…)` made `](<project url>/uploads/…)`, so no picture is lost."""
    if not project_web_url or "](/uploads/" not in text:  # what `_UPLOAD` starts with
        return text
    base = project_web_url.rstrip("/")
    return _UPLOAD.sub(lambda m: f"{m.group(1)}{base}{m.group(2)}{m.group(3)}", text)


def description(issue: IssueRef, text: str, *, project_web_url: str | None,
                unmapped_assignee: GitLabUser | None = None) -> str:
    """The header (link, author, date, an assignee with no SourceCraft user), then the text."""
    url = issue_url(issue, project_web_url)
    lines = [f"> From GitLab: [{issue.project_path}#{issue.iid}]({url})",
             f"> Opened by {who(issue.author)} on {day(issue.created_at)}"]
    if unmapped_assignee is not None:
        lines.append(f"> Assigned on GitLab to {who(unmapped_assignee)}, who has no "
                     "SourceCraft user in `users:`")
    header = "  \n".join(lines)
    body = absolute_uploads(text, project_web_url)
    return f"{header}\n\n{body}" if body else header
