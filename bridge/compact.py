"""Compact maps of whole numbers, for what a run keeps per issue across its batches.

A dict of 200,000 ints costs about 100 bytes an entry (the key, the value, the
slot); these keep two machine words an entry in sorted arrays, found by bisection,
with new keys gathered in a small dict folded in now and then. `NumberMap` holds
GitLab iid -> SourceCraft issue number (a numeric string, or None while the issue
is not on SourceCraft), as the reference map reads it; `CountMap` int -> int.
"""

from __future__ import annotations

import heapq
import itertools
from abc import abstractmethod
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator, MutableMapping, Sequence
from typing import Generic, TypeVar

V = TypeVar("V")

#: How a stored word reads when the value is None (issue numbers are never negative).
_NONE = -1


class _Sorted(MutableMapping[int, V], Generic[V]):
    """int -> V in sorted arrays of keys and encoded values, plus a dict of recent adds."""

    def __init__(self, items: Iterable[tuple[int, V]] | dict[int, V] = ()) -> None:
        """Built from `items` (a later pair for a key wins), or from a dict of the final
        values: two words a pair while reading, and no sort when the keys come in order
        (iids and ids as GitLab lists them), so 200,000 pairs never need a dict."""
        self._odd: dict[int, V] = {}  # values a word cannot hold, by key
        self._recent: dict[int, V] = {}
        self._ordered = True  # every recent add came after the one before (a fold appends)
        keys, words = array("q"), array("q")
        encode, odd, ascending = self._encode, self._odd, True
        for key, value in (items.items() if isinstance(items, dict) else items):
            word = encode(key, value)
            if word is None:  # rare: "012", "A-5"
                odd[key] = value
                word = 0
            elif odd:
                odd.pop(key, None)
            if ascending and keys and key <= keys[-1]:
                ascending = False
            keys.append(key)
            words.append(word)
        if not ascending:  # a stable sort: a key's later pairs stay after its earlier ones
            order = sorted(range(len(keys)), key=keys.__getitem__)
            keys = array("q", (keys[at] for at in order))
            words = array("q", (words[at] for at in order))
            last = [at for at in range(len(keys)) if at + 1 == len(keys)
                    or keys[at + 1] != keys[at]]  # the last pair of each key wins
            if len(last) < len(keys):
                keys = array("q", (keys[at] for at in last))
                words = array("q", (words[at] for at in last))
        self._keys, self._words = keys, words

    @abstractmethod
    def _encode(self, key: int, value: V) -> int | None:
        """The word that stores `value`, or None when it must be kept as it is."""

    @abstractmethod
    def _decode(self, key: int, word: int) -> V:
        """The value the word stored for `key` stands for."""

    def _find(self, key: int) -> int:
        at = bisect_left(self._keys, key)
        return at if at < len(self._keys) and self._keys[at] == key else -1

    def __getitem__(self, key: int) -> V:
        if key in self._recent:
            return self._recent[key]
        at = self._find(key)
        if at < 0:
            raise KeyError(key)
        return self._decode(key, self._words[at])

    def __contains__(self, key: object) -> bool:
        return isinstance(key, int) and (key in self._recent or self._find(key) >= 0)

    def get(self, key: int, default: V | None = None) -> V | None:  # type: ignore[override]
        """The value of `key`, else `default` (no exception raised on the way)."""
        if key in self._recent:
            return self._recent[key]
        at = self._find(key)
        return default if at < 0 else self._decode(key, self._words[at])

    def __setitem__(self, key: int, value: V) -> None:
        at = self._find(key)
        if at < 0:
            if self._ordered and self._keys and key <= self._keys[-1]:
                self._ordered = False
            if self._ordered and self._recent and key <= next(reversed(self._recent)):
                self._ordered = False
            self._recent[key] = value
            if len(self._recent) > 4096 and (self._ordered
                                             or len(self._recent) > len(self._keys) // 8):
                self._fold()
            return
        word = self._encode(key, value)
        self._odd.pop(key, None)
        if word is None:
            self._odd[key] = value
            word = 0
        self._words[at] = word

    def assign(self, pairs: Iterable[tuple[int, V]]) -> None:
        """`self[key] = value` for each pair, in order; keys already held are written in
        place without a call per pair (a re-run's 200,000 records: no dict of them)."""
        keys, words, encode, odd = self._keys, self._words, self._encode, self._odd
        for key, value in pairs:
            at = bisect_left(keys, key)
            if at < len(keys) and keys[at] == key and key not in self._recent:
                word = encode(key, value)
                if word is None:
                    odd[key] = value
                    word = 0
                elif odd:
                    odd.pop(key, None)
                words[at] = word
            else:
                self[key] = value  # a new key: may fold, and so replace the arrays
                keys, words = self._keys, self._words

    def append_run(self, keys: Sequence[int], value: V) -> bool:
        """Hold each of `keys` with `value` in two array extends, when they ascend past every
        key held (ids as GitLab lists them, oldest first); False, nothing added, otherwise."""
        if self._recent or not keys or (self._keys and keys[0] <= self._keys[-1]):
            return not keys
        if any(later <= earlier for earlier, later in itertools.pairwise(keys)):
            return False
        words = [self._encode(key, value) for key in keys]
        if None in words:
            return False
        self._keys.extend(keys)
        self._words.extend(words)  # type: ignore[arg-type]  # no None: checked above
        return True

    def __delitem__(self, key: int) -> None:
        raise TypeError("a compact map only grows")

    def _fold(self) -> None:
        """Fold the recent adds into the sorted arrays: appended when they all come after
        the last key (ids read in order), else merged in one sort (rarely: amortised)."""
        recent, self._recent = self._recent, {}
        keys = sorted(recent)
        if self._keys and keys and keys[0] <= self._keys[-1]:
            merged = list(heapq.merge(zip(self._keys, self._words, strict=True),
                                      ((key, 0) for key in keys)))
            self._keys = array("q", (key for key, _ in merged))
            self._words = array("q", (word for _, word in merged))
        else:
            self._keys.extend(keys)
            self._words.extend(0 for _ in keys)
        self._ordered = True
        for key in keys:
            self[key] = recent[key]

    def __iter__(self) -> Iterator[int]:
        yield from self._keys
        yield from list(self._recent)

    def ascending(self) -> Iterator[int]:
        """Every key in ascending order, streamed from the sorted array (adds folded in)."""
        if self._recent:
            self._fold()
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys) + len(self._recent)


