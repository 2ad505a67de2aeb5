"""Report files: JSON, Markdown read back row by row, HTML parsed, atomic writes by extension."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from test_report_sample import PROJECT, item, mixed_report, report, spec_report

from bridge.errors import ConfigError
from bridge.logs import clear_secrets, register_secret
from bridge.models import Action
from bridge.report import (
    ITEM_KEYS,
    SUMMARY_KEYS,
    RunReport,
    render_html,
    render_json,
    render_markdown,
    report_from_dict,
    write_report,
)
from bridge.report.markdown import MAX_CELL, unescape_cell

TOKEN = "scrt-7b1e0c9d2f"


@pytest.fixture
def secret() -> Iterator[str]:
    """A registered token, forgotten after the test."""
    register_secret(TOKEN)
    yield TOKEN
    clear_secrets()


def leaky_report() -> RunReport:
    """A report whose error text and title carry the token."""
    return report([item(Action.CREATE, 1, f"t {TOKEN}", "t",
                        error=f"PATCH ...?token={TOKEN} -> 401")])


def md_tables(text: str) -> list[list[list[str]]]:
    """Every Markdown table in `text` as rows of unescaped cells (header row first)."""
    tables: list[list[list[str]]] = []
    current: list[list[str]] | None = None
    for line in text.split("\n"):
        if line.startswith("| ") and line.endswith(" |"):
            cells = [unescape_cell(c.strip()) for c in re.split(r"(?<!\\)\|", line[1:-1])]
            if all(re.fullmatch(r"-+:?", c) for c in cells):
                continue  # the delimiter row
            if current is None:
                current = []
                tables.append(current)
            current.append(cells)
        else:
            current = None
    return tables


class TestRenderJson:
    """render_json."""

    def test_schema(self) -> None:
        """The file parses and carries the SPEC §6 keys, summary and items."""
        doc = json.loads(render_json(spec_report()))
        assert list(doc["summary"]) == list(SUMMARY_KEYS)
        assert doc["summary"]["create"] == 3
        assert len(doc["items"]) == 10
        assert all(list(it) == list(ITEM_KEYS) for it in doc["items"])

    def test_round_trip_keeps_hostile_text(self) -> None:
        """JSON keeps every title whole (even 100 KB) and reads back into an equal report."""
        original = mixed_report()
        assert report_from_dict(json.loads(render_json(original))) == original

    def test_secret_masked(self, secret: str) -> None:
        """A registered token in a title or error never reaches the JSON file."""
        text = render_json(leaky_report())
        assert secret not in text
        assert "token=***" in text


class TestRenderMarkdown:
    """render_markdown."""

    def test_summary_first(self) -> None:
        """The summary line and counts table come before the items table."""
        text = render_markdown(spec_report())
        summary_at = text.index("created 3, closed 1, updated 0, unchanged 5")
        assert summary_at < text.index("| action |")
        counts = md_tables(text)[0]
        assert counts[0] == list(SUMMARY_KEYS)
        assert counts[1] == ["3", "1", "0", "0", "0", "5", "1", "0", "0", "0", "0", "0"]

    def test_rows_read_back(self) -> None:
        """Each item is one row whose cells read back to its title, reference, slug and notes."""
        rep = mixed_report()
        rows = md_tables(render_markdown(rep))[1]
        assert rows[0][:4] == ["action", "GitLab milestone", "reference", "SourceCraft slug"]
        assert len(rows) == 1 + len(rep.items)
        for got, want in zip(rows[1:], rep.items, strict=True):
            assert len(got) == 7
            assert got[2] == want.reference
            assert got[3] == (want.target_slug or "")
            if len(want.title) < MAX_CELL:
                assert got[1] == want.title
        assert rows[2][1] == "Release | 2016\nsummer <script>alert(1)</script>"
        assert rows[2][5] == 'description: "" → new\ntext\ndeadline: ∅ → 2016-08-01T00:00:00Z'
        assert rows[3][1] == "Big `one` *bold* [link](http://x)"
        assert rows[3][6].startswith('reason: slug big-one is taken by "Big"')
        assert rows[4][0] == "✗ create"
        assert rows[4][6] == (
            "error: 422 Unprocessable Entity: name too long")

    def test_hostile_text_is_inert(self) -> None:
        """No raw tag, unescaped pipe or raw newline from a title reaches the Markdown."""
        text = render_markdown(mixed_report())
        assert "<script>" not in text
        assert "&lt;script&gt;" in text
        row = next(line for line in text.split("\n") if "Release" in line)
        assert row.count("|") - row.count("\\|") == 8  # 7 cells, nothing more
        assert "\\[link\\](http://x)" in text

    def test_literal_markup_reads_back(self) -> None:
        """A title holding a literal <br>, backslashes and entities reads back unchanged."""
        title = "a<br>b \\| c &lt; d\\"
        rows = md_tables(render_markdown(report([item(Action.CREATE, 1, title, "a")])))[1]
        assert rows[1][1] == title

    def test_long_title_truncated(self) -> None:
        """A 100 KB title is cut to a cell a comment can hold, ending in an ellipsis."""
        rows = md_tables(render_markdown(mixed_report()))[1]
        assert len(rows[4][1]) <= MAX_CELL
        assert rows[4][1].endswith("…")

    def test_secret_masked(self, secret: str) -> None:
        """A registered token never reaches the Markdown."""
        assert secret not in render_markdown(leaky_report())


class _Page(HTMLParser):
    """Collects tags, attributes, table cells and text of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.rows: list[list[str]] = []
        self.text: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "li" and self._cell:
            self._cell.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def parse(html: str) -> _Page:
    """The parsed page."""
    page = _Page()
    page.feed(html)
    page.close()
    return page


