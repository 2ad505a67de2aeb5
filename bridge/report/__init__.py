"""The run report: one model (`RunReport`), rendered as text, JSON, Markdown or HTML.

The JSON schema is documented in docs/report.md.
"""

from bridge.report.files import REPORT_FORMATS, render_json, renderer_for, write_report
from bridge.report.htmlpage import render_html
from bridge.report.markdown import render_markdown
from bridge.report.model import (
    ITEM_KEYS,
    REPORT_VERSION,
    SUMMARY_KEYS,
    ReportItem,
    RunReport,
    report_from_dict,
)
from bridge.report.text import render_text

__all__ = [
    "ITEM_KEYS",
    "REPORT_FORMATS",
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
