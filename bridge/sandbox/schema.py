"""Request-body checks for the fake SourceCraft, from the definitions of its official OpenAPI file.

The request definitions below are copied verbatim (titles dropped) from
`sourcecraft.swagger.json` (Swagger 2.0, version 0.0.1, 2026 revision), so the
fake refuses exactly what the published schema does not allow.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

DEFINITIONS: dict[str, dict[str, Any]] = {
    "CreateMilestoneBody": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "slug": {"type": "string"},
            "description": {"type": "string"},
            "start_date": {"type": "string", "format": "date-time"},
            "deadline": {"type": "string", "format": "date-time"},
        },
        "required": ["name"],
    },
    "UpdateMilestoneBody": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "slug": {"type": "string"},
            "description": {"type": "string"},
            "start_date": {"type": "string", "format": "date-time"},
            "deadline": {"type": "string", "format": "date-time"},
            "status": {"$ref": "#/definitions/Milestone.Status"},
        },
    },
    "Milestone.Status": {"type": "string", "enum": ["open", "closed"]},
    "CreateLabelBody": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "slug": {"type": "string"},
            "color": {"type": "string"},
        },
        "required": ["name"],
    },
    "UpdateLabelBody": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "slug": {"type": "string"},
            "color": {"type": "string"},
        },
    },
    "CreateIssueBody": {
        "type": "object",
        "properties": {
            "title": {"type": "string"},
            "description": {"type": "string"},
            "status_slug": {"type": "string"},
            "priority": {"$ref": "#/definitions/Priority"},
            "assignee_id": {"type": "string"},
            "milestone_id": {"type": "string"},
            "milestone_slug": {"type": "string"},
            "visibility": {"$ref": "#/definitions/Issue.Visibility"},
            "label_ids": {"type": "array", "items": {"type": "string"}},
            "label_slugs": {"type": "array", "items": {"type": "string"}},
            "linked_pr_ids": {"type": "array", "items": {"type": "string"}},
            "linked_pr_slugs": {"type": "array", "items": {"type": "string"}},
            "deadline": {"type": "string", "format": "date-time"},
        },
        "required": ["title"],
    },
    "UpdateIssueBody": {
        "type": "object",
        "properties": {
            "title": {"type": "string"},
            "description": {"type": "string"},
            "status_slug": {"type": "string"},
            "priority": {"$ref": "#/definitions/Priority"},
            "assignee_id": {"type": "string"},
            "milestone_id": {"type": "string"},
            "visibility": {"$ref": "#/definitions/Issue.Visibility"},
            "deadline": {"type": "string", "format": "date-time"},
        },
    },
    "Priority": {"type": "string", "enum": ["trivial", "minor", "normal", "critical", "blocker"]},
    "Issue.Visibility": {"type": "string", "enum": ["public", "private"]},
    "ModifyLabelCollectionRequest": {
        "type": "object",
        "properties": {
            "ids": {"type": "array", "items": {"type": "string"}},
            "slugs": {"type": "array", "items": {"type": "string"}},
        },
    },
    "CreateIssueCommentBody": {
        "type": "object",
        "properties": {
            "parent_id": {"type": "string"},
            "body": {"type": "string"},
        },
    },
    "UpdateIssueCommentBody": {
        "type": "object",
        "properties": {
            "body": {"type": "string"},
        },
    },
}

_DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")


class SchemaError(ValueError):
    """A body the schema refuses; `field` names the offending property, if one does."""

    def __init__(self, message: str, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


def validate(definition: str, body: Any) -> dict[str, Any]:
    """Check `body` against a definition; return it with JSON nulls dropped (proto3: unset)."""
    schema = DEFINITIONS[definition]
    if not isinstance(body, dict):
        raise SchemaError("request body must be a JSON object")
    properties: dict[str, Any] = schema["properties"]
    for key in body:
        if key not in properties:
            raise SchemaError(f'unknown field "{key}" in {definition}', key)
    cleaned = {key: value for key, value in body.items() if value is not None}
    for key, value in cleaned.items():
        _check(key, properties[key], value)
    for key in schema.get("required", []):
        if key not in cleaned:
            raise SchemaError(f'missing required field "{key}"', key)
    return cleaned


def _check(key: str, schema: dict[str, Any], value: Any) -> None:
    if "$ref" in schema:
        schema = DEFINITIONS[schema["$ref"].rsplit("/", 1)[-1]]
    if schema.get("type") == "string" and not isinstance(value, str):
        raise SchemaError(f'field "{key}" must be a string, not {type(value).__name__}', key)
    if schema.get("type") == "array":
        if not isinstance(value, list):
            raise SchemaError(f'field "{key}" must be an array, not {type(value).__name__}', key)
        for item in value:
            _check(key, schema["items"], item)
    if "enum" in schema and value not in schema["enum"]:
        raise SchemaError(f'field "{key}" must be one of {", ".join(schema["enum"])}', key)
    if schema.get("format") == "date-time":
        parse_date_time(value, key)


def parse_date_time(value: str, key: str = "date") -> datetime:
    """An RFC 3339 date-time, as protobuf's Timestamp accepts it; SchemaError otherwise."""
    if not _DATE_TIME.match(value):
        raise SchemaError(f'field "{key}": "{value}" is not an RFC 3339 date-time', key)
    text = value.upper().replace("Z", "+00:00")
    head, _, rest = text.partition(".")
    if rest:  # Python parses at most 6 fractional digits; protobuf takes 9.
        digits = re.match(r"\d+", rest)
        assert digits is not None
        text = f"{head}.{digits.group()[:6].ljust(6, '0')}{rest[len(digits.group()):]}"
    try:
        return datetime.fromisoformat(text).astimezone(UTC)
    except ValueError:
        raise SchemaError(f'field "{key}": "{value}" is not a valid date-time', key) from None


def format_date_time(moment: datetime) -> str:
    """protobuf's JSON form of a Timestamp: UTC, Z, 0, 3, 6 fractional digits as needed."""
    moment = moment.astimezone(UTC)
    base = moment.strftime("%Y-%m-%dT%H:%M:%S")
    micros = moment.microsecond
    if micros == 0:
        return base + "Z"
    if micros % 1000 == 0:
        return f"{base}.{micros // 1000:03d}Z"
    return f"{base}.{micros:06d}Z"
