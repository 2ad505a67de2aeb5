"""The generic engine: extract, transform, plan, load and the mirror's incremental scan."""
