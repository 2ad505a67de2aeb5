"""What the target must hold for each kind, worked out from the fake GitLab's own data.

Independent of the bridge's transform: the expected labels, milestones and issues are
derived here from the sandbox's stored GitLab data and the documented mapping rules
(docs/kinds.md), then compared with what the fake SourceCraft holds.
"""

from __future__ import annotations

import re
from typing import Any

import reliability_support as support

from bridge.kinds.reference_map import ReferenceMap, issue_url_pattern, sourcecraft_web
from bridge.kinds.references import rewrite
from bridge.sandbox import Sandbox

#: Every kind the contract suite proves its guarantees for.
KINDS = ("milestone", "label", "issue", "comment")
#: The config lines that move one kind (issues bring their labels and milestones).
TRANSFER = {"milestone": "", "label": "transfer:\n  milestones: false\n  labels: true\n",
            "issue": "transfer:\n  issues: true\n", "comment": "transfer:\n  comments: true\n"}
#: The kinds a run of each kind writes, in order.
WRITTEN = {"milestone": ("milestone",), "label": ("label",),
           "issue": ("label", "milestone", "issue"),
           "comment": ("label", "milestone", "issue", "comment")}
#: The route a kind's creates are POSTed to, as the sandbox's request log names it.
ROUTE = {"milestone": "milestones", "label": "labels", "issue": "issues",
         "comment": "comments"}
_KEY = re.compile(r"\A> From GitLab: \[[^\]\n]*\]\(([^)\s]+)\)")


def reference_map(sb: Sandbox) -> ReferenceMap:
    """What every reference must point at once the run is complete, from the sandbox's data:
    issue numbers as the target holds them (by the GitLab URL in each header), milestone
    slugs as the documented rule makes them, labels by name. The rewrite itself is
    bridge.kinds.references' (unit-tested on its own); what is proven here is that after any
    run (kills, lost answers) every text points where the finished migration says."""
    numbers: dict[int, int | str | None] = {issue["iid"]: None for issue in sb.gitlab.issues}
    for item in sb.sourcecraft.issue_list():
        match = _KEY.match(item["description"] or "")
        if match:
            numbers[int(match.group(1).rsplit("/", 1)[1])] = item["slug"]
    slugs = support.expected_slugs(sb)
    milestones = [m for m in (sb.gitlab.milestone(i, hidden=True) for i in slugs) if m]
    labels = sb.gitlab.labels()
    return ReferenceMap(
        gitlab_url=sb.gitlab_url, project_path=sb.project_path,
        sourcecraft_issue_url=issue_url_pattern(sb.org, sb.repo,
                                                web=sourcecraft_web(sb.sourcecraft_url)),
        project_web_url=f"{sb.gitlab_url}/{sb.project_path}", issues=numbers,
        milestone_slugs={m["iid"]: slugs[m["id"]] for m in milestones},
        milestone_titles={m["title"]: m["iid"] for m in milestones},
        label_names={label["id"]: label["name"] for label in labels},
        label_targets={label["name"]: label["name"] for label in labels})


def _six_hex(color: str) -> str:
    digits = color.lstrip("#")
    return ("".join(c * 2 for c in digits) if len(digits) == 3 else digits).upper()


def expected_comments(sb: Sandbox) -> dict[str, list[tuple[str, str]]]:
    """Issue URL -> its comments in order, (note URL, text): what GitLab serves, less system
    notes, award emoji and notes the token may not see, oldest first by (created_at, id)."""
    project = f"{sb.gitlab_url}/{sb.project_path}"
    refs = reference_map(sb)
    out: dict[str, list[tuple[str, str]]] = {}
    for issue in sb.gitlab.issues:
        url = f"{project}/issues/{issue['iid']}"
        notes = [n for n in sb.gitlab.issue_notes(issue["id"])
                 if not (n["system"] or n["award"] or n["hidden"])]
        for note in sorted(notes, key=lambda n: (n["created_at"], n["id"])):
            text = rewrite(note["body"], refs).text.replace("](/uploads/", f"]({project}/uploads/")
            if note["attachment"]:
                link = (f"{sb.gitlab_url}/uploads/note/attachment/{note['id']}/"
                        f"{note['attachment']}")
                text = f"{text}\n\n[{note['attachment']}]({link})" if text else (
                    f"[{note['attachment']}]({link})")
            out.setdefault(url, []).append((f"{url}#note_{note['id']}", text))
    return out


