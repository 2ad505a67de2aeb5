"""The run report: one model (`RunReport`), rendered as text, JSON, Markdown or HTML.

The JSON schema is documented in docs/report.md. The names below are imported from their
modules when first used (PEP 562): a run needs the model before its first request, the
renderers (and the rich they use) only once it is over.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bridge.report.files import REPORT_FORMATS, render_json, renderer_for, write_report
    from bridge.report.htmlpage import render_html
    from bridge.report.markdown import render_markdown
    from bridge.report.model import ITEM_KEYS, REPORT_VERSION, SUMMARY_KEYS, ReportItem, RunReport
    from bridge.report.readback import report_from_dict
    from bridge.report.text import render_text

#: The report file's extensions, known before the run (`--report` is refused before any
#: request); `files.REPORT_FORMATS` maps each to its renderer.
REPORT_SUFFIXES = (".html", ".json", ".md")

_HOME = {"REPORT_FORMATS": "files", "render_json": "files", "renderer_for": "files",
         "write_report": "files", "render_html": "htmlpage", "render_markdown": "markdown",
         "ITEM_KEYS": "model", "REPORT_VERSION": "model", "SUMMARY_KEYS": "model",
         "ReportItem": "model", "RunReport": "model", "report_from_dict": "readback",
         "render_text": "text"}


def __getattr__(name: str) -> object:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)


__all__ = [
    "ITEM_KEYS",
    "REPORT_FORMATS",
    "REPORT_SUFFIXES",
    "REPORT_VERSION",
    "SUMMARY_KEYS",
    "ReportItem",
    "RunReport",
    "render_html",
    "render_json",
    "render_markdown",
    "render_text",
    "renderer_for",
    "report_from_dict",
    "write_report",
]
