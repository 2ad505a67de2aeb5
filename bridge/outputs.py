"""The files a run writes (its report, its checkpoint), checked before the first request.

A report folder that cannot be written, a checkpoint path that is a folder, or
that cannot be read, created or locked, is exit 2 with one line naming the path,
before anything is sent: never a finished run that then fails to save, never an
internal error. A report's missing folder is created, as `cp` or a shell
redirect into a new folder would not, but as people expect of an output option.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

from bridge.checkpoint import Checkpoint
from bridge.errors import CheckpointError, ConfigError


def prepare_report(path: Path | None) -> None:
    """Create the report's folder if it is missing; ConfigError if the report cannot be written."""
    if path is None:
        return
    if path.is_dir():
        raise ConfigError(f"--report {path}: is a folder; name a file in it, such as "
                          f"{path / ('report' + (path.suffix or '.json'))}")
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # Writing is the only honest test of writable (root passes every os.access check).
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise ConfigError(f"--report {path}: cannot write in {folder}: "
                          f"{exc.strerror or exc}") from None
    if path.exists() and not os.access(path, os.W_OK):
        raise ConfigError(f"--report {path}: the file is not writable") from None


def check_checkpoint(path: Path, *, readonly: bool) -> None:
    """CheckpointError unless `path` can be read (and, for a run that writes, created)."""
    if path.is_dir():
        raise CheckpointError(f"{path}: is a folder, not a checkpoint file; name a file "
                              f"(or write '{path}/' in the config to keep it in that folder)")
    if path.exists():
        if not os.access(path, os.R_OK):
            raise CheckpointError(f"{path}: cannot read the checkpoint: permission denied")
        if not readonly and not os.access(path, os.W_OK):
            raise CheckpointError(f"{path}: cannot write the checkpoint: permission denied")
        return
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise CheckpointError(f"{path}: cannot create the checkpoint: {folder} is a file, "
                              "not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CheckpointError(f"{path}: cannot create the checkpoint: {folder} is not "
                              "writable")


def open_checkpoint(path: Path, *, readonly: bool) -> Checkpoint:
    """`Checkpoint.open` after `check_checkpoint`; an OS or SQLite refusal names the path."""
    check_checkpoint(path, readonly=readonly)
    try:
        return Checkpoint.open(path, readonly=readonly)
    except (OSError, sqlite3.Error) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise CheckpointError(f"{path}: cannot open the checkpoint: {reason}") from exc
