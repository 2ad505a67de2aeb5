"""Many projects through the real CLI against a many-project sandbox (SPEC §14).

Every test runs `python -m bridge ... -c fleet.yaml` as a subprocess and checks each
SourceCraft repository against the mapping applied here, never against the tool's report.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fleet_support import Fleet, target_problems, wanted_of

from bridge.checkpoint import Checkpoint
from bridge.fleet import shard_of
from bridge.sandbox import RequestRecord, Sandbox

PROJECTS = 4


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Fleet]:
    """A sandbox serving four GitLab projects, each with its SourceCraft repository."""
    with Sandbox("demo", seed=0, projects=PROJECTS) as sb:
        yield Fleet(sb, tmp_path)


def exact(fleet: Fleet, pairs: list[tuple[str, str]]) -> list[str]:
    return [p for path, repo in pairs for p in target_problems(fleet.sb, repo,
                                                                wanted_of(fleet.sb, path))]


def writes_to(fleet: Fleet, repo: str) -> int:
    return sum(1 for r in fleet.sb.log.entries
               if r.kind == "target_write" and f"/{fleet.sb.org}/{repo}/" in r.path + "/")


class TestOneFailingProject:
    def test_one_project_with_a_failed_item_exits_1_and_the_others_are_exact(
            self, fleet: Fleet) -> None:
        """A refused POST in one project fails that item only; the fleet exits 1."""
        broken = fleet.sb.repos[1]
        fleet.sb.faults.add("sourcecraft", "status", status=422, method="POST",
                            path=f"/{broken}/milestones$", times=1)
        result = fleet.run(fleet.write(), "--report", "fleet.json")
        assert result.returncode == 1, result.stdout + result.stderr
        report = fleet.report("fleet.json")
        codes = {p["target"]["repo"]: p["exit_code"] for p in report["projects"]}
        assert codes == {repo: (1 if repo == broken else 0) for repo in fleet.sb.repos}
        assert report["totals"]["summary"]["failed"] == 1
        others = [pair for pair in fleet.pairs if pair[1] != broken]
        assert exact(fleet, others) == []
        # Each project's own report sits beside the combined one, name-suffixed.
        own = fleet.report(f"fleet.{fleet.sb.org}-{broken}.json")
        assert own["summary"]["failed"] == 1
        assert own["target"]["repo"] == broken
        # A rerun finishes the failed item and makes every repository exact.
        again = fleet.run(fleet.write())
        assert again.returncode == 0, again.stdout + again.stderr
        assert exact(fleet, fleet.pairs) == []

    def test_a_missing_repository_fails_only_its_project_with_the_reason(
            self, fleet: Fleet) -> None:
        """A project whose repository does not exist exits 3 with why; the others are exact."""
        pairs = [*fleet.pairs[:2], ("demo-group/demo-project-3", "no-such-repo")]
        result = fleet.run(fleet.write(pairs), "--report", "fleet.md")
        assert result.returncode == 3, result.stdout + result.stderr
        assert exact(fleet, fleet.pairs[:2]) == []
        assert writes_to(fleet, "no-such-repo") == 0
        errors = [line for line in result.stderr.splitlines() if "error" in line]
        assert len(errors) == 1
        assert "no-such-repo" in errors[0]
        assert "not found" in errors[0]
        table = (fleet.root / "fleet.md").read_text(encoding="utf-8")
        assert "| 3 | demo-group/demo-project-3 |" in table
        assert "fleet.demo-org-demo-repo.md" in table

    def test_a_locked_project_exits_4_and_the_others_go_on(self, fleet: Fleet) -> None:
        """Another run holding one project's lock: that project exit 4, no write; others exact."""
        config = fleet.write()
        held = fleet.root / "state" / f"{fleet.sb.org}-{fleet.sb.repos[2]}"
        held.parent.mkdir(parents=True, exist_ok=True)
        with Checkpoint.open(held):
            result = fleet.run(config, "--report", "fleet.json")
        assert result.returncode == 4, result.stdout + result.stderr
        codes = [p["exit_code"] for p in fleet.report("fleet.json")["projects"]]
        assert codes == [0, 0, 4, 0]
        assert writes_to(fleet, fleet.sb.repos[2]) == 0
        assert exact(fleet, [p for i, p in enumerate(fleet.pairs) if i != 2]) == []


