"""A fast start: `--help` and `validate` import only what they use (timed in benchmarks/)."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bridge.sandbox import Sandbox

#: Run the real CLI in a fresh interpreter, then write the names of every loaded module.
_PROBE = """\
import json, sys
from bridge.cli import main
out, argv = sys.argv[1], sys.argv[2:]
try:
    code = main(argv)
except SystemExit as exc:
    code = exc.code
with open(out, "w", encoding="utf-8") as f:
    json.dump({"code": code, "modules": sorted(sys.modules)}, f)
"""

#: What the network, the engine, the reports and the sandbox bring; none is needed here.
HEAVY = ("requests", "urllib3", "rich", "structlog", "tenacity", "bridge.sandbox",
         "bridge.pipeline", "bridge.net", "bridge.checkpoint", "bridge.report", "bridge.demo")


def _loaded(tmp_path: Path, *args: str,
            env: dict[str, str] | None = None) -> tuple[object, set[str]]:
    out = tmp_path / "modules.json"
    subprocess.run([sys.executable, "-c", _PROBE, str(out), *args], check=True,
                   capture_output=True, text=True, timeout=60, env=env)
    data = json.loads(out.read_text(encoding="utf-8"))
    return data["code"], set(data["modules"])


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["validate", "--help"],
                                  ["sandbox", "--help"], ["demo", "--help"]])
def test_help_loads_nothing_heavy(tmp_path: Path, args: list[str]) -> None:
    """Asking for help never imports the pipeline, the sandbox, requests, rich or structlog."""
    code, modules = _loaded(tmp_path, *args)
    assert code == 0
    assert _heavy(modules) == []
    assert "bridge.cli" in modules  # the probe did run the CLI


def test_validate_loads_only_config_and_rules(tmp_path: Path) -> None:
    """`validate` compiles config and mapping with neither the network stack nor the engine."""
    config = tmp_path / "c.yaml"
    config.write_text("source: {url: 'http://127.0.0.1:9', project: g/p}\n"
                      "target: {url: 'http://127.0.0.1:9', org: o, repo: r}\n", encoding="utf-8")
    code, modules = _loaded(tmp_path, "validate", "-c", str(config))
    assert code == 0
    assert _heavy(modules) == []
    assert {"bridge.config", "bridge.rules"} <= modules


def test_a_run_still_gets_what_it_needs(tmp_path: Path) -> None:
    """The lazy imports happen: a dry run against nothing loads the pipeline and structlog."""
    config = tmp_path / "c.yaml"
    config.write_text("source: {url: 'http://127.0.0.1:9', project: g/p}\n"
                      "target: {url: 'http://127.0.0.1:9', org: o, repo: r}\n"
                      "http: {max_attempts: 1}\n", encoding="utf-8")
    code, modules = _loaded(tmp_path, "migrate", "-c", str(config), "--dry-run", "-q")
    assert code != 0  # no token, no server: it fails, but only after loading the pipeline
    assert {"bridge.pipeline", "structlog"} <= modules


#: rich's drawing machinery: structlog would import it for pretty tracebacks, the progress bar
#: for its bar; a run whose stderr is not a terminal draws neither.
RICH_DRAWING = ("rich.console", "rich.traceback", "rich.pretty", "rich.progress", "rich.live",
                "bridge.progress_bar")


def test_a_run_off_a_terminal_draws_nothing(tmp_path: Path) -> None:
    """No TTY, JSON logs: neither structlog nor the progress bar loads rich's console (start-up)."""
    config = tmp_path / "c.yaml"
    config.write_text("source: {url: 'http://127.0.0.1:9', project: g/p}\n"
                      "target: {url: 'http://127.0.0.1:9', org: o, repo: r}\n"
                      "http: {max_attempts: 1}\n", encoding="utf-8")
    code, modules = _loaded(tmp_path, "migrate", "-c", str(config), "--dry-run",
                            "--log-format", "json")
    assert code != 0
    assert {"bridge.pipeline", "bridge.progress", "structlog.dev"} <= modules
    assert sorted(m for m in modules if m in RICH_DRAWING) == []


_CONSOLE_PROBE = """\
import sys
from bridge.logs import configure_logging
configure_logging(fmt="console", stream=sys.stdout)
import structlog
try:
    raise ValueError("boom")
except ValueError:
    structlog.get_logger().exception("request_failed", attempt=2)
import rich.console  # rich stays importable for the progress bar
print("rich ok", rich.console.Console is not None)
"""


