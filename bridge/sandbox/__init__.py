"""The sandbox: a fake GitLab v3 and a fake SourceCraft on 127.0.0.1 for tests, demo, benchmarks.

    with Sandbox(dataset="demo", seed=0) as sb:
        sb.gitlab_url, sb.gitlab_token, sb.project_path      # point the source here
        sb.sourcecraft_url, sb.sourcecraft_token, sb.org, sb.repo
        sb.faults.add(server="sourcecraft", kind="status", status=503, every=3)
        sb.faults.add("sourcecraft", "commit_then_drop", method="POST", route="comments")
        sb.log.count("target_write"), sb.log.count("target_write", route="issues")
        sb.gitlab.add_note(1001, "text"), sb.gitlab.add_label("bug"), sb.gitlab.remove_issue(1001)
        sb.sourcecraft.issue_list(), sb.sourcecraft.edit_issue("1", title="by hand")
"""

from bridge.sandbox.core import Sandbox
from bridge.sandbox.dataset import Dataset, SyntheticSpec, load_dataset
from bridge.sandbox.faults import Fault, Faults
from bridge.sandbox.foreground import run_foreground
from bridge.sandbox.log import RequestLog, RequestRecord

__all__ = ["Dataset", "Fault", "Faults", "RequestLog", "RequestRecord", "Sandbox", "SyntheticSpec",
           "load_dataset", "run_foreground"]
