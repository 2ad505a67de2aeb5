"""Shared pytest fixtures; each fixture says what it provides and is kept small."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bridge.sandbox import Sandbox


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A running sandbox (fake GitLab v3 + fake SourceCraft) over the demo dataset, seed 0."""
    with Sandbox(dataset="demo", seed=0) as sb:
        yield sb
