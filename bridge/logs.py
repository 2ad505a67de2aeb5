"""Structured logging set up once for the CLI, with secrets masked before anything is rendered."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TextIO

from bridge.errors import ConfigError
from bridge.standins import standing_in

if TYPE_CHECKING:  # structlog (and the rich it pulls in) is imported when logging is configured
    from structlog.typing import EventDict, Processor, WrappedLogger

LogFormat = Literal["auto", "console", "json"]

MASK = "***"

#: Keys whose values are credentials whatever they hold; compared lower-cased, "-" read as "_",
#: so the header names PRIVATE-TOKEN and Authorization are covered as well.
SECRET_KEYS: frozenset[str] = frozenset({
    "token", "authorization", "private_token", "password", "access_token", "secret",
    "api_key", "proxy_authorization", "cookie", "set_cookie",
})

_lock = threading.Lock()
_secrets: tuple[str, ...] = ()


def register_secret(value: str) -> None:
    """Mask `value` wherever it appears (also inside longer strings) in logs and reports."""
    global _secrets  # noqa: PLW0603 - one process-wide registry, written by the CLI at start-up
    if not value or not value.strip():
        return  # masking "" would insert *** between every character
    with _lock:
        if value not in _secrets:
            # Longest first, so a secret that contains another is masked whole.
            _secrets = tuple(sorted({*_secrets, value}, key=len, reverse=True))


def clear_secrets() -> None:
    """Forget every registered secret (for tests and embedders running several configs)."""
    global _secrets  # noqa: PLW0603 - see register_secret
    with _lock:
        _secrets = ()


def registered_secrets() -> tuple[str, ...]:
    """The registered secrets, longest first; a new tuple whenever one is added or cleared."""
    return _secrets


def mask_text(text: str) -> str:
    """`text` with every registered secret replaced by ***."""
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def is_secret_key(key: object) -> bool:
    """True for a key whose value is a credential whatever it holds (see SECRET_KEYS)."""
    return isinstance(key, str) and key.lower().replace("-", "_") in SECRET_KEYS


def mask_value(value: Any) -> Any:
    """`value` with secret keys and registered secrets masked, recursing into dicts and lists."""
    if isinstance(value, str):
        return mask_text(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Mapping):
        return {mask_value(k): MASK if is_secret_key(k) else mask_value(v)
                for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [mask_value(v) for v in value]
    # Any other object (an exception, a URL object) is rendered through str() later on:
    # look at that text now, so a token inside it cannot slip past.
    text = str(value)
    masked = mask_text(text)
    return value if masked == text else masked


class MaskSecrets:
    """structlog processor: the last step before rendering, so nothing escapes it."""

    def __call__(self, logger: WrappedLogger, method_name: str,
                 event_dict: EventDict) -> EventDict:
        return {mask_text(k) if isinstance(k, str) else k:
                MASK if is_secret_key(k) else mask_value(v)
                for k, v in event_dict.items()}


class _CurrentStderr:
    """Writes to whatever `sys.stderr` is at the time, so rich's live progress can redirect logs."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()

    def isatty(self) -> bool:
        return sys.stderr.isatty()


def _level(verbosity: int) -> int:
    if verbosity < 0:
        return 30  # logging.WARNING
    return 20 if verbosity == 0 else 10  # INFO, DEBUG


def _import_structlog() -> None:
    """Import structlog (the first time) without the modules it would load and never use here.

    structlog's `dev` and `tracebacks` modules import rich when it is installed, only to draw
    exception tracebacks; our chain formats them as plain text first (`format_exc_info`), so
    that is about 30 ms of start-up for nothing. Hiding rich for the length of the import
    makes structlog take its "rich is absent" path; rich stays importable afterwards (the
    progress bar imports it when it shows). `asyncio`, which structlog uses only in its
    async methods (never called here), gets a forwarding stand-in instead (`bridge.standins`):
    about 10 ms more. A structlog already imported is left as it is.
    """
    if "structlog" in sys.modules:
        return
    hide_rich = "rich" not in sys.modules
    if hide_rich:
        sys.modules["rich"] = None  # type: ignore[assignment]  # `import rich` -> ImportError
    try:
        with standing_in("asyncio"):
            import structlog  # noqa: F401, PLC0415 - see the docstring
    finally:
        if hide_rich and sys.modules.get("rich", False) is None:
            del sys.modules["rich"]


def configure_logging(*, fmt: LogFormat = "auto", verbosity: int = 0,
                      stream: TextIO | None = None) -> None:
    """Send structlog events to `stream` (stderr): console lines on a TTY, JSON lines otherwise.

    `verbosity` -1 keeps warnings and errors, 0 adds info, 1 or more adds debug.
    """
    if fmt not in ("auto", "console", "json"):
        raise ConfigError(f"--log-format {fmt!r}: use auto, console or json")
    _import_structlog()
    import structlog  # noqa: PLC0415 - here, not at the top: `--help` and `validate` need none
    out: Any = stream if stream is not None else _CurrentStderr()
    tty = bool(getattr(out, "isatty", lambda: False)())
    console = fmt == "console" or (fmt == "auto" and tty)
    renderer: Processor
    if console:
        colors = tty and "NO_COLOR" not in os.environ
        # Plain tracebacks, whether rich is installed or not: `format_exc_info` below has
        # already turned any exception into text by the time the renderer sees the event.
        renderer = structlog.dev.ConsoleRenderer(
            colors=colors, exception_formatter=structlog.dev.plain_traceback)
        if tty:  # the terminal would wrap a long line anywhere, even inside key=value
            from bridge.logwrap import FitToTerminal, terminal_width  # noqa: PLC0415
            renderer = FitToTerminal(renderer, lambda: terminal_width(out))
    else:
        renderer = structlog.processors.JSONRenderer(sort_keys=False)
    processors: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        # A plain traceback string (no local variables, which could hold a token),
        # formatted before masking so the masking sees it too.
        structlog.processors.format_exc_info,
        MaskSecrets(),
        renderer,
    ]
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(_level(verbosity)),
        logger_factory=structlog.WriteLoggerFactory(file=out),
        # Modules bind their logger at import time; without caching, configuring again
        # (tests, embedders) takes effect everywhere.
        cache_logger_on_first_use=False,
    )