def expected(sb: Sandbox, kind: str) -> dict[str, dict[str, Any]]:
    """Natural key -> the managed fields the target must have, for one kind."""
    if kind == "comment":
        return {key: {"text": text} for comments in expected_comments(sb).values()
                for key, text in comments}
    if kind == "milestone":
        return support.expected_target(sb)
    if kind == "label":
        return {label["name"]: {"name": label["name"], "color": _six_hex(label["color"])}
                for label in sb.gitlab.labels()}
    slugs = support.expected_slugs(sb)
    project = f"{sb.gitlab_url}/{sb.project_path}"
    refs = reference_map(sb)
    return {f"{project}/issues/{issue['iid']}": {
        "title": issue["title"].strip(),
        "status": "closed" if issue["state"] == "closed" else "open",
        "milestone": slugs.get(issue["milestone"]) if issue["milestone"] else None,
        "labels": sorted(issue["labels"]),
        "visibility": "private" if issue["confidential"] else "public",
        "text": rewrite(issue["description"] or "", refs).text.replace(
            "](/uploads/", f"]({project}/uploads/"),
    } for issue in sb.gitlab.issues}


def actual(sb: Sandbox, kind: str) -> list[tuple[str | None, dict[str, Any]]]:
    """(natural key, managed fields) of every object of one kind on the target, duplicates kept."""
    if kind == "milestone":
        return [(item["slug"], item) for item in support.actual_target(sb)]
    if kind == "label":
        return [(item["name"], {"name": item["name"], "color": item["color"]})
                for item in sb.sourcecraft.label_list()]
    if kind == "comment":
        return [(key, {"text": text}) for comments in actual_comments(sb).values()
                for key, text in comments]
    found: list[tuple[str | None, dict[str, Any]]] = []
    for item in sb.sourcecraft.issue_list():
        description = item["description"] or ""
        match = _KEY.match(description)
        _header, _, text = description.partition("\n\n")
        found.append((match.group(1) if match else None, {
            "title": item["title"], "status": item["status"]["slug"],
            "milestone": (item.get("milestone") or {}).get("slug"),
            "labels": sorted(label["name"] for label in item.get("labels") or []),
            "visibility": item["visibility"], "text": text}))
    return found


def actual_comments(sb: Sandbox) -> dict[str | None, list[tuple[str | None, str]]]:
    """Issue key -> its comments on the target in SourceCraft's order, (key, text)."""
    out: dict[str | None, list[tuple[str | None, str]]] = {}
    for issue in sb.sourcecraft.issue_list():
        match = _KEY.match(issue["description"] or "")
        for comment in sb.sourcecraft.comment_list(issue["slug"]):
            found = _KEY.match(comment["body"])
            _header, _, text = comment["body"].partition("\n\n")
            out.setdefault(match.group(1) if match else None, []).append(
                (found.group(1) if found else None, text))
    return out


def assert_exact(sb: Sandbox, kind: str) -> int:
    """One target object per GitLab object of `kind`, none missing, none extra, fields right."""
    want = expected(sb, kind)
    have = actual(sb, kind)
    keys = [key for key, _ in have]
    duplicates = sorted({str(k) for k in keys if keys.count(k) > 1})
    assert not duplicates, f"{kind}: duplicated on the target: {duplicates[:5]}"
    missing = sorted(set(want) - set(keys))
    extra = sorted(str(k) for k in set(keys) - set(want))
    assert not missing, f"{kind}: {len(missing)} missing on the target: {missing[:5]}"
    assert not extra, f"{kind}: {len(extra)} unexpected on the target: {extra[:5]}"
    wrong = [(key, fields, want[key]) for key, fields in have
             if key is not None and fields != want[key]]
    assert not wrong, f"{kind}: {len(wrong)} with wrong fields, e.g. {wrong[0]}"
    if kind == "comment":  # and in order, on the issue they belong to
        got = {issue: [key for key, _ in comments]
               for issue, comments in actual_comments(sb).items()}
        assert got == {issue: [key for key, _ in comments]
                       for issue, comments in expected_comments(sb).items()}
    return len(have)
