"""GitLab references rewritten to SourceCraft: every syntax, code left alone, idempotence."""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.kinds.markdown_scan import scan
from bridge.kinds.reference_map import ReferenceMap, issue_url_pattern, sourcecraft_web
from bridge.kinds.references import Rewritten, rewrite

GL = "https://gitlab.example.com"
P = f"{GL}/group/project"
SC = "https://sourcecraft.dev/org/repo/issues"

REFS = ReferenceMap(
    gitlab_url=GL, project_path="group/project",
    sourcecraft_issue_url=issue_url_pattern("org", "repo"),
    issues={12: 5, 13: None, 20: 7},
    comment_urls={777: f"{SC}/7#comment-abc"},
    milestone_slugs={5: "v1-0", 6: None, 8: "two-words"},
    milestone_titles={"v1.0": 5, "old": 6, "two words": 8},
    label_names={4: "bug", 9: "feature request", 10: "wontfix"},
    label_targets={"bug": "bug", "feature request": "Feature request", "to-do?": "to-do?"})

#: (GitLab text, SourceCraft text), one row per syntax and outcome.
CASES = [
    ("issue", "See #12.", f"See [#5]({SC}/5)."),
    ("issue not yet created", "See #13.", f"See [group/project#13]({P}/issues/13)."),
    ("issue unknown", "See #99", f"See [group/project#99]({P}/issues/99)"),
    ("issue, own project named", "group/project#12", f"[#5]({SC}/5)"),
    ("issue, own project named in capitals", "Group/Project#20", f"[#7]({SC}/7)"),
    ("issue, other project", "other/proj#12", f"[other/proj#12]({GL}/other/proj/issues/12)"),
    ("merge request", "!123", f"[group/project!123]({P}/merge_requests/123)"),
    ("merge request, other project", "a/b!4", f"[a/b!4]({GL}/a/b/merge_requests/4)"),
    ("snippet", "$3", f"[group/project$3]({P}/snippets/3)"),
    ("snippet, other project", "a/b$3", f"[a/b$3]({GL}/a/b/snippets/3)"),
    ("money is not a snippet", "$5.00 and $1,000", "$5.00 and $1,000"),
    ("milestone by iid", "in %5", "in `%v1-0`"),
    ("milestone by name", "in %v1.0.", "in `%v1-0`."),
    ("milestone by quoted name", 'in %"two words"', "in `%two-words`"),
    ("milestone not migrated", "%6 %old", f"[group/project%6]({P}/milestones/6) "
                                          f"[group/project%old]({P}/milestones/6)"),
    ("milestone iid unknown", "%77", f"[group/project%77]({P}/milestones/77)"),
    ("milestone name unknown", "%nope", "%nope"),
    ("milestone, other project", "a/b%3", f"[a/b%3]({GL}/a/b/milestones/3)"),
    ("label by id", "~4", "`~bug`"),
    ("label by id, renamed", "~9", '`~"Feature request"`'),
    ("label by name", "a ~bug.", "a `~bug`."),
    ("label by name ending in ?", "~to-do?", "`~to-do?`"),
    ("label by quoted name", '~"feature request"', '`~"Feature request"`'),
    ("label not migrated", "~wontfix ~10",
     f"[group/project~wontfix]({P}/issues?label_name=wontfix) "
     f"[group/project~10]({P}/issues?label_name=wontfix)"),
    ("label id unknown", "about ~5 minutes", "about ~5 minutes"),
    ("label name unknown", "~nope", "~nope"),
    ("label, other project", '~bug a/b~"x y"',
     f"`~bug` [a/b~\"x y\"]({GL}/a/b/issues?label_name=x%20y)"),
    ("issue URL", f"{P}/issues/12", f"[#5]({SC}/5)"),
    ("issue URL over http, in brackets", "(http://gitlab.example.com/group/project/issues/12)",
     f"([#5]({SC}/5))"),
    ("note URL", f"{P}/issues/12#note_345",
     f"[#5]({SC}/5) ([note on GitLab]({P}/issues/12#note_345))"),
    ("note URL with a known comment", f"{P}/issues/20#note_777",
     f"[#7 (comment)]({SC}/7#comment-abc)"),
    ("issue URL not yet created", f"{P}/issues/13", f"{P}/issues/13"),
    ("issue URL of another project", f"{GL}/a/b/issues/12", f"{GL}/a/b/issues/12"),
    ("autolink", f"<{P}/issues/12>", f"[#5]({SC}/5)"),
    ("link to an issue", f"[the bug]({P}/issues/12)", f"[the bug]({SC}/5)"),
    ("link named by its reference", f"[#12]({P}/issues/12 \"t\")", f"[#5]({SC}/5 \"t\")"),
    ("link to a note", f"[here]({P}/issues/12#note_1)", f"[here]({P}/issues/12#note_1)"),
    ("link to a known comment", f"[here]({P}/issues/20#note_777)", f"[here]({SC}/7#comment-abc)"),
    ("link definition", f"[1]: {P}/issues/12\n", f"[1]: {SC}/5\n"),
    ("link text stays", "[fixes #12](https://ci.example.com)", "[fixes #12](https://ci.example.com)"),
    ("image stays", f"![#12]({P}/issues/12)", f"![#12]({P}/issues/12)"),
    ("code span", "`#12` and ``a ` #12``", "`#12` and ``a ` #12``"),
    ("fenced code", "```\n#12 ~bug\n```\n#12", f"```\n#12 ~bug\n```\n[#5]({SC}/5)"),
    ("tilde fence in a quote", "> ~~~\n> #12\n> ~~~\n", "> ~~~\n> #12\n> ~~~\n"),
    ("unclosed fence", "```\n#12\n", "```\n#12\n"),
    ("indented code", "text\n\n    #12\n\tx #12\n", "text\n\n    #12\n\tx #12\n"),
    ("lazy continuation is prose", "text\n    #12", f"text\n    [#5]({SC}/5)"),
    ("html code", "<code>#12</code> <pre>!1</pre>", "<code>#12</code> <pre>!1</pre>"),
    ("heading", "# Title\n## #12 broke", f"# Title\n## [#5]({SC}/5) broke"),
    ("entity", "it&#39;s &#12;", "it&#39;s &#12;"),
    ("inside words and paths", "abc#12 a/#12 x!1 ##12 \\#12 1%5 a~4",
     "abc#12 a/#12 x!1 ##12 \\#12 1%5 a~4"),
    ("inside URLs", "https://x.example/p#12 https://x.example/?a=~4&b=%5",
     "https://x.example/p#12 https://x.example/?a=~4&b=%5"),
    ("mentions", "@alice #12 @all", f"@alice [#5]({SC}/5) @all"),
    ("strikethrough", "~~gone~~", "~~gone~~"),
    ("windows line ends", "a #12\r\n\r\n```\r\n#12\r\n```\r\n",
     f"a [#5]({SC}/5)\r\n\r\n```\r\n#12\r\n```\r\n"),
]


