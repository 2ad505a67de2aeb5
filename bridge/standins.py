"""Stand-in modules: a library's import of a module it touches only inside unused functions.

structlog imports `asyncio` for its `a*` logging methods, which `bridge` never calls: about
10 ms of start-up before the first request (asyncio's 30 modules), for code that never runs.
`standing_in` puts a `StandIn` in `sys.modules` for such names while that library is
imported, then takes it out again, so the rest of the process imports the real module as
usual. What the library kept is a forwarding stand-in: its first attribute read imports the
real module and every read is answered by it, so a call that does need it still works.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType


class StandIn(ModuleType):
    """A module whose attributes are those of the real module `name`, imported when first read."""

    def __getattr__(self, attribute: str) -> object:
        # Only for attributes the stand-in itself lacks: __name__, __spec__ (None) and the
        # rest of ModuleType's own are answered without importing anything.
        if sys.modules.get(self.__name__) is self:  # read while `standing_in` still runs
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), attribute)


@contextmanager
def standing_in(*names: str) -> Iterator[None]:
    """While the block runs, `import name` yields a StandIn for each name not yet imported."""
    installed = [name for name in names if name not in sys.modules]
    for name in installed:
        sys.modules[name] = StandIn(name)
    try:
        yield
    finally:
        for name in installed:
            if isinstance(sys.modules.get(name), StandIn):
                del sys.modules[name]
