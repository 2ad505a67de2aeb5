"""How many objects a batch holds: SCBRIDGE_BATCH, read (and refused) before any request.

A module of its own so that a run checks the variable without importing the engine, which
it needs only once preflight has answered (start-up time); `bridge.engine.batches`
re-exports both names.
"""

from __future__ import annotations

import os

from bridge.errors import ConfigError

#: Overrides how many objects a batch holds (a kind's default: issues 1,000, comments 2,000):
#: smaller needs less memory, larger pauses the write pool less often. Tests set it to 2.
BATCH_ENV = "SCBRIDGE_BATCH"


def batch_size(default: int) -> int:
    """`default`, or the positive whole number SCBRIDGE_BATCH holds."""
    raw = os.environ.get(BATCH_ENV, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ConfigError(f"{BATCH_ENV} must be a positive whole number, not '{raw}'")
    return int(raw)
