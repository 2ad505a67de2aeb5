"""Which GitLab notes are comments, and what a comment's body on SourceCraft says.

System notes ("Status changed to closed", "Added ~4 label", ...) and the award
emoji that GitLab 8.2-8.8 stored as notes (a non-system note whose whole body is
an emoji name, such as `thumbsup`) are not comments: they are skipped and
counted. A comment's body starts with scbridge's header, whose link to the
GitLab note (`<issue url>#note_<id>`) is the comment's natural key.
"""

from __future__ import annotations

import functools
import re

from bridge.kinds import issue_text
from bridge.kinds.reference_map import ReferenceMap
from bridge.kinds.references import rewrite
from bridge.sources.gitlab import SourceNote

_ONE_WORD = re.compile(r"[a-z0-9_+\-]+")


@functools.cache
def emoji_names() -> frozenset[str]:
    """Every emoji name and alias (`thumbsup`, `+1`, `tada`): GitLab 8.x named awards so."""
    import emoji  # noqa: PLC0415 - only runs that move comments need the table

    names: set[str] = set()
    for data in emoji.EMOJI_DATA.values():
        for name in (data.get("en", ""), *data.get("alias", ())):
            names.add(str(name).strip(":").lower())
    return frozenset(names)


def not_a_comment(note: SourceNote) -> str | None:
    """'system' or 'award' for a note that is no comment, None for one that is."""
    if note.system:
        return "system"
    body = note.body.strip()
    if _ONE_WORD.fullmatch(body) and body in emoji_names():
        return "award"
    return None


def comment_body(note: SourceNote, issue_url: str, refs: ReferenceMap) -> str:
    """The header (a link to the note, its author and date), then the note's text.

    The text's references are rewritten (never the header's own link: it is the key).
    """
    url = f"{issue_url}#note_{note.id}"
    when = issue_text.day(note.created_at)
    header = f"> From GitLab: [comment]({url}) by {issue_text.who(note.author)} on {when}"
    text = issue_text.absolute_uploads(rewrite(note.body, refs).text, refs.project_web_url)
    gitlab_url = refs.gitlab_url
    if note.attachment:  # before 8.x's markdown uploads, a note could carry one file
        link = f"{gitlab_url.rstrip('/')}/uploads/note/attachment/{note.id}/{note.attachment}"
        text = f"{text}\n\n[{note.attachment}]({link})" if text else f"[{note.attachment}]({link})"
    return f"{header}\n\n{text}" if text else header
