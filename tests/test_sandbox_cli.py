"""`scbridge sandbox` and `scbridge demo` as typed: bad options refused plainly, help that helps."""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from bridge.cli import _parser


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The real CLI; a sandbox that wrongly starts would serve forever, so the timeout fails it."""
    return subprocess.run([sys.executable, "-m", "bridge", *args], capture_output=True,
                          text=True, timeout=30, check=False, env=dict(os.environ))


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port on 127.0.0.1 that something else is listening on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


def assert_refused(run: subprocess.CompletedProcess[str], *needles: str) -> None:
    """Exit 2, one line on stderr naming what is wrong, nothing served, no traceback."""
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("scbridge: error: ")
    for needle in needles:
        assert needle in lines[0]
    assert "Serving" not in run.stdout
    assert "internal error" not in run.stderr


class TestSandboxRefuses:
    @pytest.mark.parametrize("flag", ["--gitlab-port", "--sourcecraft-port"])
    def test_a_port_in_use(self, taken_port: int, flag: str) -> None:
        """A port another process listens on is named, with the option that asked for it."""
        assert_refused(run_cli("sandbox", flag, str(taken_port)),
                       f"{flag} {taken_port}", "already in use")

    @pytest.mark.parametrize("port", ["65536", "70000", "-1"])
    @pytest.mark.parametrize("flag", ["--gitlab-port", "--sourcecraft-port"])
    def test_a_port_out_of_range(self, flag: str, port: str) -> None:
        """A TCP port is 0..65535; anything else is a usage error, not an OverflowError."""
        assert_refused(run_cli("sandbox", flag, port), f"{flag} {port}", "65535")

    def test_the_same_port_for_both(self) -> None:
        """Both fakes on one port cannot work; said before either starts."""
        with socket.socket() as probe:  # a port free right now
            probe.bind(("127.0.0.1", 0))
            port = str(probe.getsockname()[1])
        assert_refused(run_cli("sandbox", "--gitlab-port", port, "--sourcecraft-port", port),
                       "--gitlab-port", "--sourcecraft-port", port)

    @pytest.mark.parametrize("value", ["-1", "-0.5", "nan", "inf"])
    def test_a_latency_below_zero_or_not_a_number(self, value: str) -> None:
        """A negative latency was silently ignored; it is refused, as is one that is no number."""
        assert_refused(run_cli("sandbox", "--latency-ms", value), "--latency-ms")


def _subparser(name: str) -> argparse.ArgumentParser:
    actions = [a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return actions[0].choices[name]


class TestHelp:
    @pytest.mark.parametrize("name", ["demo", "sandbox"])
    def test_every_option_is_described(self, name: str) -> None:
        """The command has a description and each of its options a help string."""
        sub = _subparser(name)
        assert sub.description
        assert len(sub.description) > 60
        for action in sub._actions:
            assert action.help, f"{name} {action.option_strings} has no help"

    def test_sandbox_help_through_the_cli(self) -> None:
        """`scbridge sandbox --help` says what it serves and what each option does."""
        run = run_cli("sandbox", "--help")
        assert run.returncode == 0
        text = " ".join(run.stdout.split())
        for phrase in ("fake GitLab v3 and a fake SourceCraft on 127.0.0.1", "Ctrl-C",
                       "--gitlab-port PORT port of the fake GitLab (default 0: any free port)",
                       "--sourcecraft-port PORT port of the fake SourceCraft",
                       "--latency-ms MS delay added to every answer", "--seed SEED seed of"):
            assert phrase in text

    def test_demo_help_through_the_cli(self) -> None:
        """`scbridge demo --help` says what the demo does and that it needs no token."""
        run = run_cli("demo", "--help")
        assert run.returncode == 0
        text = " ".join(run.stdout.split())
        for phrase in ("dry-run report", "zero writes", "No token",
                       "--no-progress no progress bar"):
            assert phrase in text