class TestRewrite:
    @pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES],
                             ids=[c[0] for c in CASES])
    def test_each_syntax(self, text: str, expected: str) -> None:
        """Every GitLab reference syntax becomes its documented SourceCraft form."""
        assert rewrite(text, REFS).text == expected

    @pytest.mark.parametrize("text", [c[1] for c in CASES], ids=[c[0] for c in CASES])
    def test_rewriting_rewritten_text_changes_nothing(self, text: str) -> None:
        """The output is a fixed point: a second pass finds nothing to change."""
        once = rewrite(text, REFS)
        twice = rewrite(once.text, REFS)
        assert twice.text == once.text
        assert twice.pending == once.pending

    def test_counts_the_references_it_changed(self) -> None:
        """Each changed reference counts once; untouched ones and code do not count."""
        result = rewrite("#12 ~bug !1 ~nope `#12` " + f"{P}/issues/12", REFS)
        assert result.rewritten == 4

    def test_a_second_pass_counts_nothing(self) -> None:
        """Rewritten text has no references left to rewrite."""
        once = rewrite("#12 ~bug !1 %5 " + f"{P}/issues/12#note_1", REFS)
        assert rewrite(once.text, REFS).rewritten == 0

    def test_same_input_same_bytes(self) -> None:
        """The output depends on the text and the map only: equal inputs, equal outputs."""
        text = "#13 #12 %5 ~4 $1 " * 50
        assert rewrite(text, REFS) == rewrite(text, dataclasses.replace(REFS))

    def test_no_text(self) -> None:
        """An empty description stays empty."""
        assert rewrite("", REFS) == Rewritten("")


