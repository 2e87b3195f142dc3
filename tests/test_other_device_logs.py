"""Other devices' logs (synced in, read-only here): read a block at a time, never when
larger than MAX_LOG_BYTES, and a log whose line breaks were changed is reported and left
as it is (its records still read when its line breaks are only carriage returns).

Read whole, a 500 MB sparse log made ``dlquiz stats`` take 4 s and 550 MB; a log turned
to carriage returns, or with its records joined on one line, was read as holding no
complete line: its reviews left the merged history without a word.
"""

from __future__ import annotations

import re
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlquiz import merge, records, review_log
from dlquiz.history import review_record
from dlquiz.records import MAX_LINE_BYTES
from dlquiz.review_log import MAX_LOG_BYTES, ReviewLog, scan_lines
from dlquiz.scheduler import CardState
from dlquiz.store_errors import StoreError
from dlquiz.study import Study
from tests.conftest import LOG_NAME, T0
from tests.test_store import _fill

OTHER = "logs/dev-b.jsonl"


def _lines(n: int, first: int = 0) -> list[bytes]:
    """``n`` review lines of another device (no newline), a minute apart."""
    out = []
    for i in range(first, first + n):
        at = T0 + timedelta(minutes=i)
        state = CardState(2, None, 12.5, 5.2, at.timestamp() + 86400, at.timestamp(), 3, 0)
        record = review_record(f"term/b{i}/recall", 3, at, None, state, 900)
        out.append(records.encode(record).rstrip(b"\n"))
    return out


def _ids(lines: list[bytes]) -> set[str]:
    found = set()
    for line in lines:
        record = records.decode(line)
        assert isinstance(record, records.Review)
        found.add(record.id)
    return found


def _files(home: Path) -> dict[str, bytes]:
    return {str(p.relative_to(home)): p.read_bytes() for p in home.rglob("*") if p.is_file()}


def _notices_about(notices: list[str], name: str) -> list[str]:
    return [n for n in notices if name in n]


# ----- (b) line breaks changed ------------------------------------------------------------


@pytest.mark.parametrize("read_only", [True, False], ids=["stats", "app"])
@pytest.mark.parametrize("separator", [b"\r", b"\r\r"], ids=["CR", "CRCR"])
def test_a_log_with_carriage_returns_for_line_breaks_is_read_reported_and_left_as_it_is(
    home: Path, separator: bytes, read_only: bool
) -> None:
    _fill(home, 3)
    lines = _lines(6)
    other = home / OTHER
    other.write_bytes(separator.join(lines) + separator)
    before = _files(home)[OTHER]
    with Study.open(home, with_skills=False, now=T0, read_only=read_only) as study:
        merged = {merge.record_id(r) for r in study.log()}
        assert _ids(lines) <= merged  # every record of it is in the history
        assert {f"term/b{i}/recall" for i in range(6)} <= set(study.cards)
        told = _notices_about(study.notices, OTHER)
    assert len(told) == 1 and "carriage returns" in told[0] and "untouched" in told[0]
    assert _files(home)[OTHER] == before
    assert sorted(p.name for p in (home / "logs").iterdir()) == ["dev-b.jsonl", "this-device.jsonl"]


@pytest.mark.parametrize("separator", [b"", b" "], ids=["nothing", "space"])
def test_records_joined_after_the_last_line_break_are_reported_at_every_start(
    home: Path, separator: bytes
) -> None:
    good, joined = _lines(2), _lines(3, first=2)
    other = home / OTHER
    other.parent.mkdir(parents=True)
    other.write_bytes(b"".join(line + b"\n" for line in good) + separator.join(joined))
    before = other.read_bytes()
    for read_only in (True, False, False):  # stats, the app, the app again
        with Study.open(home, with_skills=False, now=T0, read_only=read_only) as study:
            merged = {merge.record_id(r) for r in study.log()}
            told = _notices_about(study.notices, OTHER)
        assert _ids(good) <= merged  # what can be read is
        assert len(told) == 1 and "several records" in told[0], told
        assert "line break" in told[0] and "untouched" in told[0]
    assert other.read_bytes() == before


@pytest.mark.parametrize("separator", [b"", b" ", b"\t"], ids=["nothing", "space", "tab"])
def test_records_joined_on_a_line_within_the_log_are_named_as_such(
    home: Path, separator: bytes
) -> None:
    lines = _lines(7)
    joined = separator.join(lines[2:5])
    other = home / OTHER
    other.parent.mkdir(parents=True)
    other.write_bytes(b"\n".join([*lines[:2], joined, *lines[5:]]) + b"\n")
    before = other.read_bytes()
    with Study.open(home, with_skills=False, now=T0, read_only=True) as study:
        merged = {merge.record_id(r) for r in study.log()}
        told = _notices_about(study.notices, OTHER)
    assert _ids(lines[:2] + lines[5:]) <= merged
    assert len(told) == 1 and "lines 3" in told[0] and "several records joined" in told[0]
    assert other.read_bytes() == before


# ----- (a) size -------------------------------------------------------------------------


def _sparse_other(home: Path, size: int, good: int = 4) -> Path:
    """Another device's log: ``good`` records, then NUL bytes up to ``size`` (sparse)."""
    other = home / OTHER
    other.parent.mkdir(parents=True, exist_ok=True)
    with other.open("wb") as handle:
        handle.write(b"".join(line + b"\n" for line in _lines(good)))
        handle.truncate(size)
    return other


