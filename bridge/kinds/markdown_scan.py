"""GitLab markdown cut into the parts a reference rewrite may touch and the parts it must not.

Code (fenced and indented blocks, inline spans, `<code>`/`<pre>`), HTML tags and
images are opaque. Links, autolinks, link definitions and bare URLs are handed
over with their URL (and link text) located, so only that part is replaced. The
rest is prose. The rules follow CommonMark closely enough for GitLab issue
texts; where they are unsure they protect more, never less: a reference left
alone is a missed rewrite, a code block changed is a corrupted text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

Kind = Literal["text", "code", "link", "url", "def"]

#: A fence opens a code block: three or more backticks or tildes, also inside lists and quotes.
_FENCE = re.compile(r"^(?:[ \t]*>)*[ \t]*(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_INDENTED = re.compile(r"^(?: {4}|\t)")
_TICKS = re.compile(r"`+")
_LABEL = r"(?:\\.|[^\[\]\\]|\[(?:\\.|[^\[\]\\])*\])*"
_DEST = r"<[^<>\n]*>|[^\s()<>]*(?:\([^\s()]*\)[^\s()<>]*)*"
#: Everything that is not prose, in the order CommonMark gives them precedence.
_INLINE = re.compile(
    r"(?P<code>(?<![`\\])(?P<ticks>`+)(?!`).*?(?<!`)(?P=ticks)(?!`))"
    r"|(?P<html><(?P<el>code|pre)\b[^>]*>.*?</(?P=el)\s*>|<!--.*?-->)"
    r"|(?P<auto><(?P<auto_url>(?:https?|ftp)://[^\s<>]*)>)"
    r"|(?P<tag></?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>)"
    rf"|(?P<image>!\[{_LABEL}\](?:\(\s*(?:{_DEST})(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^()]*\)))?\s*\)"
    rf"|\[[^\]]*\]))"
    rf"|(?P<def>^[ ]{{0,3}}\[{_LABEL}\]:[ \t]*(?P<def_url>\S+))"
    rf"|(?P<link>\[(?P<label>{_LABEL})\]\(\s*(?P<dest><[^<>\n]*>|{_DEST})"
    r"(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^()]*\)))?\s*\))"
    rf"|(?P<reflink>\[{_LABEL}\]\[[^\]]*\])"
    r"|(?P<bare>(?<![\w/])(?:https?|ftp)://[^\s<>`]+)",
    re.DOTALL | re.IGNORECASE | re.MULTILINE)
#: Not part of a bare URL when it ends one: GitLab's autolinker leaves these out too.
_URL_TAIL = ".,;:!?*_~'\""


@dataclass(frozen=True, slots=True)
class Piece:
    """One part of a paragraph: its raw text, and where its URL and link text are in it."""

    kind: Kind
    raw: str
    url: tuple[int, int] = (0, 0)  # offsets in `raw`, for link, url and def
    label: tuple[int, int] = (0, 0)  # offsets in `raw`, for link

    def part(self, span: tuple[int, int]) -> str:
        """The text at `span` of `raw`."""
        return self.raw[span[0]:span[1]]

    def replaced(self, *, url: str, label: str | None = None) -> str:
        """`raw` with its URL (and its link text, if given) replaced."""
        if label is None or self.kind != "link":
            return self.raw[:self.url[0]] + url + self.raw[self.url[1]:]
        start, end = self.label
        return (self.raw[:start] + label + self.raw[end:self.url[0]] + url
                + self.raw[self.url[1]:])


@dataclass(frozen=True, slots=True)
class Paragraph:
    """A run of text without blank lines (or one whole code block), and its backtick runs."""

    pieces: tuple[Piece, ...]
    ticks: frozenset[int] = frozenset()  # the lengths of backtick runs used in it


def scan(text: str) -> Iterator[Paragraph]:
    """The paragraphs of `text`, in order; joining every piece's `raw` gives `text` back."""
    prose: list[str] = []
    for line, is_code in _lines(text):
        if is_code:
            if prose:
                yield _paragraph("".join(prose))
                prose = []
            yield Paragraph((Piece("code", line),))
        elif not line.strip():
            if prose:
                yield _paragraph("".join(prose))
                prose = []
            yield Paragraph((Piece("text", line),))
        else:
            prose.append(line)
    if prose:
        yield _paragraph("".join(prose))


def _lines(text: str) -> Iterator[tuple[str, bool]]:
    """Each line with True when it belongs to a fenced or indented code block."""
    fence: str | None = None
    previous_blank, previous_code = True, False
    for line in text.splitlines(keepends=True):
        if fence is not None:
            closing = _FENCE.match(line.rstrip("\r\n"))
            if (closing and closing.group("fence")[0] == fence[0]
                    and len(closing.group("fence")) >= len(fence)
                    and not closing.group("info").strip()):
                fence = None
            previous_blank, previous_code = False, True
            yield line, True
            continue
        opening = _FENCE.match(line.rstrip("\r\n"))
        if opening and not (opening.group("fence")[0] == "`" and "`" in opening.group("info")):
            fence = opening.group("fence")
            yield line, True
            continue
        blank = not line.strip()
        code = not blank and bool(_INDENTED.match(line)) and (previous_blank or previous_code)
        previous_blank, previous_code = blank, code
        yield line, code


def _paragraph(text: str) -> Paragraph:
    pieces: list[Piece] = []
    at = 0
    for match in _INLINE.finditer(text):
        piece = _piece(match)
        if piece is None:
            continue
        start = match.start()
        if start > at:
            pieces.append(Piece("text", text[at:start]))
        pieces.append(piece)
        at = start + len(piece.raw)
        if len(piece.raw) < len(match.group(0)):  # a bare URL gave back its trailing punctuation
            pieces.append(Piece("text", match.group(0)[len(piece.raw):]))
            at = match.end()
    if at < len(text):
        pieces.append(Piece("text", text[at:]))
    ticks = frozenset(len(run) for run in _TICKS.findall(text))
    return Paragraph(tuple(pieces), ticks)


def _piece(match: re.Match[str]) -> Piece | None:
    raw, start = match.group(0), match.start()
    if match.group("link") is not None:
        url = _span(match, "dest", start)
        if raw[url[0]:url[0] + 1] == "<":
            url = (url[0] + 1, url[1] - 1)
        return Piece("link", raw, url=url, label=_span(match, "label", start))
    if match.group("def") is not None:
        return Piece("def", raw, url=_span(match, "def_url", start))
    if match.group("auto") is not None:
        return Piece("url", raw, url=(1, len(raw) - 1))
    if match.group("bare") is not None:
        bare = _trim(raw)
        return Piece("url", bare, url=(0, len(bare))) if bare else None
    return Piece("code", raw)


def _span(match: re.Match[str], group: str, offset: int) -> tuple[int, int]:
    return match.start(group) - offset, match.end(group) - offset


def _trim(url: str) -> str:
    """A bare URL without trailing punctuation or an unbalanced closing bracket."""
    while url and (url[-1] in _URL_TAIL or _unbalanced(url, "(", ")")
                   or _unbalanced(url, "[", "]")):
        url = url[:-1]
    return url if "://" in url and not url.endswith("://") else ""


def _unbalanced(url: str, opening: str, closing: str) -> bool:
    return url[-1] == closing and url.count(closing) > url.count(opening)
