"""GitLab references in a description or comment, rewritten to point at the right thing.

`#12` means GitLab issue 12, which SourceCraft numbers differently. Migrated
objects get their SourceCraft counterpart (the issue's link, the milestone's
slug, the label's name); anything not migrated (merge requests, snippets,
other projects) gets an absolute link to GitLab. Every output form is inert
for a second pass (a link, or a code span), so a rewrite of rewritten text
changes nothing. See docs/references.md for the table.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from urllib.parse import quote

from bridge.kinds.markdown_scan import Paragraph, Piece, scan
from bridge.kinds.reference_map import ReferenceMap

_PATH = r"[A-Za-z0-9_.][A-Za-z0-9_.\-]*/[A-Za-z0-9_.][A-Za-z0-9_.\-]*"
#: GitLab 8.x reference patterns (CE v8.14 models), with a left boundary so that
#: `&#39;`, `abc#1`, `path/#1`, `\#1` and `##1` stay text.
_AFTER = r"\w&/\\#%~!$@."
_BODY = (
    rf"(?:(?P<path>{_PATH}))?"
    r"(?:\#(?P<issue>\d+)(?!\w)"
    r"|!(?P<mr>\d+)(?!\w)"
    r"|\$(?P<snippet>\d+)(?![\w]|[.,]\d)"
    r"|%(?P<ms_iid>\d+(?!\S\w)\b)"
    r"|%(?P<ms_name>\"[^\"\n]+\"|[^\"\s]+\b)"
    r"|~(?P<label_id>\d+(?!\S\w)\b)"
    r"|~(?P<label_name>\"[^\"\n]+?\"|[A-Za-z0-9_\-?.&]+))")
_REFERENCE = re.compile(rf"(?<![{_AFTER}]){_BODY}")
#: The same without its left boundary, for a place right after a rewritten reference:
#: there the character before is the rewrite's last one, not the original's.
_REFERENCE_HERE = re.compile(_BODY)
_NOT_AFTER = re.compile(rf"[{_AFTER}]")
#: Passes to a fixed point. One rewrites; the next finds nothing, except where a reference
#: is glued to the next by one character (`~4`a/b#1`): GitLab's look-ahead then sees the
#: rewrite, not the original, and one more pass settles it.
_PASSES = 4
#: Ends of a one-word label that are more likely punctuation: `see ~bug.`
_LABEL_TAIL = ".?&-"
#: What any rewrite needs somewhere in the text: a reference's sigil (each of `_BODY`'s
#: forms has one) or the `://` of an issue URL (`_Run._issue_url`). A text without any is
#: returned as it is, unscanned (tests/test_references_fast.py checks it against the scan).
_MAY_REFER = re.compile(r"[#!$%~]|://")


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
    if not refs.enabled or not text or _MAY_REFER.search(text) is None:
        return Rewritten(text)
    return rewrite_scanned(text, refs)


def rewrite_scanned(text: str, refs: ReferenceMap) -> Rewritten:
    """`rewrite` without its shortcut for a text that cannot hold a reference: every text
    scanned and rewritten to a fixed point."""
    if not refs.enabled or not text:
        return Rewritten(text)
    count = 0
    for _ in range(_PASSES):
        run = _Run(refs)
        out = "".join(run.paragraph(paragraph) for paragraph in scan(text))
        count += run.count
        if out == text:
            break
        text = out
    return Rewritten(out, count, tuple(sorted(run.pending)))


class _Run:
    """One text's rewrite: the map, the references changed so far and the issues pending."""

    def __init__(self, refs: ReferenceMap) -> None:
        self.refs = refs
        self.count = 0
        self.pending: set[int] = set()
        self._issue_url = _issue_url(refs.gitlab_project())
        self._ticks: frozenset[int] = frozenset()
        self._last = ""  # the last character written, for the boundary of what follows

    def paragraph(self, paragraph: Paragraph) -> str:
        self._ticks = paragraph.ticks
        out = []
        pieces = paragraph.pieces
        for index, piece in enumerate(pieces):
            following = pieces[index + 1].raw[:1] if index + 1 < len(pieces) else ""
            out.append(self._prose(piece.raw, following) if piece.kind == "text"
                       else self._piece(piece))
            self._last = out[-1][-1:] or self._last
        return "".join(out)

    def _prose(self, text: str, following: str) -> str:
        """References in prose replaced, judging the left boundary on what was written."""
        out: list[str] = []
        at = 0  # the text before `at` is in `out`; at `at` the output's last character rules
        while at < len(text):
            before = out[-1][-1:] if out else self._last
            match = _REFERENCE_HERE.match(text, at)
            if match is None or _NOT_AFTER.match(before):
                match = _REFERENCE.search(text, at + 1)
            if match is None:
                break
            out.append(text[at:match.start()])
            before = (out[-1] or (out[-2] if len(out) > 1 else self._last))[-1:]
            after = text[match.end():match.end() + 1] or following
            out.append(_apart(before, self._reference(match), after))
            at = match.end()
        out.append(text[at:])
        return "".join(out)

    def _piece(self, piece: Piece) -> str:  # noqa: PLR0911 - one return per outcome
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


@functools.lru_cache(maxsize=64)
def _issue_url(project: str) -> re.Pattern[str]:
    """An issue (or note) URL of the project at `project`'s web URL, over http or https."""
    return re.compile(
        r"(?i:https?)://" + re.escape(project.split("://", 1)[-1])
        + r"/issues/(?P<iid>\d+)/?(?:#note_(?P<note>\d+))?\Z", re.IGNORECASE)


def _apart(before: str, written: str, after: str) -> str:
    """A new code span kept from merging with a backtick right before or after it."""
    if not written.startswith("`"):
        return written
    return (" " if before == "`" else "") + written + (" " if after == "`" else "")


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
