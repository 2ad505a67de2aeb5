"""The bad-input corpus: hostile configs, mappings and server answers, each with its documented end.

The table is `tests/data/bad/cases.yaml`; docs/reliability.md lists it for people.
Every case runs the real CLI in a subprocess and must end with its exit code, one
`scbridge: error:` line (or the failure in the report, for exit 1), no traceback, a
checkpoint consistent with the target, and no request to any other host.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import bad_input_runner as runner
import pytest

CASES = runner.CASES
BAD = runner.BAD
Outcome = runner.Outcome


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Outcome]]:
    """Every case run once, four at a time (each has its own sandbox and folder)."""
    root = tmp_path_factory.mktemp("bad")
    folders = {}
    for case in CASES:
        folders[case["id"]] = root / case["id"].replace("/", "-")
        folders[case["id"]].mkdir()
    with ThreadPoolExecutor(4) as pool:
        futures = {case["id"]: pool.submit(runner.run_case, case, folders[case["id"]])
                   for case in CASES}
        yield {name: future.result() for name, future in futures.items()}


def _ids(cases: list[dict[str, Any]]) -> list[str]:
    return [case["id"] for case in cases]


SERVER_CASES = [case for case in CASES if "server" in case]
EARLY_CASES = [case for case in CASES if "server" not in case]
LITERALS = ("glpat-LITERALSECRET", "scLITERALSECRET", "hunter2")


def _message_lines(outcome: Outcome) -> list[str]:
    """stderr without its JSON log lines: what a person reads."""
    lines = []
    for line in outcome.stderr.splitlines():
        try:
            json.loads(line)
        except ValueError:
            lines.append(line)
    return lines


class TestCorpus:
    """The corpus itself: big enough, every case documented."""

    def test_the_corpus_has_at_least_forty_cases_of_each_origin(self) -> None:
        """At least 40 cases in all, with configs, mappings and server answers all present."""
        assert len(CASES) >= 40
        assert len({case["id"] for case in CASES}) == len(CASES)
        kinds = {case["id"].split("/")[0] for case in CASES}
        assert kinds == {"config", "mapping", "server"}

    def test_every_kind_issue_9_names_is_present(self) -> None:
        """Each hostile input issue 9 lists by name has its case in the table."""
        named = {  # issue 9's list, in its order
            "config/bad-yaml", "config/tabs", "config/unknown-key-top",
            "config/wrong-type-per-page",
            "config/literal-token-source", "config/empty", "config/binary", "config/huge",
            "mapping/unknown-transform", "mapping/bad-regex", "server/html-502-gitlab",
            "server/truncated-json", "server/object-for-list", "server/milestone-without-id",
            "server/milestone-without-title", "server/title-100kb", "server/title-nul-bytes",
            "server/due-date-feb-30", "server/x-next-page-negative", "server/x-next-page-backwards",
            "server/link-other-host", "server/empty-200", "server/gzip-garbage",
            "server/401-mid-run", "server/404-project"}
        assert named - {case["id"] for case in CASES} == set()

    def test_docs_list_every_case_with_its_exit_code(self) -> None:
        """docs/reliability.md has a row per case with the documented exit code."""
        docs = (Path(__file__).parents[1] / "docs" / "reliability.md").read_text(encoding="utf-8")
        missing = [case["id"] for case in CASES
                   if f"| `{case['id']}` | {case['exit']} |" not in docs]
        assert missing == []

    def test_every_committed_file_is_a_case(self) -> None:
        """No file in the corpus is left untested (valid.yaml is the huge case's base)."""
        named = {case.get("file") or case.get("mapping") for case in CASES}
        files = {f"{path.parent.name}/{path.name}" for path in BAD.glob("*/*.yaml")}
        assert files - named == {"config/valid.yaml"}


class TestEveryCase:
    """What every case must show, whatever it feeds the CLI."""

    @pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
    def test_exit_code_is_the_documented_one(self, case: dict[str, Any],
                                             outcomes: dict[str, Outcome]) -> None:
        """The CLI exits with the code the table documents for this input."""
        outcome = outcomes[case["id"]]
        assert outcome.code == case["exit"], (outcome.stderr[-800:], outcome.stdout[-800:])

    @pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
    def test_one_plain_error_line_and_no_traceback(self, case: dict[str, Any],
                                                   outcomes: dict[str, Outcome]) -> None:
        """Exit 2 or 3: exactly one `scbridge: error:` line, matching the table; else none."""
        outcome = outcomes[case["id"]]
        assert "Traceback" not in outcome.stderr + outcome.stdout
        lines = _message_lines(outcome)
        if case["exit"] in (2, 3):
            assert len(lines) == 1, lines
            assert lines[0].startswith("scbridge: error: ")
            assert re.search(case["message"], lines[0]), lines[0]
        else:
            assert lines == []
        if case.get("stream") == "stdout":
            assert re.search(case["message"], outcome.stdout), outcome.stdout[-800:]

    @pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
    def test_checkpoint_is_consistent_with_the_target(self, case: dict[str, Any],
                                                      outcomes: dict[str, Outcome]) -> None:
        """Read-only: every record with a target id exists there, every write is recorded."""
        assert outcomes[case["id"]].consistency == "ok"

    @pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
    def test_no_request_reaches_another_host(self, case: dict[str, Any],
                                             outcomes: dict[str, Outcome]) -> None:
        """The 127.0.0.2 listener that links and redirects point at never hears from us."""
        assert outcomes[case["id"]].foreign == []


class TestFoundBeforeAnyRequest:
    """Config and mapping problems (SPEC §7, exit 2) stop the run before it sends or writes."""

    @pytest.mark.parametrize("case", EARLY_CASES, ids=_ids(EARLY_CASES))
    def test_nothing_is_sent_and_no_checkpoint_is_made(self, case: dict[str, Any],
                                                       outcomes: dict[str, Outcome]) -> None:
        """Zero requests to either fake, and no checkpoint file created."""
        outcome = outcomes[case["id"]]
        assert sum(outcome.requests.values()) == 0
        assert not outcome.checkpoint.exists()

    @pytest.mark.parametrize("case", EARLY_CASES, ids=_ids(EARLY_CASES))
    def test_secrets_in_a_bad_config_are_not_echoed(self, case: dict[str, Any],
                                                    outcomes: dict[str, Outcome]) -> None:
        """A literal token or a password in a URL is refused without being repeated."""
        outcome = outcomes[case["id"]]
        for literal in LITERALS:
            assert literal not in outcome.stderr + outcome.stdout


class TestHostileServers:
    """What hostile answers may and may not lead to."""

    @pytest.mark.parametrize("case", [c for c in SERVER_CASES if c.get("writes") == 0],
                             ids=_ids([c for c in SERVER_CASES if c.get("writes") == 0]))
    def test_garbage_before_the_load_writes_nothing(self, case: dict[str, Any],
                                                    outcomes: dict[str, Outcome]) -> None:
        """An answer refused while reading stops the run before any write."""
        outcome = outcomes[case["id"]]
        assert outcome.requests["target_write"] == 0
        assert outcome.target == []

    def test_a_100_kb_title_is_migrated_with_a_short_slug(self,
                                                          outcomes: dict[str, Outcome]) -> None:
        """The name is sent whole, the slug is cut to 100 characters."""
        target = outcomes["server/title-100kb"].target
        huge = [m for m in target if m["name"].startswith("Huge ")]
        assert len(huge) == 1
        assert len(huge[0]["name"]) == 100_005
        assert huge[0]["slug"] == "huge-" + "x" * 95

    def test_nul_bytes_travel_in_the_name_not_the_slug(self,
                                                       outcomes: dict[str, Outcome]) -> None:
        """A title with NULs is migrated as sent; its slug has none."""
        target = outcomes["server/title-nul-bytes"].target
        [item] = [m for m in target if m["name"].startswith("v9")]
        assert item["name"] == "v9\x00nul\x00release"
        assert "\x00" not in item["slug"]

    @pytest.mark.parametrize(("name", "migrated"), [("server/due-date-feb-30", 13),
                                                    ("server/unknown-state", 12)])
    def test_one_bad_milestone_fails_alone(self, name: str, migrated: int,
                                           outcomes: dict[str, Outcome]) -> None:
        """Every other milestone (the demo has 13) is migrated; the bad one is reported failed."""
        outcome = outcomes[name]
        assert len(outcome.target) == migrated
        assert "failed 1 " in outcome.stdout

    def test_a_401_mid_run_stops_after_what_was_written(self,
                                                        outcomes: dict[str, Outcome]) -> None:
        """Four creates went through and are recorded; the fifth is refused and nothing follows."""
        outcome = outcomes["server/401-mid-run"]
        assert len(outcome.target) == 4
        recorded = outcome.states.get("created", 0) + outcome.states.get("closed", 0)
        assert recorded == 4

    def test_a_create_answered_with_garbage_is_adopted_not_repeated(
            self, outcomes: dict[str, Outcome]) -> None:
        """Each POST committed but answered "[]": every milestone exists exactly once."""
        target = outcomes["server/create-answers-garbage"].target
        slugs = [m["slug"] for m in target]
        assert len(slugs) == 13
        assert len(set(slugs)) == 13
