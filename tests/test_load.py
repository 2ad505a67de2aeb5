"""The loader: pending before POST, unknown outcomes looked up, never re-sent blind."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests
import responses
from responses import matchers

from bridge.checkpoint import Checkpoint, Record, content_hash
from bridge.config import HttpConfig
from bridge.engine.load import Loader
from bridge.engine.refs import Refs
from bridge.kinds.milestone import MilestoneKind, create_body
from bridge.models import (
    Action,
    Change,
    Create,
    Gone,
    ItemOutcome,
    SourceMilestone,
    TargetMilestone,
    Unchanged,
    WantedMilestone,
    source_id_of,
)
from bridge.net.http import HttpClient
from bridge.targets.sourcecraft import SourceCraftClient

API = "https://api.sourcecraft.tech"
BASE = f"{API}/repos/demo-org/demo-repo/milestones"
HEADERS = {"X-Request-Id": "5d0c1b8e-2f37-4a4e-8f0d-0a1b2c3d4e5f", "Server": "nginx"}


def sc_milestone(slug: str, name: str, *, status: str = "open", ident: str | None = None,
                 **fields: Any) -> dict[str, Any]:
    """A milestone as SourceCraft serialises it."""
    body = {"id": ident or f"id-{slug}", "name": name, "slug": slug, "description": "",
            "start_date": None, "deadline": "2016-03-01T00:00:00Z", "status": status,
            "author": {"id": "7c1e0f4a", "slug": "scbridge-bot"}, "updated_by": None,
            "created_at": "2025-12-01T10:00:00Z", "updated_at": "2025-12-01T10:00:00Z"}
    body.update(fields)
    return body


def envelope(code: str, message: str, request_id: str = "rid-1",
             **details: str) -> dict[str, Any]:
    return {"error_code": code, "message": message, "request_id": request_id, "details": details}


SLUG_EXISTS = envelope("ValidationError", 'milestone with slug "v1-0" already exists', "rid-400",
                       field="slug")
NOT_FOUND = envelope("NotFound", 'milestone "v1-0" not found in demo-org/demo-repo', "rid-404")


def wanted(source_id: int = 102, title: str = "v1.0", slug: str = "v1-0",
           status: str = "open") -> WantedMilestone:
    source = SourceMilestone(id=source_id, iid=source_id - 100, project_id=42, title=title,
                             state="closed" if status == "closed" else "active",
                             due_date="2016-03-01")
    return WantedMilestone(source=source, name=title, slug=slug,
                           deadline="2016-03-01T00:00:00Z", status=status)


def create(w: WantedMilestone) -> Create:
    return Create("milestone", w)


@pytest.fixture
def checkpoint(tmp_path: Path) -> Iterator[Checkpoint]:
    with Checkpoint.open(tmp_path / "checkpoint") as cp:
        yield cp


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def loader(checkpoint: Checkpoint, *, concurrency: int = 1, sleeps: Sleeps | None = None,
           max_attempts: int = 3, stop: threading.Event | None = None,
           on_item: Callable[[ItemOutcome], None] | None = None) -> Loader:
    """A loader of milestones; its one retry policy sleeps into `sleeps`, with no jitter."""
    http = HttpClient(API, kind="target", headers={"Authorization": "Bearer sc-pat-secret"},
                      http=HttpConfig(max_attempts=max_attempts, max_backoff_s=30.0),
                      sleep=sleeps if sleeps is not None else Sleeps(),
                      jitter=lambda: 1.0, clock=lambda: 0.0)
    client = SourceCraftClient(http, org="demo-org", repo="demo-repo")
    ctx: Any = SimpleNamespace(target=client)
    return Loader(MilestoneKind(ctx), checkpoint, refs=Refs(), retrying=http.retrying,
                  concurrency=concurrency, stop=stop, on_item=on_item)


def methods() -> list[str]:
    return [f"{c.request.method} {c.request.path_url.split('?')[0]}" for c in responses.calls]


def state(checkpoint: Checkpoint, source_id: int = 102) -> Record:
    record = checkpoint.get("milestone", source_id)
    assert record is not None
    return record


def json_answer(status: int, body: Any) -> tuple[int, dict[str, str], str]:
    return status, {**HEADERS, "Content-Type": "application/json"}, json.dumps(body)


class TestCreateBody:
    def test_has_no_status_and_only_dates_that_are_set(self) -> None:
        """The create body never carries `status`; a missing date is left out, not sent null."""
        body = create_body(wanted(status="closed"))
        assert body == {"name": "v1.0", "slug": "v1-0", "description": "",
                        "deadline": "2016-03-01T00:00:00Z"}


class TestCreate:
    @responses.activate
    def test_pending_is_recorded_before_the_post(self, checkpoint: Checkpoint) -> None:
        """When the POST reaches the server, the checkpoint already holds the `pending` intent."""
        seen: list[tuple[str, str | None]] = []

        def on_post(_request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
            record = state(checkpoint)
            seen.append((record.state, record.key))
            return json_answer(201, sc_milestone("v1-0", "v1.0"))

        responses.add_callback(responses.POST, BASE, callback=on_post)
        loader(checkpoint).run([create(wanted())])
        assert seen == [("pending", "v1-0")]

    @responses.activate
    def test_201_records_created_with_id_and_hash(self, checkpoint: Checkpoint) -> None:
        """A created milestone is recorded `created` with its id and the hash of what it holds."""
        body = sc_milestone("v1-0", "v1.0")
        responses.post(BASE, status=201, json=body, headers=HEADERS,
                       match=[matchers.query_param_matcher({"silent": "true"})])
        [outcome] = loader(checkpoint).run([create(wanted())])
        record = state(checkpoint)
        assert outcome.ok
        assert (record.state, record.target_id, record.key) == ("created", "id-v1-0", "v1-0")
        assert record.written_hash == content_hash(
            TargetMilestone(id="id-v1-0", name="v1.0", slug="v1-0",
                            deadline="2016-03-01T00:00:00Z").managed())

    @responses.activate
    def test_closed_milestone_is_posted_then_patched_closed(self, checkpoint: Checkpoint) -> None:
        """A closed GitLab milestone is a POST, then PATCH {"status": "closed"} by id."""
        recorded_before_patch: list[tuple[str, str | None]] = []

        def on_patch(_request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
            record = state(checkpoint)
            recorded_before_patch.append((record.state, record.target_id))
            return json_answer(200, sc_milestone("v1-0", "v1.0", status="closed"))

        responses.post(BASE, status=201, json=sc_milestone("v1-0", "v1.0"), headers=HEADERS)
        responses.add_callback(responses.PATCH, f"{API}/milestones/id:id-v1-0", callback=on_patch,
                               match=[matchers.json_params_matcher({"status": "closed"}),
                                      matchers.query_param_matcher({"silent": "true"})])
        [outcome] = loader(checkpoint).run([create(wanted(status="closed"))])
        assert methods() == ["POST /repos/demo-org/demo-repo/milestones",
                             "PATCH /milestones/id:id-v1-0"]
        # The id is durable before the PATCH: a crash there never loses the created milestone.
        assert recorded_before_patch == [("created", "id-v1-0")]
        assert state(checkpoint).state == "closed"
        assert outcome.target is not None
        assert outcome.target.status == "closed"

    @responses.activate
    def test_patch_answering_204_still_closes(self, checkpoint: Checkpoint) -> None:
        """A 204 to the closing PATCH is success: the outcome and record say closed."""
        responses.post(BASE, status=201, json=sc_milestone("v1-0", "v1.0"), headers=HEADERS)
        responses.patch(f"{API}/milestones/id:id-v1-0", status=204, headers=HEADERS)
        [outcome] = loader(checkpoint).run([create(wanted(status="closed"))])
        assert outcome.target is not None
        assert outcome.target.status == "closed"
        assert state(checkpoint).written_hash == content_hash(outcome.target.managed())


class TestAmbiguousCreate:
    @responses.activate
    @pytest.mark.parametrize("failure", [
        {"body": requests.ReadTimeout("read timed out")},
        {"body": requests.ConnectionError("Connection aborted.")},
        {"status": 502, "json": envelope("BadGateway", "502 Bad Gateway")},
        {"status": 500, "json": envelope("Internal", "boom")},
        {"status": 400, "json": SLUG_EXISTS},
    ], ids=["timeout", "reset", "502", "500", "400-slug-exists"])
    def test_unknown_outcome_found_with_our_name_is_adopted(
            self, checkpoint: Checkpoint, failure: dict[str, Any]) -> None:
        """After an unknown outcome the slug is looked up, and our milestone adopted: one POST."""
        responses.post(BASE, headers=HEADERS, **failure)
        responses.get(f"{BASE}/v1-0", json=sc_milestone("v1-0", "v1.0"), headers=HEADERS)
        [outcome] = loader(checkpoint).run([create(wanted())])
        assert methods() == ["POST /repos/demo-org/demo-repo/milestones",
                             "GET /repos/demo-org/demo-repo/milestones/v1-0"]
        assert outcome.ok
        assert (state(checkpoint).state, state(checkpoint).target_id) == ("created", "id-v1-0")

    @responses.activate
    @pytest.mark.parametrize("failure", [
        {"body": requests.ReadTimeout("read timed out")},
        {"body": requests.ConnectionError("Connection aborted.")},
        {"status": 503, "json": envelope("Unavailable", "503")},
    ], ids=["timeout", "reset", "503"])
    def test_posts_again_only_after_a_404(self, checkpoint: Checkpoint,
                                          failure: dict[str, Any]) -> None:
        """The second POST comes only after a GET answered 404: the slug was certainly free."""
        responses.post(BASE, headers=HEADERS, **failure)
        responses.get(f"{BASE}/v1-0", status=404, json=NOT_FOUND, headers=HEADERS)
        responses.post(BASE, status=201, json=sc_milestone("v1-0", "v1.0"), headers=HEADERS)
        [outcome] = loader(checkpoint).run([create(wanted())])
        assert methods() == ["POST /repos/demo-org/demo-repo/milestones",
                             "GET /repos/demo-org/demo-repo/milestones/v1-0",
                             "POST /repos/demo-org/demo-repo/milestones"]
        assert outcome.ok
        assert state(checkpoint).target_id == "id-v1-0"

    @responses.activate
    def test_a_stranger_on_our_slug_is_a_conflict_not_adopted(self,
                                                              checkpoint: Checkpoint) -> None:
        """400 slug-exists and the slug holds another name: failed, never adopted or re-sent."""
        responses.post(BASE, status=400, json=SLUG_EXISTS, headers=HEADERS)
        responses.get(f"{BASE}/v1-0", json=sc_milestone("v1-0", "Version one by hand"),
                      headers=HEADERS)
        [outcome] = loader(checkpoint).run([create(wanted(status="closed"))])
        assert not outcome.ok
        assert outcome.error is not None
        assert "Version one by hand" in outcome.error
        assert methods() == ["POST /repos/demo-org/demo-repo/milestones",
                             "GET /repos/demo-org/demo-repo/milestones/v1-0"]
        record = state(checkpoint)
        assert (record.state, record.target_id) == ("failed", None)

    @responses.activate
    def test_a_400_with_the_slug_free_is_not_sent_again(self, checkpoint: Checkpoint) -> None:
        """A 400 about the body itself fails the item once, its request id in the error."""
        responses.post(BASE, status=400, headers=HEADERS, json=envelope(
            "ValidationError", 'field "deadline" is not a date-time', "rid-bad", field="deadline"))
        responses.get(f"{BASE}/v1-0", status=404, json=NOT_FOUND, headers=HEADERS)
        [outcome] = loader(checkpoint).run([create(wanted())])
        assert [m.split()[0] for m in methods()] == ["POST", "GET"]
        assert outcome.error is not None
        assert "request_id rid-bad" in outcome.error
        record = state(checkpoint)
        assert record.state == "failed"
        assert record.error is not None
        assert "rid-bad" in record.error

    @responses.activate
    def test_gives_up_after_max_attempts_each_proven_absent(self,
                                                            checkpoint: Checkpoint) -> None:
        """Endless 503s: POST, GET 404, wait, ... `max_attempts` POSTs, then a failed record."""
        responses.post(BASE, status=503, json=envelope("Unavailable", "503"), headers=HEADERS)
        responses.get(f"{BASE}/v1-0", status=404, json=NOT_FOUND, headers=HEADERS)
        sleeps = Sleeps()
        [outcome] = loader(checkpoint, sleeps=sleeps, max_attempts=3).run([create(wanted())])
        assert [m.split()[0] for m in methods()] == ["POST", "GET"] * 3
        assert sleeps == [1.0, 2.0]
        assert not outcome.ok
        assert state(checkpoint).state == "failed"

    @responses.activate
    def test_429_waits_retry_after_then_posts_again(self, checkpoint: Checkpoint) -> None:
        """A 429 means nothing was done: wait the server's Retry-After and send again, no GET."""
        responses.post(BASE, status=429, json=envelope("TooManyRequests", "slow down"),
                       headers={**HEADERS, "Retry-After": "7"})
        responses.post(BASE, status=201, json=sc_milestone("v1-0", "v1.0"), headers=HEADERS)
        sleeps = Sleeps()
        [outcome] = loader(checkpoint, sleeps=sleeps).run([create(wanted())])
        assert outcome.ok
        assert sleeps == [7.0]
        assert [m.split()[0] for m in methods()] == ["POST", "POST"]


    @responses.activate
    def test_a_stop_during_a_failed_post_sends_no_other(self, checkpoint: Checkpoint) -> None:
        """Once the run is stopping, an unknown outcome is looked up, never waited on or re-sent."""
        stop = threading.Event()

        def on_post(_request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
            stop.set()  # SIGINT arrives while the POST is in flight
            return json_answer(503, envelope("Unavailable", "503"))

        responses.add_callback(responses.POST, BASE, callback=on_post)
        responses.get(f"{BASE}/v1-0", status=404, json=NOT_FOUND, headers=HEADERS)
        sleeps = Sleeps()
        [outcome] = loader(checkpoint, sleeps=sleeps, stop=stop).run([create(wanted())])
        assert [m.split()[0] for m in methods()] == ["POST", "GET"]
        assert sleeps == []
        assert not outcome.ok
        assert state(checkpoint).state == "failed"


class TestRecording:
    @responses.activate
    def test_each_outcome_is_recorded_before_the_next_item(self, checkpoint: Checkpoint) -> None:
        """When the second POST leaves, the first item is already recorded `created`."""
        first_record: list[tuple[str, str | None]] = []

        def on_post(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
            body = json.loads(request.body or b"{}")
            if body["slug"] == "v1-1":
                record = state(checkpoint, 102)
                first_record.append((record.state, record.target_id))
            return json_answer(201, sc_milestone(body["slug"], body["name"]))

        responses.add_callback(responses.POST, BASE, callback=on_post)
        loader(checkpoint).run([create(wanted()), create(wanted(105, "v1.1", "v1-1"))])
        assert first_record == [("created", "id-v1-0")]

    @responses.activate
    def test_on_item_sees_the_outcome_already_durable(self, checkpoint: Checkpoint) -> None:
        """The per-item callback (progress) runs after the outcome is in the checkpoint."""
        responses.post(BASE, status=201, json=sc_milestone("v1-0", "v1.0"), headers=HEADERS)
        states: list[str] = []
        loader(checkpoint, on_item=lambda _o: states.append(state(checkpoint).state)).run(
            [create(wanted())])
        assert states == ["created"]

    @responses.activate
    @pytest.mark.parametrize("status", [401, 403])
    def test_refused_credentials_stop_the_remaining_items(self, checkpoint: Checkpoint,
                                                          status: int) -> None:
        """A 401/403 stops the run: later items are not attempted and `fatal` is set."""
        responses.post(BASE, status=status, headers=HEADERS,
                       json=envelope("Unauthenticated", "authentication required", "rid-auth"))
        items = [create(wanted(100 + i, f"v{i}", f"v{i}")) for i in range(1, 4)]
        load = loader(checkpoint)
        outcomes = load.run(items)
        assert len(responses.calls) == 1
        assert load.fatal is not None
        assert load.fatal.status == status
        assert [o.ok for o in outcomes] == [False, False, False]
        assert all("not attempted" in (o.error or "") for o in outcomes[1:])
        assert checkpoint.get("milestone", 102) is None
        assert checkpoint.get("milestone", 103) is None

    def test_a_stop_before_an_item_sends_nothing(self, checkpoint: Checkpoint) -> None:
        """With the stop event set (SIGINT), no request is made and nothing recorded."""
        stop = threading.Event()
        stop.set()
        with responses.RequestsMock(assert_all_requests_are_fired=False):
            [outcome] = loader(checkpoint, stop=stop).run([create(wanted())])
        assert not outcome.ok
        assert checkpoint.records("milestone") == {}


class TestOtherActions:
    TARGET = TargetMilestone(id="id-v1-0", name="v1.0", slug="v1-0",
                             deadline="2016-03-01T00:00:00Z")

    @responses.activate
    @pytest.mark.parametrize(("action", "status", "recorded"), [
        (Action.CLOSE, "closed", "closed"), (Action.REOPEN, "open", "open")],
        ids=["close", "reopen"])
    def test_status_changes_are_one_patch(self, checkpoint: Checkpoint, action: Action,
                                          status: str, recorded: str) -> None:
        """Close and reopen PATCH only the status, by id, and record the new state and hash."""
        responses.patch(f"{API}/milestones/id:id-v1-0", headers=HEADERS,
                        json=sc_milestone("v1-0", "v1.0", status=status),
                        match=[matchers.json_params_matcher({"status": status})])
        w = wanted(status=status)
        planned = Change("milestone", action, w, self.TARGET, {"status": ("x", status)})
        [outcome] = loader(checkpoint).run([planned])
        assert outcome.ok
        record = state(checkpoint)
        assert (record.state, record.target_id) == (recorded, "id-v1-0")
        assert outcome.target is not None
        assert record.written_hash == content_hash(outcome.target.managed())

    @responses.activate
    def test_a_failed_patch_keeps_what_the_checkpoint_knew(self, checkpoint: Checkpoint) -> None:
        """A refused PATCH marks the item failed but keeps its SourceCraft id and hash."""
        checkpoint.record("milestone", 102, key="v1-0", state="created", target_id="id-v1-0",
                          written_hash="h1")
        responses.patch(f"{API}/milestones/id:id-v1-0", status=422, headers=HEADERS,
                        json=envelope("ValidationError", "nope", "rid-422"))
        w = wanted(status="closed")
        planned = Change("milestone", Action.CLOSE, w, self.TARGET, {})
        [outcome] = loader(checkpoint).run([planned])
        record = state(checkpoint)
        assert not outcome.ok
        assert (record.state, record.target_id, record.written_hash) == (
            "failed", "id-v1-0", "h1")

    def test_unchanged_match_unknown_to_the_checkpoint_is_recorded(
            self, checkpoint: Checkpoint) -> None:
        """A milestone matched by slug (checkpoint lost) is recorded as ours, with no request."""
        w = wanted()
        planned = Unchanged("milestone", w, self.TARGET)
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            loader(checkpoint).run([planned])
            assert len(mock.calls) == 0
        assert (state(checkpoint).state, state(checkpoint).target_id) == ("created", "id-v1-0")

    @responses.activate
    def test_delete_is_recorded(self, checkpoint: Checkpoint) -> None:
        """A delete answers 204 and the record says `deleted`."""
        responses.delete(f"{API}/milestones/id:id-v1-0", status=204, headers=HEADERS)
        planned = Gone("milestone", Action.DELETE, 102, self.TARGET, "deleted in GitLab")
        [outcome] = loader(checkpoint).run([planned])
        assert outcome.ok
        assert state(checkpoint).state == "deleted"


class TestWorkerPool:
    @responses.activate
    def test_writes_run_on_exactly_concurrency_workers(self, checkpoint: Checkpoint) -> None:
        """With concurrency 3, three POSTs are in flight together, never a fourth."""
        lock, in_flight, peak = threading.Lock(), [0], [0]
        together = threading.Barrier(3, timeout=10)  # breaks (and fails the POST) if fewer

        def on_post(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
            with lock:
                in_flight[0] += 1
                peak[0] = max(peak[0], in_flight[0])
            together.wait()
            with lock:
                in_flight[0] -= 1
            slug = json.loads(request.body or b"{}")["slug"]
            return json_answer(201, sc_milestone(slug, slug.upper()))

        responses.add_callback(responses.POST, BASE, callback=on_post)
        actions = [create(wanted(source_id=200 + n, title=f"m{n}", slug=f"m{n}"))
                   for n in range(6)]
        outcomes = loader(checkpoint, concurrency=3).run(actions)
        assert [outcome.ok for outcome in outcomes] == [True] * 6
        assert peak[0] == 3
        assert len(responses.calls) == 6


class _Sequenced(MilestoneKind):
    """Milestones in sequences of their own (as comments of one issue are)."""

    sequence_name = "milestone"

    def sequence_of(self, planned: Any) -> Any:
        return planned.wanted.source.id


class TestSettledHere:
    TARGET = TargetMilestone(id="id-v1-0", name="v1.0", slug="v1-0", status="open")

    @pytest.mark.parametrize("sequenced", [False, True], ids=["plain", "in-sequences"])
    @responses.activate
    def test_what_sends_nothing_settles_on_the_callers_thread(
            self, checkpoint: Checkpoint, sequenced: bool) -> None:
        """Unchanged actions the checkpoint knows never wait for the pool (with or without
        sequences); creates do, and so do adoptions, which write a record each."""
        responses.add_callback(responses.POST, BASE, callback=lambda request: json_answer(
            201, sc_milestone(json.loads(request.body or b"{}")["slug"], "M")))
        threads: dict[int, str] = {}
        base = loader(checkpoint, concurrency=2, on_item=lambda outcome: threads.update(
            {source_id_of(outcome.planned): threading.current_thread().name}))
        if sequenced:
            base._kind = _Sequenced(base._kind._ctx)
        for n in range(3):
            checkpoint.record("milestone", 300 + n, key=f"u{n}", state="created",
                              target_id=self.TARGET.id)
        actions: list[Any] = [Unchanged("milestone", wanted(source_id=source_id, slug=f"u{n}"),
                                        self.TARGET)
                              for n, source_id in enumerate((300, 301, 302, 500, 501))]
        actions += [create(wanted(source_id=400 + n, title=f"c{n}", slug=f"c{n}"))
                    for n in range(2)]
        outcomes = base.run(actions)
        assert [outcome.ok for outcome in outcomes] == [True] * 7
        assert {threads[n] for n in (300, 301, 302)} == {threading.current_thread().name}
        assert all(threads[n].startswith("load") for n in (400, 401, 500, 501))
        adopted = checkpoint.get("milestone", 500)
        assert adopted is not None
        assert adopted.target_id == self.TARGET.id  # adopted: recorded, on the pool