class NumberMap(_Sorted[str | None]):
    """GitLab iid -> SourceCraft issue number ("12"), or None while it has none."""

    def _encode(self, key: int, value: str | None) -> int | None:
        if value is None:
            return _NONE
        if value.isdigit() and value.isascii() and str(int(value)) == value:
            return int(value)
        return None  # "012", "A-5": kept as it is

    def _decode(self, key: int, word: int) -> str | None:
        if key in self._odd:
            return self._odd[key]
        return None if word == _NONE else str(word)


class CountMap(_Sorted[int]):
    """int -> int (an issue's comments, by its GitLab id)."""

    def _encode(self, key: int, value: int) -> int | None:
        return value

    def _decode(self, key: int, word: int) -> int:
        return word

    def first_seen(self, keys: Sequence[int]) -> list[bool]:
        """For each key in turn, True the first time it is met (it is then held, as 1): a
        reader's ids seen so far; a page past every id seen costs two array extends."""
        if self.append_run(keys, 1):
            return [True] * len(keys)
        met = []
        for key in keys:
            new = key not in self
            if new:
                self[key] = 1
            met.append(new)
        return met


def ascending(keys: Iterable[int]) -> Iterator[int]:
    """`keys` ascending: a compact map's sorted keys streamed, any other collection sorted."""
    if isinstance(keys, _Sorted):
        return keys.ascending()
    return iter(sorted(keys))
