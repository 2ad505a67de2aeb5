"""The many-project config: projects:/discover:/fleet: read with file:line on every mistake."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bridge.config import load_config
from bridge.errors import ConfigError
from bridge.fleet import is_fleet_config, load_fleet
from bridge.fleet.expand import project_config
from bridge.fleet.spec import DEFAULT_PARALLEL

ENV = {"GITLAB_TOKEN": "glpat-source-secret", "SOURCECRAFT_TOKEN": "sc-target-secret"}

SHARED = """\
source:
  url: https://gitlab.example.com
target:
  org: my-org
"""


def write(tmp_path: Path, text: str, name: str = "fleet.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


class TestProjects:
    def test_each_entry_becomes_the_config_a_one_project_file_would_give(
            self, tmp_path: Path) -> None:
        """Same source, target and default checkpoint as `project:`/`repo:` in one file."""
        fleet = load_fleet(write(tmp_path, SHARED + "projects:\n"
                                 "  - {source: group/api, target: api}\n"
                                 "  - {source: group/web, target: web-frontend}\n"), env=ENV)
        single = load_config(write(tmp_path, SHARED.replace(
            "target:", "  project: group/api\ntarget:") + "  repo: api\n", "one.yaml"), env=ENV)
        first = project_config(fleet, fleet.projects[0])
        assert first == dataclasses.replace(single, path=first.path)
        assert first.checkpoint == tmp_path / ".scbridge" / "my-org-api"
        second = project_config(fleet, fleet.projects[1])
        assert (second.source.project, second.target.repo) == ("group/web", "web-frontend")
        assert fleet.parallel == DEFAULT_PARALLEL

    def test_overrides_and_the_checkpoint_folder(self, tmp_path: Path) -> None:
        """checkpoint: names the folder; an entry's mapping and checkpoint are its own."""
        (tmp_path / "m.yaml").write_text("version: 1\n", encoding="utf-8")
        fleet = load_fleet(write(tmp_path, SHARED + "checkpoint: /data/state\n"
                                 "fleet: {parallel: 8}\nprojects:\n"
                                 "  - {source: group/api, target: api, mapping: m.yaml,"
                                 " checkpoint: cp/api}\n"
                                 "  - {source: group/web, target: web}\n"), env=ENV)
        api, web = (project_config(fleet, p) for p in fleet.projects)
        assert (api.mapping, api.checkpoint) == (tmp_path / "m.yaml", tmp_path / "cp" / "api")
        assert web.checkpoint == Path("/data/state/my-org-web")
        assert project_config(fleet, fleet.projects[1], checkpoint_dir=tmp_path / "x"
                              ).checkpoint == tmp_path / "x" / "my-org-web"
        assert fleet.parallel == 8

    @pytest.mark.parametrize(("body", "line", "says"), [
        ("projects: []\n", 5, "non-empty list"),
        ("projects:\n  - group/api\n", 6, "must be a mapping"),
        ("projects:\n  - {source: group/api}\n", 6, "missing required key projects[0].target"),
        ("projects:\n  - {source: a/b, target: x}\n  - {source: A/B, target: y}\n", 7,
         "already used by the project on line 6"),
        ("projects:\n  - {source: a/b, target: x}\n  - {source: a/c, target: x}\n", 7,
         "projects[1].target x is already used"),
        ("projects:\n  - {source: a/b, target: x/y}\n", 6, "without a slash"),
        ("projects:\n  - {source: a/b, target: x, tagret: y}\n", 6, "did you mean 'target'"),
        ("fleet: {parallel: 0}\nprojects:\n  - {source: a/b, target: x}\n", 5,
         "fleet.parallel must be from 1 to 64"),
        ("fleet: {parallel: 2}\n", 5, "needs a projects: list or a discover:"),
        ("projects:\n  - {source: a/b, target: x}\ndiscover: {group: g}\n", 7, "not both"),
    ], ids=["empty", "scalar", "no-target", "same-source", "same-target", "slash", "typo",
            "parallel", "fleet-only", "both"])
    def test_mistakes_name_file_line_and_key(self, tmp_path: Path, body: str, line: int,
                                             says: str) -> None:
        """Each mistake is a ConfigError at the line of the offending entry."""
        path = write(tmp_path, SHARED + body)
        with pytest.raises(ConfigError) as caught:
            load_fleet(path, env=ENV)
        assert str(caught.value).startswith(f"{path}:{line}: ")
        assert says in str(caught.value)

    @pytest.mark.parametrize("key", ["  project: group/api\n", "  repo: api\n"])
    def test_per_project_keys_in_the_shared_sections_are_refused(self, tmp_path: Path,
                                                                 key: str) -> None:
        """source.project or target.repo in a fleet file would be ambiguous: an error."""
        text = SHARED.replace("target:\n", "target:\n" + key) if "repo" in key else \
            SHARED.replace("target:", key + "target:")
        path = write(tmp_path, text + "projects:\n  - {source: a/b, target: x}\n")
        with pytest.raises(ConfigError, match="does not belong in a many-project config"):
            load_fleet(path, env=ENV)

    def test_a_one_project_load_refuses_a_fleet_file(self, tmp_path: Path) -> None:
        """load_config() on a many-project file says so instead of asking for source.project."""
        path = write(tmp_path, SHARED + "projects:\n  - {source: a/b, target: x}\n")
        assert is_fleet_config(path)
        assert not is_fleet_config(write(tmp_path, SHARED, "plain.yaml"))
        with pytest.raises(ConfigError, match="many-project config"):
            load_config(path, env=ENV)


