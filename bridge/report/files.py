"""Report files chosen by extension and written atomically, so a reader never sees half a report."""

from __future__ import annotations

import operator
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from bridge.errors import ConfigError
from bridge.report.htmlpage import html_lines
from bridge.report.jsontext import dumps_masked
from bridge.report.markdown import render_markdown
from bridge.report.model import ITEM_KEYS, RunReport

_fields = operator.attrgetter(*ITEM_KEYS)

#: Items per piece of the JSON report: one Spill chunk's worth.
PIECE = 256


def render_json(report: RunReport) -> str:
    """The SPEC §6 JSON document, indented, secrets masked."""
    return "".join(json_pieces(report))


def json_pieces(report: RunReport) -> Iterator[str]:
    """`render_json`'s text in pieces, `PIECE` items at a time: the same bytes, in flat memory."""
    head, marker, tail = dumps_masked(report.to_dict(items=False)).partition('"items": []')
    if not marker:  # pragma: no cover - to_dict always has the key
        raise AssertionError("the report document lost its items")
    yield head + '"items": ['
    docs: list[dict[str, Any]] = []
    written = False
    for item in report.items:
        # The item's own values, not `item_dict`'s copy: `dumps_masked` copies what it changes.
        docs.append(dict(zip(ITEM_KEYS, _fields(item), strict=True)))
        if len(docs) == PIECE:
            yield _items_text(docs, first=not written)
            docs, written = [], True
    if docs:
        yield _items_text(docs, first=not written)
    yield ("\n  ]" if written or docs else "]") + tail + "\n"


def _items_text(docs: list[dict[str, Any]], *, first: bool) -> str:
    """Some items as they sit inside the document's `items` list (4 spaces in), comma first
    unless they are the first: one encoding of the lot, as cheap per item as the whole."""
    text = dumps_masked(docs).replace("\n", "\n  ")  # "[\n    {...},\n    {...}\n  ]"
    return ("" if first else ",") + text[1:-4]


def _html(report: RunReport) -> Iterator[str]:
    for number, line in enumerate(html_lines(report)):
        yield ("\n" if number else "") + line


def _markdown(report: RunReport) -> Iterator[str]:
    yield render_markdown(report)  # capped: a few hundred rows at most


#: Renderer by lower-cased file extension: the report's text, piece by piece.
REPORT_FORMATS: dict[str, Callable[[RunReport], Iterable[str]]] = {
    ".json": json_pieces, ".md": _markdown, ".html": _html}


def renderer_for(path: Path) -> Callable[[RunReport], Iterable[str]]:
    """The renderer `path`'s extension asks for; any other extension is a usage error."""
    try:
        return REPORT_FORMATS[path.suffix.lower()]
    except KeyError:
        raise ConfigError(f"--report {path}: the format comes from the extension, one of "
                          f"{', '.join(REPORT_FORMATS)}") from None


def write_report(report: RunReport, path: Path) -> None:
    """Write `report` to `path` in the format its extension names, via a temp file + os.replace."""
    write_atomic(path, renderer_for(path)(report))


def write_atomic(path: Path, text: str | Iterable[str]) -> None:
    """Write `text` (or its pieces) to `path` via a temp file + os.replace; ConfigError when
    it cannot."""
    directory = path.parent if str(path.parent) else Path()
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise ConfigError(f"cannot write report {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            for piece in [text] if isinstance(text, str) else text:
                out.write(piece)
            out.flush()
            os.fsync(out.fileno())
        Path(tmp).chmod(0o644)  # mkstemp makes 0600; a report is meant to be shared
        Path(tmp).replace(path)  # os.replace: atomic on one file system
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ConfigError(f"cannot write report {path}: {exc.strerror}") from None