class TestShards:
    def test_shards_1_to_n_together_cover_every_project_once(self, fleet: Fleet) -> None:
        """Three shards run one after another: each project is run by exactly one of them."""
        config = fleet.write()
        ran: list[str] = []
        for k in (1, 2, 3):
            result = fleet.run(config, "--shard", f"{k}/3", "--report", f"s{k}.json")
            assert result.returncode == 0, result.stdout + result.stderr
            report = fleet.report(f"s{k}.json")
            assert report["shard"] == f"{k}/3"
            assert report["fleet_size"] == PROJECTS
            mine = [p["source"] for p in report["projects"]]
            assert all(shard_of(path, 3) == k for path in mine)
            ran += mine
        assert sorted(ran) == sorted(fleet.sb.project_paths)
        assert exact(fleet, fleet.pairs) == []

    def test_job_completion_index_picks_the_shard(self, fleet: Fleet) -> None:
        """`--shards 2` with JOB_COMPLETION_INDEX=1 (0-based) is shard 2/2."""
        config = fleet.write()
        result = fleet.run(config, "--shards", "2", "--dry-run", "--report", "d.json",
                           env={"JOB_COMPLETION_INDEX": "1"})
        assert result.returncode == 0, result.stderr
        report = fleet.report("d.json")
        assert report["shard"] == "2/2"
        assert sorted(p["source"] for p in report["projects"]) == sorted(
            p for p in fleet.sb.project_paths if shard_of(p, 2) == 2)
        assert fleet.sb.log.count("target_write") == 0  # a dry run

    @pytest.mark.parametrize(("args", "env", "says"), [
        (("--shard", "0/3"), {}, "K counts from 1"),
        (("--shard", "2"), {}, "K/N"),
        (("--shards", "3"), {}, "JOB_COMPLETION_INDEX"),
        (("--shards", "3"), {"JOB_COMPLETION_INDEX": "3"}, "from 0 to 2"),
        (("--shard", "1/2", "--shards", "2"), {}, "not both"),
    ], ids=["zero", "no-n", "no-index", "index-too-big", "both"])
    def test_a_bad_shard_is_a_usage_error_before_any_request(
            self, fleet: Fleet, args: tuple[str, ...], env: dict[str, str], says: str) -> None:
        """Exit 2, one line naming the problem, nothing sent."""
        result = fleet.run(fleet.write(), *args, env=env)
        assert result.returncode == 2
        assert says in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
        assert len(fleet.sb.log.entries) == 0

    def test_two_shards_on_overlapping_lists_never_both_write_one_project(
            self, fleet: Fleet) -> None:
        """Two runs at once share projects 2 and 3; each repository is written by one run only."""
        fleet.sb.faults.add("both", "latency", ms=15)
        first = fleet.write(fleet.pairs[:3], name="a", parallel=3)
        second = fleet.write(fleet.pairs[1:][::-1], name="b", parallel=3)
        runs = [fleet.start(first, "--report", "a.json"),
                fleet.start(second, "--report", "b.json")]
        for process in runs:
            process.communicate(timeout=120)
            assert process.returncode in (0, 4), process.returncode
        reports = [fleet.report("a.json"), fleet.report("b.json")]
        for _, repo in fleet.pairs:
            writers = [p for r in reports for p in r["projects"]
                       if p["target"]["repo"] == repo and p["requests"].get("target_write")]
            assert len(writers) <= 1, (repo, writers)
            locked = [p for r in reports for p in r["projects"]
                      if p["target"]["repo"] == repo and p["exit_code"] == 4]
            assert all("lock" in str(p["error"]) for p in locked)
        assert exact(fleet, fleet.pairs) == []


class Killer:
    """SIGKILL one process once the sandbox has handled `n` writes."""

    def __init__(self, n: int) -> None:
        self.n, self.seen, self.pid, self.fired = n, 0, 0, False
        self._lock = threading.Lock()

    def __call__(self, record: RequestRecord) -> None:
        if record.kind != "target_write":
            return
        with self._lock:
            self.seen += 1
            if self.seen != self.n or not self.pid:
                return
            self.fired = True
        os.kill(self.pid, signal.SIGKILL)


