"""The report as one self-contained HTML page to send round: inline CSS, no scripts, no links."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from html import escape

from bridge.report.cells import (
    ARROW,
    action_cell,
    change_lines,
    masked,
    notes,
    printable,
    problems,
    summary_line,
    title_line,
)
from bridge.report.grouping import (
    by_kind,
    counts_cell,
    file_columns,
    key_words,
    only_milestones,
    plural,
    summary_columns,
)
from bridge.report.model import SUMMARY_KEYS, ReportItem, RunReport

# Row colours by action; an action not in this list (a newer report) gets no class at all,
# so nothing from the data ever lands in an attribute unescaped.
_ACTIONS = frozenset({"create", "close", "reopen", "update", "delete", "unchanged", "skip",
                      "conflict"})

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#1f2328}
h1{font-size:1.3rem;margin:0 0 .3rem}
p.meta{color:#59636e;margin:.2rem 0 1rem}
table{border-collapse:collapse;margin:1rem 0}
th,td{border:1px solid #d1d9e0;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}
td{max-width:28rem;overflow-wrap:anywhere}
td.action,td.ref,td.issues{white-space:nowrap;overflow-wrap:normal}
table.summary td{text-align:right;font-variant-numeric:tabular-nums}
ul{margin:0;padding-left:1rem}
tr.create td.action{color:#1a7f37}tr.update td.action,tr.reopen td.action{color:#9a6700}
tr.close td.action,tr.delete td.action{color:#59636e}
tr.conflict,tr.failed{background:#fff1f0}tr.failed td.action,tr.conflict td.action{color:#cf222e}
.note,li{white-space:pre-wrap}
"""
# No network, no scripts: even if a value escaped its escaping, the browser would run nothing.
_CSP = "default-src 'none'; style-src 'unsafe-inline'"


def _e(text: str) -> str:
    return escape(printable(text), quote=True)


def _list(lines: list[str]) -> str:
    if not lines:
        return ""
    return "<ul>" + "".join(f"<li>{_e(line)}</li>" for line in lines) + "</ul>"


def _kind_summary(report: RunReport) -> str:
    keys = summary_columns(report)
    return ("<table class=\"summary kinds\"><thead><tr><th>kind</th>"
            + "".join(f"<th>{_e(key_words(key))}</th>" for key in keys)
            + "</tr></thead><tbody>"
            + "".join("<tr><th>" + _e(plural(kind)) + "</th>"
                      + "".join(f"<td>{counts.get(key, 0)}</td>" for key in keys) + "</tr>"
                      for kind, counts in report.summary_by_kind().items())
            + "</tbody></table>")


def _items_table(kind: str, items: Iterable[ReportItem]) -> Iterator[str]:
    """Every item of one kind (the page has no size limit to keep within), row by row."""
    heads = (f"{name} ({ARROW})" if name == "what changes" else name
             for name in file_columns(kind))
    yield ("<table class=\"items\"><thead><tr>"
           + "".join(f"<th>{_e(head)}</th>" for head in heads)
           + "</tr></thead><tbody>")
    for item in items:
        css = "failed" if item.failed else item.action if item.action in _ACTIONS else ""
        note = "\n".join(f"{label}: {text}" for label, text in notes(item))
        yield (
            (f"<tr class=\"{css}\">" if css else "<tr>")
            + f"<td class=\"action\">{_e(action_cell(item))}</td>"
            + f"<td>{_e(item.title)}</td><td class=\"ref\">{_e(item.reference)}</td>"
            + f"<td>{_e(item.target_slug or '')}</td>"
            + f"<td class=\"issues\">{_e(counts_cell(item))}</td>"
            + f"<td>{_list(change_lines(item))}</td>"
            + f"<td class=\"note\">{_e(note)}</td></tr>")
    yield "</tbody></table>"


def render_html(report: RunReport) -> str:
    """A standalone page: title, summary counts (per kind too), every item in a table per kind,
    problems highlighted."""
    return "\n".join(html_lines(report))


def html_lines(report: RunReport) -> Iterator[str]:
    """`render_html`'s page line by line, so a page of 600,000 rows is written as it is made."""
    report = masked(report)
    summary = report.summary()
    head = (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{_CSP}\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{_e(title_line(report))}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
    )
    meta = (f"started {report.started_at or '?'}, finished {report.finished_at or '?'}, "
            f"{report.duration_s:g} s; requests: "
            + ", ".join(f"{k} {v}" for k, v in report.requests.items())
            + f"; exit code {report.exit_code}")
    out = [head, f"<h1>{_e(title_line(report))}</h1>",
           f"<p class=\"meta\">{_e(meta)}</p>",
           f"<p><strong>{_e(summary_line(report))}</strong></p>",
           "<table class=\"summary\"><thead><tr>"
           + "".join(f"<th>{_e(key)}</th>" for key in SUMMARY_KEYS)
           + "</tr></thead><tbody><tr>"
           + "".join(f"<td>{summary[key]}</td>" for key in SUMMARY_KEYS)
           + "</tr></tbody></table>"]
    grouped = not only_milestones(report)
    if grouped:
        out.append(_kind_summary(report))
        out.extend(f"<p class=\"note\">{_e(note)}</p>" for note in report.notes)
    yield from out
    out = []
    for kind, items in by_kind(report.items).items():
        if grouped:
            yield f"<h2>{_e(plural(kind))} ({len(items):,})</h2>"
        yield from _items_table(kind, items)
    if not report.items:
        out.append("<p>No milestones.</p>")
    trouble = problems(report)
    if trouble:
        out.append(f"<p>{len(trouble)} to look at: "
                   + ", ".join(_e(item.reference) for item in trouble) + "</p>")
    out.append("</body>\n</html>\n")
    yield from out
