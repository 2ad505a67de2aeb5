"""Fault injection on both fakes: every kind, its matching rules, and repeatability under a seed."""

from __future__ import annotations

import email.utils
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from bridge.sandbox import Faults, Sandbox

NOW = 1_700_000_000.0


class FakeTime:
    """Records the server's sleeps instead of sleeping; a fixed clock for HTTP dates."""

    def __init__(self) -> None:
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        """Record instead of sleeping."""
        self.slept.append(seconds)

    def now(self) -> float:
        """A fixed instant."""
        return NOW


@pytest.fixture
def fake_time() -> FakeTime:
    """A fresh FakeTime."""
    return FakeTime()


@pytest.fixture
def sb(fake_time: FakeTime) -> Iterator[Sandbox]:
    """A demo sandbox whose latency and dates use FakeTime."""
    with Sandbox("demo", seed=7, sleep=fake_time.sleep, now=fake_time.now) as box:
        yield box


def gl(sb: Sandbox, path: str = "/projects/42/milestones", **params: Any) -> requests.Response:
    """GET from the fake GitLab with the right token."""
    return requests.get(f"{sb.gitlab_url}/api/v3{path}", params=params, timeout=10,
                        headers={"PRIVATE-TOKEN": sb.gitlab_token})


def sc(sb: Sandbox, method: str = "GET", slug: str = "", body: Any = None,
       **params: Any) -> requests.Response:
    """A request to the fake SourceCraft's milestones with the right token."""
    url = f"{sb.sourcecraft_url}/repos/{sb.org}/{sb.repo}/milestones" + (f"/{slug}" if slug else "")
    return requests.request(method, url, json=body, params=params, timeout=10,
                            headers={"Authorization": f"Bearer {sb.sourcecraft_token}"})


