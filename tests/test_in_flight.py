"""`http.concurrency` caps what is in flight to one server, however many threads ask."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter

from bridge.config import HttpConfig
from bridge.net.http import HttpClient

CAP, THREADS = 2, 6


class _Held:
    """A transport whose requests wait until the test lets them answer, counting who is in."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.inside = self.most = self.let_go = self.answered = 0

    def send(self, request: requests.PreparedRequest, *args: Any,
             **kwargs: Any) -> requests.Response:
        with self.changed:
            self.inside += 1
            self.most = max(self.most, self.inside)
            self.changed.notify_all()
            turn = self.answered + self.inside  # nobody leaves before the test lets go
            self.changed.wait_for(lambda: self.let_go >= turn or self.let_go >= THREADS,
                                  timeout=10)
            self.inside -= 1
            self.answered += 1
            self.changed.notify_all()
        response = requests.Response()
        response.status_code, response._content = 200, b"[]"
        return response


def test_no_more_than_concurrency_requests_are_in_flight(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Six threads at once on a client of concurrency 2: two in flight, the others wait."""
    session = _Held()
    monkeypatch.setattr(HTTPAdapter, "send", session.send)  # every adapter's, as responses does
    client = HttpClient("http://127.0.0.1:9", kind="source", headers={},
                        http=HttpConfig(concurrency=CAP))
    threads = [threading.Thread(target=client.get, args=(f"/page/{n}",)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    with session.changed:
        for released in range(1, THREADS + 1):
            # Wait until as many as may be are in (all threads have been started long since).
            session.changed.wait_for(
                lambda: session.inside >= min(CAP, THREADS - session.answered), timeout=10)
            session.let_go = released
            session.changed.notify_all()
    for thread in threads:
        thread.join(timeout=10)
    assert session.answered == THREADS
    assert session.most == CAP
    assert client.requests_made["read"] == THREADS
