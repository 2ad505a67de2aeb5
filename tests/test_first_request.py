"""Issue 17: a run imports only what its first request needs; the rest comes after it.

The probe runs the real CLI in a fresh interpreter with an audit hook that writes down every
loaded module at the first `socket.connect` (the first request), and again at exit.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bridge.sandbox import Sandbox
from bridge.standins import StandIn, standing_in

_PROBE = """\
import json, sys
out, argv = sys.argv[1], sys.argv[2:]
seen = {}

def hook(event, args):
    if event == "socket.connect" and "first" not in seen:  # preflight: two threads at once
        seen.setdefault("first", sorted(k for k, v in sys.modules.items() if v is not None))

sys.addaudithook(hook)
from bridge.cli import main
code = main(argv)
with open(out, "w", encoding="utf-8") as f:
    json.dump({"code": code, "first": seen.get("first"), "exit": sorted(sys.modules)}, f)
"""

#: Never needed before the first request: asyncio (structlog's async methods, see
#: bridge.standins), the report renderers and the rich they use, slugs, named time zones,
#: saved plans, emoji (the comment kind reads its table at the first note), fleets, the
#: sandbox. (The kinds are imported and built while preflight's requests travel, so they
#: may or may not be loaded at that moment: neither is checked.)
DEFERRED = ("asyncio", "rich", "slugify", "zoneinfo", "emoji", "bridge.report.files",
            "bridge.report.text", "bridge.report.htmlpage", "bridge.report.markdown",
            "bridge.report.cells", "bridge.plans", "bridge.fleet.command", "bridge.sandbox",
            "bridge.demo")

#: Nor, for migrate and mirror, the loop over the kinds (imported once preflight answered).
RUN_DEFERRED = ("bridge.kindloop",)

#: What the first request does need, so the probe is known to have looked at the right time.
NEEDED = ("requests", "structlog", "structlog.dev", "bridge.preflight", "bridge.checkpoint",
          "bridge.rules", "bridge.sources.gitlab", "bridge.report.model")


def _deferred(modules: list[str], deferred: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == d or m.startswith(d + ".") for d in deferred))


ALL_KINDS = "transfer: {labels: true, issues: true, comments: true}\n"


def _probe(tmp_path: Path, sb: Sandbox, *args: str, transfer: str = ALL_KINDS
           ) -> dict[str, object]:
    config = tmp_path / "c.yaml"
    config.write_text(
        f"source: {{url: '{sb.gitlab_url}', project: {sb.project_path}}}\n"
        f"target: {{url: '{sb.sourcecraft_url}', org: {sb.org}, repo: {sb.repo}}}\n"
        f"{transfer}", encoding="utf-8")
    env = {**os.environ, "GITLAB_TOKEN": sb.gitlab_token,
           "SOURCECRAFT_TOKEN": sb.sourcecraft_token}
    out = tmp_path / "modules.json"
    subprocess.run([sys.executable, "-c", _PROBE, str(out), args[0], "-c", str(config),
                    "--checkpoint", str(tmp_path / "cp"), "--log-format", "json",
                    "--no-progress", *args[1:]],
                   check=True, capture_output=True, text=True, timeout=120, env=env)
    data: dict[str, object] = json.loads(out.read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize("args", [["migrate", "--dry-run"], ["migrate"], ["mirror"], ["verify"]])
def test_the_first_request_waits_for_no_deferred_module(tmp_path: Path, args: list[str]) -> None:
    """Nothing in DEFERRED is loaded when the first request goes out; the report comes later."""
    report = tmp_path / "out" / "run.html"
    with Sandbox(dataset="demo") as sb:
        data = _probe(tmp_path, sb, *args, "--report", str(report))
    first, at_exit = data["first"], data["exit"]
    assert isinstance(first, list)
    assert isinstance(at_exit, list)
    assert _deferred(first, DEFERRED) == []
    assert set(NEEDED) <= set(first)
    # Deferred, not dropped: the run then imports what it moves and renders.
    assert {"bridge.kinds.issue", "bridge.kinds.comment", "slugify"} <= set(at_exit)
    assert report.read_text(encoding="utf-8").lower().startswith("<!doctype html>")
    if args[0] == "verify":
        assert data["code"] == 1  # the demo project is not migrated: differences
        assert "bridge.verify.render" in at_exit
        return
    assert data["code"] == 0
    assert _deferred(first, RUN_DEFERRED) == []
    assert {"bridge.report.files", "bridge.report.text", "bridge.kindloop"} <= set(at_exit)


def test_a_milestones_run_leaves_the_engine_for_after_preflight(tmp_path: Path) -> None:
    """Milestones only (the default `transfer:`): the batch engine, the loader and the issue
    and comment kinds are not loaded when the first request goes out."""
    with Sandbox(dataset="demo") as sb:
        data = _probe(tmp_path, sb, "migrate", "--dry-run", transfer="")
    assert data["code"] == 0
    first, at_exit = data["first"], data["exit"]
    assert isinstance(first, list)
    assert isinstance(at_exit, list)
    later = ("bridge.kindloop", "bridge.engine.batches", "bridge.engine.load",
             "bridge.engine.plan", "bridge.kinds.issue", "bridge.kinds.comment",
             "bridge.verify", *DEFERRED)
    assert _deferred(first, later) == []
    assert "bridge.engine.batchsize" in first  # SCBRIDGE_BATCH is checked before it
    assert "bridge.engine.batches" in at_exit  # imported once preflight answered


def test_asyncio_is_real_for_whoever_imports_it_after_structlog() -> None:
    """The stand-in lives only while structlog is imported: later `import asyncio` is real,
    and structlog's own async methods (through the stand-in) still log."""
    code = """\
import io, sys
from bridge.logs import configure_logging
out = io.StringIO()
configure_logging(fmt="json", stream=out)
import structlog
from bridge.standins import StandIn
assert "asyncio" not in sys.modules, "structlog's import loaded asyncio"
import asyncio
assert type(asyncio) is not StandIn
asyncio.run(structlog.get_logger().ainfo("async_event", n=1))
print(out.getvalue().strip())
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)
    assert json.loads(proc.stdout)["event"] == "async_event"
    assert proc.stderr == ""



@pytest.fixture
def probe_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The name of a fresh importable module that counts how often it was executed."""
    (tmp_path / "standin_probe.py").write_text(
        "import builtins\n"
        "builtins.standin_runs = getattr(builtins, 'standin_runs', 0) + 1\n"
        "VALUE = 42\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "standin_probe", raising=False)
    monkeypatch.setattr("builtins.standin_runs", 0, raising=False)
    return "standin_probe"


def test_a_stand_in_forwards_and_leaves_no_trace(probe_module: str) -> None:
    """Inside the block an import yields the stand-in and runs nothing; after it, the module
    is absent again; the stand-in's first read imports the real module, once."""
    import builtins

    with standing_in(probe_module, "json"):
        held = importlib.import_module(probe_module)
        assert isinstance(held, StandIn)
        assert sys.modules["json"] is json  # a module already imported is left alone
    assert probe_module not in sys.modules
    assert builtins.standin_runs == 0  # type: ignore[attr-defined]
    assert held.VALUE == 42
    assert held.VALUE == 42
    assert builtins.standin_runs == 1  # type: ignore[attr-defined]
    assert type(sys.modules[probe_module]) is not StandIn


def test_a_read_inside_the_block_puts_the_real_module_in_place(probe_module: str) -> None:
    """A `from name import x` while the stand-in is installed gets x, from the real module."""
    with standing_in(probe_module):
        from standin_probe import VALUE  # type: ignore[import-not-found]

        assert VALUE == 42
        assert type(sys.modules[probe_module]) is not StandIn
    assert type(sys.modules[probe_module]) is not StandIn


def test_the_suffixes_checked_before_a_run_are_the_renderers() -> None:
    """`--report` is checked against REPORT_SUFFIXES before the run; each has its renderer."""
    from bridge.report import REPORT_FORMATS, REPORT_SUFFIXES

    assert set(REPORT_SUFFIXES) == set(REPORT_FORMATS)
    assert list(REPORT_SUFFIXES) == sorted(REPORT_SUFFIXES)  # the order the error lists them
