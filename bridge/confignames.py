"""Names in the config that no server could accept: a project written as a URL, a bad slug.

Each would fail the run at its first request (or, worse, every item); found while
reading the config, they are exit 2 with file:line and what to write instead.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

from bridge.configfile import Entry, YamlFile

#: What a SourceCraft organisation or repository slug may be: letters, digits, '-', '_', '.',
#: starting with a letter or digit; the OpenAPI file gives repository slugs up to 256 characters.
_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_SLUG_MAX = 256

Section = tuple[dict[str, Any], dict[str, Entry]]

REFUSAL = ("tokens never go in the config file (it gets committed, copied and shown); "
            "name an environment variable with token_env, or a file with token_file")


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses: the only hosts plain http may reach by default."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(doc: YamlFile, entry: Entry, url: str, allow_insecure: bool) -> str:
    """The server root of a `url:` key, or a ConfigError saying what is wrong with it."""
    parts = urlsplit(url.strip())
    try:
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError:
        raise doc.error(f"{entry.key} {url!r} has a bad port", entry.line, entry.key) from None
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in url.strip():
        raise doc.error(f"{entry.key} {url!r} is not a valid http(s) URL", entry.line, entry.key)
    if parts.username or parts.password:
        raise doc.error(f"{entry.key} must not carry credentials; {REFUSAL}", entry.line,
                        entry.key)
    if parts.query or parts.fragment:
        raise doc.error(f"{entry.key} {url!r} must be the server root, without ?query or #part",
                        entry.line, entry.key)
    if re.search(r"/api/v\d+/?$", parts.path):
        raise doc.error(f"{entry.key} {url!r} should be the server root: scbridge adds the "
                        "/api/... part itself", entry.line, entry.key)
    if parts.scheme == "http" and not allow_insecure and not is_loopback(parts.hostname):
        raise doc.error(f"{entry.key} {url!r} is plain http to a non-loopback host, which would "
                        "send the token in clear; use https or set allow_insecure_http: true",
                        entry.line, entry.key)
    return url.strip().rstrip("/")


def _project_path(url: str) -> str:
    """`https://gitlab.example.com/group/sub/project/-/milestones` -> `group/sub/project`."""
    path = urlsplit(url).path.split("/-/", 1)[0].strip("/")
    return path.removesuffix(".git")


def check_names(doc: YamlFile, source: Section, target: Section) -> None:
    """ConfigError at the line of the first name that cannot work."""
    values, found = source
    project = str(values.get("project", ""))
    if re.match(r"^[a-z][a-z0-9+.-]*://", project.strip(), flags=re.IGNORECASE):
        entry = found["project"]
        path = _project_path(project.strip())
        hint = f"project: {path}" if path else "project: group/project"
        raise doc.error(f"source.project {project!r} is a URL; write the project's path or "
                        f"numeric id ({hint}), and the server root in source.url", entry.line,
                        entry.key)
    values, found = target
    for key in ("org", "repo"):
        if key not in found:
            continue  # a many-project file names each project's repo in its `projects:` entry
        text = str(values[key])
        if _SLUG.fullmatch(text) and len(text) <= _SLUG_MAX:
            continue
        entry = found[key]
        if "://" in text:
            why = "it is a URL; write the slug alone (the server goes in target.url)"
        elif "/" in text:
            why = "it has a '/'; write the organization in target.org, the repository in " \
                  "target.repo"
        elif len(text) > _SLUG_MAX:
            why = f"it is longer than {_SLUG_MAX} characters"
        else:
            why = "a slug is letters, digits, '-', '_' and '.', starting with a letter or digit"
        raise doc.error(f"target.{key} {text!r} cannot be a SourceCraft slug: {why}",
                        entry.line, entry.key)