class TestPending:
    def test_issues_not_yet_created_are_listed_once_in_order(self) -> None:
        """Each iid with no SourceCraft number yet is reported once, sorted."""
        result = rewrite(f"#13, #12, {P}/issues/13 and #13 again", dataclasses.replace(
            REFS, issues={12: 5, 13: None, 2: None}) )
        assert result.pending == (13,)

    def test_unknown_issues_are_not_pending(self) -> None:
        """An iid the map does not know will never be created: linked to GitLab, not pending."""
        assert rewrite("#99", REFS).pending == ()

    def test_pending_text_stays_pending_on_a_second_pass(self) -> None:
        """The placeholder link still names its issue, so a re-run reports it again."""
        once = rewrite("see #13", REFS)
        assert rewrite(once.text, REFS).pending == (13,)

    def test_once_created_the_placeholder_becomes_the_final_link(self) -> None:
        """Once the number is known, the GitLab text and the placeholder give one same text."""
        later = dataclasses.replace(REFS, issues={13: 8})
        placeholder = rewrite("see #13", REFS).text
        assert rewrite("see #13", later).text == f"see [#8]({SC}/8)"
        assert rewrite(placeholder, later).text == f"see [#8]({SC}/8)"

    def test_a_link_to_a_note_is_not_pending(self) -> None:
        """A link to a note stays on GitLab whatever the issue's number, so nothing waits for it."""
        assert rewrite(f"[x]({P}/issues/13#note_1)", REFS).pending == ()


class TestSwitch:
    def test_disabled_leaves_text_as_gitlab_has_it(self) -> None:
        """With rewriting off the text is returned unchanged, nothing counted or pending."""
        off = dataclasses.replace(REFS, enabled=False)
        assert rewrite("#12 #13 ~bug", off) == Rewritten("#12 #13 ~bug")


class TestMapOptions:
    def test_known_snippets_only(self) -> None:
        """Given the project's snippets, `$N` of any other number is money, not a snippet."""
        refs = dataclasses.replace(REFS, snippets=frozenset({3}))
        assert rewrite("$3 $5", refs).text == f"[group/project$3]({P}/snippets/3) $5"

    def test_project_web_url_wins_over_the_path(self) -> None:
        """The project's own web_url (its exact spelling) makes the GitLab links and URL matches."""
        refs = dataclasses.replace(REFS, project_web_url="https://gl.example.com/Group/Project/")
        assert rewrite("!1 https://gl.example.com/group/project/issues/12", refs).text == (
            "[group/project!1](https://gl.example.com/Group/Project/merge_requests/1) "
            f"[#5]({SC}/5)")

    def test_a_label_name_with_a_backtick_stays_one_code_span(self) -> None:
        """A label whose name has a backtick is fenced with more backticks than it holds."""
        refs = dataclasses.replace(REFS, label_targets={"bug": "a`b"})
        assert rewrite("~bug", refs).text == '``~"a`b"``'

    def test_code_span_does_not_pair_with_a_stray_backtick(self) -> None:
        """A lone backtick earlier in the paragraph cannot swallow the new code span."""
        out = rewrite("don` ~bug", REFS).text
        assert out == "don` ``~bug``"
        assert rewrite(out, REFS).text == out


