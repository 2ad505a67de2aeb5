"""Runs one bad-input case: a fresh sandbox made hostile, the real CLI, then what it left."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hostile_servers as hostile
import reliability_support as support
import yaml

from bridge.sandbox import Sandbox

BAD = Path(__file__).parent / "data" / "bad"
CASES: list[dict[str, Any]] = yaml.safe_load((BAD / "cases.yaml").read_text(encoding="utf-8"))
#: Persistent faults must end a run quickly: two attempts, a hundredth of a second apart.
HTTP = {"max_attempts": 2, "max_backoff_s": 0.01, "timeout_s": 5}
#: The huge config is generated, not committed: a valid config padded past the size limit.
HUGE_BYTES = 3 * 1024 * 1024


@dataclass
class Outcome:
    """How one case ended: the CLI's exit, streams, what the servers saw, what was checked."""

    code: int
    stdout: str
    stderr: str
    requests: dict[str, int]
    foreign: list[bytes]
    checkpoint: Path
    consistency: str = "ok"  # or the assertion that failed
    states: dict[str, int] = field(default_factory=dict)
    target: list[dict[str, Any]] = field(default_factory=list)


def _config_text(case: dict[str, Any], sb: Sandbox, folder: Path) -> Path:
    """The case's config file in `folder`, with the sandbox's URLs filled in."""
    if case.get("generate") == "huge":
        text = (BAD / "config" / "valid.yaml").read_bytes()
        data = text + b"# padding\n" * (HUGE_BYTES // 10)
        name = "huge.yaml"
    else:
        name = Path(case["file"]).name
        data = (BAD / case["file"]).read_bytes()
    for key, value in {"{GITLAB_URL}": sb.gitlab_url, "{SOURCECRAFT_URL}": sb.sourcecraft_url,
                       "{PROJECT}": sb.project_path, "{ORG}": sb.org,
                       "{REPO}": sb.repo}.items():
        data = data.replace(key.encode(), value.encode())
    path = folder / name
    path.write_bytes(data)
    return path


def _server_config(case: dict[str, Any], sb: Sandbox, folder: Path,
                   overrides: dict[str, str]) -> Path:
    path = support.write_config(folder, sb, http=HTTP)
    text = path.read_text(encoding="utf-8")
    for dotted, value in overrides.items():
        section, key = dotted.split(".")
        pattern = re.compile(rf"^(  {key}: ).*$", re.MULTILINE)
        if pattern.search(text):
            text = pattern.sub(rf"\g<1>{value}", text, count=1)
        else:
            text = text.replace(f"{section}:\n", f"{section}:\n  {key}: {value}\n", 1)
    if case.get("mapping"):
        text += f"mapping: {(BAD / case['mapping']).resolve()}\n"
    path.write_text(text, encoding="utf-8")
    return path


def run_case(case: dict[str, Any], folder: Path) -> Outcome:
    """Run one case against a fresh sandbox and a 127.0.0.2 listener; check what it left."""
    with Sandbox(dataset="demo", seed=0) as sb, hostile.Listener() as elsewhere:
        env = support.token_env(sb)
        if "server" in case:
            setup = hostile.install(sb, case["server"], elsewhere.url)
            env.update(setup.env)
            config = _server_config(case, sb, folder, setup.config)
        elif "mapping" in case:
            config = _server_config(case, sb, folder, {})
        else:
            config = _config_text(case, sb, folder)
        done = support.cli(["migrate", "-c", str(config), "--no-progress", "-q",
                            "--log-format", "json"], env)
        outcome = Outcome(done.returncode, done.stdout, done.stderr, sb.log.counts(),
                          list(elsewhere.received), folder / "checkpoint.db",
                          target=sb.sourcecraft.milestones())
        if outcome.checkpoint.exists():
            try:
                outcome.states = support.assert_checkpoint_consistent(outcome.checkpoint, sb)
            except AssertionError as exc:
                outcome.consistency = str(exc)
        return outcome
