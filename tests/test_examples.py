"""Every example a user copies works: configs pass `scbridge validate`, recipes use real options.

The rule that tells configs apart (examples/ also holds mappings, sandbox datasets, CI files
and Kubernetes manifests): a YAML document whose top level is a mapping with a `source:` or
a `target:` key is an scbridge config. Mappings have `milestone:` on top, datasets
`gitlab:`/`sourcecraft:`, CI files jobs or `workflows:`, manifests `apiVersion:`/`kind:`.
Either key alone counts, so a half-written config is validated (and fails), not skipped.
"""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bridge.cli import _parser
from bridge.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def _documents(path: Path) -> list[object]:
    try:
        return list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    except yaml.YAMLError:
        return []  # not YAML we can read (a template): it cannot be a config either


def is_config(path: Path) -> bool:
    """True when a document of `path` has `source:` or `target:` at its top level."""
    return any(isinstance(doc, dict) and ({"source", "target"} & set(doc))
               for doc in _documents(path))


YAML_FILES = sorted({*EXAMPLES.rglob("*.yaml"), *EXAMPLES.rglob("*.yml")})
CONFIGS = [p for p in YAML_FILES if is_config(p)]


def _env() -> dict[str, str]:
    """Ours without the two tokens: validate must pass without them."""
    return {k: v for k, v in os.environ.items() if k not in ("GITLAB_TOKEN", "SOURCECRAFT_TOKEN")}


def run_cli(*args: str | Path, env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bridge", *map(str, args)], capture_output=True,
                          text=True, timeout=60, check=False, env=env or _env())


class TestConfigs:
    def test_the_rule_finds_the_shipped_configs(self) -> None:
        """The copyable, sandbox and cron configs are found, and no mapping or dataset is."""
        found = {p.relative_to(EXAMPLES).as_posix() for p in CONFIGS}
        assert {"scbridge.yaml", "sandbox/scbridge.yaml", "cron/group-project.yaml"} <= found
        assert not any(p.parent.name == "mappings" for p in CONFIGS)
        assert EXAMPLES / "sandbox" / "demo.yaml" not in CONFIGS
        assert EXAMPLES / "ci" / "gitlab-ci.yml" not in CONFIGS

    @pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.relative_to(EXAMPLES).as_posix())
    def test_every_config_validates(self, config: Path) -> None:
        """`scbridge validate -c FILE` accepts each example config, with no token set."""
        run = run_cli("validate", "-c", config)
        assert run.returncode == 0, run.stderr
        assert f"config  {config}: ok" in run.stdout

    def test_the_copyable_config_shows_every_key(self) -> None:
        """examples/scbridge.yaml is the full reference: every key the loader knows is in it."""
        from bridge.config import _SECTIONS, _TOP

        data = yaml.safe_load((EXAMPLES / "scbridge.yaml").read_text(encoding="utf-8"))
        assert set(data) == {*_SECTIONS, *_TOP, "users"}
        for section, keys in _SECTIONS.items():
            assert set(data[section]) == set(keys), section

    def test_the_sandbox_config_drives_the_sandbox(self, tmp_path: Path) -> None:
        """Pointed at `scbridge sandbox` on its ports, the sandbox config plans the demo."""
        ports = []
        for _ in range(2):
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                ports.append(probe.getsockname()[1])
        text = (EXAMPLES / "sandbox" / "scbridge.yaml").read_text(encoding="utf-8")
        assert "--gitlab-port 8081 --sourcecraft-port 8082" in text
        config = tmp_path / "scbridge.yaml"
        config.write_text(text.replace("127.0.0.1:8081", f"127.0.0.1:{ports[0]}")
                          .replace("127.0.0.1:8082", f"127.0.0.1:{ports[1]}"), encoding="utf-8")
        with Sandbox("demo", gitlab_port=ports[0], sourcecraft_port=ports[1]) as sb:
            env = {**_env(), "GITLAB_TOKEN": sb.gitlab_token,
                   "SOURCECRAFT_TOKEN": sb.sourcecraft_token}
            run = run_cli("migrate", "-c", config, "--dry-run", env=env)
        assert run.returncode == 0, run.stderr
        assert "would create 13" in run.stdout


def _scbridge_commands(text: str) -> list[list[str]]:
    """The arguments of every `scbridge SUBCOMMAND ...` in a shell line or a CI script."""
    commands = []
    for match in re.finditer(r"(?<![\w/.-])scbridge (\w[^\n&|;>]*)", text):
        words = shlex.split(match.group(1), comments=True)
        if words and words[0] in ("migrate", "mirror", "validate", "status", "demo", "sandbox"):
            commands.append(words)
    return commands


class TestRecipes:
    @pytest.mark.parametrize("recipe", ["cron/crontab", "ci/gitlab-ci.yml",
                                        "ci/gitlab-ci-fleet.yml", "ci/sourcecraft-ci.yaml"])
    def test_recipes_use_options_that_exist(self, recipe: str) -> None:
        """Each scbridge command of the cron and CI examples parses with the real CLI parser."""
        commands = _scbridge_commands((EXAMPLES / recipe).read_text(encoding="utf-8"))
        assert any(words[0] == "mirror" for words in commands)
        for words in commands:
            _parser().parse_args(words)  # exits 2 (SystemExit) on an unknown option

    def test_the_crontab_runs_the_config_beside_it(self) -> None:
        """The config the cron line names is the example config in the same folder."""
        (command,) = [w for w in _scbridge_commands((EXAMPLES / "cron" / "crontab").read_text(
            encoding="utf-8")) if w[0] == "mirror"]
        assert (EXAMPLES / "cron" / command[command.index("-c") + 1]).exists()
        assert "-q" in command

    def test_the_ci_example_is_a_gitlab_ci_file(self) -> None:
        """A scheduled job that keeps the checkpoint between pipelines and the report always."""
        ci = yaml.safe_load((EXAMPLES / "ci" / "gitlab-ci.yml").read_text(encoding="utf-8"))
        job = ci["scbridge-mirror"]
        assert job["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "schedule"'}]
        assert ".scbridge/" in job["cache"]["paths"]
        assert job["artifacts"]["when"] == "always"
        assert any("scbridge mirror" in line for line in job["script"])

    def test_the_readme_s_cron_line_is_the_example_s(self) -> None:
        """The README's hourly recipe and examples/cron/crontab say the same thing."""
        readme = (ROOT / "README.md").read_text(encoding="utf-8")
        match = re.search(r"```cron\n(.*?)\n```", readme, re.S)
        assert match
        crontab = (EXAMPLES / "cron" / "crontab").read_text(encoding="utf-8").splitlines()
        assert match.group(1).strip() in [line.strip() for line in crontab]

    def test_the_readme_links_to_examples_that_exist(self) -> None:
        """Each examples/ path the README names is there."""
        readme = (ROOT / "README.md").read_text(encoding="utf-8")
        paths = set(re.findall(r"\]\((examples/[^)]*)\)", readme))
        assert {"examples/scbridge.yaml", "examples/ci/gitlab-ci.yml"} <= paths
        for path in paths:
            assert (ROOT / path).exists(), path
