"""Answer bodies are read by msgspec when it can, and exactly as json.loads read them otherwise."""

from __future__ import annotations

import json
import math

import pytest
import requests

from bridge.errors import RetriableApiError
from bridge.net import classify
from bridge.net.classify import parse_json


def _response(body: bytes) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response._content = body
    response.request = requests.Request("GET", "http://127.0.0.1:9/repos/o/r/issues").prepare()
    return response


@pytest.mark.parametrize("body", [
    b'{"issues": [{"id": "a", "title": "\\u00e9t\\u00e9", "n": 18446744073709551616}],'
    b' "next_page_token": null, "x": -0.0, "y": 1E5, "z": [true, false, 0.1]}',
    b'{"a": 1, "a": 2}', b'  []  ', b'"text"',
])
def test_standard_json_reads_the_same(body: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """Standard JSON: the same values as json.loads, read without it."""
    expected = json.loads(body)

    def refuse(_body: bytes) -> object:
        raise AssertionError("standard JSON went to json.loads")

    monkeypatch.setattr(classify.json, "loads", refuse)
    got = parse_json(_response(body))
    assert got == expected
    assert repr(got) == repr(expected)


@pytest.mark.parametrize("body", [b'{"a": NaN}', b'{"a": 1e400}', b'\xef\xbb\xbf{"a": 1}',
                                  '{"a": 1}'.encode("utf-16"), b'"\\ud800"'])
def test_what_msgspec_refuses_json_loads_reads_as_before(body: bytes) -> None:
    """NaN, overflow, a BOM, UTF-16, a lone surrogate: json.loads's answer, as before."""
    got = parse_json(_response(body))
    expected = json.loads(body)
    if isinstance(expected, dict) and isinstance(expected["a"], float) and math.isnan(
            expected["a"]):
        assert math.isnan(got["a"])
    else:
        assert got == expected


@pytest.mark.parametrize("body", [b'{"a": "\xff"}', b'{"a": ', b"<html>", b"[" * 5000])
def test_garbage_is_still_retriable(body: bytes) -> None:
    """Bytes that are not UTF-8, a cut body, HTML, nesting past any real answer: retriable."""
    with pytest.raises(RetriableApiError, match="not JSON"):
        parse_json(_response(body))