class TestDiscover:
    def test_groups_template_and_defaults(self, tmp_path: Path) -> None:
        """A group or a list of groups; target_repo defaults to {path}."""
        one = load_fleet(write(tmp_path, SHARED + "discover: {group: platform}\n"), env=ENV)
        assert one.discover is not None
        assert (one.discover.groups, one.discover.target_repo) == (("platform",), "{path}")
        many = load_fleet(write(tmp_path, SHARED + "discover:\n  group: [a, a/sub, a]\n"
                                "  target_repo: '{full_path}'\n"), env=ENV)
        assert many.discover is not None
        assert many.discover.groups == ("a", "a/sub")

    @pytest.mark.parametrize(("body", "says"), [
        ("discover: {target_repo: x}\n", "missing required key discover.group"),
        ("discover: {group: g, target_repo: '{nope}'}\n", "unknown placeholder {nope}"),
        ("discover: {group: g, target_repo: 'fixed'}\n", "one repository for every project"),
        ("discover: {group: g, target_repo: 'a/{path}'}\n", "has no slash"),
        ("discover: {group: g, subgroups: true}\n", "API v3 has no nested groups"),
        ("discover: {group: [], target_repo: '{path}'}\n", "empty list"),
    ], ids=["no-group", "placeholder", "constant", "slash", "subgroups-v3", "empty"])
    def test_mistakes(self, tmp_path: Path, body: str, says: str) -> None:
        """Each is a ConfigError on line 5, where discover: starts."""
        path = write(tmp_path, SHARED + body)
        with pytest.raises(ConfigError) as caught:
            load_fleet(path, env=ENV)
        assert str(caught.value).startswith(f"{path}:5: ")
        assert says in str(caught.value)


class TestTransfer:
    def test_an_entry_transfer_is_applied_over_the_file_s_own(self, tmp_path: Path) -> None:
        """`transfer:` of the file for every project; an entry's keys win for that project."""
        fleet = load_fleet(write(tmp_path, SHARED + "transfer: {labels: true}\nprojects:\n"
                                 "  - {source: a/b, target: x, transfer: {issues: true}}\n"
                                 "  - {source: a/c, target: y, transfer: {labels: false}}\n"
                                 "  - {source: a/d, target: z}\n"), env=ENV)
        x, y, z = (project_config(fleet, p).transfer for p in fleet.projects)
        # The kinds each moves, as the one-project loader derives them (labels follow issues).
        assert {kind for kind, on in x.items() if on} == {"label", "milestone", "issue"}
        assert {kind for kind, on in y.items() if on} == {"milestone"}
        assert {kind for kind, on in z.items() if on} == {"label", "milestone"}

    def test_an_unknown_kind_in_an_entry_names_its_line(self, tmp_path: Path) -> None:
        """A misspelt kind under an entry's transfer: is an error at that entry's line."""
        path = write(tmp_path, SHARED + "projects:\n  - {source: a/b, target: x, "
                     "transfer: {isues: true}}\n")
        with pytest.raises(ConfigError, match=r":6: unknown key 'projects\[0\]\.transfer\.isues'"):
            load_fleet(path, env=ENV)
