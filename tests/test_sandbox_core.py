"""The Sandbox as a whole: lifecycle, ports, tokens, concurrency, keep-alive, synthetic projects."""

from __future__ import annotations

import io
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from bridge.sandbox import Sandbox, run_foreground


class TestLifecycle:
    """Starting and stopping."""

    def test_urls_are_loopback_with_ephemeral_ports(self, sandbox: Sandbox) -> None:
        """Both servers listen on 127.0.0.1 on distinct ports."""
        assert sandbox.gitlab_url.startswith("http://127.0.0.1:")
        assert sandbox.sourcecraft_url.startswith("http://127.0.0.1:")
        assert sandbox.gitlab_url != sandbox.sourcecraft_url
        assert (sandbox.org, sandbox.repo) == ("demo-org", "demo-repo")
        assert (sandbox.project_path, sandbox.project_id) == ("demo-group/demo-project", 42)

    def test_stop_releases_the_port(self) -> None:
        """After the with-block the server no longer answers."""
        with Sandbox("demo") as sb:
            url = f"{sb.gitlab_url}/api/v3/version"
            assert requests.get(url, headers={"PRIVATE-TOKEN": sb.gitlab_token}, timeout=10).ok
        with pytest.raises(requests.ConnectionError):
            requests.get(url, timeout=10)

    def test_stop_ends_open_keep_alive_connections(self) -> None:
        """A session with an idle keep-alive connection does not keep the server alive."""
        session = requests.Session()
        with Sandbox("demo") as sb:
            url = f"{sb.gitlab_url}/api/v3/version"
            assert session.get(url, headers={"PRIVATE-TOKEN": sb.gitlab_token}, timeout=10).ok
        with pytest.raises(requests.ConnectionError):
            session.get(url, timeout=10)

    def test_tokens_are_fresh_per_start(self) -> None:
        """Each start makes new tokens, distinct per server."""
        with Sandbox("demo") as first:
            tokens = {first.gitlab_token, first.sourcecraft_token}
        with Sandbox("demo") as second:
            assert tokens.isdisjoint({second.gitlab_token, second.sourcecraft_token})
        assert len(tokens) == 2

    def test_url_before_start_is_an_error(self) -> None:
        """Asking a stopped sandbox for its URL says how to start it."""
        with pytest.raises(RuntimeError, match="not running"):
            _ = Sandbox("demo").gitlab_url

    def test_seed_makes_sourcecraft_ids_repeat(self) -> None:
        """Two sandboxes with one seed give the same milestone ids."""
        ids = []
        for _ in range(2):
            with Sandbox("demo", seed=5) as sb:
                ids.append(sb.sourcecraft.create_milestone(name="x")["id"])
        assert ids[0] == ids[1]


class TestConnections:
    """Concurrency and HTTP/1.1 keep-alive."""

    def test_concurrent_requests(self, sandbox: Sandbox) -> None:
        """Sixteen parallel creates all succeed with distinct slugs."""
        url = f"{sandbox.sourcecraft_url}/repos/{sandbox.org}/{sandbox.repo}/milestones"
        headers = {"Authorization": f"Bearer {sandbox.sourcecraft_token}"}

        def create(n: int) -> int:
            return requests.post(url, json={"name": f"Parallel {n}"}, headers=headers,
                                 timeout=10).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(create, range(16)))
        assert statuses == [201] * 16
        assert len({m["slug"] for m in sandbox.sourcecraft.milestones()}) == 16

    def test_keep_alive_reuses_one_connection(self, sandbox: Sandbox) -> None:
        """A requests.Session sends many requests (including errors) over one connection."""
        session = requests.Session()
        session.headers["PRIVATE-TOKEN"] = sandbox.gitlab_token
        for path in ("/version", "/projects/42/issues", "/nope", "/projects/42/issues/1"):
            session.get(f"{sandbox.gitlab_url}/api/v3{path}", timeout=10)
        peers = [record.peer for record in sandbox.log.entries]
        assert len(peers) == 4
        assert len(set(peers)) == 1


