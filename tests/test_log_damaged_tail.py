"""This device's log ending in damage far longer than a record (a run of NUL bytes left
by a crash or a disk fault): moved aside a block at a time, never read whole, and a log
too large to be read is refused before any of it is moved.

The tail was read whole into memory, and written aside from there: a gigabyte of NUL
bytes took a gigabyte of memory at every start that found it.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from dlquiz import review_log, store
from dlquiz.store_errors import StoreError
from tests.conftest import LOG_NAME, OwnedStore
from tests.test_store import _fill

TAIL = 48 << 20  # NUL bytes after the last line break (a sparse file: no disk used)


def _with_nul_tail(home: Path, tail: int) -> tuple[Path, int]:
    cards = _fill(home, 5)
    assert len(cards) == 5
    log = home / LOG_NAME
    good = log.stat().st_size
    with log.open("r+b") as handle:
        handle.truncate(good + tail)
    return log, good


def test_a_huge_damaged_tail_is_moved_aside_without_being_held(home: Path) -> None:
    log, good = _with_nul_tail(home, TAIL)
    tracemalloc.start()
    try:
        with OwnedStore(home) as opened:
            assert len(opened.cards) == 5  # the records before it, all read
            assert any("half-written" in note for note in opened.notices)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * review_log.READ_BLOCK_BYTES, f"{peak >> 20} MB held at once"
    assert log.stat().st_size == good  # cut at its last line break
    (aside,) = log.parent.glob(f"{log.name}.partial-*")
    assert aside.stat().st_size == TAIL  # every byte kept, as it was
    with aside.open("rb") as kept:
        assert kept.read(1 << 16) == bytes(1 << 16)


def test_a_log_too_large_to_read_is_refused_before_anything_is_moved(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log, good = _with_nul_tail(home, 2 << 20)
    monkeypatch.setattr(store, "MAX_LOG_BYTES", 1 << 20)
    size = log.stat().st_size
    with pytest.raises(StoreError, match="larger than any review log"):
        OwnedStore(home).open()
    assert log.stat().st_size == size and good < size  # left as it was
    assert not list(log.parent.glob(f"{log.name}.partial-*")), "nothing moved aside"


def test_records_joined_after_the_last_line_break_are_counted_across_blocks(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(home, 300)
    log = home / LOG_NAME
    joined = log.read_bytes().replace(b"\n", b"\r")
    log.write_bytes(joined)
    monkeypatch.setattr(review_log, "READ_BLOCK_BYTES", 997)  # records cut mid-way
    with pytest.raises(StoreError, match="has 300 records after its last line break"):
        OwnedStore(home).open()
    assert log.read_bytes() == joined