class TestKillAShard:
    @pytest.mark.parametrize("n", [3, 17])
    def test_a_shard_killed_mid_run_and_run_again_is_exact(self, fleet: Fleet, n: int) -> None:
        """SIGKILL after the n-th write, rerun the same shard: every project of it exact."""
        config = fleet.write(parallel=2)
        shard = "1/2"
        mine = [pair for pair in fleet.pairs if shard_of(pair[0], 2) == 1]
        assert len(mine) >= 2, "the sandbox's paths should give shard 1/2 two projects"
        killer = Killer(n)
        unsubscribe = fleet.sb.log.subscribe(killer)
        try:
            process = fleet.start(config, "--shard", shard)
            killer.pid = process.pid
            process.communicate(timeout=120)
        finally:
            unsubscribe()
        assert killer.fired
        assert process.returncode == -signal.SIGKILL
        assert fleet.sb.wait_idle()
        again = fleet.run(config, "--shard", shard)
        assert again.returncode == 0, again.stdout + again.stderr
        assert exact(fleet, mine) == []
        others = [repo for pair in fleet.pairs if pair not in mine for repo in [pair[1]]]
        assert all(writes_to(fleet, repo) == 0 for repo in others)


class TestStatusAndDryRun:
    def test_status_sums_the_projects_checkpoints(self, fleet: Fleet) -> None:
        """After a migration, status lists every project and the total of their items."""
        config = fleet.write()
        assert fleet.run(config).returncode == 0
        result = fleet.run(config, command="status")
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        count = sum(len(wanted_of(fleet.sb, path)) for path in fleet.sb.project_paths)
        assert lines[-1].startswith(f"total: {PROJECTS} projects, {count} items")
        assert "exit 0 4" in lines[-1]
        assert all(any(line.startswith(path + " ->") for line in lines)
                   for path in fleet.sb.project_paths)

    def test_a_dry_run_writes_nothing_and_reports_every_project(self, fleet: Fleet) -> None:
        """The combined report counts what each project would do; no write, no checkpoint."""
        result = fleet.run(fleet.write(), "--dry-run", "--report", "plan.html")
        assert result.returncode == 0, result.stderr
        assert fleet.sb.log.count("target_write") == 0
        assert not (fleet.root / "state").exists() or not any((fleet.root / "state").iterdir())
        page = (fleet.root / "plan.html").read_text(encoding="utf-8")
        assert all(path in page for path in fleet.sb.project_paths)
        assert "(dry run)" in result.stdout

    def test_a_one_project_config_and_a_fleet_share_the_checkpoint(self, fleet: Fleet) -> None:
        """A fleet run after a one-project run of project 1 finds its state: no write there."""
        single = fleet.root / "one.yaml"
        single.write_text(
            f"source:\n  url: {fleet.sb.gitlab_url}\n  project: {fleet.sb.project_path}\n"
            f"  token_env: FLEET_GITLAB_TOKEN\ntarget:\n  url: {fleet.sb.sourcecraft_url}\n"
            f"  org: {fleet.sb.org}\n  repo: {fleet.sb.repo}\n"
            "  token_env: FLEET_SOURCECRAFT_TOKEN\n", encoding="utf-8")
        assert fleet.run(single).returncode == 0
        fleet.sb.log.clear()
        config = fleet.write()
        config.write_text(config.read_text().replace("checkpoint: state\n", ""))
        result = fleet.run(config, "--report", "f.json")
        assert result.returncode == 0, result.stderr
        first = fleet.report("f.json")["projects"][0]
        assert first["requests"]["target_write"] == 0
        assert first["checkpoint"] == str(fleet.root / ".scbridge" / "demo-org-demo-repo")