class TestWebAddress:
    @pytest.mark.parametrize(("api", "web"), [
        ("https://api.sourcecraft.tech", "https://sourcecraft.dev"),
        ("https://API.sourcecraft.tech/", "https://sourcecraft.dev"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("https://api.sc.example.com", "https://sc.example.com")])
    def test_web_base_from_api_base(self, api: str, web: str) -> None:
        """The public API's site is sourcecraft.dev; elsewhere the API's host without `api.`."""
        assert sourcecraft_web(api) == web

    def test_issue_url_pattern(self) -> None:
        """The pattern names org, repo and the issue number."""
        assert issue_url_pattern("my org", "r", web="http://h/").format(number=3) == (
            "http://h/my%20org/r/issues/3")


class TestScan:
    @pytest.mark.parametrize("text", [c[1] for c in CASES], ids=[c[0] for c in CASES])
    def test_pieces_join_to_the_text(self, text: str) -> None:
        """Cutting a text into pieces loses and adds nothing."""
        assert "".join(p.raw for para in scan(text) for p in para.pieces) == text


# --- properties -------------------------------------------------------------------------------

_PLAIN = st.text(alphabet=st.characters(blacklist_characters="#!$%~:",
                                        blacklist_categories=("Cs",)), max_size=200)
_TOKENS = st.sampled_from([
    "#12", "#13", "#99", "!4", "$3", "%5", "%v1.0", '%"two words"', "%6", "~4", "~bug", "~bug.",
    '~"feature request"', "~wontfix", "a/b#1", "group/project#12", f"{P}/issues/12",
    f"{P}/issues/12#note_3", f"{P}/issues/20#note_777", f"[x]({P}/issues/12)", f"<{P}/issues/13>",
    "`", "``", "[", "]", "(", ")", "<", ">", "\\", " ", "\n", "\n\n", "    ", "```", "\n```\n",
    "&", "*", "word", "@alice", "http://x/#12", "\r\n", "!", "~", "%", "#", "$"])
_MIXED = st.lists(_TOKENS, max_size=40).map("".join)
_CODE = st.text(alphabet=st.sampled_from(list("#12~bug%5!$ `\n[]()")), max_size=80).filter(
    lambda s: "```" not in s)


class TestProperties:
    @given(_PLAIN)
    @settings(max_examples=300, deadline=None)
    def test_text_without_references_is_unchanged(self, text: str) -> None:
        """Text with no reference sigil and no URL comes back byte for byte."""
        assert rewrite(text, REFS) == Rewritten(text)

    @given(_MIXED)
    @settings(max_examples=400, deadline=None)
    def test_rewrite_is_idempotent(self, text: str) -> None:
        """rewrite(rewrite(x)) == rewrite(x), for any mix of references and markdown."""
        once = rewrite(text, REFS)
        assert rewrite(once.text, REFS).text == once.text

    @given(_MIXED, _CODE, _MIXED)
    @settings(max_examples=300, deadline=None)
    def test_fenced_code_is_never_changed(self, before: str, code: str, after: str) -> None:
        """Whatever surrounds it, a fenced block's lines come back exactly."""
        block = f"\n\n````\n{code}\n````\n\n"
        before = re.sub(r"~{3,}", "~", before.replace("`", ""))  # no fence left open before it
        out = rewrite(f"{before}{block}{after}", REFS).text
        assert block.strip("\n") in out

    @given(_MIXED, st.text(alphabet=st.sampled_from(list("#12~bug%5!$ []()")), min_size=1,
                           max_size=40).filter(lambda s: s.strip() == s and s), _MIXED)
    @settings(max_examples=300, deadline=None)
    def test_code_spans_are_never_changed(self, before: str, code: str, after: str) -> None:
        """A code span (fenced with backticks used nowhere else) comes back exactly."""
        span = f"`````{code}`````"
        out = rewrite(f"{before.replace('`', '')} {span} {after.replace('`', '')}", REFS).text
        assert span in out

    @given(st.text(max_size=300))
    @settings(max_examples=300, deadline=None)
    def test_any_text_is_cut_losslessly(self, text: str) -> None:
        """Any text, however odd, is cut into pieces that join back to it."""
        assert "".join(p.raw for para in scan(text) for p in para.pieces) == text

    @given(_MIXED, st.lists(_CODE.map(lambda s: s.replace("\n", " ").strip()).filter(bool),
                            min_size=1, max_size=4), _MIXED)
    @settings(max_examples=300, deadline=None)
    def test_indented_code_is_never_changed(self, before: str, lines: list[str],
                                            after: str) -> None:
        """Lines indented four spaces after a blank line come back exactly."""
        block = "".join(f"    {line}\n" for line in lines)
        before = re.sub(r"~{3,}", "~", before.replace("`", ""))  # no fence left open before it
        out = rewrite(f"{before}\n\n{block}\n{after}", REFS).text
        assert f"\n\n{block}\n" in out


class TestIsolation:
    @pytest.mark.parametrize("module", ["references", "reference_map", "markdown_scan"])
    def test_depends_on_no_engine(self, module: str) -> None:
        """The rewrite is pure: it imports nothing of the engine, the pipeline or the network."""
        source = (Path(__file__).parent.parent / "bridge" / "kinds" / f"{module}.py").read_text()
        imported = {node.module for node in ast.walk(ast.parse(source))
                    if isinstance(node, ast.ImportFrom)}
        imported |= {alias.name for node in ast.walk(ast.parse(source))
                     if isinstance(node, ast.Import) for alias in node.names}
        assert not {m for m in imported if m and m.startswith(
            ("bridge.engine", "bridge.pipeline", "bridge.net", "bridge.targets", "requests"))}
