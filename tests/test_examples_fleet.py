"""examples/kubernetes and examples/ci are real: valid manifests, fitting shards, runnable lines."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from bridge.cli import _parser
from bridge.fleet import load_fleet
from bridge.fleet.shards import choose_shard

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "examples" / "kubernetes"
CI = ROOT / "examples" / "ci"
#: The Kubernetes version the manifests are checked against (one of the schemas the package
#: ships, so the check runs offline); Indexed Jobs with backoffLimitPerIndex need 1.29+.
K8S_VERSION = "1.30.0"
TOKENS = {"GITLAB_TOKEN": "x", "SOURCECRAFT_TOKEN": "y"}


def manifests() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            found[doc["kind"]] = doc
    return found


def pod_spec(doc: dict[str, Any]) -> dict[str, Any]:
    job = doc["spec"]["jobTemplate"]["spec"] if doc["kind"] == "CronJob" else doc["spec"]
    return dict(job["template"]["spec"])


def job_spec(doc: dict[str, Any]) -> dict[str, Any]:
    return dict(doc["spec"]["jobTemplate"]["spec"] if doc["kind"] == "CronJob" else doc["spec"])


class TestKubernetes:
    @pytest.mark.parametrize("path", sorted(K8S.glob("*.yaml")), ids=lambda p: p.name)
    def test_each_manifest_is_valid_against_the_kubernetes_schema(self, path: Path) -> None:
        """kubernetes-validate, strict: no unknown field, every type right."""
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)

    def test_the_set_is_complete(self) -> None:
        """A ConfigMap, a Secret, a PVC, the Indexed Job and the mirror CronJob."""
        assert set(manifests()) == {"ConfigMap", "Secret", "PersistentVolumeClaim", "Job",
                                    "CronJob"}

    @pytest.mark.parametrize("kind", ["Job", "CronJob"])
    def test_shards_volume_secret_and_config_fit_together(self, kind: str,
                                                          tmp_path: Path) -> None:
        """completions = parallelism = --shards N; the volume, Secret and ConfigMap exist."""
        docs = manifests()
        job, pod = job_spec(docs[kind]), pod_spec(docs[kind])
        container = pod["containers"][0]
        args = _parser().parse_args(container["args"])
        assert args.command == ("migrate" if kind == "Job" else "mirror")
        assert job["completionMode"] == "Indexed"
        assert job["completions"] == job["parallelism"] == args.shards
        # Every index 0..N-1 picks a distinct shard, so the pods split the fleet between them.
        shards = {choose_shard(None, args.shards, {"JOB_COMPLETION_INDEX": str(i)})
                  for i in range(job["completions"])}
        assert len(shards) == args.shards
        volumes = {v["name"]: v for v in pod["volumes"]}
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        assert volumes[mounts["/state"]]["persistentVolumeClaim"]["claimName"] == \
            docs["PersistentVolumeClaim"]["metadata"]["name"]
        assert volumes[mounts["/config"]]["configMap"]["name"] == \
            docs["ConfigMap"]["metadata"]["name"]
        assert container["envFrom"][0]["secretRef"]["name"] == docs["Secret"]["metadata"]["name"]
        assert set(docs["Secret"]["stringData"]) == set(TOKENS)
        assert str(args.report).startswith("/state/")
        # The mounted config is a fleet config scbridge accepts, its checkpoints on the volume.
        config = tmp_path / "fleet.yaml"
        config.write_text(docs["ConfigMap"]["data"][Path(str(args.config)).name])
        fleet = load_fleet(config, env=TOKENS)
        assert fleet.checkpoint_dir.is_relative_to("/state")
        assert len(fleet.projects) >= args.shards

    def test_the_cronjob_never_overlaps_itself(self) -> None:
        """A mirror still running when the next is due: the next is not started."""
        assert manifests()["CronJob"]["spec"]["concurrencyPolicy"] == "Forbid"


def scbridge_lines(path: Path, variables: dict[str, str]) -> list[list[str]]:
    """Every `scbridge ...` script line of a CI file, variables substituted, as argv."""
    lines = re.findall(r"^\s*- (scbridge .*)$", path.read_text(encoding="utf-8"), re.MULTILINE)
    argv = []
    for line in lines:
        text = line
        for name, value in variables.items():
            text = text.replace(f"${name}", value)
        argv.append(shlex.split(text)[1:])
    return argv


class TestCi:
    def test_gitlab_matrix_covers_every_shard_once(self) -> None:
        """parallel: matrix lists shards 1..SHARDS; each line parses as a real command."""
        doc = yaml.safe_load((CI / "gitlab-ci-fleet.yml").read_text(encoding="utf-8"))
        count = int(doc["variables"]["SHARDS"])
        indexes = doc[".scbridge"]["parallel"]["matrix"][0]["SHARD_INDEX"]
        assert sorted(int(i) for i in indexes) == list(range(1, count + 1))
        for index in indexes:
            for argv in scbridge_lines(CI / "gitlab-ci-fleet.yml",
                                       {"SHARD_INDEX": index, "SHARDS": str(count)}):
                args = _parser().parse_args(argv)
                assert choose_shard(args.shard, None, {}) is not None
                assert args.report is not None

    def test_sourcecraft_tasks_cover_every_shard_once(self) -> None:
        """One task per shard K/N, K = 1..N, each a command scbridge accepts."""
        shards = [_parser().parse_args(argv).shard
                  for argv in scbridge_lines(CI / "sourcecraft-ci.yaml", {})]
        count = int(shards[0].split("/")[1])
        assert sorted(shards) == [f"{k}/{count}" for k in range(1, count + 1)]

    def test_the_ci_fleet_config_loads(self) -> None:
        """examples/ci/fleet.yaml is a valid many-project config."""
        fleet = load_fleet(CI / "fleet.yaml", env=TOKENS)
        assert fleet.discover is not None