class TestKinds:
    """What each fault kind does to a response."""

    def test_latency_sleeps_ms_plus_jitter(self, sb: Sandbox, fake_time: FakeTime) -> None:
        """latency sleeps `ms` plus up to `jitter_ms`, through the injected sleep."""
        sb.faults.add("gitlab", "latency", ms=200, jitter_ms=50)
        assert gl(sb).status_code == 200
        assert len(fake_time.slept) == 1
        assert 0.2 <= fake_time.slept[0] <= 0.25

    def test_status_429_with_retry_after_seconds(self, sb: Sandbox) -> None:
        """status 429 answers with Retry-After in seconds and GitLab's message body."""
        sb.faults.add("gitlab", "status", status=429, retry_after="2")
        response = gl(sb)
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "2"
        assert response.json() == {"message": "429 Too Many Requests"}

    def test_status_with_http_date_and_ratelimit_reset(self, sb: Sandbox) -> None:
        """retry_after_date sends an HTTP date N seconds after the clock, with RateLimit-Reset."""
        sb.faults.add("sourcecraft", "status", status=429, retry_after_date=30,
                      ratelimit_reset=NOW + 60)
        response = sc(sb)
        assert response.status_code == 429
        when = email.utils.parsedate_to_datetime(response.headers["Retry-After"]).timestamp()
        assert when == NOW + 30
        assert response.headers["RateLimit-Reset"] == str(NOW + 60)
        assert response.json()["error_code"] == "TooManyRequests"

    @pytest.mark.parametrize("status", [500, 502, 503, 504])
    def test_5xx_statuses_use_each_servers_error_shape(self, sb: Sandbox, status: int) -> None:
        """5xx faults answer in GitLab's and SourceCraft's own error shapes."""
        sb.faults.add("both", "status", status=status)
        assert gl(sb).status_code == status
        assert "message" in gl(sb).json()
        response = sc(sb)
        assert response.status_code == status
        assert set(response.json()) == {"error_code", "message", "request_id", "details"}

    def test_drop_closes_without_response(self, sb: Sandbox) -> None:
        """drop closes the connection: the client sees a connection error, the log status None."""
        sb.faults.add("gitlab", "drop")
        with pytest.raises(requests.ConnectionError):
            gl(sb)
        assert sb.log.entries[-1].status is None
        assert sb.log.entries[-1].fault == "drop"

    def test_commit_then_drop_applies_the_write(self, sb: Sandbox) -> None:
        """commit_then_drop on POST: the client gets no answer, yet the milestone exists."""
        sb.faults.add("sourcecraft", "commit_then_drop", method="POST", times=1)
        with pytest.raises(requests.ConnectionError):
            sc(sb, "POST", body={"name": "Lost answer"})
        assert [m["slug"] for m in sb.sourcecraft.milestones()] == ["lost-answer"]
        assert sc(sb, "POST", body={"name": "Second"}).status_code == 201

    def test_commit_then_drop_on_patch(self, sb: Sandbox) -> None:
        """commit_then_drop on PATCH: the change is applied, the answer lost."""
        sb.sourcecraft.create_milestone(name="One")
        sb.faults.add("sourcecraft", "commit_then_drop", method="PATCH")
        with pytest.raises(requests.ConnectionError):
            sc(sb, "PATCH", "one", body={"status": "closed"})
        assert sb.sourcecraft.milestones()[0]["status"] == "closed"

    def test_page_cap_on_gitlab(self, sb: Sandbox) -> None:
        """page_cap lowers per_page; X-Per-Page and Link say so."""
        sb.faults.add("gitlab", "page_cap", max=5)
        response = gl(sb, "/projects/42/issues", per_page=100)
        assert len(response.json()) == 5
        assert response.headers["X-Per-Page"] == "5"
        assert "per_page=5" in response.headers["Link"]

    def test_page_cap_on_sourcecraft(self, sb: Sandbox) -> None:
        """page_cap lowers page_size, and a next_page_token appears."""
        for n in range(4):
            sb.sourcecraft.create_milestone(name=f"m{n}")
        sb.faults.add("sourcecraft", "page_cap", max=3)
        body = sc(sb, page_size=100).json()
        assert len(body["items"]) == 3
        assert "next_page_token" in body

    def test_html_error(self, sb: Sandbox) -> None:
        """html_error answers an nginx HTML page with text/html."""
        sb.faults.add("sourcecraft", "html_error", status=502)
        response = sc(sb)
        assert response.status_code == 502
        assert response.headers["Content-Type"] == "text/html"
        assert "<center><h1>502 Bad Gateway</h1></center>" in response.text

    def test_truncated_json(self, sb: Sandbox) -> None:
        """truncated answers 200 with a JSON body cut short (and a matching Content-Length)."""
        sb.faults.add("gitlab", "truncated")
        response = gl(sb)
        assert response.status_code == 200
        assert int(response.headers["Content-Length"]) == len(response.content)
        with pytest.raises(ValueError, match=r"Expecting|Unterminated|Extra"):
            response.json()

    def test_rack_attack(self, sb: Sandbox) -> None:
        """rack_attack answers 429 text/plain "Retry later" with Retry-After."""
        sb.faults.add("gitlab", "rack_attack", retry_after="3")
        response = gl(sb)
        assert (response.status_code, response.text) == (429, "Retry later\n")
        assert response.headers["Content-Type"] == "text/plain"
        assert response.headers["Retry-After"] == "3"


