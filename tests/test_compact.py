"""Compact maps: the same answers as a dict, in two machine words an entry."""

from __future__ import annotations

import random

import pytest

from bridge.compact import CountMap, NumberMap


def test_number_map_answers_like_a_dict() -> None:
    rng = random.Random(7)
    pairs = [(rng.randrange(1, 50_000), rng.choice([None, "12", "7", "012", "A-5"]))
             for _ in range(3_000)]
    compact, plain = NumberMap(pairs), dict(pairs)
    assert len(compact) == len(plain)
    assert all(compact[k] == v for k, v in plain.items())
    assert 50_001 not in compact
    assert compact.get(50_001) is None
    for _ in range(10_000):  # updates in place and new keys, folded in along the way
        key, value = rng.randrange(1, 60_000), rng.choice([None, "3", "0099", str(rng.random())])
        compact[key] = value
        plain[key] = value
    assert dict(compact.items()) == plain
    assert sorted(compact) == sorted(plain)
    with pytest.raises(KeyError):
        compact[-5]


def test_count_map_and_its_size() -> None:
    counts = CountMap((i, i % 7) for i in range(100_000))
    assert counts[99_999] == 99_999 % 7
    assert len(counts) == 100_000
    assert counts._keys.itemsize * 2 * len(counts) == 1_600_000  # 16 bytes an entry
    counts.update({5: 1, 200_000: 3})
    assert counts[5] == 1
    assert counts[200_000] == 3
    with pytest.raises(TypeError):
        del counts[5]


def test_keys_added_in_order_are_folded_into_the_arrays() -> None:
    counts = CountMap()
    for key in range(1, 50_001):
        counts[key * 3] = key % 5
    assert len(counts._recent) <= 4096  # the rest sits in the arrays, 16 bytes an entry
    assert len(counts) == 50_000
    assert all(counts[key * 3] == key % 5 for key in range(1, 50_001))
    counts[1] = 9  # out of order: merged on a later fold, answered at once
    assert counts[1] == 9
    assert sorted(counts)[:2] == [1, 3]
