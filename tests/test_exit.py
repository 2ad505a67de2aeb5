"""The console entry: `main()`'s exit code, then a short exit with the heap left frozen."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_PROBE = """\
import gc, sys
from bridge.cli import entry
sys.argv = ["scbridge", "validate", "-c", sys.argv[1]]
frozen_before = gc.get_freeze_count()
code = entry()
print(code, frozen_before, gc.get_freeze_count() > 0)
"""


def test_entry_returns_mains_code_and_freezes_the_heap(tmp_path: Path) -> None:
    """A failed `validate` still exits 2 through `entry()`, and the collector has nothing left."""
    proc = subprocess.run([sys.executable, "-c", _PROBE, str(tmp_path / "missing.yaml")],
                          capture_output=True, text=True, timeout=60, check=True)
    assert proc.stdout.split() == ["2", "0", "True"]
    assert "missing.yaml" in proc.stderr


def test_python_dash_m_and_the_console_script_both_go_through_entry(tmp_path: Path) -> None:
    """`python -m bridge` exits with the command's code; the installed script names `entry`."""
    proc = subprocess.run([sys.executable, "-m", "bridge", "validate", "-c",
                           str(tmp_path / "missing.yaml")],
                          capture_output=True, text=True, timeout=60, check=False, cwd=ROOT)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["scripts"]
    assert scripts == {"scbridge": "bridge.cli:entry"}


def test_main_itself_leaves_the_collector_alone(tmp_path: Path) -> None:
    """Tests and embedders call `main()` many times: it never freezes their heap."""
    import gc

    from bridge.cli import main

    before = gc.get_freeze_count()
    assert main(["validate", "-c", str(tmp_path / "missing.yaml")]) == 2
    assert gc.get_freeze_count() == before
