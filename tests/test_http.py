"""The HTTP layer: response classification, retried reads, once-only POSTs, origin checks, logs."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses
import structlog
from responses import matchers
from structlog.testing import capture_logs
from urllib3.exceptions import MaxRetryError, NewConnectionError

from bridge.config import HttpConfig
from bridge.errors import AmbiguousWriteError, ConfigError, FatalApiError, RetriableApiError
from bridge.net.http import HttpClient, parse_json, raise_for_response

GITLAB = "https://gitlab.example.com"
SOURCECRAFT = "https://api.sourcecraft.tech"
TOKEN = "glpat-very-secret-token"

#: Headers as gitlab.com sent them (recorded by GitLab's release-tools, 2018).
GITLAB_HEADERS = {
    "Server": "nginx", "Date": "Tue, 30 Jan 2018 21:06:01 GMT",
    "Cache-Control": "max-age=0, private, must-revalidate", "Vary": "Origin",
    "X-Content-Type-Options": "nosniff", "X-Frame-Options": "SAMEORIGIN",
    "X-Request-Id": "8d6a3278-0afa-4a00-aae4-6a1830e499c9", "X-Runtime": "0.085910",
}

PROXY_502 = ("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body bgcolor=\"white\">"
             "\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
             "</body>\r\n</html>\r\n")


@pytest.fixture(autouse=True)
def debug_logging() -> Iterator[None]:
    """Let debug events through for capture_logs, whatever other tests configured."""
    saved = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG),
                        cache_logger_on_first_use=False)
    yield
    structlog.configure(**saved)


class Waits(list[float]):
    def sleep(self, seconds: float) -> None:
        self.append(seconds)


def client(base: str = GITLAB, *, waits: Waits | None = None, **http: Any) -> HttpClient:
    sleep = (waits if waits is not None else Waits()).sleep
    return HttpClient(base, kind="source", headers={"PRIVATE-TOKEN": TOKEN},
                      http=HttpConfig(**http), sleep=sleep, jitter=lambda: 0.5, clock=lambda: 0.0)


def answer(status: int, body: Any = None, headers: dict[str, str] | None = None,
           method: str = "GET", url: str = f"{GITLAB}/api/v3/x") -> requests.Response:
    """A real requests.Response, as if the server had sent it."""
    response = requests.Response()
    response.status_code = status
    if isinstance(body, bytes):
        response._content = body
    elif isinstance(body, str):
        response._content = body.encode()
    else:
        response._content = b"" if body is None else json.dumps(body).encode()
    response.headers.update(headers or {})
    response.request = requests.Request(method, url).prepare()
    return response


class TestRaiseForResponse:
    @pytest.mark.parametrize("status", [200, 201, 204, 299])
    def test_any_2xx_is_success(self, status: int) -> None:
        """SourceCraft's success codes have changed before: every 2xx passes."""
        raise_for_response(answer(status))

    @pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
    def test_retriable_statuses(self, status: int) -> None:
        """429 and the four transient 5xx are RetriableApiError carrying the status."""
        with pytest.raises(RetriableApiError) as caught:
            raise_for_response(answer(status, {"message": "busy"}))
        assert caught.value.status == status

    @pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422, 501])
    def test_fatal_statuses(self, status: int) -> None:
        """Other 4xx (and 5xx like 501) are FatalApiError carrying the status."""
        with pytest.raises(FatalApiError) as caught:
            raise_for_response(answer(status, {"message": "no"}))
        assert caught.value.status == status

    @pytest.mark.parametrize(("body", "text"), [
        ({"message": "401 Unauthorized"}, "401 Unauthorized"),
        ({"message": "404 Project Not Found"}, "404 Project Not Found"),
        ({"error": "404 Not Found"}, "404 Not Found"),
        ({"message": {"title": ["can't be blank"], "due_date": ["is invalid"]}},
         "title can't be blank; due_date is invalid"),
        ("Retry later\n", "Retry later"),
        (PROXY_502, "502 Bad Gateway"),
        ("<html><body><p>Down for\n maintenance &amp; more</p></body></html>",
         "Down for maintenance & more"),
        (b"", "no body"),
    ], ids=["message", "project-404", "error", "message-object", "rack-attack", "proxy-html",
            "html-no-title", "empty"])
    def test_gitlab_and_plain_bodies_become_one_line(self, body: Any, text: str) -> None:
        """GitLab's message (string or object), error, plain text and HTML are summarised."""
        response = answer(404, body)
        response.reason = "no body"
        with pytest.raises(FatalApiError) as caught:
            raise_for_response(response)
        # The status is said once, even when GitLab's body repeats it ("404 Not Found").
        expected = text if text.startswith("404") else f"404 {text}"
        assert str(caught.value) == f"GET /api/v3/x: {expected}"
        assert "\n" not in str(caught.value)

    def test_sourcecraft_envelope_keeps_request_id(self) -> None:
        """SourceCraft's error_code, message, details and request_id all reach the message."""
        body = {"error_code": "ValidationError", "message": "slug already exists",
                "request_id": "7f3a-11", "details": {"slug": "v1-0"}}
        response = answer(400, body, method="POST", url=f"{SOURCECRAFT}/repos/o/r/milestones")
        with pytest.raises(FatalApiError) as caught:
            raise_for_response(response)
        assert str(caught.value) == ("POST /repos/o/r/milestones: 400 ValidationError: slug "
                                     "already exists (slug v1-0) [request_id 7f3a-11]")
        assert caught.value.request_id == "7f3a-11"

    def test_query_string_is_left_out_of_the_message(self) -> None:
        """Only the path is quoted, so no query value can leak into an error."""
        response = answer(404, {"message": "x"}, url=f"{GITLAB}/api/v3/x?private_token=abc")
        with pytest.raises(FatalApiError) as caught:
            raise_for_response(response)
        assert "abc" not in str(caught.value)

    @pytest.mark.parametrize(("headers", "wait"), [
        ({"Retry-After": "7"}, 7.0),
        ({"Retry-After": "1.5"}, 1.5),
        ({"Retry-After": "Tue, 30 Jan 2018 21:06:31 GMT", "Date": "Tue, 30 Jan 2018 21:06:01 GMT"},
         30.0),
        ({"Retry-After": "Tue, 30 Jan 2018 21:00:00 GMT", "Date": "Tue, 30 Jan 2018 21:06:01 GMT"},
         0.0),
        ({"RateLimit-Reset": "1517346421", "Date": "Tue, 30 Jan 2018 21:06:01 GMT"}, 60.0),
        ({"RateLimit-Reset": "12"}, 12.0),
        ({"Retry-After": "soon", "RateLimit-Reset": "5"}, 5.0),
        ({}, None),
    ], ids=["seconds", "fraction", "http-date", "date-past", "gitlab-epoch", "ietf-delta",
            "bad-retry-after", "none"])
    def test_retry_after_forms(self, headers: dict[str, str], wait: float | None) -> None:
        """Retry-After as seconds or an HTTP date (server's clock), else RateLimit-Reset."""
        with pytest.raises(RetriableApiError) as caught:
            raise_for_response(answer(429, "Retry later\n", headers))
        assert caught.value.retry_after == wait