class TestDiscover:
    def test_discover_lists_every_page_of_the_group(self, fleet: Fleet) -> None:
        """`discover:` reads GET /groups/:id/projects page by page; repos named by template."""
        for path in fleet.sb.project_paths:
            fleet.sb.sourcecraft.add_repo(fleet.sb.org, "sc-" + path.rsplit("/", 1)[1])
        config = fleet.root / "d.yaml"
        config.write_text(
            f"source:\n  url: {fleet.sb.gitlab_url}\n  token_env: FLEET_GITLAB_TOKEN\n"
            f"  per_page: 3\ntarget:\n  url: {fleet.sb.sourcecraft_url}\n  org: {fleet.sb.org}\n"
            "  token_env: FLEET_SOURCECRAFT_TOKEN\n"
            "discover: {group: demo-group, target_repo: 'sc-{path}'}\n", encoding="utf-8")
        result = fleet.run(config, "--report", "d.json")
        assert result.returncode == 0, result.stdout + result.stderr
        listed = [r for r in fleet.sb.log.entries if r.path.startswith("/api/v3/groups/")]
        assert [r.query.get("page") for r in listed] == [None, "2"]
        report = fleet.report("d.json")
        assert [p["source"] for p in report["projects"]] == sorted(fleet.sb.project_paths)
        pairs = [(p, "sc-" + p.rsplit("/", 1)[1]) for p in fleet.sb.project_paths]
        assert exact(fleet, pairs) == []
        assert json.dumps(report).count(fleet.sb.gitlab_token) == 0

    def test_an_unknown_group_exits_3_before_any_project(self, fleet: Fleet) -> None:
        """A group GitLab does not know: exit 3, one line, nothing written."""
        config = fleet.root / "d.yaml"
        config.write_text(
            f"source:\n  url: {fleet.sb.gitlab_url}\n  token_env: FLEET_GITLAB_TOKEN\n"
            f"target:\n  url: {fleet.sb.sourcecraft_url}\n  org: {fleet.sb.org}\n"
            "  token_env: FLEET_SOURCECRAFT_TOKEN\ndiscover: {group: nobody}\n",
            encoding="utf-8")
        result = fleet.run(config)
        assert result.returncode == 3
        assert "Group Not Found" in result.stderr
        assert fleet.sb.log.count("target_write") == 0


