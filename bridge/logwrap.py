"""Console log lines folded between `key=value` pairs to fit the terminal, never inside one."""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # structlog is imported only once logging is configured (start-up time)
    from structlog.typing import EventDict, WrappedLogger

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# A space before a `key=` (colour codes allowed around the key): where a line may fold.
_PAIR = re.compile(r" +(?=(?:\x1b\[[0-9;]*m)*[A-Za-z_][\w.-]*(?:\x1b\[[0-9;]*m)*=)")
INDENT = "    "


def visible_width(text: str) -> int:
    """Terminal cells `text` takes, colour codes left out and wide characters counted as two."""
    plain = _ANSI.sub("", text)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in plain)


def fold(line: str, width: int) -> str:
    """`line` over several lines of at most `width` cells, breaking only between pairs.

    A pair wider than a line of its own gets a line of its own; the terminal wraps it.
    """
    if "\n" in line or visible_width(line) <= width:
        return line  # a traceback keeps its own lines
    pieces = _PAIR.split(line)
    out, current = [], pieces[0]
    for piece in pieces[1:]:
        if visible_width(current) + 1 + visible_width(piece) <= width:
            current += " " + piece
        else:
            out.append(current)
            current = INDENT + piece
    return "\n".join([*out, current])


def terminal_width(stream: Any) -> int | None:
    """The width of the terminal `stream` writes to: `COLUMNS`, else asked of the terminal."""
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    fileno = getattr(stream, "fileno", None)
    for fd in ([fileno] if fileno is not None else []) + [lambda: 2]:
        try:
            return os.get_terminal_size(fd()).columns
        except (OSError, ValueError, AttributeError, TypeError):
            continue
    return None


class FitToTerminal:
    """structlog renderer wrapper: the rendered console line folded to the terminal's width."""

    def __init__(self, renderer: Callable[[WrappedLogger, str, EventDict], str],
                 width: Callable[[], int | None]) -> None:
        self._renderer = renderer
        self._width = width

    def __call__(self, logger: WrappedLogger, method_name: str, event_dict: EventDict) -> str:
        line = self._renderer(logger, method_name, event_dict)
        width = self._width()
        return line if not width else fold(line, width)
