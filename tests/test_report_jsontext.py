"""The JSON report's fast writer: the same text as json.dumps of the masked tree, every time."""

from __future__ import annotations

import datetime
import json
import random
from collections.abc import Iterator
from typing import Any

import pytest

from bridge.logs import clear_secrets, mask_value, register_secret
from bridge.report import jsontext
from bridge.report.jsontext import dumps_masked

TOKEN = "glpat-Secret123456"


@pytest.fixture(autouse=True)
def _secret() -> Iterator[None]:
    clear_secrets()
    register_secret(TOKEN)
    yield
    clear_secrets()


def old(value: Any) -> str:
    """What render_json wrote before: the standard library over mask_value's copy."""
    return json.dumps(mask_value(value), indent=2, ensure_ascii=False, default=str)


PLAIN: dict[str, Any] = {
    "version": 2, "dry_run": False, "nothing": None, "duration_s": 1.561, "zero": 0.0,
    "source": {"url": f"http://x/?t={TOKEN}", "project": "g/p"},
    "items": [{"title": "é 日本 \u2028 \x00 \" \\ \t", "changes": {"status": ["open", "closed"]},
               "extra": {}, "Token": "kept out", "private-token": 5, "list": []}],
    "tuple": (1, 2, [3, (4,)]), "big": 10**20, "negative": -7, f"key {TOKEN}": "x",
}


def test_plain_tree_same_text_and_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Strings, numbers, nesting, secret keys and registered secrets: byte for byte the same."""
    expected = old(PLAIN)

    def slow_path(*_args: object, **_kwargs: object) -> str:
        raise AssertionError("a plain report took the slow path")

    monkeypatch.setattr(jsontext.json, "dumps", slow_path)
    text = dumps_masked(PLAIN)
    assert text == expected
    assert TOKEN not in text
    assert '"Token": "***"' in text
    assert '"private-token": "***"' in text
    assert json.loads(text)["items"][0]["title"] == "é 日本 \u2028 \x00 \" \\ \t"


@pytest.mark.parametrize("odd", [
    1e16, 2.5e-07, float("nan"), float("inf"), {1: "int key"}, {None: 1}, {"a", "b"},
    frozenset({3}), datetime.datetime(2020, 1, 2, 3, 4, 5), "\ud800", True, b"bytes",
    Exception(f"boom {TOKEN}"), 10**40,
])
def test_unusual_values_take_the_old_path(odd: Any) -> None:
    """Whatever msgspec would write differently is written exactly as before."""
    tree = {"items": [{"value": odd, "token": "x"}], "other": PLAIN}
    assert dumps_masked(tree) == old(tree)
    assert TOKEN not in dumps_masked(tree)


def test_a_secret_in_any_string_is_masked_as_before() -> None:
    """The unmasked encoding is only kept when no secret is in it: one in a value, in a key
    or deep in a list sends the whole tree through the mask, with the same text as before."""
    clean = {"a": ["x", {"b": "y"}], "n": 1}
    for tree in ({**clean, "c": f"pre{TOKEN}post"}, {**clean, f"k{TOKEN}": 1},
                 [clean, [[{"d": TOKEN}]]], [clean] * 3 + [{"e": [1, f"{TOKEN}"]}]):
        text = dumps_masked(tree)
        assert text == old(tree)
        assert TOKEN not in text
        assert "***" in text


@pytest.mark.parametrize("secret", ['quo"te-secret', "back\\slash-secret", "tab\tsecret",
                                    "line\nsecret", "unicode-секрет"])
def test_secrets_json_would_escape_are_masked_too(secret: str) -> None:
    """A secret JSON writes escaped cannot be searched for in the encoding: every string is
    masked instead, and the text is the same as before."""
    register_secret(secret)
    tree = {"items": [{"title": f"has {secret} in it", "changes": {}}, {"title": "none"}]}
    text = dumps_masked(tree)
    assert text == old(tree)
    assert json.loads(text)["items"][0]["title"] == "has *** in it"
    assert secret not in json.loads(text)["items"][0]["title"]


def test_keys_remembered_are_masked_again_when_a_secret_is_added() -> None:
    tree = {"items": [{"ghp-later": 1, "title": "ghp-later too", "token": "x"}]}
    assert dumps_masked(tree) == old(tree)
    assert "ghp-later" in dumps_masked(tree)
    register_secret("ghp-later")
    text = dumps_masked(tree)
    assert text == old(tree)
    assert "ghp-later" not in text
    assert '"***": 1' in text
    assert '"token": "***"' in text


def test_secret_keys_anywhere_are_masked_and_str_subclass_keys_written_alike() -> None:
    class Key(str):
        __slots__ = ()

    deep = [{"a": [{"b": {"Private-Token": "v", "c": 1}}]}, {"x": {Key("password"): "p"}},
            {Key("title"): "t"}]
    text = dumps_masked(deep)
    assert text == old(deep)
    assert '"Private-Token": "***"' in text
    assert '"password": "***"' in text
    assert '"p"' not in text


def _tree(rng: random.Random, depth: int = 0) -> Any:
    """A random JSON-like tree: strings with and without the token, secret keys, odd floats."""
    pick = rng.random()
    if depth > 3 or pick < 0.45:
        return rng.choice([None, True, 0, -3, 10**18, 1.5, 1e16, "plain", f"a{TOKEN}b",
                           "é \x00 \" \\", TOKEN[:-1], "", "***"])
    if pick < 0.7:
        return [_tree(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = ["title", "token", "Authorization", f"k{TOKEN}", "changes", "x", "***"]
    return {rng.choice(keys): _tree(rng, depth + 1) for _ in range(rng.randrange(5))}


def test_random_trees_are_written_exactly_as_before() -> None:
    rng = random.Random(17)
    for _ in range(500):
        tree = _tree(rng)
        text = dumps_masked(tree)
        assert text == old(tree)
        assert TOKEN not in text
