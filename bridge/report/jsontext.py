"""Indented JSON with secrets masked, as `json.dumps(mask_value(v), indent=2)` writes it, faster.

A report of a few thousand items is about 40,000 values: the standard library's indenting
encoder (pure Python when `indent` is set) and the masking copy took most of the time it
took to write the report. This walks the tree once, checking what msgspec would write
differently (a float in exponent form, NaN, a key that is not a string, a set, any other
object, a lone surrogate: any of them sends the whole document down the old path
instead, so the file is the same byte for byte either way) and lets msgspec encode and
indent it.

Masking is the same as `bridge.logs.mask_value`'s, in fewer steps. When no dict has a
secret key and every registered secret is text JSON writes as it is (no quote, backslash
or control character), the tree is encoded as it stands and the bytes are searched for
each secret: a secret inside any string (or key) would be there verbatim, so finding none
proves masking each string would have changed nothing. Otherwise (a secret found, a
secret key, a secret JSON would escape) every string is masked first, as before.
"""

from __future__ import annotations

import json
import math
from typing import Any

import msgspec

from bridge.logs import MASK, is_secret_key, mask_text, mask_value, registered_secrets


class _UnusualError(Exception):
    """A value the fast path does not write exactly as json.dumps would."""


#: What each dict key seen so far becomes: (the key masked, whether its value is a secret),
#: valid for the registered secrets in `_SEARCH`. A report has a few dozen distinct keys.
_KEYS: dict[str, tuple[str, bool]] = {}
#: Keys seen that are not secret keys (`is_secret_key` does not depend on registered secrets).
_PLAIN_KEYS: set[str] = set()
_MAX_KEYS = 4096  # a hostile tree's many distinct keys are looked at, not remembered


def _key(key: object) -> tuple[str, bool]:
    known = _KEYS.get(key) if type(key) is str else None
    if known is None:
        if type(key) is not str:
            raise _UnusualError
        known = (mask_text(key), is_secret_key(key))
        if len(_KEYS) < _MAX_KEYS:
            _KEYS[key] = known
    return known


def _secret_keyed(value: Any) -> bool:
    """Whether any dict in `value` has a secret key; _UnusualError for what msgspec would
    write differently than json.dumps (True may be answered before all of it is looked at:
    the masking path that follows raises for those too)."""
    kind = type(value)
    if kind is dict:
        # One look at a dict with the usual keys; the others are looked at one by one.
        if not value.keys() <= _PLAIN_KEYS and _has_secret_key(value):
            return True
        items: Any = value.values()
    elif kind is list or kind is tuple:
        items = value
    else:
        return _scalar(value)
    for item in items:
        kind = type(item)
        if kind is str or kind is int or kind is bool or item is None:
            continue
        if kind is dict or kind is list or kind is tuple:
            if _secret_keyed(item):
                return True
        else:
            _scalar(item)
    return False


def _has_secret_key(value: dict[Any, Any]) -> bool:
    for key in value:
        if type(key) is not str:
            raise _UnusualError
        if is_secret_key(key):
            return True
        if len(_PLAIN_KEYS) < _MAX_KEYS:
            _PLAIN_KEYS.add(key)
    return False


def _scalar(value: Any) -> bool:
    kind = type(value)
    if kind is str or value is None or kind is bool or kind is int:
        return False
    if kind is float and math.isfinite(value) and "e" not in repr(value):
        return False
    raise _UnusualError


def _ready(value: Any) -> Any:
    """A copy of `value` with every string masked and secret keys' values replaced."""
    kind = type(value)
    if kind is str:
        return mask_text(value)
    if value is None or kind is bool or kind is int:
        return value
    if kind is float:
        if not math.isfinite(value) or "e" in repr(value):
            raise _UnusualError
        return value
    if kind is dict:
        out = {}
        for key, item in value.items():
            masked, secret = _key(key)
            out[masked] = MASK if secret else _ready(item)
        return out
    if kind is list or kind is tuple:
        return [_ready(item) for item in value]
    raise _UnusualError


#: The registered secrets last seen, and their bytes in JSON (None: JSON would escape one).
_SEARCH: list[tuple[tuple[str, ...], list[bytes] | None]] = [((), [])]


def _searchable() -> list[bytes] | None:
    """The registered secrets as the bytes JSON writes them, or None if JSON escapes one."""
    secrets = registered_secrets()
    seen, found = _SEARCH[0]
    if seen is not secrets:  # new secrets: keys masked for the old ones are stale too
        _KEYS.clear()
        found = None
        if not any(char < " " or char in '"\\' for secret in secrets for char in secret):
            try:
                found = [secret.encode("utf-8") for secret in secrets]
            except UnicodeError:
                found = None
        _SEARCH[0] = (secrets, found)
    return found


def dumps_masked(value: Any) -> str:
    """`value` as indented JSON (2 spaces, UTF-8 text, no trailing newline), secrets masked."""
    try:
        found = _searchable()
        raw = None
        if found is not None and not _secret_keyed(value):
            raw = msgspec.json.encode(value)  # every string as it is, then looked through
            for secret in found:
                if secret in raw:
                    raw = None  # a secret is in there: mask every string
                    break
        if raw is None:
            raw = msgspec.json.encode(_ready(value))
        return msgspec.json.format(raw, indent=2).decode("utf-8")
    except (_UnusualError, UnicodeError, msgspec.EncodeError, OverflowError):
        return json.dumps(mask_value(value), indent=2, ensure_ascii=False, default=str)