class TestRenderHtml:
    """render_html."""

    def test_self_contained(self) -> None:
        """No script, no external source or link, and a CSP that forbids them anyway."""
        page = parse(render_html(mixed_report()))
        names = [tag for tag, _ in page.tags]
        assert "script" not in names
        assert "link" not in names
        assert "img" not in names
        assert not [a for _, attrs in page.tags for a in attrs if a in ("src", "href")]
        csp = [a for t, a in page.tags if t == "meta" and a.get("http-equiv")]
        assert csp
        assert "default-src 'none'" in (csp[0]["content"] or "")
        assert "style" in names

    def test_summary_counts(self) -> None:
        """The summary table shows each count under its key."""
        page = parse(render_html(spec_report()))
        at = page.rows.index(list(SUMMARY_KEYS))
        assert page.rows[at + 1] == ["3", "1", "0", "0", "0", "5", "1", "0", "0", "0", "0", "0"]
        assert "created 3, closed 1, updated 0" in "".join(page.text)

    def test_each_row(self) -> None:
        """Each item is a row with its action, exact title, reference, slug, issues and notes."""
        rep = mixed_report()
        page = parse(render_html(rep))
        header = next(i for i, row in enumerate(page.rows) if row and row[0] == "action")
        rows = page.rows[header + 1:]
        assert len(rows) == len(rep.items)
        for got, want in zip(rows, rep.items, strict=True):
            assert got[1] == want.title.strip()
            assert got[2:5] == [want.reference, want.target_slug or "",
                                f"{want.issues['open']}/{want.issues['closed']}"]
        assert rows[1][5] == 'description: "" → new\ntext\ndeadline: ∅ → 2016-08-01T00:00:00Z'
        assert rows[3][0] == "✗ create"
        assert "name too long" in rows[3][6]

    @pytest.mark.parametrize(("column", "css_class"), [(0, "action"), (2, "ref")],
                             ids=["action", "reference"])
    def test_column_never_breaks_a_word(self, column: int, css_class: str) -> None:
        """The action ("unchanged") and the GitLab reference never wrap, however narrow the
        window: their cells carry a class whose rule says nowrap, not the anywhere-wrap of td."""
        html = render_html(mixed_report())
        css = html[html.index("<style>") + 7:html.index("</style>")]
        rules = {sel.strip(): body for sels, body in re.findall(r"([^{}]+)\{([^}]*)\}", css)
                 for sel in sels.split(",")}
        assert "white-space:nowrap" in rules[f"td.{css_class}"]
        assert "anywhere" not in rules[f"td.{css_class}"]
        table = html[html.index('<table class="items">'):]
        rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table[table.index("<tbody>"):], re.S)
        assert len(rows) == len(mixed_report().items)
        for row in rows:
            assert re.findall(r"<td(?: class=\"([^\"]*)\")?>", row)[column] == css_class

    def test_hostile_title_is_text(self) -> None:
        """A <script> in a title is text on the page, never a tag."""
        html = render_html(mixed_report())
        assert "<script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html

    def test_secret_masked(self, secret: str) -> None:
        """A registered token never reaches the HTML."""
        assert secret not in render_html(leaky_report())


class TestWriteReport:
    """write_report."""

    @pytest.mark.parametrize(("name", "check"), [
        ("r.json", lambda t: json.loads(t)["summary"]["create"] == 3),
        ("R.JSON", lambda t: json.loads(t)["version"] == 2),
        ("r.md", lambda t: t.startswith("### scbridge migrate")),
        ("r.Html", lambda t: t.startswith("<!DOCTYPE html>")),
    ], ids=["json", "json-upper", "md", "html-mixed-case"])
    def test_format_by_extension(self, tmp_path: Path, name: str,
                                 check: Callable[[str], bool]) -> None:
        """The extension, in any case, picks the format."""
        path = tmp_path / name
        write_report(spec_report(), path)
        assert check(path.read_text(encoding="utf-8"))
        assert [p.name for p in tmp_path.iterdir()] == [name]  # no temp file left

    def test_unknown_extension(self, tmp_path: Path) -> None:
        """Another extension is a usage error naming the choices, and nothing is written."""
        with pytest.raises(ConfigError, match=r"\.json, \.md, \.html"):
            write_report(spec_report(), tmp_path / "r.txt")
        assert list(tmp_path.iterdir()) == []

    def test_replaces_whole_or_not_at_all(self, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
        """If the final rename fails, the old report is intact and no temp file remains."""
        path = tmp_path / "r.json"
        path.write_text("old", encoding="utf-8")

        def fail(self: Path, target: Path) -> Path:
            raise OSError(28, "No space left on device")
        monkeypatch.setattr(Path, "replace", fail)
        with pytest.raises(ConfigError, match="No space left"):
            write_report(spec_report(), path)
        assert path.read_text(encoding="utf-8") == "old"
        assert [p.name for p in tmp_path.iterdir()] == ["r.json"]

    def test_missing_directory(self, tmp_path: Path) -> None:
        """A report path in a missing folder is a one-line error, not a traceback."""
        with pytest.raises(ConfigError, match="cannot write report"):
            write_report(spec_report(), tmp_path / "nope" / "r.md")

    def test_references_in_markdown_file(self, tmp_path: Path) -> None:
        """A written Markdown report lists the GitLab references of the problems."""
        path = tmp_path / "r.md"
        write_report(mixed_report(), path)
        assert f"{PROJECT}%3, {PROJECT}%4" in path.read_text(encoding="utf-8")
