"""Every mapping mistake is refused at compile time with the file, the line and the rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.errors import ConfigError
from bridge.rules import load_mapping

GOOD_RULES = """\
  name: {from: title}
  slug: {from: title, apply: [slugify]}
  status: {from: state, map: {active: open, closed: closed}}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def compile_error(tmp_path: Path, text: str) -> ConfigError:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_mapping(path)
    assert caught.value.file == str(path)
    assert caught.value.exit_code == 2
    return caught.value


# (id, mapping text, line of the error, rule named or None, words the message must contain)
CASES = [
    ("unknown-transform", "version: 1\nmilestone:\n" + GOOD_RULES
     + "  deadline: {from: due_date, apply: [date_to_datetim]}\n",
     6, "deadline", ["unknown transform 'date_to_datetim'", "did you mean 'date_to_datetime'",
                     "known: date_to_datetime, lower, slugify, strip, template, truncate"]),
    ("unknown-transform-with-args", "version: 1\nmilestone:\n" + GOOD_RULES
     + "  description:\n    from: title\n    apply:\n      - {trunc: 5}\n",
     9, "description", ["unknown transform 'trunc'", "did you mean 'truncate'"]),
    ("unknown-rule-key", "version: 1\nmilestone:\n" + GOOD_RULES
     + "  description: {form: description}\n",
     6, "description", ["unknown key 'form'", "did you mean 'from'"]),
    ("unknown-top-key", "version: 1\nmilestones:\n" + GOOD_RULES,
     2, None, ["unknown key 'milestones'", "did you mean 'milestone'"]),
    ("unknown-target-field", "version: 1\nmilestone:\n" + GOOD_RULES
     + "  title: {from: title}\n",
     6, "milestone", ["unknown SourceCraft field 'title'", "known: name, slug"]),
    ("unknown-source-field", "version: 1\nmilestone:\n" + GOOD_RULES
     + "  deadline: {from: due, apply: [date_to_datetime]}\n",
     6, "deadline", ["unknown GitLab field 'due'", "due_date"]),
    ("rule-without-from", "version: 1\nmilestone:\n" + GOOD_RULES
     + "  description: {default: x}\n",
     6, "description", ["needs 'from'", "or 'template'"]),
    ("from-and-template", "version: 1\nmilestone:\n" + GOOD_RULES
     + "  description: {from: title, template: x}\n",
     6, "description", ["both 'from' and 'template'"]),
    ("bad-regex", "version: 1\nmilestone:\n" + GOOD_RULES
     + "exclude:\n  title:\n    - ok\n    - '(unclosed'\n",
     9, "exclude.title", ["bad regular expression '(unclosed'"]),
    ("template-unknown-field", "version: 1\nmilestone:\n" + GOOD_RULES
     + "  description: {template: 'see {url}'}\n",
     6, "description", ["names unknown field 'url'", "web_url"]),
    ("apply-template-unknown-field", "version: 1\nmilestone:\n" + GOOD_RULES
     + "  description: {from: description, apply: [{template: '{value} {nope}'}]}\n",
     6, "description", ["names unknown field 'nope'"]),
    ("template-attribute-access", "version: 1\nmilestone:\n" + GOOD_RULES
     + "  description: {template: '{title.__class__}'}\n",
     6, "description", ["unknown field 'title.__class__'"]),
    ("template-format-spec", "version: 1\nmilestone:\n" + GOOD_RULES
     + "  description: {template: '{iid:>5}'}\n",
     6, "description", ["no format or conversion"]),
    ("template-malformed", "version: 1\nmilestone:\n" + GOOD_RULES
     + "  description: {template: 'a } b'}\n",
     6, "description", ["malformed", "{{ and }}"]),
    ("template-empty-placeholder", "version: 1\nmilestone:\n" + GOOD_RULES
     + "  description: {template: 'a {} b'}\n",
     6, "description", ["empty placeholder"]),
    ("apply-not-a-list", "version: 1\nmilestone:\n" + GOOD_RULES
     + "  description: {from: title, apply: strip}\n",
     6, "description", ["'apply' must be a list", "not text"]),
    ("truncate-wrong-type", "version: 1\nmilestone:\n" + GOOD_RULES
     + "  description: {from: title, apply: [{truncate: many}]}\n",
     6, "description", ["length of truncate must be a whole number, not text"]),
    ("truncate-zero", "version: 1\nmilestone:\n" + GOOD_RULES
     + "  description: {from: title, apply: [{truncate: 0}]}\n",
     6, "description", ["at least 1"]),
    ("truncate-bare", "version: 1\nmilestone:\n" + GOOD_RULES
     + "  description: {from: title, apply: [truncate]}\n",
     6, "description", ["needs a length", "{truncate: 255}"]),
    ("template-bare", "version: 1\nmilestone:\n" + GOOD_RULES
     + "  description: {from: title, apply: [template]}\n",
     6, "description", ["needs its text"]),
    ("slugify-with-args", "version: 1\nmilestone:\n" + GOOD_RULES
     + "  description: {from: title, apply: [{slugify: 3}]}\n",
     6, "description", ["takes no settings"]),
    ("transform-two-keys", "version: 1\nmilestone:\n" + GOOD_RULES
     + "  description: {from: title, apply: [{truncate: 3, strip: x}]}\n",
     6, "description", ["one key"]),
    ("transform-number", "version: 1\nmilestone:\n" + GOOD_RULES
     + "  description: {from: title, apply: [3]}\n",
     6, "description", ["not a number"]),
    ("from-a-list", "version: 1\nmilestone:\n" + GOOD_RULES
     + "  description: {from: [title]}\n",
     6, "description", ["'from' must be text, not a list"]),
    ("rule-is-text", "version: 1\nmilestone:\n" + GOOD_RULES + "  description: title\n",
     6, "description", ["must be a mapping such as {from: title}, not text"]),
    ("map-not-mapping", "version: 1\nmilestone:\n  name: {from: title}\n"
     "  slug: {from: title}\n  status: {from: state, map: [open]}\n",
     5, "status", ["must be a mapping such as {active: open}, not a list"]),
    ("status-map-bad-value", "version: 1\nmilestone:\n  name: {from: title}\n"
     "  slug: {from: title}\n  status:\n    from: state\n    map:\n      active: opened\n",
     8, "status", ["status 'opened' is not one SourceCraft has"]),
    ("status-bad-default", "version: 1\nmilestone:\n  name: {from: title}\n"
     "  slug: {from: title}\n  status: {from: state, default: done}\n",
     5, "status", ["status 'done'"]),
    ("missing-required-rule", "version: 1\nmilestone:\n  name: {from: title}\n",
     2, "milestone", ["no rule for slug, status"]),
    ("missing-milestone", "version: 1\n", 1, "milestone", ["missing"]),
    ("version-missing", "milestone:\n" + GOOD_RULES, 1, "version", ["missing", "version: 1"]),
    ("version-unsupported", "version: 2\nmilestone:\n" + GOOD_RULES,
     1, "version", ["version 2 is not supported"]),
    ("version-text", "version: one\nmilestone:\n" + GOOD_RULES,
     1, "version", ["whole number, not text"]),
    ("duplicate-key", "version: 1\nmilestone:\n" + GOOD_RULES + "  name: {from: title}\n",
     6, "milestone", ["'name' is given twice (first on line 3)"]),
    ("bad-time", "version: 1\ndates: {time: '25:00'}\nmilestone:\n" + GOOD_RULES,
     2, "dates", ["time '25:00' is not a time of day"]),
    ("time-unquoted-bool", "version: 1\ndates: {time: yes}\nmilestone:\n" + GOOD_RULES,
     2, "dates", ["time must be text, not true/false"]),
    ("bad-zone", "version: 1\ndates:\n  zone: Mars/Olympus\nmilestone:\n" + GOOD_RULES,
     3, "dates", ["zone 'Mars/Olympus' is unknown"]),
    ("bad-date-setting", "version: 1\ndates:\n  tz: UTC\nmilestone:\n" + GOOD_RULES,
     3, "dates", ["unknown date setting 'tz'"]),
    ("per-rule-bad-zone", "version: 1\nmilestone:\n" + GOOD_RULES
     + "  deadline:\n    from: due_date\n    apply:\n      - date_to_datetime: {zone: Nowhere}\n",
     9, "deadline", ["zone 'Nowhere' is unknown"]),
    ("unknown-filter", "version: 1\nmilestone:\n" + GOOD_RULES + "include:\n  label: x\n",
     7, "include", ["unknown filter 'label'"]),
    ("unknown-state", "version: 1\nmilestone:\n" + GOOD_RULES + "include:\n  state: [opened]\n",
     7, "include.state", ["unknown milestone state 'opened'"]),
    ("empty-state-list", "version: 1\nmilestone:\n" + GOOD_RULES + "include:\n  state: []\n",
     7, "include.state", ["at least one value"]),
    ("has-issues-not-bool", "version: 1\nmilestone:\n" + GOOD_RULES
     + "exclude:\n  has_issues: maybe\n",
     7, "exclude.has_issues", ["must be true or false, not text"]),
    ("slug-setting-unknown", "version: 1\nslugs: {follow: true}\nmilestone:\n" + GOOD_RULES,
     2, "slugs", ["unknown slug setting 'follow'", "follow_renames"]),
    ("follow-renames-not-bool", "version: 1\nslugs: {follow_renames: 1}\nmilestone:\n"
     + GOOD_RULES, 2, "slugs.follow_renames", ["must be true or false"]),
    ("top-level-list", "- version: 1\n", 1, None, ["must be a mapping with `version: 1`"]),
    ("empty-file", "", 1, None, ["the mapping file is empty"]),
    ("not-yaml", "version: 1\nmilestone: {name: [\n", 3, None, ["not valid YAML"]),
]


