"""One server's requests session: the environment read once, and requests sent through it lean.

`requests.Session.request` merges seven settings per request (each through a typing
Protocol `isinstance`, slow on Python 3.11), builds a cookie jar, dispatches hooks and
resolves redirects, none of which a token-authenticated API client uses. `Wire.send`
prepares the request exactly as the session would (its headers, the same query string
and body encoding) and hands it to the session's own adapter, where `responses` and every
transport error behave as before: 0.76 ms of CPU a request instead of 0.97 (measured
against the sandbox, 80 GETs each), on every thread that waits for the GIL.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import requests
from requests.adapters import HTTPAdapter

from bridge.config import HttpConfig


def settle_environment(session: requests.Session, base_url: str) -> None:
    """Read the proxy and CA-bundle variables once, instead of on every request.

    With `trust_env`, requests re-reads the proxy variables and stats ~/.netrc for each
    request: a profile of the benchmark showed about a millisecond of CPU and a stat per
    page. The meaning is kept (HTTPS_PROXY, NO_PROXY, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE);
    ~/.netrc is dropped on purpose, as its Basic auth would replace our token headers.
    """
    session.trust_env = False
    session.proxies.update(requests.utils.get_environ_proxies(base_url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    # Only for https: with a path, requests stats it on every request, even over plain http.
    if session.verify is True and bundle and base_url.startswith("https://"):
        session.verify = bundle


def query(params: Mapping[str, Any] | None) -> str | None:
    """The query string requests would make of `params`: None values left out, lists
    repeated, in order (`requests.models.RequestEncodingMixin._encode_params`)."""
    if not params:
        return None
    pairs: list[tuple[str, Any]] = []
    for key, given in params.items():
        values = [given] if isinstance(given, str | bytes) or not hasattr(given, "__iter__") \
            else given
        pairs.extend((key, value) for value in values if value is not None)
    return urlencode(pairs, doseq=True)


class Wire:
    """The pooled connections to one server, and `send`: one request, no redirect followed."""

    def __init__(self, base_url: str, headers: Mapping[str, str], http: HttpConfig,
                 session: requests.Session | None = None) -> None:
        self.session = session or requests.Session()
        self.session.headers.update(headers)
        self.session.verify = http.verify_tls
        if session is None:
            settle_environment(self.session, base_url)
        self._adapter = HTTPAdapter(pool_connections=1, pool_maxsize=http.concurrency + 2)
        self.session.mount("https://", self._adapter)
        self.session.mount("http://", self._adapter)
        self._timeout = (http.connect_timeout_s, http.timeout_s)
        self._verify: bool | str = True if self.session.verify is None else self.session.verify

    def prepare(self, method: str, url: str, *, params: Mapping[str, Any] | None,
                json: Any) -> requests.PreparedRequest:
        """The request as `session.prepare_request` makes it (no cookies, auth or hooks to
        merge: the token is a header)."""
        prepared = requests.PreparedRequest()
        prepared.prepare_method(method)
        prepared.prepare_url(url, query(params))
        prepared.prepare_headers(self.session.headers)
        prepared.prepare_body(None, None, json)
        return prepared

    def send(self, method: str, url: str, *, params: Mapping[str, Any] | None,
             json: Any) -> requests.Response:
        """The response, its body read (the connection back in the pool), as the session's
        `request(..., allow_redirects=False)` would answer."""
        prepared = self.prepare(method, url, params=params, json=json)
        response = self._adapter.send(prepared, stream=False, timeout=self._timeout,
                                      verify=self._verify, cert=self.session.cert,
                                      proxies=self.session.proxies)
        response.content  # noqa: B018  read now, as a non-streamed session request does
        return response

    def close(self) -> None:
        """Release the pooled connections."""
        self.session.close()
