"""Many projects in one run (SPEC §14): a layer above the one-project pipeline.

- `spec`: the `projects:` / `discover:` / `fleet:` keys of the config;
- `discover`: a GitLab group's projects, every page;
- `expand`: each project's own Config (checkpoint, mapping, transfer overrides);
- `shards`: which projects shard K of N runs, by a stable hash;
- `runner`: the projects on a bounded pool, each failure its own;
- `report`, `render`: the combined report and the worst exit code;
- `status`: the projects' checkpoints summed;
- `command`: the subcommands over a fleet.

Only the light modules are imported here, so `validate` over a fleet starts as fast as
over one project; the runner and the network come in with the command that needs them.
"""

from bridge.fleet.shards import Shard, shard_of
from bridge.fleet.spec import FleetConfig, ProjectSpec, is_fleet_config, load_fleet

__all__ = ["FleetConfig", "ProjectSpec", "Shard", "is_fleet_config", "load_fleet", "shard_of"]