class TestParseJson:
    def test_json_body(self) -> None:
        """A JSON body is returned as data."""
        assert parse_json(answer(200, [{"id": 1}])) == [{"id": 1}]

    def test_no_content(self) -> None:
        """A 204 has no body: None."""
        assert parse_json(answer(204)) is None

    @pytest.mark.parametrize("body", [b"", b'[{"id": 1, "tit', b"<html>oops</html>"],
                             ids=["empty", "truncated", "html"])
    def test_garbage_is_retriable(self, body: bytes) -> None:
        """An empty, truncated or non-JSON 200 is RetriableApiError, so a GET tries again."""
        with pytest.raises(RetriableApiError):
            parse_json(answer(200, body))


class TestHttpClientReads:
    @responses.activate
    def test_get_sends_token_as_header_only(self) -> None:
        """GitLab's token travels as PRIVATE-TOKEN, never in the query; timeouts are set."""
        responses.get(f"{GITLAB}/api/v3/projects/1", json={"id": 1}, headers=GITLAB_HEADERS,
                      match=[matchers.query_param_matcher({})])
        http = client(timeout_s=12, connect_timeout_s=3)
        assert parse_json(http.get("/api/v3/projects/1")) == {"id": 1}
        sent = responses.calls[0].request
        assert sent.headers["PRIVATE-TOKEN"] == TOKEN
        assert TOKEN not in (sent.url or "")
        assert sent.req_kwargs["timeout"] == (3, 12)  # type: ignore[attr-defined]

    @responses.activate
    def test_get_retries_transient_failures_on_schedule(self) -> None:
        """503, a dropped connection, a 502 HTML page and a truncated body are each retried."""
        url = f"{GITLAB}/api/v3/projects/1/milestones"
        responses.get(url, json={"message": "503"}, status=503, headers=GITLAB_HEADERS)
        responses.get(url, body=requests.ConnectionError("Connection reset by peer"))
        responses.get(url, body=PROXY_502, status=502, content_type="text/html")
        responses.get(url, body=b'[{"id": 1, "ti', content_type="application/json")
        responses.get(url, body=requests.exceptions.ChunkedEncodingError("IncompleteRead"))
        responses.get(url, json=[{"id": 1}], headers=GITLAB_HEADERS)
        waits = Waits()
        http = client(waits=waits, max_attempts=6, max_wait_s=1000)
        assert parse_json(http.get(url)) == [{"id": 1}]
        assert waits == [0.75, 1.5, 3.0, 6.0, 12.0]
        assert http.requests_made == {"read": 6, "write": 0}

    @responses.activate
    def test_rack_attack_429_waits_as_told(self) -> None:
        """rack-attack's plain `Retry later` 429 waits its Retry-After, not the backoff."""
        url = f"{GITLAB}/api/v3/projects/1"
        responses.get(url, body="Retry later\n", status=429, content_type="text/plain",
                      headers={"Retry-After": "9"})
        responses.get(url, json={"id": 1})
        waits = Waits()
        client(waits=waits).get(url)
        assert waits == [9.0]

    @pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
    @responses.activate
    def test_get_does_not_retry_fatal_statuses(self, status: int) -> None:
        """400, 401, 403, 404 and 422 end the request after one attempt."""
        responses.get(f"{GITLAB}/api/v3/projects/1", json={"message": f"{status} x"},
                      status=status)
        waits = Waits()
        http = client(waits=waits)
        with pytest.raises(FatalApiError) as caught:
            http.get("/api/v3/projects/1")
        assert caught.value.status == status
        assert (len(responses.calls), waits) == (1, [])

    @pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
    @responses.activate
    def test_patch_does_not_retry_fatal_statuses(self, status: int) -> None:
        """A PATCH answered 400, 401, 403, 404 or 422 is sent once, never again."""
        url = f"{SOURCECRAFT}/milestones/id:abc"
        responses.patch(url, status=status, json={"error_code": "Bad", "message": "no",
                                                  "request_id": "r1"})
        waits = Waits()
        with pytest.raises(FatalApiError) as caught:
            client(SOURCECRAFT, waits=waits).patch("/milestones/id:abc", json={"status": "closed"})
        assert caught.value.status == status
        assert (len(responses.calls), waits) == (1, [])

    @responses.activate
    def test_get_gives_up_after_max_attempts(self) -> None:
        """A server that keeps failing gets max_attempts tries, then the error is raised."""
        responses.get(f"{GITLAB}/api/v3/x", json={"message": "oops"}, status=500)
        http = client(max_attempts=3)
        with pytest.raises(RetriableApiError) as caught:
            http.get("/api/v3/x")
        assert caught.value.status == 500
        assert len(responses.calls) == 3
        assert caught.value.exit_code == 3

    @responses.activate
    def test_patch_and_delete_are_retried(self) -> None:
        """PATCH and DELETE are idempotent, so they are retried like GET and counted as writes."""
        url = f"{SOURCECRAFT}/milestones/id:abc"
        responses.patch(url, status=503, json={"error_code": "Unavailable", "message": "x",
                                               "request_id": "r1"})
        responses.patch(url, json={"slug": "v1", "status": "closed"})
        responses.delete(url, status=502, body="")
        responses.delete(url, status=204)
        http = client(SOURCECRAFT)
        assert parse_json(http.patch("/milestones/id:abc", json={"status": "closed"},
                                     params={"silent": "true"}))["status"] == "closed"
        assert http.delete("/milestones/id:abc").status_code == 204
        assert http.requests_made == {"read": 0, "write": 4}
        assert json.loads(responses.calls[0].request.body or b"") == {"status": "closed"}

    @responses.activate
    def test_redirect_is_not_followed(self) -> None:
        """A redirect is refused: following it would carry PRIVATE-TOKEN to wherever it points."""
        responses.get(f"{GITLAB}/api/v3/x", status=301,
                      headers={"Location": "https://evil.example.net/x?q=1"})
        with pytest.raises(FatalApiError, match="redirected"):
            client().get("/api/v3/x")
        assert len(responses.calls) == 1

    @responses.activate
    def test_token_echoed_by_server_is_masked(self) -> None:
        """If a server repeats our token in an error body, the exception shows *** instead."""
        responses.get(f"{GITLAB}/api/v3/x", status=401,
                      json={"message": f"token {TOKEN} is revoked"})
        with pytest.raises(FatalApiError) as caught:
            client().get("/api/v3/x")
        assert TOKEN not in str(caught.value)
        assert "***" in str(caught.value)

    @responses.activate
    def test_counts_are_thread_safe(self) -> None:
        """Every attempt from every thread is counted once."""
        responses.get(f"{GITLAB}/api/v3/x", json=[])
        http = client(concurrency=8)
        threads = [threading.Thread(target=lambda: [http.get("/api/v3/x") for _ in range(25)])
                   for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert http.requests_made["read"] == 200


    @responses.activate
    def test_bearer_token_echoed_bare_is_masked(self) -> None:
        """SourceCraft's Bearer token is masked even when echoed without the 'Bearer ' prefix."""
        responses.get(f"{SOURCECRAFT}/x", status=403, json={
            "error_code": "Forbidden", "message": "token sc-secret-123 lacks the role",
            "request_id": "r"})
        http = HttpClient(SOURCECRAFT, kind="target",
                          headers={"Authorization": "Bearer sc-secret-123"}, http=HttpConfig())
        with pytest.raises(FatalApiError) as caught:
            http.get("/x")
        assert "sc-secret-123" not in str(caught.value)


class TestHttpClientPost:
    URL = f"{SOURCECRAFT}/repos/o/r/milestones"

    @responses.activate
    def test_created(self) -> None:
        """A 201 is returned as is, counted as one write."""
        responses.post(self.URL, json={"slug": "v1"}, status=201,
                       match=[matchers.query_param_matcher({"silent": "true"})])
        http = client(SOURCECRAFT)
        assert parse_json(http.post("/repos/o/r/milestones", json={"name": "v1"},
                                    params={"silent": "true"})) == {"slug": "v1"}
        assert http.requests_made == {"read": 0, "write": 1}

    @pytest.mark.parametrize(("outcome", "error"), [
        (requests.ReadTimeout("read timed out"), AmbiguousWriteError),
        (requests.ConnectionError("Connection aborted: RemoteDisconnected"), AmbiguousWriteError),
        (requests.ConnectTimeout("connect timed out"), RetriableApiError),
        (requests.ConnectionError(MaxRetryError(None, "/", NewConnectionError(  # type: ignore[arg-type]
            None, "Connection refused"))), RetriableApiError),
    ], ids=["read-timeout", "reset", "connect-timeout", "refused"])
    @responses.activate
    def test_transport_failures_are_never_resent(self, outcome: Exception,
                                                 error: type[Exception]) -> None:
        """A POST is sent once; unknown outcomes are ambiguous, never-sent ones retriable."""
        responses.post(self.URL, body=outcome)
        waits = Waits()
        with pytest.raises(error):
            client(SOURCECRAFT, waits=waits).post("/repos/o/r/milestones", json={"name": "v1"})
        assert (len(responses.calls), waits) == (1, [])

    @pytest.mark.parametrize(("status", "error"), [
        (500, AmbiguousWriteError), (502, AmbiguousWriteError), (503, AmbiguousWriteError),
        (504, AmbiguousWriteError), (429, RetriableApiError), (400, FatalApiError),
        (422, FatalApiError),
    ])
    @responses.activate
    def test_statuses(self, status: int, error: type[Exception]) -> None:
        """5xx may have committed (ambiguous); 429 was refused unprocessed; 4xx is fatal."""
        responses.post(self.URL, status=status,
                       json={"error_code": "E", "message": "m", "request_id": "req-9"})
        with pytest.raises(error) as caught:
            client(SOURCECRAFT).post("/repos/o/r/milestones", json={"name": "v1"})
        assert len(responses.calls) == 1
        assert caught.value.status == status  # type: ignore[attr-defined]
        assert "req-9" in str(caught.value)


class TestOrigins:
    @pytest.mark.parametrize("url", [
        "https://evil.example.net/api/v3/projects/1/issues?page=2",
        "http://gitlab.example.com/api/v3/projects/1/issues?page=2",
        "https://gitlab.example.com:8443/api/v3/projects/1/issues?page=2",
    ], ids=["host", "scheme", "port"])
    @responses.activate
    def test_foreign_link_refused_before_sending(self, url: str) -> None:
        """A URL on another host, scheme or port is FatalApiError, and nothing is sent."""
        with pytest.raises(FatalApiError, match="refusing to follow"):
            client().get(url)
        assert len(responses.calls) == 0

    @responses.activate
    def test_same_origin_url_with_default_port(self) -> None:
        """An absolute link to the same server (explicit default port) is followed."""
        responses.get(re.compile(r"https://gitlab\.example\.com(:443)?/api/v3/x", re.IGNORECASE),
                      json=[])
        client().get("https://GitLab.example.com:443/api/v3/x?page=2")
        assert len(responses.calls) == 1

    def test_plain_http_refused_for_remote_hosts(self) -> None:
        """http:// to a non-loopback host is refused unless explicitly allowed."""
        with pytest.raises(ConfigError, match="allow_insecure_http"):
            client("http://gitlab.example.com")
        HttpClient("http://gitlab.example.com", kind="source", headers={}, http=HttpConfig(),
                   allow_insecure_http=True)
        client("http://127.0.0.1:9999")

    def test_session_pool_fits_the_workers(self) -> None:
        """The connection pool holds concurrency + 2 connections, and TLS verify is configured."""
        http = HttpClient(GITLAB, kind="source", headers={}, http=HttpConfig(
            concurrency=7, verify_tls="/etc/ssl/ca.pem"))
        adapter = http._wire.session.get_adapter(f"{GITLAB}/")
        assert adapter._pool_maxsize == 9  # type: ignore[attr-defined]
        assert http._wire.session.verify == "/etc/ssl/ca.pem"
        http.close()


class TestLogging:
    @responses.activate
    def test_each_attempt_logged_at_debug_without_query(self) -> None:
        """http_request carries method, path (no query), status, ms and attempt; retries warn."""
        url = f"{GITLAB}/api/v3/projects/1/issues"
        responses.get(url, status=503, json={"message": "x"})
        responses.get(url, json=[])
        with capture_logs() as logs:
            client().get(url, params={"page": "2", "secret": "s3"})
        requests_logged = [e for e in logs if e["event"] == "http_request"]
        assert [(e["method"], e["path"], e["status"], e["attempt"], e["log_level"])
                for e in requests_logged] == [
            ("GET", "/api/v3/projects/1/issues", 503, 1, "debug"),
            ("GET", "/api/v3/projects/1/issues", 200, 2, "debug")]
        assert all(isinstance(e["ms"], float) for e in requests_logged)
        retry = [e for e in logs if e["event"] == "http_retry"]
        assert [(e["attempt"], e["wait_s"], e["reason"]) for e in retry] == [
            (1, 0.75, "status 503")]
        assert "s3" not in repr(logs)
        assert TOKEN not in repr(logs)
