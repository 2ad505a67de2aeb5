"""Saved plans (SPEC §13): `--dry-run --plan-out` writes one, `scbridge apply` carries it out.

- `entries`: one planned action as saved (its exact writes, fingerprints);
- `document`: the versioned, checksummed file and the checks before it is used;
- `stale`: does a saved plan still hold against a plan made afresh;
- `apply`: the orchestration of `scbridge apply`;
- `collect`: what a dry run gathers to write the plan.
"""
