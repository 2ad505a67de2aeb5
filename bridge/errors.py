"""Errors grouped by what the caller must do, each carrying the exit code it ends a run with.

SPEC §7: 2 is a usage, config, mapping or checkpoint problem found before any
request; 3 means the run cannot proceed (auth refused, project missing, a
server that keeps answering garbage); 4 is a held lock; 5 a saved plan that no longer
matches the source or the target (§11, §13); 130 an interruption.
"""

from __future__ import annotations


class BridgeError(Exception):
    """Root of every error scbridge raises on purpose; `exit_code` is what the CLI exits with."""

    exit_code: int = 1


class ConfigError(BridgeError):
    """The config file, the mapping or the command line is wrong: fix the input and run again."""

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 key: str | None = None) -> None:
        self.file = file
        self.line = line
        self.key = key
        where = ""
        if file is not None:
            where = f"{file}:{line}: " if line is not None else f"{file}: "
        super().__init__(f"{where}{message}")


class CheckpointError(BridgeError):
    """The checkpoint is corrupt, newer than us, or unusable; it is never silently discarded."""

    exit_code = 2


class ApiError(BridgeError):
    """The answer ends this request; `status` is None for transport failures."""

    exit_code = 3
    #: host:port of the server that answered (or could not be reached), when known.
    address: str | None = None

    def __init__(self, message: str, *, status: int | None = None,
                 request_id: str | None = None, retry_after: float | None = None) -> None:
        self.status = status
        self.request_id = request_id
        self.retry_after = retry_after
        super().__init__(message)


class FatalApiError(ApiError):
    """Retrying will not help: 400, 401, 403, 404, 422, or an answer the API never promised."""


class RetriableApiError(ApiError):
    """The same request may succeed later: transport errors, 429, 5xx gateways, garbage bodies."""


class ConnectionFailedError(RetriableApiError):
    """The server could not be reached, or the connection broke: refused, reset, DNS, TLS.

    `address` is host:port; `never_sent` is True when the request provably never left
    (nothing to reconcile: a POST may be sent again). Once retries are spent, the run
    stops: the other items would only wait out the same retries.
    """

    def __init__(self, message: str, *, status: int | None = None,
                 request_id: str | None = None, retry_after: float | None = None,
                 address: str | None = None, never_sent: bool = False) -> None:
        super().__init__(message, status=status, request_id=request_id, retry_after=retry_after)
        self.address = address
        self.never_sent = never_sent


class AmbiguousWriteError(ApiError):
    """A write was sent and its outcome is unknown: look before writing again, never blind."""


class LockHeldError(BridgeError):
    """Another run holds the checkpoint's lock; this run wrote nothing."""

    exit_code = 4


class StalePlanError(BridgeError):
    """A saved plan's objects changed on GitLab or SourceCraft since it was made: no write."""

    exit_code = 5


class Interrupted(BridgeError):  # noqa: N818 - a signal is an event, not a fault
    """SIGINT or SIGTERM arrived; in-flight work was finished or marked unknown."""

    exit_code = 130
