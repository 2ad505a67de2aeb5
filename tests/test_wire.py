"""`Wire` prepares every request byte for byte as `requests.Session` would, and sends it once."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import responses
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.config import HttpConfig
from bridge.net.session import Wire

URL = "https://gitlab.example.com/api/v3/projects/7/issues"
HEADERS = {"PRIVATE-TOKEN": "glpat-secret"}

_scalar = st.one_of(st.none(), st.text(max_size=12), st.integers(-5, 10**6), st.booleans())
_params = st.dictionaries(st.text(min_size=1, max_size=8),
                          st.one_of(_scalar, st.lists(_scalar, max_size=3)), max_size=5)
_json = st.one_of(st.none(), st.dictionaries(st.text(max_size=6), st.one_of(
    st.text(max_size=20), st.integers(), st.none(), st.lists(st.text(max_size=5), max_size=3)),
    max_size=4))


@settings(max_examples=300, deadline=None)
@given(method=st.sampled_from(["GET", "POST", "PATCH", "PUT", "DELETE"]),
       params=st.one_of(st.none(), _params), body=_json,
       url=st.sampled_from([URL, URL + "?scope=all", URL + "?a=1&b=%C3%A9"]))
def test_prepared_exactly_as_the_session_prepares_it(method: str, params: dict[str, Any] | None,
                                                     body: Any, url: str) -> None:
    """Same URL (query string included), same headers, same body, for any params and JSON."""
    wire = Wire("https://gitlab.example.com", HEADERS, HttpConfig())
    ours = wire.prepare(method, url, params=params, json=body)
    theirs = wire.session.prepare_request(requests.Request(method, url, params=params,
                                                           json=body))
    assert (ours.method, ours.url, ours.body) == (theirs.method, theirs.url, theirs.body)
    assert dict(ours.headers) == dict(theirs.headers)


@responses.activate
def test_a_redirect_is_answered_not_followed_and_the_body_is_read() -> None:
    """A 302 comes back as it is (HttpClient refuses it), its body already read."""
    responses.get(URL, status=302, headers={"Location": "https://elsewhere.example/x"},
                  body=b"moved")
    wire = Wire("https://gitlab.example.com", HEADERS, HttpConfig())
    response = wire.send("GET", URL, params={"page": 2}, json=None)
    assert response.status_code == 302
    assert response._content == b"moved"  # read already, as a non-streamed request is
    assert [call.request.url for call in responses.calls] == [URL + "?page=2"]
    assert responses.calls[0].request.headers["PRIVATE-TOKEN"] == "glpat-secret"


@pytest.mark.parametrize(("env", "verify_tls", "expected_verify", "expected_proxies"), [
    ({"HTTPS_PROXY": "http://proxy.corp:3128"}, True, True,
     {"https": "http://proxy.corp:3128"}),
    ({"REQUESTS_CA_BUNDLE": "/etc/ssl/corp.pem"}, True, "/etc/ssl/corp.pem", {}),
    ({"REQUESTS_CA_BUNDLE": "/etc/ssl/corp.pem"}, False, False, {}),
])
def test_the_adapter_is_given_the_proxy_and_tls_settings(
        monkeypatch: pytest.MonkeyPatch, env: dict[str, str], verify_tls: bool,
        expected_verify: bool | str, expected_proxies: dict[str, str]) -> None:
    """What the environment and `http.verify_tls` say reaches every send, not only the session:
    a corporate proxy or CA bundle lost here would fail every request of a run."""
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY",
                 "all_proxy", "NO_PROXY", "no_proxy", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    wire = Wire("https://gitlab.example.com", HEADERS, HttpConfig(verify_tls=verify_tls))
    seen: dict[str, Any] = {}

    def send(request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        seen.update(kwargs)
        response = requests.Response()
        response.status_code, response._content = 200, b"[]"
        return response

    monkeypatch.setattr(wire._adapter, "send", send)
    wire.send("GET", URL, params=None, json=None)
    assert seen["verify"] == expected_verify
    assert seen["proxies"] == expected_proxies
    assert seen["cert"] is None
    assert seen["timeout"] == (HttpConfig().connect_timeout_s, HttpConfig().timeout_s)
