"""The sandbox's request log: records, counters by kind, secrets kept out, subscribers."""

from __future__ import annotations

import pytest
import requests

from bridge.sandbox import RequestLog, RequestRecord, Sandbox


def gitlab_get(sb: Sandbox, **params: str) -> requests.Response:
    """One source read."""
    return requests.get(f"{sb.gitlab_url}/api/v3/projects/42/milestones", params=params,
                        headers={"PRIVATE-TOKEN": sb.gitlab_token}, timeout=10)


def sourcecraft(sb: Sandbox, method: str, body: object = None) -> requests.Response:
    """One target read (GET) or write (POST)."""
    return requests.request(method, f"{sb.sourcecraft_url}/repos/{sb.org}/{sb.repo}/milestones",
                            json=body, headers={"Authorization": f"Bearer {sb.sourcecraft_token}"},
                            timeout=10)


class TestRequestLog:
    """RequestLog over real requests."""

    def test_counts_by_kind(self, sandbox: Sandbox) -> None:
        """GitLab requests are source reads, SourceCraft GETs target reads, the rest writes."""
        gitlab_get(sandbox)
        gitlab_get(sandbox, state="closed")
        sourcecraft(sandbox, "GET")
        sourcecraft(sandbox, "POST", {"name": "x"})
        sourcecraft(sandbox, "POST", {"bad": 1})
        assert sandbox.log.counts() == {"source_read": 2, "target_read": 1, "target_write": 2}
        assert sandbox.log.count("target_write") == 2

    def test_record_fields(self, sandbox: Sandbox) -> None:
        """A record has server, method, raw path, query, status and request id."""
        response = gitlab_get(sandbox, state="closed", per_page="5")
        record = sandbox.log.entries[-1]
        assert (record.server, record.method, record.status) == ("gitlab", "GET", 200)
        assert record.path == "/api/v3/projects/42/milestones"
        assert record.query == {"state": "closed", "per_page": "5"}
        assert record.request_id == response.headers["X-Request-Id"]

    def test_private_token_parameter_is_redacted(self, sandbox: Sandbox) -> None:
        """A token sent as a parameter is logged as a key without its value."""
        requests.get(f"{sandbox.gitlab_url}/api/v3/version", timeout=10,
                     params={"private_token": sandbox.gitlab_token})
        record = sandbox.log.entries[-1]
        assert record.query == {"private_token": "[redacted]"}
        assert record.auth == "param"
        assert sandbox.gitlab_token not in repr(sandbox.log.entries)

    def test_subscribers_see_each_request_after_it_is_handled(self, sandbox: Sandbox) -> None:
        """A subscriber gets each request's finished record once; unsubscribe stops it."""
        seen: list[RequestRecord] = []
        unsubscribe = sandbox.log.subscribe(seen.append)
        sourcecraft(sandbox, "POST", {"name": "x"})
        assert [(r.kind, r.status) for r in seen] == [("target_write", 201)]
        assert sandbox.sourcecraft.milestones()  # the write was committed before the callback
        unsubscribe()
        gitlab_get(sandbox)
        assert len(seen) == 1

    def test_clear_resets(self, sandbox: Sandbox) -> None:
        """clear() empties the entries and zeroes the counters."""
        gitlab_get(sandbox)
        sandbox.log.clear()
        assert sandbox.log.entries == []
        assert sandbox.log.counts() == {"source_read": 0, "target_read": 0, "target_write": 0}

    def test_unknown_kind_is_refused(self) -> None:
        """count() of a kind that does not exist is a ValueError, not a silent 0."""
        with pytest.raises(ValueError, match="unknown request kind"):
            RequestLog().count("writes")
