"""Shared pytest fixtures; each fixture says what it provides and is kept small."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog

from bridge.sandbox import Sandbox


@pytest.fixture(autouse=True)
def _structlog_defaults() -> None:
    """Each test starts from structlog's defaults: a test that configured logging (a CLI run
    in this process, at warnings only) must not filter what a later `capture_logs` expects,
    which made test_mirror_scan fail whenever such a test happened to run first."""
    structlog.reset_defaults()


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A running sandbox (fake GitLab v3 + fake SourceCraft) over the demo dataset, seed 0."""
    with Sandbox(dataset="demo", seed=0) as sb:
        yield sb
