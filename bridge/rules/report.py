"""The text `scbridge validate` prints: where each SourceCraft field comes from, and the filters."""

from __future__ import annotations

from bridge.rules.mapping import CompiledMapping


def validate_report(mapping: CompiledMapping) -> str:
    """Plain text, one line per SourceCraft field and per filter, for people checking a mapping."""
    rows = mapping.describe()
    width = max(len(name) for name, _ in [*rows, *mapping.section("issue").describe()])
    lines = [f"mapping {mapping.file} (version {mapping.version}) compiles.", "",
             "SourceCraft fields and where they come from:"]
    lines += [f"  {name.ljust(width)}  <- {words}" for name, words in rows]
    for kind in ("label", "issue"):
        section = mapping.section(kind)
        origin = "" if mapping.has_section(kind) else " (the bundled rules: this file has none)"
        lines += ["", f"{kind.capitalize()}s, when `transfer:` moves them{origin}:"]
        lines += [f"  {name.ljust(width)}  <- {words}" for name, words in section.describe()]
    lines += ["", "References in issue and comment texts: " + (
        "rewritten to point at SourceCraft (references.rewrite: true)."
        if mapping.rewrite_references else "left as GitLab has them (references.rewrite: "
                                           "false).")]
    lines += ["", "Milestones kept:"]
    filters = mapping.filters.describe()
    lines += [f"  {line}" for line in filters] or ["  every milestone (no include/exclude rules)"]
    lines += ["", f"Dates: a GitLab date is placed at {mapping.dates.describe()} by default "
              "and sent in UTC; its day never changes.",
              "Slugs: " + ("follow title changes on mirror runs."
                           if mapping.slugs_follow_renames
                           else "kept when a title changes on mirror runs (slugs.follow_renames: "
                                "false).")]
    return "\n".join(lines) + "\n"
