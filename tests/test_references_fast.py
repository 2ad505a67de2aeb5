"""The rewrite's shortcut: a text that cannot hold a reference comes back unscanned, and the
answer is always the one the full scan gives."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.kinds import references
from bridge.kinds.reference_map import ReferenceMap, issue_url_pattern
from bridge.kinds.references import Rewritten, rewrite, rewrite_scanned

GL = "https://gitlab.example.com"
P = f"{GL}/group/project"

REFS = ReferenceMap(
    gitlab_url=GL, project_path="group/project",
    sourcecraft_issue_url=issue_url_pattern("org", "repo"),
    issues={12: 5, 13: None, 20: 7},
    comment_urls={777: "https://sourcecraft.dev/org/repo/issues/7#comment-abc"},
    milestone_slugs={5: "v1-0", 6: None}, milestone_titles={"v1.0": 5, "old": 6},
    label_names={4: "bug", 10: "wontfix"}, label_targets={"bug": "bug"})
#: The same project at another web address, and one whose rewrite is turned off.
MAPS = [REFS, dataclasses.replace(REFS, project_web_url="http://GitLab.Example.com:8080/g/p/"),
        dataclasses.replace(REFS, enabled=False)]

#: Markdown and near-references, and the pieces a sigil or a URL is made of.
_TOKENS = st.sampled_from([
    "[", "]", "(", ")", "<", ">", "`", "``", "```", "~~~", "\n", "\n\n", "    ", "\t", "\r\n",
    "\\", " ", "*", "&", "&#39;", "word", "12", "v1.0", "bug", "http", "https", ":", "/", "//",
    "gitlab.example.com", "group/project", "/issues/", "/issues/12", "#note_777", "note_3",
    "<code>", "</code>", "<pre>", "[x](", "]: ", "www.", "\u2028", "\x0c", "é", "١٢",
    "#", "!", "$", "%", "~", "#12", "!4", "$3", "%5", "~4", "~bug", "://",
    f"{P}/issues/12", f"{P}/issues/13", f"[x]({P}/issues/20#note_777)", f"<{P}/issues/12>"])
_MIXED = st.lists(_TOKENS, max_size=40).map("".join)
_NO_SIGIL = st.lists(_TOKENS.filter(lambda t: references._MAY_REFER.search(t) is None),
                     max_size=40).map("".join)


class TestShortcut:
    @given(st.one_of(_MIXED, st.text(max_size=300)), st.sampled_from(MAPS))
    @settings(max_examples=600, deadline=None)
    def test_same_answer_as_the_full_scan(self, text: str, refs: ReferenceMap) -> None:
        """Shortcut or not, every text rewrites exactly as the scan to a fixed point does."""
        assert rewrite(text, refs) == rewrite_scanned(text, refs)

    @given(_NO_SIGIL, st.sampled_from(MAPS))
    @settings(max_examples=400, deadline=None)
    def test_what_it_skips_the_scan_leaves_alone(self, text: str, refs: ReferenceMap) -> None:
        """A text the shortcut returns unscanned is one the full scan gives back byte for byte,
        references not counted and no issue pending."""
        if references._MAY_REFER.search(text) is None:  # two tokens may still make `://`
            assert rewrite_scanned(text, refs) == Rewritten(text)

    def test_a_text_without_references_is_not_scanned(self, monkeypatch: pytest.MonkeyPatch
                                                      ) -> None:
        """No sigil and no URL: the markdown scan is not run at all."""
        def refuse(text: str) -> None:
            raise AssertionError(f"scanned {text!r}")

        monkeypatch.setattr(references, "scan", refuse)
        text = "Generated for load tests (62673).\n\n    code\n[a](b) <i>x</i> a/b 12."
        assert rewrite(text, REFS) == Rewritten(text)

    @pytest.mark.parametrize(("text", "expected"), [
        (f"{P}/issues/12", "[#5](https://sourcecraft.dev/org/repo/issues/5)"),
        ("see #12", "see [#5](https://sourcecraft.dev/org/repo/issues/5)"),
        ("in %5", "in `%v1-0`"),
        ("~4", "`~bug`")])
    def test_one_sigil_or_url_is_enough_to_scan(self, text: str, expected: str) -> None:
        """A URL alone, or a single sigil, still goes through the rewrite."""
        assert rewrite(text, REFS).text == expected
