"""`Positions`: ascending positions in runs answer exactly as the list of them would."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bridge.report.positions import Positions


def _ascending(gaps: list[int]) -> list[int]:
    out, at = [], -1
    for gap in gaps:
        at += gap
        out.append(at)
    return out


@given(gaps=st.lists(st.integers(1, 3), max_size=60),
       index=st.integers(-70, 70), window=st.tuples(st.integers(-70, 70),
                                                   st.integers(-70, 70), st.integers(1, 4)))
def test_answers_as_the_list_would(gaps: list[int], index: int,
                                   window: tuple[int, int, int]) -> None:
    wanted = _ascending(gaps)
    positions = Positions()
    for position in wanted:
        positions.append(position)
    assert len(positions) == len(wanted)
    assert list(positions) == wanted
    assert positions[slice(*window)] == wanted[slice(*window)]
    if -len(wanted) <= index < len(wanted):
        assert positions[index] == wanted[index]
    else:
        with pytest.raises(IndexError):
            positions[index]
    runs = 1 + sum(1 for gap in gaps[1:] if gap > 1) if gaps else 0
    assert positions.runs() == runs  # a new run only where a position was skipped


def test_a_kind_s_items_in_batches_are_a_few_runs() -> None:
    """600,000 positions in three batches: three runs, not an array of 600,000."""
    positions = Positions()
    for start in (0, 300_000, 700_000):
        for position in range(start, start + 200_000):
            positions.append(position)
    assert len(positions) == 600_000
    assert positions.runs() == 3
    assert positions[200_000] == 300_000
    assert positions[-1] == 899_999


def test_a_position_out_of_order_is_refused() -> None:
    positions = Positions()
    positions.append(5)
    for bad in (5, 4):
        with pytest.raises(ValueError, match="does not come after 5"):
            positions.append(bad)
    assert list(positions) == [5]


def test_a_copy_is_independent() -> None:
    positions = Positions()
    positions.append(0)
    copy = positions.copy()
    positions.append(1)
    copy.append(7)
    assert (list(positions), list(copy)) == ([0, 1], [0, 7])