def test_console_logs_without_rich_still_show_the_traceback() -> None:
    """structlog imported with rich hidden: console lines, plain tracebacks, rich usable after."""
    proc = subprocess.run([sys.executable, "-c", _CONSOLE_PROBE], capture_output=True,
                          text=True, timeout=60, check=True)
    assert "request_failed" in proc.stdout
    assert "attempt=2" in proc.stdout
    assert "Traceback (most recent call last)" in proc.stdout
    assert "ValueError: boom" in proc.stdout
    assert "rich ok True" in proc.stdout
    assert proc.stderr == ""  # no warning about format_exc_info or pretty exceptions


@pytest.mark.parametrize(("transfer", "kinds"), [
    ("", {"bridge.kinds.milestone"}),
    ("transfer: {labels: true, issues: true, comments: true}\n",
     {f"bridge.kinds.{kind}" for kind in ("label", "milestone", "issue", "comment")}),
])
def test_a_run_imports_the_kinds_it_moves(tmp_path: Path, transfer: str, kinds: set[str]) -> None:
    """The issue and comment kinds are imported only when `transfer:` turns them on."""
    with Sandbox(dataset="demo") as sb:
        config = tmp_path / "c.yaml"
        config.write_text(f"source: {{url: '{sb.gitlab_url}', project: {sb.project_path}}}\n"
                          f"target: {{url: '{sb.sourcecraft_url}', org: {sb.org}, "
                          f"repo: {sb.repo}}}\n{transfer}", encoding="utf-8")
        env = {**os.environ, "GITLAB_TOKEN": sb.gitlab_token,
               "SOURCECRAFT_TOKEN": sb.sourcecraft_token}
        code, modules = _loaded(tmp_path, "migrate", "-c", str(config), "--dry-run", "-q",
                                "--checkpoint", str(tmp_path / "cp"), env=env)
    assert code == 0
    loaded = {m for m in modules if m.startswith("bridge.kinds.") and m.count(".") == 2
              and m.rsplit(".", 1)[1] in ("label", "milestone", "issue", "comment")}
    assert loaded == kinds


def test_benchmark_has_a_start_up_row(tmp_path: Path) -> None:
    """benchmarks/run.py times `--help`, `validate` and a run's first request against
    `python -c pass` in one run."""
    root = Path(__file__).resolve().parents[1]
    out = tmp_path / "startup.json"
    proc = subprocess.run([sys.executable, str(root / "benchmarks" / "run.py"), "--startup-only",
                           "--startup-rounds", "2", "--json", str(out)],
                          capture_output=True, text=True, timeout=120, check=False, cwd=root)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = {row["command"]: row for row in json.loads(out.read_text("utf-8"))["startup"]["rows"]}
    assert list(rows) == ["python -c pass", "scbridge --help", "scbridge validate",
                          "scbridge migrate: 1st request"]
    assert rows["python -c pass"]["ratio"] == 1.0
    for row in rows.values():
        assert row["over_bare_s"] == row["median_s"] - rows["python -c pass"]["median_s"]
    assert "start-up (2 rounds)" in proc.stdout
    assert "scbridge validate" in proc.stdout
    # A run's first request comes after everything validate does (and more): never sooner.
    first = rows["scbridge migrate: 1st request"]
    assert first["min_s"] > rows["python -c pass"]["min_s"]


def test_validate_of_a_fleet_loads_nothing_heavy_either(tmp_path: Path) -> None:
    """A many-project config is validated with the same light modules as one project."""
    config = tmp_path / "f.yaml"
    config.write_text("source: {url: 'http://127.0.0.1:9'}\n"
                      "target: {url: 'http://127.0.0.1:9', org: o}\n"
                      "projects:\n  - {source: g/a, target: a}\n", encoding="utf-8")
    code, modules = _loaded(tmp_path, "validate", "-c", str(config))
    assert code == 0
    assert _heavy(modules) == []
    assert "bridge.fleet.command" in modules


@pytest.mark.parametrize("fails", [False, True])
def test_a_command_runs_with_rarer_gc_and_gives_the_settings_back(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fails: bool) -> None:
    """The cyclic GC's thresholds are raised for the command, then restored, error or not."""
    from bridge import cli, commands
    from bridge.errors import ConfigError

    seen: list[tuple[int, int, int]] = []

    def dispatch(_args: object, _stop: object) -> int:
        seen.append(gc.get_threshold())
        if fails:
            raise ConfigError("bad")
        return 0

    monkeypatch.setattr(commands, "dispatch", dispatch)
    before = gc.get_threshold()
    code = cli.main(["validate", "-c", str(tmp_path / "c.yaml")])
    assert code == (2 if fails else 0)
    assert seen == [cli.GC_THRESHOLDS]
    assert gc.get_threshold() == before
    assert cli.GC_THRESHOLDS[0] > before[0]
