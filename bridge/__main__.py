"""Lets `python -m bridge` behave exactly like the `scbridge` console script."""

from bridge.cli import entry

raise SystemExit(entry())