class TestCompileErrors:
    @pytest.mark.parametrize(("text", "line", "rule", "words"), [c[1:] for c in CASES],
                             ids=[c[0] for c in CASES])
    def test_error_names_file_line_and_rule(self, tmp_path: Path, text: str, line: int,
                                            rule: str | None, words: list[str]) -> None:
        """Each mistake raises a ConfigError at the right line, naming the rule and the problem."""
        error = compile_error(tmp_path, text)
        message = str(error)
        assert error.line == line, message
        assert message.startswith(f"{tmp_path / 'm.yaml'}:{line}: "), message
        if rule is not None:
            assert f"rule '{rule}': " in message
        for word in words:
            assert word in message

    def test_missing_file_is_a_config_error(self, tmp_path: Path) -> None:
        """A mapping path that does not exist is a one-line ConfigError naming the file."""
        path = tmp_path / "absent.yaml"
        with pytest.raises(ConfigError, match="cannot read the mapping file") as caught:
            load_mapping(path)
        assert caught.value.file == str(path)

    def test_message_is_one_line(self, tmp_path: Path) -> None:
        """Compile errors are single lines, fit for stderr without a traceback."""
        error = compile_error(tmp_path, "version: 1\nmilestone:\n" + GOOD_RULES
                              + "  deadline: {from: due_date, apply: [nope]}\n")
        assert "\n" not in str(error)
