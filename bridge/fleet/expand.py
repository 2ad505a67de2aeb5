"""One project's Config: the fleet's shared config with that project's names and overrides."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from bridge.config import Config, default_checkpoint
from bridge.configkinds import transfer_kinds
from bridge.fleet.spec import FleetConfig, ProjectSpec


def project_config(fleet: FleetConfig, spec: ProjectSpec, *, checkpoint_dir: Path | None = None
                   ) -> Config:
    """The Config a one-project file for this project would give, so both share its checkpoint.

    The default checkpoint is `<folder>/<org>-<repo>`, exactly as for one project; the
    entry's own `checkpoint:` wins, then `--checkpoint DIR`, then the fleet's folder.
    """
    base = fleet.base
    folder = checkpoint_dir or fleet.checkpoint_dir
    return dataclasses.replace(base, **overrides(base, spec, folder))


def overrides(base: Config, spec: ProjectSpec, folder: Path) -> dict[str, Any]:
    """The fields of `base` this project changes, as keyword arguments of dataclasses.replace."""
    changes: dict[str, Any] = {
        "source": dataclasses.replace(base.source, project=spec.source),
        "target": dataclasses.replace(base.target, repo=spec.target),
        "checkpoint": spec.checkpoint or default_checkpoint(folder, base.target.org,
                                                            spec.target)}
    if spec.mapping is not None:
        changes["mapping"] = spec.mapping
    if spec.transfer is not None:
        changes["transfer"] = transfer_kinds(spec.transfer)
    return changes
