"""Spill keeps a run's many items on disk; reports render from it the same bytes, in pieces."""

from __future__ import annotations

import json
import pickle
from dataclasses import replace
from pathlib import Path

import pytest
from test_report_sample import mixed_report

from bridge.engine.spill import CHUNK, Spill
from bridge.logs import mask_value
from bridge.report import render_html, render_json, render_text, write_report
from bridge.report.files import PIECE, json_pieces
from bridge.report.views import Masked, Picked, grouped


def test_spill_is_a_sequence_across_chunks() -> None:
    spill: Spill[int] = Spill(range(3 * CHUNK + 5))
    assert len(spill) == 3 * CHUNK + 5
    assert list(spill) == list(range(3 * CHUNK + 5))
    assert spill[0] == 0
    assert spill[CHUNK] == CHUNK
    assert spill[-1] == 3 * CHUNK + 4
    assert spill[CHUNK - 2:CHUNK + 2] == [CHUNK - 2, CHUNK - 1, CHUNK, CHUNK + 1]
    with pytest.raises(IndexError):
        spill[3 * CHUNK + 5]
    spill.extend([-1, -2])
    assert list(spill)[-2:] == [-1, -2]
    assert len(spill) == 3 * CHUNK + 7


def test_spill_holds_only_one_chunk_in_memory() -> None:
    spill: Spill[str] = Spill(f"issue {i}" for i in range(10 * CHUNK))
    assert len(spill._tail) == 0  # every full chunk went to the file
    assert spill._file is not None
    assert spill._file.tell() > 0
    assert spill[5 * CHUNK + 1] == f"issue {5 * CHUNK + 1}"
    assert spill._cached[0] == 5  # the one chunk read back


def test_spill_clear_and_pickle() -> None:
    spill: Spill[int] = Spill(range(CHUNK + 1))
    spill.clear()
    assert len(spill) == 0
    assert list(spill) == []
    spill.extend([1, 2])
    assert list(pickle.loads(pickle.dumps(spill))) == [1, 2]  # noqa: S301 - our own bytes
    spill.close()


def test_json_report_from_a_spill_is_byte_identical(tmp_path: Path) -> None:
    report = mixed_report()
    whole = json.dumps(mask_value(report.to_dict()), indent=2, ensure_ascii=False,
                       default=str) + "\n"
    spilled = replace(report, items=Spill(report.items))
    assert render_json(report) == whole
    assert "".join(json_pieces(spilled)) == whole
    assert len(list(json_pieces(spilled))) == 3  # head, the items (fewer than PIECE), tail
    empty = replace(report, items=())
    assert render_json(empty) == json.dumps(mask_value(empty.to_dict()), indent=2,
                                            ensure_ascii=False, default=str) + "\n"
    write_report(spilled, tmp_path / "run.json")
    assert (tmp_path / "run.json").read_text(encoding="utf-8") == whole


@pytest.mark.parametrize("count", [PIECE - 1, PIECE, PIECE + 1, 3 * PIECE + 5])
def test_json_pieces_of_many_items_are_byte_identical(count: int) -> None:
    """Items are encoded PIECE at a time; the text is json.dumps's of the whole, whatever the
    count, and every piece holds at most PIECE items."""
    base = mixed_report()
    items = [replace(base.items[n % len(base.items)], source_id=n, title=f"t{n} " + "x" * 50)
             for n in range(count)]
    report = replace(base, items=Spill(items))
    whole = json.dumps(mask_value(replace(base, items=tuple(items)).to_dict()), indent=2,
                       ensure_ascii=False, default=str) + "\n"
    pieces = list(json_pieces(report))
    assert "".join(pieces) == whole
    assert len(pieces) == 2 + -(-count // PIECE)
    assert max(piece.count('"source_id"') for piece in pieces) <= PIECE


def test_html_and_text_from_a_spill_match_a_tuple(tmp_path: Path) -> None:
    report = mixed_report()
    spilled = replace(report, items=Spill(report.items))
    assert render_html(spilled) == render_html(report)
    assert render_text(spilled, width=100) == render_text(report, width=100)
    write_report(spilled, tmp_path / "run.html")
    assert (tmp_path / "run.html").read_text(encoding="utf-8") == render_html(report)
    assert spilled.summary() == report.summary()
    assert spilled.summary_by_kind() == report.summary_by_kind()


def test_views_read_items_by_position() -> None:
    report = mixed_report()
    groups = grouped(report.items)
    assert sum(len(g) for g in groups.values()) == len(report.items)
    for kind, group in groups.items():
        assert isinstance(group, Picked)
        assert all(item.kind == kind for item in group)
        assert group[0] == next(item for item in report.items if item.kind == kind)
    titled = Masked(report.items, lambda item: replace(item, title="x"))
    assert len(titled) == len(report.items)
    assert {item.title for item in titled} == {"x"}
    assert titled[1:2][0].title == "x"


def test_a_bad_batch_size_exits_2_before_any_request(tmp_path: Path) -> None:
    """SCBRIDGE_BATCH=abc: one line naming the variable, exit 2, nothing sent."""
    import reliability_support as support

    from bridge.sandbox import Sandbox

    with Sandbox() as sb:
        config = support.write_config(tmp_path, sb, extra="transfer:\n  comments: true\n")
        env = {**support.token_env(sb), "SCBRIDGE_BATCH": "abc"}
        done = support.cli(["migrate", "-c", str(config), "--no-progress"], env)
        assert done.returncode == 2
        assert "SCBRIDGE_BATCH must be a positive whole number" in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
        assert sb.log.count("source_read") == 0
        assert sb.log.count("target_read") == 0


def test_an_item_of_the_chunk_being_filled_is_read_without_a_copy_of_it() -> None:
    """Indexing into the unwritten tail answers the item itself, the tail left as it is."""
    spill: Spill[list[int]] = Spill()
    spill.extend([[n] for n in range(CHUNK + 3)])  # one chunk on disk, three in the tail
    tail_item = spill[CHUNK + 1]
    assert tail_item == [CHUNK + 1]
    assert tail_item is spill._tail[1]  # the item itself, not a copy's
    assert spill[-1] == [CHUNK + 2]
    assert spill[3] == [3]  # and the chunk on disk as before