class TestMirrorAndSandbox:
    def test_a_mirror_after_a_fleet_migration_writes_nothing(self, fleet: Fleet) -> None:
        """Guarantee 1 over a fleet: the mirror finds every project done, zero writes, exit 0."""
        config = fleet.write()
        assert fleet.run(config).returncode == 0
        fleet.sb.log.clear()
        result = fleet.run(config, command="mirror")
        assert result.returncode == 0, result.stderr
        assert fleet.sb.log.count("target_write") == 0
        assert f"projects {PROJECTS} (exit 0: {PROJECTS})" in result.stdout

    def test_verify_audits_every_project_and_names_the_one_that_differs(
            self, fleet: Fleet) -> None:
        """After a fleet migration every project verifies exact; a hand edit in one repository
        makes the fleet's verify exit 1, that project alone with differences."""
        config = fleet.write()
        assert fleet.run(config).returncode == 0
        fleet.sb.log.clear()
        clean = fleet.run(config, command="verify")
        assert clean.returncode == 0, clean.stdout + clean.stderr
        assert f"verify: {PROJECTS} projects, {PROJECTS} exact" in clean.stdout
        assert fleet.sb.log.count("target_write") == 0
        repo = fleet.sb.repos[1]
        [first, *_] = fleet.sb.sourcecraft.milestones(fleet.sb.org, repo)
        fleet.sb.sourcecraft.edit_milestone(first["slug"], org=fleet.sb.org, repo=repo,
                                            description="edited by hand")
        edited = fleet.run(config, "--report", str(fleet.root / "verify.json"), command="verify")
        assert edited.returncode == 1
        assert f"{PROJECTS - 1} exact, 1 with differences" in edited.stdout
        own = fleet.root / f"verify.{fleet.sb.org}-{repo}.json"
        assert "edited by hand" in own.read_text(encoding="utf-8")

    def test_a_crash_in_one_project_s_verify_stops_no_other(
            self, fleet: Fleet, monkeypatch: pytest.MonkeyPatch,
            capsys: pytest.CaptureFixture[str]) -> None:
        """A bug while auditing one project is that project's exit 1; the others are audited."""
        import bridge.verify.run as verify_run
        from bridge.cli import main

        config = fleet.write()
        assert fleet.run(config).returncode == 0
        real = verify_run.verify
        broken = fleet.sb.project_paths[0]

        def verify(project_config: Any, options: Any) -> Any:
            if project_config.source.project == broken:
                raise RuntimeError("boom")
            return real(project_config, options)

        monkeypatch.setattr(verify_run, "verify", verify)
        for name, value in fleet.env().items():
            monkeypatch.setenv(name, value)
        code = main(["verify", "-c", str(config), "-q"])
        out, err = capsys.readouterr()
        assert code == 1
        assert f"{PROJECTS - 1} exact, 1 with differences or errors" in out
        assert f"{broken} -> " in err
        assert "internal error: RuntimeError: boom" in err

    def test_scbridge_sandbox_projects_prints_a_fleet_config_that_works(
            self, tmp_path: Path) -> None:
        """`scbridge sandbox --projects 3` serves three projects and a config for all of them."""
        proc = subprocess.Popen([sys.executable, "-m", "bridge", "sandbox", "--projects", "3"],
                                text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            assert proc.stdout is not None
            lines = []
            for line in proc.stdout:
                if line.startswith("Serving"):
                    break
                lines.append(line)
            text = "".join(lines)
            tokens = dict(re.findall(r"export (\w+_TOKEN)=(\S+)", text))
            config = tmp_path / "fleet.yaml"
            config.write_text(text[text.index("source:"):], encoding="utf-8")
            env = {**{k: v for k, v in os.environ.items() if "TOKEN" not in k}, **tokens}
            run = subprocess.run([sys.executable, "-m", "bridge", "migrate", "-c", str(config),
                                  "--dry-run", "-q"], capture_output=True, text=True,
                                 env=env, cwd=tmp_path, timeout=60, check=False)
            assert run.returncode == 0, run.stderr
            assert run.stdout.count("would create 13") == 3
            assert "projects 3 (exit 0: 3)" in run.stdout
        finally:
            proc.send_signal(signal.SIGINT)
            proc.communicate(timeout=30)
        assert proc.returncode == 0


class TestInterruptAndFolder:
    def test_sigint_ends_the_fleet_with_130_and_a_rerun_is_exact(self, fleet: Fleet) -> None:
        """Ctrl-C mid-run: running projects stop cleanly, the rest never start; exit 130."""
        fleet.sb.faults.add("both", "latency", ms=10)
        config = fleet.write(parallel=1)
        sent = threading.Event()
        process = fleet.start(config, "--report", "cut.json")

        def interrupt(record: RequestRecord) -> None:
            if record.kind == "target_write" and not sent.is_set():
                sent.set()
                os.kill(process.pid, signal.SIGINT)

        unsubscribe = fleet.sb.log.subscribe(interrupt)
        try:
            process.communicate(timeout=120)
        finally:
            unsubscribe()
        assert process.returncode == 130
        codes = [p["exit_code"] for p in fleet.report("cut.json")["projects"]]
        assert codes == [130] * PROJECTS
        assert all("not started" in str(p["error"])
                   for p in fleet.report("cut.json")["projects"][1:])
        assert fleet.sb.wait_idle()
        again = fleet.run(config)
        assert again.returncode == 0, again.stderr
        assert exact(fleet, fleet.pairs) == []

    def test_checkpoint_option_names_the_folder_of_every_project(self, fleet: Fleet) -> None:
        """`--checkpoint DIR` with many projects puts each one's checkpoint in DIR."""
        result = fleet.run(fleet.write(), "--checkpoint", "elsewhere")
        assert result.returncode == 0, result.stderr
        assert sorted(p.name for p in (fleet.root / "elsewhere").iterdir()
                      if not p.name.endswith(".lock")) == sorted(
            f"{fleet.sb.org}-{repo}" for repo in fleet.sb.repos)
        assert not (fleet.root / "state").exists()


class TestProgress:
    def test_a_terminal_shows_projects_done_of_the_total(self, fleet: Fleet) -> None:
        """On a TTY stderr the bar counts projects (4/4), not items; stdout has no bar."""
        from test_cli import run_on_a_terminal

        config = fleet.write()
        text = config.read_text().replace("  token_env: FLEET_GITLAB_TOKEN\n", "")
        config.write_text(text.replace("  token_env: FLEET_SOURCECRAFT_TOKEN\n", ""))
        out, err = run_on_a_terminal(fleet.sb, "migrate", "-c", config, "-q")
        assert f"{PROJECTS}/{PROJECTS} projects" in err
        assert f"/{PROJECTS} projects" not in out
        assert "extract milestones" not in err  # one bar for the fleet, none per project


class TestValidate:
    def test_validate_lists_every_project_with_its_checkpoint_and_sends_nothing(
            self, fleet: Fleet) -> None:
        """`validate -c FLEET.yaml`: the file, the mapping and each project; no request."""
        result = fleet.run(fleet.write(), command="validate", env={"FLEET_GITLAB_TOKEN": ""})
        assert result.returncode == 0, result.stderr
        for path, repo in fleet.pairs:
            assert (f"project {path} -> {fleet.sb.org}/{repo}  (checkpoint "
                    f"{fleet.root / 'state' / (fleet.sb.org + '-' + repo)})") in result.stdout
        assert len(fleet.sb.log.entries) == 0

    def test_a_shard_with_a_one_project_config_is_a_usage_error(self, fleet: Fleet) -> None:
        """--shard needs projects: or discover:; exit 2 with one line."""
        single = fleet.root / "one.yaml"
        single.write_text(
            f"source:\n  url: {fleet.sb.gitlab_url}\n  project: {fleet.sb.project_path}\n"
            f"  token_env: FLEET_GITLAB_TOKEN\ntarget:\n  url: {fleet.sb.sourcecraft_url}\n"
            f"  org: {fleet.sb.org}\n  repo: {fleet.sb.repo}\n"
            "  token_env: FLEET_SOURCECRAFT_TOKEN\n", encoding="utf-8")
        result = fleet.run(single, "--shard", "1/2")
        assert result.returncode == 2
        assert result.stderr.strip() == ("scbridge: error: --shard and --shards need a config "
                                         "with projects: or discover:")


class TestLogs:
    def test_each_project_s_events_name_it(self, fleet: Fleet) -> None:
        """Interleaved logs stay readable: a project's `extracted` event carries its path."""
        result = subprocess.run(
            [sys.executable, "-m", "bridge", "migrate", "-c", str(fleet.write()),
             "--no-progress", "--log-format", "json"], capture_output=True, text=True,
            timeout=120, env=fleet.env(), cwd=fleet.root, check=False)
        assert result.returncode == 0, result.stderr
        events = [json.loads(line) for line in result.stderr.splitlines()
                  if line.startswith("{")]
        extracted = sorted(e["fleet_project"] for e in events if e["event"] == "extracted")
        assert extracted == sorted(fleet.sb.project_paths)


class TestOverlapDeterministic:
    def test_a_shard_meeting_a_project_another_is_writing_skips_it_with_exit_4(
            self, fleet: Fleet) -> None:
        """Run A is held mid-write on project 2; run B, whose list overlaps, gets exit 4 there.

        B writes nothing to project 2 and finishes its own projects; once A is let go, every
        repository is exact and no project was written by both runs.
        """
        repo = fleet.sb.repos[1]
        reached, release = threading.Event(), threading.Event()

        def gate(record: RequestRecord) -> None:
            if record.kind == "target_write" and f"/{repo}/" in record.path + "/" \
                    and not reached.is_set():
                reached.set()
                release.wait(timeout=60)  # A holds project 2's lock while this write hangs

        unsubscribe = fleet.sb.log.subscribe(gate)
        try:
            a = fleet.start(fleet.write(fleet.pairs[:2], name="a"), "--report", "a.json")
            assert reached.wait(timeout=60)
            b = fleet.run(fleet.write(fleet.pairs[1:], name="b"), "--report", "b.json")
        finally:
            release.set()
            unsubscribe()
        a.communicate(timeout=120)
        assert a.returncode == 0
        assert b.returncode == 4, b.stdout + b.stderr
        b_projects = {p["target"]["repo"]: p for p in fleet.report("b.json")["projects"]}
        assert b_projects[repo]["exit_code"] == 4
        assert "lock" in b_projects[repo]["error"]
        assert b_projects[repo]["requests"] == {}
        assert [b_projects[r]["exit_code"] for r in fleet.sb.repos[2:]] == [0, 0]
        assert exact(fleet, fleet.pairs) == []


class TestTransferPerProject:
    def test_each_project_moves_the_kinds_its_entry_names(self, fleet: Fleet) -> None:
        """Project 1 moves its issues too (transfer: {issues: true}); project 2 milestones only."""
        config = fleet.write(fleet.pairs[:2])
        text = config.read_text().replace(
            f"target: {fleet.sb.repos[0]}}}", f"target: {fleet.sb.repos[0]}, "
            "transfer: {issues: true}}")
        config.write_text(text)
        result = fleet.run(config)
        assert result.returncode == 0, result.stdout + result.stderr
        gitlab_issues = len(fleet.sb.gitlab_projects[0].issues)
        assert len(fleet.sb.sourcecraft.issue_list(fleet.sb.org, fleet.sb.repos[0])) == \
            gitlab_issues > 0
        assert fleet.sb.sourcecraft.label_list(fleet.sb.org, fleet.sb.repos[0]) != []
        assert fleet.sb.sourcecraft.issue_list(fleet.sb.org, fleet.sb.repos[1]) == []
        assert fleet.sb.sourcecraft.label_list(fleet.sb.org, fleet.sb.repos[1]) == []
        assert exact(fleet, fleet.pairs[:2]) == []
