"""GitLab references in a description or comment, rewritten to point at the right thing.

`#12` means GitLab issue 12, which SourceCraft numbers differently. Migrated
objects get their SourceCraft counterpart (the issue's link, the milestone's
slug, the label's name); anything not migrated (merge requests, snippets,
other projects) gets an absolute link to GitLab. Every output form is inert
for a second pass (a link, or a code span), so a rewrite of rewritten text
changes nothing. See docs/references.md for the table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from bridge.kinds.markdown_scan import Paragraph, Piece, scan
from bridge.kinds.reference_map import ReferenceMap

_PATH = r"[A-Za-z0-9_.][A-Za-z0-9_.\-]*/[A-Za-z0-9_.][A-Za-z0-9_.\-]*"
#: GitLab 8.x reference patterns (CE v8.14 models), with a left boundary so that
#: `&#39;`, `abc#1`, `path/#1`, `\#1` and `##1` stay text.
_REFERENCE = re.compile(
    rf"(?<![\w&/\\#%~!$@.])(?:(?P<path>{_PATH}))?"
    r"(?:\#(?P<issue>\d+)(?!\w)"
    r"|!(?P<mr>\d+)(?!\w)"
    r"|\$(?P<snippet>\d+)(?![\w]|[.,]\d)"
    r"|%(?P<ms_iid>\d+(?!\S\w)\b)"
    r"|%(?P<ms_name>\"[^\"\n]+\"|[^\"\s]+\b)"
    r"|~(?P<label_id>\d+(?!\S\w)\b)"
    r"|~(?P<label_name>\"[^\"\n]+?\"|[A-Za-z0-9_\-?.&]+))")
#: Ends of a one-word label that are more likely punctuation: `see ~bug.`
_LABEL_TAIL = ".?&-"


@dataclass(frozen=True, slots=True)
class Rewritten:
    """A text after the rewrite, how many references changed, and the issues still to create."""

    text: str
    rewritten: int = 0
    pending: tuple[int, ...] = ()  # iids of issues not yet created that the text links


def rewrite(text: str, refs: ReferenceMap) -> Rewritten:
    """`text` with its references pointing at SourceCraft (or GitLab); deterministic, idempotent.

    An issue not yet created is linked on GitLab for now and its iid is listed
    in `pending`: rewriting the same GitLab text once its number is known gives
    the final text, which is then worth one PATCH.
    """
    if not refs.enabled or not text:
        return Rewritten(text)
    run = _Run(refs)
    out = "".join(run.paragraph(paragraph) for paragraph in scan(text))
    return Rewritten(out, run.count, tuple(sorted(run.pending)))


class _Run:
    """One text's rewrite: the map, the references changed so far and the issues pending."""

    def __init__(self, refs: ReferenceMap) -> None:
        self.refs = refs
        self.count = 0
        self.pending: set[int] = set()
        self._issue_url = re.compile(
            r"(?i:https?)://" + re.escape(refs.gitlab_project().split("://", 1)[-1])
            + r"/issues/(?P<iid>\d+)/?(?:#note_(?P<note>\d+))?\Z", re.IGNORECASE)
        self._ticks: frozenset[int] = frozenset()

    def paragraph(self, paragraph: Paragraph) -> str:
        self._ticks = paragraph.ticks
        return "".join(self._piece(piece) for piece in paragraph.pieces)

    def _piece(self, piece: Piece) -> str:  # noqa: PLR0911 - one return per outcome
        if piece.kind == "text":
            return _REFERENCE.sub(self._reference, piece.raw)
        if piece.kind == "code":
            return piece.raw
        url = piece.part(piece.url)
        found = self._issue_url.match(url)
        if found is None:
            return piece.raw
        iid, note = int(found.group("iid")), found.group("note")
        comment = self.refs.comment_urls.get(int(note)) if note is not None else None
        if note is not None and comment is None and piece.kind != "url":
            return piece.raw  # no SourceCraft comment known: the GitLab note is the best target
        number = self._number(iid)
        if number is None:
            return piece.raw
        self.count += 1
        issue = self.refs.issue_url(number)
        if piece.kind == "url":
            if note is None:
                return _link(f"#{number}", issue)
            if comment is not None:
                return _link(f"#{number} (comment)", comment)
            return f"{_link(f'#{number}', issue)} ({_link('note on GitLab', url)})"
        label = piece.part(piece.label) if piece.kind == "link" else None
        if note is None and label in (f"#{iid}", f"{self.refs.project_path}#{iid}", url):
            label = f"#{number}"
        return piece.replaced(url=comment or issue, label=label)

    def _number(self, iid: int) -> int | str | None:
        """The issue's SourceCraft number; None if unknown, noting it when it is only pending."""
        number = self.refs.issues.get(iid)
        if number is None and iid in self.refs.issues:
            self.pending.add(iid)
        return number

    def _reference(self, match: re.Match[str]) -> str:
        out = self._replace(match)
        if out != match.group(0):
            self.count += 1
        return out

    def _replace(self, match: re.Match[str]) -> str:  # noqa: PLR0911 - one return per syntax
        refs, raw, path = self.refs, match.group(0), match.group("path")
        here = path is None or refs.is_here(path)
        gitlab = refs.gitlab_project(path)
        full = raw if path is not None else f"{refs.project_path}{raw}"
        if match.group("issue") is not None:
            iid = int(match.group("issue"))
            number = self._number(iid) if here else None
            if number is not None:
                return _link(f"#{number}", refs.issue_url(number))
            return _link(full, f"{gitlab}/issues/{iid}")
        if match.group("mr") is not None:
            return _link(full, f"{gitlab}/merge_requests/{match.group('mr')}")
        if match.group("snippet") is not None:
            snippet = int(match.group("snippet"))
            if here and refs.snippets is not None and snippet not in refs.snippets:
                return raw
            return _link(full, f"{gitlab}/snippets/{snippet}")
        if match.group("ms_iid") is not None or match.group("ms_name") is not None:
            return self._milestone(match, full, gitlab, here=here)
        return self._label(match, full, gitlab, here=here)

    def _milestone(self, match: re.Match[str], full: str, gitlab: str, *, here: bool) -> str:
        refs, by_iid, name = self.refs, match.group("ms_iid"), match.group("ms_name")
        if not here:
            return _link(full, f"{gitlab}/milestones" + (f"/{by_iid}" if by_iid else ""))
        if by_iid is not None:
            iid: int | None = int(by_iid)
        else:
            iid = refs.milestone_titles.get(name.strip('"') if name.startswith('"') else name)
        if iid is None:
            return match.group(0)  # no such milestone: GitLab shows it as text too
        slug = refs.milestone_slugs.get(iid)
        if slug is not None:
            return self._code(f"%{_quoted(slug)}")
        return _link(full, f"{gitlab}/milestones/{iid}")

    def _label(self, match: re.Match[str], full: str, gitlab: str, *, here: bool) -> str:
        refs, by_id, name = self.refs, match.group("label_id"), match.group("label_name")
        if not here:
            query = f"?label_name={quote(name.strip(chr(34)), safe='')}" if name else ""
            return _link(full, f"{gitlab}/{'issues' + query if name else 'labels'}")
        tail = ""
        if by_id is not None:
            found = refs.label_names.get(int(by_id))
        elif name.startswith('"'):
            found = name[1:-1] if refs.label_known(name[1:-1]) else None
        else:
            found, tail = _known_label(name, refs)
        if found is None:
            return match.group(0)  # no such label: GitLab shows it as text too
        target = refs.label_targets.get(found)
        if target is not None:
            return self._code(f"~{_quoted(target)}") + tail
        written = full[:len(full) - len(tail)] if tail else full
        return _link(written, f"{gitlab}/issues?label_name={quote(found, safe='')}") + tail

    def _code(self, content: str) -> str:
        """`content` as a code span whose backticks cannot pair with any other in the paragraph."""
        inside = {len(run) for run in re.findall(r"`+", content)}
        size = 1
        while size in self._ticks or size in inside:
            size += 1
        fence = "`" * size
        pad = " " if content.startswith("`") or content.endswith("`") else ""
        return f"{fence}{pad}{content}{pad}{fence}"


def _known_label(name: str, refs: ReferenceMap) -> tuple[str | None, str]:
    """The longest known label the one-word match starts with, and what follows it."""
    word = name
    while word:
        if refs.label_known(word):
            return word, name[len(word):]
        if word[-1] not in _LABEL_TAIL:
            break
        word = word[:-1]
    return None, ""


def _quoted(name: str) -> str:
    """GitLab's own form: one word as is, anything else in double quotes."""
    return name if re.fullmatch(r"[A-Za-z0-9_\-?.&]+", name) else f'"{name}"'


def _link(text: str, url: str) -> str:
    escaped = re.sub(r"([\\\[\]])", r"\\\1", text)
    return f"[{escaped}]({url})"
