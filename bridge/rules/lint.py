"""Rules that compile but would fail every milestone they touch, found before any request.

Each source field has a kind (a calendar date, a date-time, text, a state, a
number); a rule's `apply` chain carries it to the SourceCraft field, whose kind
is known too. Where they cannot meet (a `YYYY-MM-DD` sent as a date-time, a
transform given what it cannot read, a state the `map` leaves out without a
default) every milestone would fail the same way, so `validate` says so, with
the file, the line and the rule, and migrate and mirror refuse to start.
A template gives text nobody can know ahead: rules built on one are not judged.
"""

from __future__ import annotations

from bridge.errors import ConfigError
from bridge.rules.fields import STATUSES, FieldRule
from bridge.rules.filters import STATES, Filters, StateIs
from bridge.rules.mapping import CompiledMapping

#: What each GitLab field holds; "any" (a template) is never judged.
_KINDS = {"title": "text", "description": "text", "project_path": "text", "web_url": "text",
          "state": "state", "due_date": "date", "start_date": "date",
          "created_at": "datetime", "updated_at": "datetime", "id": "number", "iid": "number",
          "project_id": "number", "issues_open": "number", "issues_closed": "number",
          "from_issues_only": "boolean"}
_WORDS = {"text": "text", "state": "a state (active or closed)", "number": "a number",
          "boolean": "true or false", "date": "a calendar date (YYYY-MM-DD)",
          "datetime": "a date-time"}
_DATE_FIELDS = ("start_date", "deadline")


def _states(filters: Filters) -> list[str]:
    """The milestone states that get past the include and exclude filters."""
    states = list(STATES)
    for _, criterion in filters.include:
        if isinstance(criterion, StateIs):
            states = [s for s in states if s in criterion.states]
    for _, criterion in filters.exclude:
        if isinstance(criterion, StateIs):
            states = [s for s in states if s not in criterion.states]
    return states


def _chain(rule: FieldRule, problems: list[str]) -> str:
    """The kind the `apply` chain ends with; a transform given what it cannot read is noted."""
    kind = _KINDS.get(rule.source or "", "any") if rule.template is None else "any"
    for step in rule.chain:
        name = getattr(step, "name", "")
        if name == "date_to_datetime":
            if kind not in ("date", "datetime", "any"):
                problems.append(f"date_to_datetime is given {_WORDS[kind]} (GitLab "
                                f"{rule.source}), not a date: every milestone would fail")
            kind = "datetime"
        elif name == "template":
            kind = "any"
        elif name == "truncate" or (name == "slugify" and kind == "datetime"):
            kind = "text" if kind != "any" else kind
        # strip, lower and slugify leave a date, a state or text what it was
    return kind


def _rule_problems(target: str, rule: FieldRule, states: list[str]) -> list[str]:
    problems: list[str] = []
    kind = _chain(rule, problems)
    if rule.value_map is not None:
        if kind == "state" and not rule.has_default:
            problems += [f"map has no entry for GitLab's state '{state}' and no default: "
                         f"every {state} milestone would fail; add '{state}: ...' to the map "
                         "or give a default" for state in states if state not in rule.value_map]
        return problems
    if kind == "any":
        return problems
    if target in _DATE_FIELDS and kind != "datetime":
        if kind == "date":
            problems.append(f"GitLab's {rule.source} is a calendar date (YYYY-MM-DD) and "
                            f"SourceCraft's {target} a date-time: every milestone with a "
                            f"{rule.source} would fail; add date_to_datetime to the rule's apply")
        else:
            problems.append(f"GitLab's {rule.source} is {_WORDS[kind]}, not a date-time: every "
                            f"milestone with one would fail")
    if target == "status" and kind != "state":
        problems.append(f"GitLab's {rule.source} is {_WORDS[kind]}, not a status "
                        f"({' or '.join(STATUSES)}): every milestone would fail; add a map")
    elif target == "status":
        wrong = [state for state in states if state not in STATUSES]
        if wrong:
            problems.append(f"GitLab's state '{wrong[0]}' is not a SourceCraft status "
                            f"({' or '.join(STATUSES)}): every {wrong[0]} milestone would "
                            "fail; add map: {active: open, closed: closed}")
    return problems


def mapping_problems(mapping: CompiledMapping) -> list[str]:
    """Each rule that would fail every milestone, as `file:line: rule 'x': what and why`."""
    states = _states(mapping.filters)
    found = []
    for target, rule in mapping.rules.items():
        for problem in _rule_problems(target, rule, states):
            found.append(f"{mapping.file}:{rule.line}: rule '{target}': {problem}")
    return found


def refuse_problems(mapping: CompiledMapping) -> CompiledMapping:
    """The mapping, or a ConfigError (exit 2) with its first problem: found before any request."""
    problems = mapping_problems(mapping)
    if problems:
        raise ConfigError(problems[0] + (f" (and {len(problems) - 1} more: run scbridge "
                                         "validate)" if len(problems) > 1 else ""))
    return mapping
