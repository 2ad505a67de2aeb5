"""Sandbox pieces the mirror tests lean on: issue edits, and GitLab before 8.12 ignoring order."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from bridge.sandbox import Sandbox


def issue_ids(sb: Sandbox, **params: Any) -> list[int]:
    response = requests.get(f"{sb.gitlab_url}/api/v3/projects/{sb.project_id}/issues",
                            params={"per_page": 100, **params},
                            headers={"PRIVATE-TOKEN": sb.gitlab_token}, timeout=5)
    response.raise_for_status()
    return [issue["id"] for issue in response.json()]


class TestIssueOrder:
    @pytest.mark.parametrize(("version", "honoured"), [("8.17.8", True), ("8.12.0", True),
                                                        ("8.11.5", False), ("7.14", False)],
                             ids=["8.17", "8.12", "8.11", "7.14"])
    def test_order_by_and_sort_are_ignored_before_8_12(self, version: str,
                                                       honoured: bool) -> None:
        """Before 8.12 updated_at asc and desc both come back newest-created first."""
        with Sandbox(gitlab_version=version) as sb:
            sb.gitlab.update_issue(1001, title="touched")  # the oldest issue, now the freshest
            desc = issue_ids(sb, order_by="updated_at", sort="desc")
            asc = issue_ids(sb, order_by="updated_at", sort="asc")
            default = issue_ids(sb)
            assert (desc[0] == 1001) is honoured
            assert (asc == desc) is not honoured
            if not honoured:
                assert desc == default


class TestUpdateIssue:
    def test_an_edit_moves_updated_at_and_shows_in_listings(self, sandbox: Sandbox) -> None:
        """An edited issue shows its new milestone and state, and leads the updated_at order."""
        edited = sandbox.gitlab.update_issue(1003, milestone=107, state="closed")
        assert edited["milestone"]["id"] == 107
        assert edited["state"] == "closed"
        assert issue_ids(sandbox, order_by="updated_at", sort="desc")[0] == 1003
        assert 1003 in issue_ids(sandbox, milestone="v2.0", state="closed")

    def test_unknown_fields_and_issues_are_refused(self, sandbox: Sandbox) -> None:
        """A typo in a test's edit fails at once instead of silently doing nothing."""
        with pytest.raises(ValueError, match="no field colour"):
            sandbox.gitlab.update_issue(1003, colour="red")
        with pytest.raises(KeyError):
            sandbox.gitlab.update_issue(999_999, state="closed")
