"""The mapping rules of SPEC §4: load a YAML mapping once, apply it to each GitLab milestone."""

from __future__ import annotations

from bridge.rules.compile import SOURCE_FIELDS, load_mapping
from bridge.rules.dates import DateSettings, RecordError
from bridge.rules.mapping import CompiledMapping
from bridge.rules.report import validate_report

__all__ = ["SOURCE_FIELDS", "CompiledMapping", "DateSettings", "RecordError", "load_mapping",
           "validate_report"]
