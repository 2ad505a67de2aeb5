"""SourceCraft's milestone API as typed calls; JSON dicts stop here and TargetMilestone goes on."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

from bridge.errors import ApiError, FatalApiError
from bridge.models import TargetMilestone
from bridge.net.http import HttpClient, parse_json
from bridge.net.paging import token_pages


def parse_milestone(data: Any) -> TargetMilestone:
    """Read one milestone object, refusing anything that is not one."""
    if not isinstance(data, dict) or not isinstance(data.get("slug"), str):
        raise FatalApiError(
            f"SourceCraft sent something that is not a milestone: {str(data)[:120]!r}")
    return TargetMilestone(
        id=str(data.get("id") or ""),
        name=str(data.get("name") or ""),
        slug=data["slug"],
        description=str(data.get("description") or ""),
        start_date=data.get("start_date") or None,
        deadline=data.get("deadline") or None,
        status=str(data.get("status") or "open"),
        updated_at=data.get("updated_at") or None,
    )


class SourceCraftClient:
    """List, read and write the milestones of one SourceCraft repository."""

    def __init__(self, client: HttpClient, *, org: str, repo: str, silent: bool = True,
                 page_size: int = 100) -> None:
        self._http = client
        self.org, self.repo = org, repo
        self._repo_path = f"/repos/{quote(org, safe='')}/{quote(repo, safe='')}"
        self._base = f"{self._repo_path}/milestones"
        self._write_params = {"silent": "true" if silent else "false"}
        self._page_size = page_size

    def repository(self) -> Any:
        """`GET /repos/{org}/{repo}`: one cheap read that proves the token and the path."""
        return parse_json(self._http.get(self._repo_path))

    def organization_exists(self) -> bool:
        """False when SourceCraft answers 404 for `GET /orgs/{org}`; any other answer is True."""
        try:
            self._http.get(f"/orgs/{quote(self.org, safe='')}")
        except FatalApiError as exc:
            return exc.status != 404
        return True

    def milestone_pages(self) -> Iterator[list[TargetMilestone]]:
        """Every page of the repository's milestones, following page tokens to the end."""
        for page in token_pages(self._http, self._base, "items", {"page_size": self._page_size}):
            yield [parse_milestone(item) for item in page]

    def get(self, slug: str) -> TargetMilestone | None:
        """The milestone with this slug, or None when SourceCraft says there is none (404)."""
        try:
            response = self._http.get(f"{self._base}/{quote(slug, safe='')}")
        except FatalApiError as exc:
            if exc.status == 404:
                return None
            raise
        return parse_milestone(parse_json(response))

    def create(self, body: Mapping[str, Any]) -> TargetMilestone:
        """POST once, never retried here: the caller decides what an unknown outcome means.

        Any 2xx is a success (SourceCraft moved create from 200 to 201 once already); one
        whose body is missing or unreadable is followed by a GET of the slug, because the
        milestone exists and its id is what the checkpoint needs.
        """
        response = self._http.post(self._base, json=dict(body), params=self._write_params)
        try:
            return parse_milestone(parse_json(response))
        except ApiError:
            slug = body.get("slug")
            if not isinstance(slug, str) or not slug:
                raise
            found = self.get(slug)
            if found is None:
                raise FatalApiError(
                    f"SourceCraft answered {response.status_code} to the create of '{slug}' "
                    "but has no milestone with that slug") from None
            return found

    def update(self, milestone: TargetMilestone, body: Mapping[str, Any]) -> TargetMilestone | None:
        """PATCH by id (slugs can change, ids cannot); None when the answer carried no body."""
        response = self._http.patch(self._by_id(milestone), json=dict(body),
                                    params=self._write_params)
        return parse_milestone(parse_json(response)) if response.content else None

    def delete(self, milestone: TargetMilestone) -> None:
        """DELETE by id; a milestone already gone counts as deleted."""
        try:
            self._http.delete(self._by_id(milestone), params=self._write_params)
        except FatalApiError as exc:
            if exc.status != 404:
                raise

    def _by_id(self, milestone: TargetMilestone) -> str:
        if milestone.id:
            return f"/milestones/id:{quote(milestone.id, safe='')}"
        return f"{self._base}/{quote(milestone.slug, safe='')}"
