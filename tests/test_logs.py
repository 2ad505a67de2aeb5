"""Logging: console or JSON lines by stream, verbosity levels, and secrets masked everywhere."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from structlog.testing import capture_logs

from bridge.errors import ConfigError
from bridge.logs import MaskSecrets, clear_secrets, configure_logging, mask_text, register_secret

TOKEN = "glpat-xY9Zq8Wv7Ut6"
OTHER = "sc_AbCdEf0123456789"
BRIDGE = Path(__file__).resolve().parent.parent / "bridge"


class FakeTty(io.StringIO):
    """A StringIO that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _reset() -> Iterator[None]:
    """Each test starts and ends with structlog's defaults and no registered secrets."""
    structlog.reset_defaults()
    clear_secrets()
    yield
    structlog.reset_defaults()
    clear_secrets()


def json_lines(stream: io.StringIO) -> list[dict[str, object]]:
    """Every line written, parsed as JSON."""
    return [json.loads(line) for line in stream.getvalue().splitlines()]


class TestConfigureLogging:
    """configure_logging."""

    def test_json_lines(self) -> None:
        """JSON format writes one parseable object per event, with level and UTC timestamp."""
        out = io.StringIO()
        configure_logging(fmt="json", stream=out)
        structlog.get_logger("t").info("run_started", command="migrate", items=3)
        structlog.get_logger("t").warning("http_retry", attempt=2, wait_s=1.5)
        first, second = json_lines(out)
        assert first["event"] == "run_started"
        assert (first["command"], first["items"], first["level"]) == ("migrate", 3, "info")
        assert str(first["timestamp"]).endswith("Z")
        assert (second["event"], second["attempt"]) == ("http_retry", 2)

    def test_console(self) -> None:
        """Console format writes key=value lines a person reads, not JSON."""
        out = io.StringIO()
        configure_logging(fmt="console", stream=out)
        structlog.get_logger().info("run_started", command="migrate")
        line = out.getvalue()
        assert "run_started" in line
        assert "command=migrate" in line
        assert not line.lstrip().startswith("{")
        assert "\x1b[" not in line  # no colours when the stream is not a terminal

    @pytest.mark.parametrize(("stream_type", "is_json"), [(io.StringIO, True), (FakeTty, False)],
                             ids=["pipe-json", "tty-console"])
    def test_auto_follows_the_stream(self, stream_type: type[io.StringIO],
                                     is_json: bool) -> None:
        """Auto renders JSON lines to a pipe or file and console lines to a terminal."""
        out = stream_type()
        configure_logging(fmt="auto", stream=out)
        structlog.get_logger().info("hello_world")
        first = out.getvalue().lstrip()
        assert first.startswith("{") is is_json

    @pytest.mark.parametrize(("verbosity", "seen"), [
        (-1, ["warning_event"]),
        (0, ["info_event", "warning_event"]),
        (1, ["debug_event", "info_event", "warning_event"]),
        (3, ["debug_event", "info_event", "warning_event"]),
    ], ids=["quiet", "default", "verbose", "very-verbose"])
    def test_verbosity(self, verbosity: int, seen: list[str]) -> None:
        """-q keeps warnings and up, the default adds info, -v adds debug."""
        configure_logging(fmt="json", verbosity=verbosity, stream=io.StringIO())
        with capture_logs() as logs:
            log = structlog.get_logger()
            log.debug("debug_event")
            log.info("info_event")
            log.warning("warning_event")
        assert [entry["event"] for entry in logs] == seen

    def test_default_stream_is_current_stderr(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Without a stream, logs go to stderr (as it is when written), never to stdout."""
        configure_logging(fmt="json")
        structlog.get_logger().info("to_stderr")
        captured = capsys.readouterr()
        assert captured.out == ""
        assert json.loads(captured.err)["event"] == "to_stderr"

    def test_unknown_format(self) -> None:
        """A format other than auto, console or json is a usage error."""
        with pytest.raises(ConfigError, match="auto, console or json"):
            configure_logging(fmt="xml", stream=io.StringIO())  # type: ignore[arg-type]

    def test_event_names_are_snake_case(self) -> None:
        """Every literal event name logged by bridge/ is snake_case (SPEC §8)."""
        call = re.compile(r"\blog\w*\.(?:debug|info|warning|error|exception|critical)\(\s*"
                          r"[\"']([^\"']*)[\"']")
        names = {name for path in BRIDGE.rglob("*.py")
                 for name in call.findall(path.read_text(encoding="utf-8"))}
        assert names, "no log calls found: the pattern is out of date"
        assert sorted(n for n in names if not re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", n)) == []


class TestMaskSecrets:
    """Secret masking, in the processor and in rendered output."""

    @pytest.mark.parametrize("fmt", ["json", "console"])
    def test_registered_secret_never_rendered(self, fmt: str) -> None:
        """A registered token is masked in the message, values, nested data and keys alike."""
        register_secret(TOKEN)
        register_secret(OTHER)
        out = io.StringIO()
        configure_logging(fmt=fmt, verbosity=1, stream=out)  # type: ignore[arg-type]
        log = structlog.get_logger()
        log.debug(f"sent {TOKEN}", url=f"https://h/?x={TOKEN}", nested={"a": [OTHER, 1]})
        log.info("http_request", headers={"PRIVATE-TOKEN": "anything", "Accept": "json"},
                 detail=ValueError(f"bad {OTHER}"))
        text = out.getvalue()
        assert TOKEN not in text
        assert OTHER not in text
        assert "anything" not in text
        assert text.count("***") >= 4
        assert "json" in text  # harmless header values stay readable

    def test_exception_traceback_masked(self) -> None:
        """A token inside an exception logged with its traceback is masked in the traceback."""
        register_secret(TOKEN)
        out = io.StringIO()
        configure_logging(fmt="json", stream=out)
        def fail() -> None:
            raise RuntimeError(f"auth failed for {TOKEN}")
        try:
            fail()
        except RuntimeError:
            structlog.get_logger().exception("request_failed")
        entry = json_lines(out)[0]
        assert "RuntimeError: auth failed for ***" in str(entry["exception"])
        assert TOKEN not in out.getvalue()

    @pytest.mark.parametrize("key", ["token", "Authorization", "private_token", "PASSWORD",
                                     "private-token"])
    def test_secret_keys(self, key: str) -> None:
        """Values under credential keys are masked whatever they hold."""
        got = MaskSecrets()(None, "info", {"event": "e", key: "Bearer abc", "path": "/x"})
        assert got == {"event": "e", key: "***", "path": "/x"}

    def test_register_ignores_empty(self) -> None:
        """An empty or blank secret is not registered (it would mask everything)."""
        register_secret("")
        register_secret("  ")
        assert mask_text("plain text") == "plain text"

    def test_longest_secret_first(self) -> None:
        """A secret containing another is masked whole, leaving no fragment."""
        register_secret("abcd")
        register_secret("abcd-efgh")
        assert mask_text("x abcd-efgh y abcd") == "x *** y ***"

    def test_clear_secrets(self) -> None:
        """After clear_secrets nothing is masked any more."""
        register_secret(TOKEN)
        clear_secrets()
        assert mask_text(TOKEN) == TOKEN


class TestConsoleFitsTheTerminal:
    """Console logs on a terminal fold between key=value pairs, never inside one."""

    def test_long_event_folds_between_pairs(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """At 60 columns a long retry event takes several lines, each pair whole on one."""
        monkeypatch.setenv("COLUMNS", "60")
        monkeypatch.setenv("NO_COLOR", "1")
        out = FakeTty()
        configure_logging(fmt="console", stream=out)
        pairs = {"attempt": "3", "wait_s": "1.5", "host": "api.sourcecraft.tech:443",
                 "error": "connection_refused", "path": "/repos/my-org/my-repo/milestones",
                 "request_id": "7f3c2a9e-5b1d-4e8f-a6c0-9d2b4e1f3a7c"}
        structlog.get_logger().warning("http_retry", **pairs)
        lines = out.getvalue().rstrip("\n").split("\n")
        assert len(lines) > 1
        assert all(len(line) <= 60 for line in lines), lines
        for key, value in pairs.items():
            assert any(f"{key}={value}" in line for line in lines), (key, lines)

    def test_colours_do_not_count_as_width(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """With colours on, the folded lines still fit: escape codes take no cells."""
        monkeypatch.setenv("COLUMNS", "70")
        monkeypatch.delenv("NO_COLOR", raising=False)
        out = FakeTty()
        configure_logging(fmt="console", stream=out)
        structlog.get_logger().info("run_started", command="migrate", dry_run=False,
                                    project="group/project", org="my-org", repo="my-repo")
        lines = out.getvalue().rstrip("\n").split("\n")
        plain = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in lines]
        assert len(plain) > 1
        assert all(len(line) <= 70 for line in plain), plain
        assert any("project=group/project" in line for line in plain)

    def test_a_pipe_keeps_one_line_per_event(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Console format into a file is not folded: grep still finds one line per event."""
        monkeypatch.setenv("COLUMNS", "40")
        out = io.StringIO()
        configure_logging(fmt="console", stream=out)
        structlog.get_logger().info("run_started", command="migrate", project="group/project",
                                    org="my-org", repo="my-repo")
        assert out.getvalue().count("\n") == 1