@pytest.mark.parametrize("read_only", [True, False], ids=["stats", "app"])
def test_another_devices_log_larger_than_the_limit_is_not_read_and_is_reported(
    home: Path, read_only: bool
) -> None:
    _fill(home, 3)
    other = _sparse_other(home, MAX_LOG_BYTES + 1)
    began = time.perf_counter()
    with Study.open(home, with_skills=False, now=T0, read_only=read_only) as study:
        history = list(study.log())
        told = _notices_about(study.notices, OTHER)
    assert time.perf_counter() - began < 2
    assert len(history) == 3  # this device's only
    assert len(told) == 1 and "not read" in told[0] and f"{MAX_LOG_BYTES >> 20} MB" in told[0]
    assert not ReviewLog(other).records_since(T0 - timedelta(days=1))
    assert other.stat().st_size == MAX_LOG_BYTES + 1


@pytest.mark.parametrize("read_only", [True, False], ids=["stats", "app"])
def test_this_devices_log_larger_than_the_limit_is_refused_and_left_as_it_is(
    home: Path, read_only: bool
) -> None:
    _fill(home, 3)
    own = home / LOG_NAME
    whole = own.read_bytes()
    with own.open("r+b") as handle:  # a complete log, then a line of sparse NUL bytes
        handle.truncate(MAX_LOG_BYTES)
        handle.seek(0, 2)
        handle.write(b"\n")
    with pytest.raises(StoreError) as refused:
        Study.open(home, with_skills=False, now=T0, read_only=read_only)
    assert str(own) in str(refused.value) and "larger than" in str(refused.value)
    assert own.stat().st_size == MAX_LOG_BYTES + 1
    with own.open("rb") as handle:
        assert handle.read(len(whole)) == whole


def test_reading_another_devices_log_holds_a_block_and_a_line_not_the_file(
    home: Path,
) -> None:
    """32 MB of NUL bytes between two runs of records (a crash, a sparse copy): the
    records on both sides are read, the long line is one damaged line, and what is held
    at once is bounded by the block and the longest line a record may take."""
    other = _sparse_other(home, 32 << 20, good=5)
    with other.open("ab") as handle:
        handle.write(b"\n" + b"".join(line + b"\n" for line in _lines(5, first=5)))
    tracemalloc.start()
    try:
        scan = merge.read_log(other)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [r.card for r in scan.records] == [f"term/b{i}/recall" for i in range(10)]
    assert scan.bad_lines == [6]
    assert scan.end == other.stat().st_size
    bound = 3 * review_log.READ_BLOCK_BYTES + 2 * MAX_LINE_BYTES
    assert peak < bound, f"{peak / 2**20:.1f} MB held to read a 32 MB log"


# ----- the blocks change nothing ----------------------------------------------------------

_POOL = _lines(4)
_PIECES = st.sampled_from(
    [
        *_POOL,
        b"",  # a blank line
        b'{"type":"review","id":"x"',  # damaged
        _POOL[0] + _POOL[1],  # two records joined
        b"\0" * (MAX_LINE_BYTES + 3),  # longer than any record
    ]
)
_BREAKS = st.sampled_from([b"\n", b"\n", b"\r\n", b"\r", b"\r\r"])


def _reference(data: bytes, start: int, stop: int | None) -> merge.Scan:
    """What a read of the whole range gives (lone CRs as newlines): the old read_log."""
    part = data[start:stop]
    text = re.sub(rb"\r(?!\n)", b"\n", part)
    scan = scan_lines(text)
    rest = text[scan.end :]
    last = records.decode(rest) if rest.strip() else None
    end = scan.end
    if last is not None and not isinstance(last, records.Unknown):
        scan.records.append(last)
        end = len(text)
    end += start
    return merge.Scan(scan.records, scan.bad_lines, end, data[max(0, end - 32) : end].hex())


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    pieces=st.lists(st.tuples(_PIECES, _BREAKS), max_size=14),
    unterminated=st.sampled_from([b"", _POOL[2], _POOL[2][:40]]),
    block=st.integers(1, 40) | st.integers(1000, 5000) | st.just(1 << 20),
    cut=st.none() | st.floats(0, 1),
    first=st.integers(0, 3),
)
def test_a_log_read_in_blocks_is_read_as_a_whole(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    pieces: list[tuple[bytes, bytes]],
    unterminated: bytes,
    block: int,
    cut: float | None,
    first: int,
) -> None:
    data = b"".join(line + brk for line, brk in pieces) + unterminated
    # A start where a read may start: after a line (the end of an earlier read).
    starts = [0] + [m.end() for m in re.finditer(rb"\n", data)]
    start = starts[min(first, len(starts) - 1)]
    stop = None if cut is None else start + int(cut * (len(data) - start))
    path = tmp_path / "log.jsonl"
    path.write_bytes(data)
    monkeypatch.setattr(review_log, "READ_BLOCK_BYTES", block)
    found, expected = merge.read_log(path, start, stop), _reference(data, start, stop)
    assert [merge.record_id(r) for r in found.records] == [
        merge.record_id(r) for r in expected.records
    ]
    assert (found.bad_lines, found.end, found.tail) == (
        expected.bad_lines,
        expected.end,
        expected.tail,
    )
    part = data[start:stop]
    assert found.lone_crs == len(re.findall(rb"\r(?!\n)", part))


@pytest.mark.parametrize("separator", [b"\r", b"\r\r", b"\r\n"], ids=["CR", "CRCR", "CRLF"])
def test_todays_records_are_found_whatever_the_line_breaks(home: Path, separator: bytes) -> None:
    # Read backwards from the end (today's counts): a log turned to carriage returns was
    # one long line, and none of its records were found.
    lines = _lines(40)
    other = home / OTHER
    other.parent.mkdir(parents=True, exist_ok=True)
    other.write_bytes(separator.join(lines) + separator)
    found = ReviewLog(other).records_since(T0 + timedelta(minutes=10))
    assert {r.id for r in found if isinstance(r, records.Review)} == _ids(lines[10:])
    assert len(found) == 30
