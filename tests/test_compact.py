"""Compact maps: the same answers as a dict, in two machine words an entry."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.checkpoint import Checkpoint
from bridge.compact import CountMap, NumberMap, ascending
from bridge.kinds.comment import _ascending_once
from bridge.kinds.issue_refs import issue_numbers


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


def test_built_from_a_dict_or_pairs_alike_the_last_pair_winning() -> None:
    pairs = [(9, "012"), (3, None), (9, "7"), (5, "A-5"), (3, "4"), (1, "1"), (5, None)]
    from_pairs, from_dict = NumberMap(pairs), NumberMap(dict(pairs))
    assert dict(from_pairs.items()) == dict(from_dict.items()) == {1: "1", 3: "4", 5: None,
                                                                    9: "7"}
    assert list(from_pairs) == [1, 3, 5, 9]  # the arrays sorted, nothing left in `_recent`
    assert not from_pairs._recent
    assert not from_pairs._odd  # "012" and "A-5" were overwritten: nothing odd is kept
    odd = NumberMap([(2, "5"), (2, "012")])
    assert odd[2] == "012"


def test_issue_numbers_the_listing_over_the_records_over_the_issues_read(tmp_path: Path
                                                                         ) -> None:
    """Every issue read is known (None: not on SourceCraft yet); a record's number counts
    unless it is deleted or has none; the listing's wins; keys without an iid are ignored."""
    url = "https://gitlab.example.com/g/p/issues/"
    with Checkpoint.open(tmp_path / "checkpoint") as cp:
        cp.record("issue", 100, key=f"{url}1", state="created", target_slug="5")
        cp.record("issue", 101, key=f"{url}2", state="deleted", target_slug="6")
        cp.record("issue", 102, key=f"{url}3", state="created", target_slug="")
        cp.record("issue", 103, key=f"{url}4", state="created")
        cp.record("issue", 104, key="no iid here", state="created", target_slug="9")
        cp.record("issue", 105, key=f"{url}7", state="created", target_slug="70")
        cp.record("issue", 106, key=f"{url}7", state="created", target_slug="71")
        listed = [(f"{url}4", "8"), (None, "7"), (f"{url}1", "15"), (f"{url}3", ""),
                  (f"{url}9", "012")]
        numbers = issue_numbers([1, 2, 3, 4, 5], cp.records("issue"), listed)
    assert dict(numbers.items()) == {1: "15", 2: None, 3: None, 4: "8", 5: None, 7: "71",
                                     9: "012"}


@settings(max_examples=150, deadline=None)
@given(first=st.lists(st.integers(1, 5_000), max_size=300),
       later=st.lists(st.lists(st.tuples(st.integers(1, 5_000), st.one_of(
           st.none(), st.sampled_from(["12", "012", "A-5", "7"]),
           st.integers(1, 10**6).map(str))), max_size=800), max_size=3))
def test_assign_answers_like_a_dict(first: list[int], later: list[list[tuple[int, Any]]]) -> None:
    """Built from iids in any order (repeats too), then assigned pairs: as a dict would hold."""
    numbers = NumberMap((iid, None) for iid in first)
    expected: dict[int, Any] = dict.fromkeys(first)
    for pairs in later:
        numbers.assign(pairs)
        expected.update(pairs)
    assert dict(numbers.items()) == expected
    assert len(numbers) == len(expected)


def test_building_from_ordered_pairs_needs_no_dict_of_them() -> None:
    """200,000 iids in order: the build's peak is the two arrays (16 bytes a pair), not the
    ~100 bytes a pair a dict or a sorted list of them would take."""
    import tracemalloc

    tracemalloc.start()
    try:
        numbers = NumberMap((iid, None) for iid in range(1, 200_001))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(numbers) == 200_000
    assert peak < 6_000_000  # the arrays: 3.2 MB, with array growth's slack


def test_ascending_streams_every_key_in_order_adds_included() -> None:
    """A map's keys ascending, the recent adds (out of order) folded in; a dict is sorted."""
    counts = CountMap((key, 1) for key in (2, 5, 9))
    counts[7], counts[1], counts[12] = 1, 1, 1
    assert list(ascending(counts)) == [1, 2, 5, 7, 9, 12]
    assert list(ascending({3: 0, 1: 0})) == [1, 3]


def test_the_comment_kind_lists_each_issue_once_in_order() -> None:
    """Issues with comments and issues whose comments were all deleted, each once, ascending."""
    counted = CountMap((key, 2) for key in (1, 4, 6))
    counted[3] = 1
    assert list(_ascending_once(counted, {4, 2, 8})) == [1, 2, 3, 4, 6, 8]


@settings(max_examples=200, deadline=None)
@given(pages=st.lists(st.lists(st.integers(1, 60), max_size=8), max_size=12))
def test_first_seen_keeps_exactly_the_ids_a_set_would(pages: list[list[int]]) -> None:
    """Pages of ids, some runs past every id seen (two array extends), some not, some with a
    repeat inside: each id is new once, as with a set."""
    seen, reference = CountMap(), set()
    for page in pages:
        fresh = [key for key, new in zip(page, seen.first_seen(page), strict=True) if new]
        assert fresh == [key for key in dict.fromkeys(page) if key not in reference]
        reference.update(page)
    assert sorted(seen) == sorted(reference)
    assert all(seen[key] == 1 for key in reference)


def test_append_run_refuses_what_does_not_ascend_past_every_key() -> None:
    seen = CountMap((key, 1) for key in (1, 2, 3))
    assert not seen.append_run([3, 4], 1)  # 3 is held
    assert not seen.append_run([5, 5], 1)  # a repeat within the run
    assert not seen.append_run([6, 5], 1)
    assert seen.append_run([4, 9], 1)
    assert list(seen.ascending()) == [1, 2, 3, 4, 9]
