"""Reading today's records backwards past a line far longer than any record.

Such a line is damaged (a crash can leave megabytes of NUL bytes at a log's end; any
other device's log may hold anything). It was carried on from block to block, copied
and split again each time: 10 MB took a second, 50 MB half a minute, and a 3 GB sparse
file kept the app from starting.
"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest

from dlquiz.records import MAX_LINE_BYTES
from dlquiz.review_log import ReviewLog
from tests.conftest import LOG_NAME, T0, OwnedStore
from tests.test_store import _review


def _log_of_ten(home: Path) -> Path:
    with OwnedStore(home) as store:
        for i in range(10):
            _review(store, f"term/t{i}/recall", minutes=60 * i)
    return home / LOG_NAME


@pytest.mark.parametrize("size", [MAX_LINE_BYTES + 1, 3 * MAX_LINE_BYTES, 2_000_000])
def test_records_on_both_sides_of_a_long_damaged_line_are_read(home: Path, size: int) -> None:
    log = _log_of_ten(home)
    lines = log.read_bytes().splitlines(keepends=True)
    damaged = b"\0" * size + b"\n"
    log.write_bytes(b"".join([*lines[:8], damaged, *lines[8:]]))
    recent = ReviewLog(log).records_since(T0 + timedelta(hours=6))
    assert [r.card for r in recent] == [f"term/t{i}/recall" for i in (6, 7, 8, 9)]


def test_a_huge_unterminated_tail_is_passed_over_in_linear_time(home: Path) -> None:
    log = _log_of_ten(home)
    with log.open("r+b") as handle:  # 64 MB of NUL bytes, sparse: no disk space used
        handle.truncate(log.stat().st_size + 64 * 2**20)
    began = time.perf_counter()
    recent = ReviewLog(log).records_since(T0 + timedelta(hours=8))
    took = time.perf_counter() - began
    assert [r.card for r in recent] == ["term/t8/recall", "term/t9/recall"]
    # A pass over 64 MB takes well under a second; copied block after block it took
    # minutes. The bound is far from both, so a slow machine does not fail it.
    assert took < 20, f"{took:.1f} s to pass over a 64 MB damaged line"