class TestSynthetic:
    """Generated projects."""

    def test_paging_through_a_synthetic_project(self) -> None:
        """Every issue of a 2,000-issue project comes exactly once, newest first."""
        with Sandbox.synthetic(milestones=30, issues=2000, seed=1) as sb:
            session = requests.Session()
            session.headers["PRIVATE-TOKEN"] = sb.gitlab_token
            url: str | None = f"{sb.gitlab_url}/api/v3/projects/{sb.project_id}/issues?per_page=100"
            iids: list[int] = []
            while url:
                response = session.get(url, timeout=10)
                iids += [issue["iid"] for issue in response.json()]
                url = response.links.get("next", {}).get("url")
            milestones = session.get(f"{sb.gitlab_url}/api/v3/projects/{sb.project_id}/milestones",
                                     params={"per_page": 100}, timeout=10).json()
        assert iids == list(range(2000, 0, -1))
        assert len(milestones) == 30

    def test_large_project_serves_pages_without_building_every_issue(self) -> None:
        """A 200,000-issue project answers a deep page at once and stores no issue."""
        with Sandbox.synthetic(milestones=300, issues=200_000) as sb:
            response = requests.get(f"{sb.gitlab_url}/api/v3/projects/{sb.project_id}/issues",
                                    params={"per_page": 100, "page": 1500}, timeout=10,
                                    headers={"PRIVATE-TOKEN": sb.gitlab_token})
            assert response.headers["X-Total"] == "200000"
            assert response.headers["X-Total-Pages"] == "2000"
            assert [i["iid"] for i in response.json()][:2] == [50_100, 50_099]
            assert sb.dataset.issues == []

    def test_synthetic_has_hidden_milestones_and_reopened(self) -> None:
        """Synthetic issues include no-milestone, hidden-milestone and reopened ones."""
        with Sandbox.synthetic(milestones=20, issues=1500, seed=2) as sb:
            listed = {m["id"] for m in sb.gitlab.milestones()}
            issues = [sb.gitlab.issues.stored(n) for n in range(len(sb.gitlab.issues))]
        carried = {i["milestone"] for i in issues}
        assert None in carried
        assert carried - listed - {None}
        assert {"opened", "closed", "reopened"} <= {i["state"] for i in issues}


class TestForeground:
    """run_foreground, as `scbridge sandbox` runs it."""

    def test_prints_what_a_person_needs_and_stops(self) -> None:
        """It prints URLs, tokens, project, repo and a config, logs requests, and returns 0."""
        out = io.StringIO()
        stop = threading.Event()
        ready = threading.Event()
        boxes: list[Sandbox] = []

        def on_ready(sb: Sandbox) -> None:
            boxes.append(sb)
            ready.set()

        result: list[int] = []
        thread = threading.Thread(target=lambda: result.append(run_foreground(
            out=out, stop=stop, on_ready=on_ready, latency_ms=1)))
        thread.start()
        assert ready.wait(10)
        sb = boxes[0]
        needles = (sb.gitlab_url, sb.sourcecraft_url, sb.gitlab_token, sb.sourcecraft_token,
                   "project: demo-group/demo-project", "org: demo-org", "repo: demo-repo")
        response = requests.get(f"{sb.gitlab_url}/api/v3/projects/42/milestones", timeout=10,
                                params={"private_token": sb.gitlab_token, "state": "all"})
        stop.set()
        thread.join(10)
        text = out.getvalue()
        assert response.status_code == 200
        assert result == [0]
        for needle in needles:
            assert needle in text
        access = text.split("Serving; Ctrl-C stops.")[1]
        assert "GET    /api/v3/projects/42/milestones?private_token=[redacted]" in access
        assert sb.gitlab_token not in access


class TestVanishedClient:
    """A client that dies mid-request, as a SIGKILLed scbridge does."""

    def test_half_sent_body_is_never_applied_or_logged(self, sandbox: Sandbox) -> None:
        """A POST whose body stops short is dropped whole, and wait_idle sees its connection end."""
        host, port = sandbox.sourcecraft_url.removeprefix("http://").split(":")
        body = b'{"name": "Half", "slug": "half"}'
        with socket.create_connection((host, int(port))) as conn:
            conn.sendall(
                f"POST /repos/{sandbox.org}/{sandbox.repo}/milestones HTTP/1.1\r\n"
                f"Host: {host}:{port}\r\nAuthorization: Bearer {sandbox.sourcecraft_token}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body) + 40}\r\n\r\n"
                .encode() + body)
        assert sandbox.wait_idle(timeout=5)
        assert sandbox.log.entries == []
        assert sandbox.sourcecraft.milestones() == []
