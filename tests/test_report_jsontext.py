"""The JSON report's fast writer: the same text as json.dumps of the masked tree, every time."""

from __future__ import annotations

import datetime
import json
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
