"""python-gitlab 1.4.0 (the last release that speaks API v3) extracting what scbridge extracts.

Run by the benchmark with the interpreter of its own venv (benchmarks/.venv-pg), never with
scbridge's: `python pg_extract.py URL PROJECT_ID` with the token in BENCH_GITLAB_TOKEN. It
times itself from after the imports, and prints one JSON line. With `--naive` it uses a plain
requests loop over Link rel="next" instead, for machines where python-gitlab cannot be had.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import sys
import time


def with_python_gitlab(url: str, project_id: int, token: str) -> tuple[int, int, int]:
    """Milestones and issues through `milestones.list(all=True)` / `issues.list(all=True)`."""
    import gitlab  # type: ignore[import-not-found]  # only in benchmarks/.venv-pg

    gl = gitlab.Gitlab(url, private_token=token, api_version="3")
    project = gl.projects.get(project_id)
    milestones = project.milestones.list(all=True, per_page=100)
    issues = project.issues.list(all=True, per_page=100)
    counted = sum(1 for issue in issues if getattr(issue, "milestone", None) is not None)
    return len(milestones), len(issues), counted


def with_requests(url: str, project_id: int, token: str) -> tuple[int, int, int]:
    """The naive fallback: one session, pages followed by Link rel="next", one at a time."""
    import requests

    session = requests.Session()
    session.headers["PRIVATE-TOKEN"] = token
    base = f"{url}/api/v3/projects/{project_id}"
    session.get(base).raise_for_status()

    def every(path: str) -> list[dict[str, object]]:
        items: list[dict[str, object]] = []
        next_url: str | None = f"{base}/{path}?per_page=100"
        while next_url:
            response = session.get(next_url)
            response.raise_for_status()
            items.extend(response.json())
            next_url = response.links.get("next", {}).get("url")
        return items

    milestones = every("milestones")
    issues = every("issues")
    return len(milestones), len(issues), sum(1 for i in issues if i.get("milestone"))


def main() -> int:
    """Extract once, print {seconds, milestones, issues, with_milestone, client} as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("project_id", type=int)
    parser.add_argument("--naive", action="store_true")
    args = parser.parse_args()
    token = os.environ["BENCH_GITLAB_TOKEN"]
    # python-gitlab 1.4.0 recurses once per page; 200,000 issues would pass the default limit.
    sys.setrecursionlimit(100_000)
    extract = with_requests if args.naive else with_python_gitlab
    client = "requests loop" if args.naive else "python-gitlab " + _version()
    started = time.perf_counter()
    milestones, issues, with_milestone = extract(args.url, args.project_id, token)
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "milestones": milestones, "issues": issues,
                      "with_milestone": with_milestone, "client": client}))
    return 0


def _version() -> str:
    try:
        return importlib.metadata.version("python-gitlab")
    except importlib.metadata.PackageNotFoundError:
        return "missing"


if __name__ == "__main__":
    sys.exit(main())
