"""Report files chosen by extension and written atomically, so a reader never sees half a report."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from bridge.errors import ConfigError
from bridge.report.htmlpage import render_html
from bridge.report.jsontext import dumps_masked
from bridge.report.markdown import render_markdown
from bridge.report.model import RunReport


def render_json(report: RunReport) -> str:
    """The SPEC §6 JSON document, indented, secrets masked."""
    return dumps_masked(report.to_dict()) + "\n"


#: Renderer by lower-cased file extension.
REPORT_FORMATS: dict[str, Callable[[RunReport], str]] = {
    ".json": render_json, ".md": render_markdown, ".html": render_html}


def renderer_for(path: Path) -> Callable[[RunReport], str]:
    """The renderer `path`'s extension asks for; any other extension is a usage error."""
    try:
        return REPORT_FORMATS[path.suffix.lower()]
    except KeyError:
        raise ConfigError(f"--report {path}: the format comes from the extension, one of "
                          f"{', '.join(REPORT_FORMATS)}") from None


def write_report(report: RunReport, path: Path) -> None:
    """Write `report` to `path` in the format its extension names, via a temp file + os.replace."""
    write_atomic(path, renderer_for(path)(report))


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` via a temp file + os.replace; ConfigError when it cannot."""
    directory = path.parent if str(path.parent) else Path()
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise ConfigError(f"cannot write report {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        Path(tmp).chmod(0o644)  # mkstemp makes 0600; a report is meant to be shared
        Path(tmp).replace(path)  # os.replace: atomic on one file system
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ConfigError(f"cannot write report {path}: {exc.strerror}") from None