class TestMatching:
    """Which requests a fault fires on."""

    def test_every_nth_request(self, sb: Sandbox) -> None:
        """every=3 fires on the 3rd, 6th, ... matching request."""
        sb.faults.add("gitlab", "status", status=503, every=3)
        assert [gl(sb).status_code for _ in range(6)] == [200, 200, 503, 200, 200, 503]

    def test_times_limits_firings(self, sb: Sandbox) -> None:
        """times=2 fires twice, then never again."""
        sb.faults.add("gitlab", "status", status=500, times=2)
        assert [gl(sb).status_code for _ in range(4)] == [500, 500, 200, 200]

    def test_method_and_path_filters(self, sb: Sandbox) -> None:
        """A fault for POST on one path leaves GETs and other paths alone."""
        sb.faults.add("sourcecraft", "status", status=503, method="POST", path=r"/milestones$")
        assert sc(sb).status_code == 200
        assert sc(sb, "POST", body={"name": "x"}).status_code == 503
        assert gl(sb).status_code == 200

    def test_server_filter(self, sb: Sandbox) -> None:
        """A gitlab fault does not touch SourceCraft."""
        sb.faults.add("gitlab", "status", status=503)
        assert (gl(sb).status_code, sc(sb).status_code) == (503, 200)

    def test_clear_removes_everything(self, sb: Sandbox) -> None:
        """clear() removes every fault."""
        sb.faults.add("both", "drop")
        sb.faults.clear()
        assert gl(sb).status_code == 200

    def test_first_terminal_fault_wins(self, sb: Sandbox) -> None:
        """With two terminal faults matching, the first added decides the response."""
        sb.faults.add("gitlab", "status", status=502)
        sb.faults.add("gitlab", "status", status=504)
        assert gl(sb).status_code == 502

    @pytest.mark.parametrize(("kwargs", "message"), [
        ({"kind": "explode"}, "unknown fault kind"),
        ({"kind": "status", "status": 200}, "4xx or 5xx"),
        ({"kind": "latency", "milliseconds": 5}, "no parameter"),
        ({"kind": "drop", "rate": 2.0}, "rate"),
        ({"server": "github", "kind": "drop"}, "unknown server"),
        ({"kind": "page_cap"}, "max"),
    ], ids=["kind", "status", "param", "rate", "server", "page-cap"])
    def test_bad_faults_are_refused(self, kwargs: dict[str, Any], message: str) -> None:
        """A mistyped fault fails where it is added, with a message that names the mistake."""
        with pytest.raises(ValueError, match=message):
            Faults(0).add(**{"server": "both", **kwargs})


class TestDeterminism:
    """Rates repeat under the same seed."""

    @staticmethod
    def pattern(seed: int) -> list[bool]:
        """Which of 200 requests a rate-0.3 fault fires on under `seed`."""
        faults = Faults(seed)
        faults.add("gitlab", "status", status=503, rate=0.3)
        return [faults.decide("gitlab", "GET", "/x").terminal is not None for _ in range(200)]

    def test_same_seed_same_firings(self) -> None:
        """Two Faults with one seed fire on exactly the same requests."""
        assert self.pattern(3) == self.pattern(3)

    def test_rate_is_roughly_honoured_and_seed_matters(self) -> None:
        """rate=0.3 fires on about 30% of requests; another seed fires on others."""
        fired = self.pattern(3)
        assert 40 <= sum(fired) <= 80
        assert fired != self.pattern(4)

    def test_rate_over_the_wire(self, fake_time: FakeTime) -> None:
        """Two sandboxes with one seed answer the same status sequence."""
        runs = []
        for _ in range(2):
            with Sandbox("demo", seed=11, sleep=fake_time.sleep) as box:
                box.faults.add("gitlab", "status", status=500, rate=0.5)
                runs.append([gl(box).status_code for _ in range(12)])
        assert runs[0] == runs[1]
        assert {200, 500} == set(runs[0])


class TestPaginationBugs:
    """Faults that make pagination lie, for the client's defences."""

    def test_foreign_link(self, sb: Sandbox) -> None:
        """foreign_link points every Link URL at another host."""
        sb.faults.add("gitlab", "foreign_link", base="https://evil.example")
        link = gl(sb, "/projects/42/issues").headers["Link"]
        assert link.count("<https://evil.example/api/v3/projects/42/issues?") == 3

    def test_repeat_page_on_gitlab(self, sb: Sandbox) -> None:
        """repeat_page makes X-Next-Page and rel="next" name the page just served."""
        sb.faults.add("gitlab", "repeat_page")
        response = gl(sb, "/projects/42/issues", page=2)
        assert response.headers["X-Next-Page"] == "2"
        assert 'page=2&per_page=20>; rel="next"' in response.headers["Link"]

    def test_repeat_page_on_sourcecraft(self, sb: Sandbox) -> None:
        """repeat_page makes next_page_token lead back to the same items."""
        for n in range(3):
            sb.sourcecraft.create_milestone(name=f"m{n}")
        sb.faults.add("sourcecraft", "repeat_page")
        first = sc(sb, page_size=2).json()
        again = sc(sb, page_size=2, page_token=first["next_page_token"]).json()
        assert again["items"] == first["items"]
