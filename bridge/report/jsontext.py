"""Indented JSON with secrets masked, as `json.dumps(mask_value(v), indent=2)` writes it, faster.

A report of a few thousand items is about 40,000 values: the standard library's indenting
encoder (pure Python when `indent` is set) and the masking copy took most of the time it
took to write the report. This walks the tree once, masking as `bridge.logs.mask_value`
does, and lets msgspec encode and indent it. Anything whose text msgspec would write
differently (a float in exponent form, NaN, a key that is not a string, a set, any other
object, a lone surrogate) sends the whole document down the old path instead, so the file
is the same byte for byte either way.
"""

from __future__ import annotations

import json
import math
from typing import Any

import msgspec

from bridge.logs import MASK, is_secret_key, mask_text, mask_value


class _UnusualError(Exception):
    """A value the fast path does not write exactly as json.dumps would."""


def _ready(value: Any) -> Any:
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
            if type(key) is not str:
                raise _UnusualError
            out[mask_text(key)] = MASK if is_secret_key(key) else _ready(item)
        return out
    if kind is list or kind is tuple:
        return [_ready(item) for item in value]
    raise _UnusualError


def dumps_masked(value: Any) -> str:
    """`value` as indented JSON (2 spaces, UTF-8 text, no trailing newline), secrets masked."""
    try:
        return msgspec.json.format(msgspec.json.encode(_ready(value)), indent=2).decode("utf-8")
    except (_UnusualError, UnicodeError, msgspec.EncodeError, OverflowError):
        return json.dumps(mask_value(value), indent=2, ensure_ascii=False, default=str)
