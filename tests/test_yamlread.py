"""The YAML reading shared by the config and the mapping: file, nodes, key walk, suggestions."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from yaml.nodes import MappingNode, Node

from bridge.errors import ConfigError
from bridge.yamlread import Wording, compose, describe, nearest, pairs

WORDING = Wording(unreadable="cannot read the thing", syntax="bad YAML", empty="nothing here",
                  missing=None)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "f.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def root(text: str) -> Node:
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    assert node is not None
    return node


class TestCompose:
    def test_root_node_keeps_lines(self, tmp_path: Path) -> None:
        """A good file gives its root node, with marks for the lines of its keys."""
        node = compose(write(tmp_path, "a: 1\nb: 2\n"), WORDING)
        assert isinstance(node, MappingNode)
        assert [key.start_mark.line + 1 for key, _ in node.value] == [1, 2]

    @pytest.mark.parametrize("text", ["", "  \n", "# only a comment\n", "---\n", "''\n"])
    def test_empty_file_uses_the_callers_words(self, tmp_path: Path, text: str) -> None:
        """Nothing, blanks, comments, a bare --- or an empty string are all an empty file."""
        with pytest.raises(ConfigError) as caught:
            compose(write(tmp_path, text), WORDING)
        assert caught.value.line == 1
        assert str(caught.value) == f"{tmp_path / 'f.yaml'}:1: nothing here"

    def test_syntax_error_names_its_line(self, tmp_path: Path) -> None:
        """A YAML syntax error starts with the caller's words and points at the line."""
        with pytest.raises(ConfigError) as caught:
            compose(write(tmp_path, "a: [1,\nb: 2\n"), WORDING)
        assert caught.value.line == 3
        assert ": bad YAML: " in str(caught.value)

    def test_control_character_is_one_line(self, tmp_path: Path) -> None:
        """A character YAML refuses is named on one line, without the reader's position notes."""
        with pytest.raises(ConfigError) as caught:
            compose(write(tmp_path, "a: \x07\n"), WORDING)
        message = str(caught.value)
        assert "\n" not in message
        assert message.endswith("not valid YAML: unacceptable character #x0007: special "
                                "characters are not allowed")

    def test_missing_file_without_own_words(self, tmp_path: Path) -> None:
        """A missing file reads as unreadable, with the reason, when no `missing` words are set."""
        with pytest.raises(ConfigError) as caught:
            compose(tmp_path / "none.yaml", WORDING)
        assert str(caught.value).endswith("none.yaml: cannot read the thing: FileNotFoundError: "
                                          "No such file or directory")

    def test_missing_file_with_own_words(self, tmp_path: Path) -> None:
        """A caller's `missing` words replace the unreadable message for a missing file only."""
        wording = Wording(unreadable="cannot read", syntax="bad", empty="empty",
                          missing="file not found")
        with pytest.raises(ConfigError) as caught:
            compose(tmp_path / "none.yaml", wording)
        assert str(caught.value) == f"{tmp_path / 'none.yaml'}: file not found"

    def test_undecodable_file(self, tmp_path: Path) -> None:
        """A file that is not UTF-8 is unreadable, not a traceback."""
        path = tmp_path / "f.yaml"
        path.write_bytes(b"a: \xff\n")
        with pytest.raises(ConfigError, match="cannot read the thing: UnicodeDecodeError"):
            compose(path, WORDING)


class TestDescribe:
    @pytest.mark.parametrize(("text", "brief"), [
        ("{a: 1}", "a mapping"), ("[1]", "a list"), ("~", "nothing (null)"),
        ("yes", "true/false"), ("3", "a number"), ("1.5", "a number"), ("x", "text"),
        ("'3'", "text"),
    ])
    def test_kind_without_a_value(self, text: str, brief: str) -> None:
        """Without its value, a node reads as its kind, from its YAML tag."""
        assert describe(root(text)) == brief

    @pytest.mark.parametrize(("text", "value", "shown"), [
        ("~", None, "empty"), ("yes", True, "true (true/false)"), ("3", 3, "the number 3"),
        ("x", "x", "the text 'x'"), ("[1]", [1], "a list"),
    ])
    def test_value_when_given(self, text: str, value: object, shown: str) -> None:
        """Given its value, a scalar reads as that value; collections still read as their shape."""
        assert describe(root(text), value) == shown


class TestNearest:
    def test_close_word_is_suggested(self) -> None:
        """A near miss gets the closest option."""
        assert nearest("mirorr", ["source", "mirror", "http"]) == "mirror"

    def test_far_word_gets_nothing(self) -> None:
        """A word close to no option gets no suggestion."""
        assert nearest("zzz", ["source", "mirror"]) is None


class TestPairs:
    @staticmethod
    def twice(key: str, node: Node, why: str) -> ConfigError:
        """The error a caller builds for a repeated key."""
        return ConfigError(f"'{key}' {why}", line=node.start_mark.line + 1)

    @staticmethod
    def text(node: Node) -> str:
        """A key's raw text."""
        return str(node.value)

    def test_keys_in_file_order(self) -> None:
        """Each key comes with its key and value nodes, in the order of the file."""
        node = root("b: 1\na: [2]\n")
        assert isinstance(node, MappingNode)
        found = [(key, value.value if key == "b" else len(value.value))
                 for key, _, value in pairs(node, self.text, self.twice)]
        assert found == [("b", "1"), ("a", 1)]

    def test_key_given_twice_names_the_first_line(self) -> None:
        """The second use of a key is refused, naming the line of the first."""
        node = root("a: 1\nb: 2\na: 3\n")
        assert isinstance(node, MappingNode)
        with pytest.raises(ConfigError) as caught:
            list(pairs(node, self.text, self.twice))
        assert (str(caught.value), caught.value.line) == (
            "'a' is given twice (first on line 1)", 3)

    def test_key_reader_may_refuse_first(self) -> None:
        """A key the caller's reader refuses fails before any later duplicate is looked at."""
        node = root("[x]: 1\n")
        assert isinstance(node, MappingNode)

        def text(key_node: Node) -> str:
            raise ConfigError("keys must be text")

        with pytest.raises(ConfigError, match="keys must be text"):
            list(pairs(node, text, self.twice))
