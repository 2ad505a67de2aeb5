"""Run a script or `-m module` in this process, then note this process's own peak RSS.

`ru_maxrss` of a child counts the parent's memory at fork time (Linux keeps the high-water
mark across exec), so a child spawned by a benchmark that had grown would look as big as it.
VmHWM, read by the process itself at exit, is the peak of its own address space only.

    python peak.py OUT_FILE -m bridge migrate ...      python peak.py OUT_FILE script.py ...
"""

from __future__ import annotations

import atexit
import runpy
import sys
from pathlib import Path


def _note_peak(out: Path) -> None:
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmHWM:"):
            out.write_text(line.split()[1], encoding="ascii")  # in kB
            return


def main() -> None:
    """Register the note, then hand the process over to the target as its __main__."""
    out, target = Path(sys.argv[1]), sys.argv[2:]
    atexit.register(_note_peak, out)
    if target[0] == "-m":
        sys.argv = target[1:]
        runpy.run_module(target[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = target
        runpy.run_path(target[0], run_name="__main__")


if __name__ == "__main__":
    main()
