"""The config loader: frozen dataclasses from YAML, and a file:line:key error for every mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.config import Config, Secret, bundled_mapping, load_config
from bridge.confignames import is_loopback
from bridge.errors import ConfigError

ENV = {"GITLAB_TOKEN": "glpat-source-secret", "SOURCECRAFT_TOKEN": "sc-target-secret"}

MINIMAL = """\
source:
  url: https://gitlab.example.com
  project: group/project
target:
  org: my-org
  repo: my-repo
"""

FULL = """\
source:
  url: https://gitlab.example.com/
  api_version: v4
  project: 42
  token_env: MY_GITLAB
  per_page: 50
target:
  url: https://api.sourcecraft.tech
  org: my-org
  repo: my-repo
  token_file: secrets/sc-token
  silent: false
mapping: mappings/custom.yaml
checkpoint: state/cp
http:
  timeout_s: 12.5
  max_attempts: 3
  max_backoff_s: 60
  concurrency: 8
  verify_tls: ca/bundle.pem
mirror:
  on_deleted: close
  on_target_edited: report
allow_insecure_http: false
"""


def write(tmp_path: Path, text: str, name: str = "scbridge.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


class TestLoadConfig:
    def test_minimal_config_gets_documented_defaults(self, tmp_path: Path) -> None:
        """Only the required keys: every other value is SPEC §3's default."""
        config = load_config(write(tmp_path, MINIMAL), env=ENV)
        assert config.source.url == "https://gitlab.example.com"
        assert config.source.api_version == "v3"
        assert config.source.per_page == 100
        assert config.target.url == "https://api.sourcecraft.tech"
        assert config.target.silent is True
        assert config.http.max_attempts == 6
        assert config.mirror.on_deleted == "keep"
        assert config.allow_insecure_http is False
        assert config.mapping == bundled_mapping()
        assert config.mapping.name == "gitlab-v3-to-sourcecraft.yaml"
        assert config.mapping.parent.name == "data"
        assert config.checkpoint == tmp_path.resolve() / ".scbridge" / "my-org-my-repo"

    def test_tokens_come_from_the_environment_as_secrets(self, tmp_path: Path) -> None:
        """GITLAB_TOKEN and SOURCECRAFT_TOKEN are read by default and wrapped in Secret."""
        config = load_config(write(tmp_path, MINIMAL), env=ENV)
        assert config.source.token == Secret("glpat-source-secret")
        assert config.target.token is not None
        assert config.target.token.reveal() == "sc-target-secret"

    def test_tokens_never_show_in_repr(self, tmp_path: Path) -> None:
        """Printing the whole config shows no token value."""
        config = load_config(write(tmp_path, MINIMAL), env=ENV)
        text = repr(config) + str(config.source) + repr(config.source.token)
        assert "glpat-source-secret" not in text
        assert "sc-target-secret" not in text

    def test_full_config_with_relative_paths(self, tmp_path: Path) -> None:
        """Every key is read, and relative paths resolve against the config file's folder."""
        (tmp_path / "secrets").mkdir()
        (tmp_path / "secrets" / "sc-token").write_text("from-file\n", encoding="utf-8")
        (tmp_path / "ca").mkdir()
        (tmp_path / "ca" / "bundle.pem").write_text("pem", encoding="utf-8")
        env = {"MY_GITLAB": "gl"}
        config = load_config(write(tmp_path, FULL), env=env)
        base = tmp_path.resolve()
        assert isinstance(config, Config)
        assert config.source.url == "https://gitlab.example.com"
        assert config.source.project == "42"
        assert config.source.api_version == "v4"
        assert config.source.per_page == 50
        assert config.source.token == Secret("gl")
        assert config.target.token == Secret("from-file")
        assert config.target.token_file == base / "secrets" / "sc-token"
        assert config.target.silent is False
        assert config.mapping == base / "mappings" / "custom.yaml"
        assert config.checkpoint == base / "state" / "cp"
        assert config.http.timeout_s == 12.5
        assert config.http.max_attempts == 3
        assert config.http.concurrency == 8
        assert config.http.verify_tls == str(base / "ca" / "bundle.pem")
        assert config.mirror.on_deleted == "close"
        assert config.mirror.on_target_edited == "report"

    def test_config_found_from_another_working_directory(self, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
        """Relative paths do not depend on where scbridge is started from."""
        path = write(tmp_path, MINIMAL + "checkpoint: cp\n")
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        monkeypatch.chdir(elsewhere)
        assert load_config(path, env=ENV).checkpoint == tmp_path.resolve() / "cp"

    def test_missing_token_allowed_when_not_required(self, tmp_path: Path) -> None:
        """`validate` and `status` load the config without any token set."""
        config = load_config(write(tmp_path, MINIMAL), env={}, require_tokens=False)
        assert config.source.token is None
        assert config.target.token is None

    def test_http_to_loopback_is_allowed(self, tmp_path: Path) -> None:
        """Plain http to 127.0.0.1 (the sandbox) needs no opt-in."""
        text = MINIMAL.replace("https://gitlab.example.com", "http://127.0.0.1:8080")
        assert load_config(write(tmp_path, text), env=ENV).source.url == "http://127.0.0.1:8080"

    def test_http_elsewhere_with_opt_in(self, tmp_path: Path) -> None:
        """`allow_insecure_http: true` lets plain http reach other hosts."""
        text = MINIMAL.replace("https://", "http://") + "allow_insecure_http: true\n"
        config = load_config(write(tmp_path, text), env=ENV)
        assert config.allow_insecure_http is True
        assert config.source.url == "http://gitlab.example.com"

    def test_a_repo_that_cannot_be_a_slug_is_refused(self, tmp_path: Path) -> None:
        """`my/repo` cannot name a SourceCraft repository (nor one checkpoint file): refused."""
        text = MINIMAL.replace("my-repo", "my/repo")
        with pytest.raises(ConfigError, match=r"target\.repo 'my/repo' cannot be a SourceCraft "
                                              r"slug: it has a '/'"):
            load_config(write(tmp_path, text), env=ENV)

    def test_checkpoint_name_keeps_the_slug_characters(self, tmp_path: Path) -> None:
        """Dots and underscores, which slugs may hold, stay in the checkpoint's file name."""
        text = MINIMAL.replace("my-repo", "my_repo.v2")
        config = load_config(write(tmp_path, text), env=ENV)
        assert config.checkpoint == tmp_path.resolve() / ".scbridge" / "my-org-my_repo.v2"


def _set(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


ERRORS = [
    ("misspelt", _set(MINIMAL, "  project:", "  projcet:"), 3, "source.projcet",
     "did you mean 'project'"),
    ("unknown-section", MINIMAL + "mirorr:\n  on_deleted: keep\n", 7, "mirorr",
     "did you mean 'mirror'"),
    ("unknown-far", MINIMAL + "zzz: 1\n", 7, "zzz", "known keys here"),
    ("literal-token", _set(MINIMAL, "  project: group/project\n",
                           "  project: group/project\n  token: abc\n"), 4, "token",
     "environment variable"),
    ("token-deep", MINIMAL + "http:\n  extra:\n    token: abc\n", 9, "token", "refused"),
    ("missing-url", _set(MINIMAL, "  url: https://gitlab.example.com\n", ""), 1, "source.url",
     "missing required key source.url"),
    ("missing-org", _set(MINIMAL, "  org: my-org\n", ""), 4, "target.org", "target.org"),
    ("missing-target", "source:\n  url: https://x.example\n  project: a/b\n", 1, "target",
     "target"),
    ("per-page-high", MINIMAL.replace("group/project\n", "group/project\n  per_page: 101\n"),
     4, "source.per_page", "from 1 to 100"),
    ("per-page-zero", MINIMAL.replace("group/project\n", "group/project\n  per_page: 0\n"),
     4, "source.per_page", "not 0"),
    ("per-page-text", MINIMAL.replace("group/project\n", "group/project\n  per_page: many\n"),
     4, "source.per_page", "whole number"),
    ("per-page-bool", MINIMAL.replace("group/project\n", "group/project\n  per_page: true\n"),
     4, "source.per_page", "whole number"),
    ("bad-url", _set(MINIMAL, "https://gitlab.example.com", "gitlab.example.com"), 2,
     "source.url", "not a valid http(s) URL"),
    ("bad-port", _set(MINIMAL, "https://gitlab.example.com", "https://gitlab.example.com:99999"),
     2, "source.url", "bad port"),
    ("url-with-credentials", _set(MINIMAL, "https://", "https://user:pw@"), 2, "source.url",
     "credentials"),
    ("insecure", _set(MINIMAL, "https://", "http://"), 2, "source.url", "allow_insecure_http"),
    ("api-in-url", _set(MINIMAL, "gitlab.example.com", "gitlab.example.com/api/v3"), 2,
     "source.url", "server root"),
    ("insecure-target", MINIMAL + "  url: http://sc.example.com\n", 7, "target.url",
     "non-loopback"),
    ("api-version", MINIMAL.replace("group/project\n", "group/project\n  api_version: v5\n"),
     4, "source.api_version", "v3 | v4"),
    ("on-deleted", MINIMAL + "mirror:\n  on_deleted: purge\n", 8, "mirror.on_deleted",
     "keep | close | delete"),
    ("on-target-edited", MINIMAL + "mirror:\n  on_target_edited: mine\n", 8,
     "mirror.on_target_edited", "source-wins"),
    ("concurrency", MINIMAL + "http:\n  concurrency: 0\n", 8, "http.concurrency", "not 0"),
    ("max-attempts", MINIMAL + "http:\n  max_attempts: 0\n", 8, "http.max_attempts", "not 0"),
    ("timeout-type", MINIMAL + "http:\n  timeout_s: [1]\n", 8, "http.timeout_s", "a list"),
    ("section-scalar", MINIMAL + "http: fast\n", 7, "http", "mapping"),
    ("duplicate", MINIMAL + "  repo: again\n", 7, "target.repo", "given twice"),
    ("tls-missing", MINIMAL + "http:\n  verify_tls: nowhere.pem\n", 8, "http.verify_tls",
     "not found"),
    ("empty-project", _set(MINIMAL, "group/project", '""'), 3, "source.project", "project"),
]


class TestConfigErrors:
    @pytest.mark.parametrize(("text", "line", "key", "fragment"),
                             [case[1:] for case in ERRORS], ids=[case[0] for case in ERRORS])
    def test_each_mistake_names_file_line_and_key(self, tmp_path: Path, text: str, line: int,
                                                  key: str, fragment: str) -> None:
        """The ConfigError says which file, which line and which key, and what is wrong."""
        path = write(tmp_path, text)
        with pytest.raises(ConfigError) as caught:
            load_config(path, env=ENV)
        error = caught.value
        assert (error.file, error.line, error.key) == (str(path), line, key)
        assert fragment in str(error)
        assert str(error).startswith(f"{path}:{line}: ")
        assert error.exit_code == 2

    def test_literal_token_value_is_not_echoed(self, tmp_path: Path) -> None:
        """Refusing a `token:` never repeats the token it refuses."""
        path = write(tmp_path, MINIMAL + "  token: glpat-do-not-print\n")
        with pytest.raises(ConfigError) as caught:
            load_config(path, env=ENV)
        assert "glpat-do-not-print" not in str(caught.value)

    def test_missing_token_variable_is_named(self, tmp_path: Path) -> None:
        """A token variable that is not set is named, with the key that names it."""
        text = _set(MINIMAL, "  project: group/project\n",
                    "  project: group/project\n  token_env: CI_GITLAB\n")
        path = write(tmp_path, text)
        with pytest.raises(ConfigError) as caught:
            load_config(path, env={"SOURCECRAFT_TOKEN": "x"})
        assert "CI_GITLAB" in str(caught.value)
        assert (caught.value.line, caught.value.key) == (4, "source.token_env")

    def test_missing_default_token_variable_is_named(self, tmp_path: Path) -> None:
        """Without token_env, the default SOURCECRAFT_TOKEN is the one named."""
        with pytest.raises(ConfigError, match="SOURCECRAFT_TOKEN is not set"):
            load_config(write(tmp_path, MINIMAL), env={"GITLAB_TOKEN": "x"})

    def test_unreadable_token_file(self, tmp_path: Path) -> None:
        """A token_file that does not exist is an error naming the key."""
        path = write(tmp_path, MINIMAL + "  token_file: nothere\n")
        with pytest.raises(ConfigError) as caught:
            load_config(path, env=ENV)
        assert caught.value.key == "target.token_file"
        assert "nothere" in str(caught.value)

    @pytest.mark.parametrize(("text", "line", "fragment"), [
        ("", 1, "empty"),
        ("# only a comment\n", 1, "empty"),
        ("- a\n- b\n", 1, "top level must be a mapping"),
        ("just text\n", 1, "top level must be a mapping"),
        ("source:\n  url: [unclosed\n", 3, "YAML syntax error"),
        ("source:\n  url: x\n bad: indent\n", 3, "YAML syntax error"),
    ], ids=["empty", "comment-only", "list", "scalar", "unclosed", "indent"])
    def test_file_level_problems(self, tmp_path: Path, text: str, line: int,
                                 fragment: str) -> None:
        """Empty files, non-mappings and YAML syntax errors are ConfigErrors with a line."""
        path = write(tmp_path, text)
        with pytest.raises(ConfigError) as caught:
            load_config(path, env=ENV)
        assert caught.value.line == line
        assert fragment in str(caught.value)

    @pytest.mark.parametrize(("value", "shown"), [
        ("fast", "the text 'fast'"), ("5", "the number 5"), ("true", "true (true/false)"),
        ("[a]", "a list"),
    ])
    def test_section_that_is_not_a_mapping_says_what_it_is(self, tmp_path: Path, value: str,
                                                            shown: str) -> None:
        """A section given a single value names that value, not 'empty'."""
        path = write(tmp_path, MINIMAL + f"http: {value}\n")
        with pytest.raises(ConfigError) as caught:
            load_config(path, env=ENV)
        assert str(caught.value).endswith(f"http must be a mapping of keys, not {shown}")

    def test_missing_file(self, tmp_path: Path) -> None:
        """A config path that does not exist is a ConfigError, not a traceback."""
        with pytest.raises(ConfigError, match="file not found"):
            load_config(tmp_path / "nope.yaml", env=ENV)


class TestIsLoopback:
    @pytest.mark.parametrize(("host", "expected"), [
        ("127.0.0.1", True), ("127.3.2.1", True), ("::1", True), ("[::1]", True),
        ("localhost", True), ("LOCALHOST", True), ("10.0.0.1", False),
        ("gitlab.example.com", False), ("localhost.evil.com", False),
    ])
    def test_only_loopback_hosts(self, host: str, expected: bool) -> None:
        """Only loopback names and addresses count as loopback."""
        assert is_loopback(host) is expected


class TestMirrorPerKind:
    def test_a_kind_overrides_the_section_s_policy(self, tmp_path: Path) -> None:
        """`mirror: {issues: {...}}` changes issues only; the rest keep the section's own."""
        path = tmp_path / "c.yaml"
        path.write_text("source: {url: 'https://g.example', project: g/p}\n"
                        "target: {org: o, repo: r}\nmirror:\n  on_deleted: keep\n"
                        "  issues: {on_deleted: close}\n", encoding="utf-8")
        config = load_config(path, require_tokens=False)
        assert config.mirror.for_kind("issue").on_deleted == "close"
        assert config.mirror.for_kind("milestone").on_deleted == "keep"
        assert config.mirror.for_kind("issue").on_target_edited == "source-wins"

    def test_a_wrong_value_names_the_key_and_line(self, tmp_path: Path) -> None:
        """An unknown policy inside a kind is exit 2 at its line, like any other key."""
        path = tmp_path / "c.yaml"
        path.write_text("source: {url: 'https://g.example', project: g/p}\n"
                        "target: {org: o, repo: r}\nmirror:\n  issues:\n"
                        "    on_deleted: purge\n", encoding="utf-8")
        with pytest.raises(ConfigError, match=r"c.yaml:5: mirror.issues.on_deleted must be one"):
            load_config(path, require_tokens=False)


class TestCheckpointSlashCompat:
    def test_an_old_checkpoint_file_named_with_a_slash_is_still_read(self, tmp_path: Path) -> None:
        """`checkpoint: state/` where the previous scbridge wrote its file `state`: kept."""
        (tmp_path / "state").write_bytes(b"")
        path = tmp_path / "c.yaml"
        path.write_text("source: {url: 'https://g.example', project: g/p}\n"
                        "target: {org: o, repo: r}\ncheckpoint: state/\n", encoding="utf-8")
        assert load_config(path, require_tokens=False).checkpoint == tmp_path / "state"
        (tmp_path / "state").unlink()
        assert load_config(path, require_tokens=False).checkpoint == tmp_path / "state" / "o-r"
