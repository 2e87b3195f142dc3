"""The log read in stretches (one JSON array per stretch) equals the line-by-line read.

``review_log.scan_lines`` decodes a clean stretch of lines in one msgspec call and
falls back to one line at a time when anything in the stretch is not one valid
record per line. Whatever the lines, it must find exactly what the plain loop,
written here from the definition, finds: the same records, line numbers, damaged
lines and end offset.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlquiz import records, review_log
from dlquiz.history import review_record, undo_record
from dlquiz.records import MAX_LINE_BYTES, UNKNOWN, encode
from dlquiz.review_log import LogScan, scan_lines
from dlquiz.scheduler import Scheduler, shifted


def _reference(data: bytes) -> LogScan:
    """One line at a time: blank lines skipped, damaged ones counted, newer types out."""
    scan = LogScan()
    pos, line_no = 0, 1
    while pos < len(data):
        nl = data.find(b"\n", pos)
        if nl < 0:
            break
        raw, pos = data[pos:nl], nl + 1
        if raw.strip():
            record = records.decode(raw)
            if record is None:
                scan.bad_lines.append(line_no)
            elif record is not UNKNOWN:
                scan.records.append(record)  # type: ignore[arg-type]
                scan.lines.append(line_no)
        line_no += 1
    scan.end = pos
    return scan


def _good_lines(n: int) -> list[bytes]:
    scheduler = Scheduler()
    at = datetime(2026, 3, 1, 9, tzinfo=UTC)
    lines = []
    for i in range(n):
        at += timedelta(minutes=7)
        after = shifted(scheduler.outcomes(None, at)[3], at)
        review = review_record(f"term/t{i % 5}/recall", 3, at, None, after)
        lines.append(encode(review).rstrip(b"\n"))
        if i % 4 == 0:
            lines.append(encode(undo_record(review, at)).rstrip(b"\n"))
    return lines


GOOD = _good_lines(12)
ODD = [
    b"",  # a blank line
    b"   \t",
    b"{not json",
    b'{"type":"review"}',  # valid JSON, not a valid record
    b'{"type":"from-the-future","card":"x"}',  # a newer record type: ignored
    b"[1, 2]",
    GOOD[0] + b"," + GOOD[1],  # two records on one line: damaged
    GOOD[0] + b" ",  # trailing space: still the record
    GOOD[0] + b"\r",
    GOOD[0][:-1] + b', "pad": "' + b"x" * MAX_LINE_BYTES + b'"}',  # valid but too long
    b"]",
    b"[",
    b"null",
    b"[" * 5000,  # deep nesting
]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    picks=st.lists(st.one_of(st.sampled_from(GOOD), st.sampled_from(ODD)), min_size=0, max_size=40),
    ragged=st.sampled_from([b"", b"\n", b'{"type":"rev', GOOD[2]]),
    stretch=st.sampled_from([64, 700, 4096, 1 << 20]),
)
def test_stretches_equal_the_line_by_line_read(
    monkeypatch: pytest.MonkeyPatch, picks: list[bytes], ragged: bytes, stretch: int
) -> None:
    monkeypatch.setattr(review_log, "_STRETCH_BYTES", stretch)
    data = b"".join(line + b"\n" for line in picks) + ragged  # maybe an incomplete last line
    found, expected = scan_lines(data), _reference(data)
    assert found.records == expected.records
    assert found.lines == expected.lines
    assert found.bad_lines == expected.bad_lines
    assert found.end == expected.end


def test_a_clean_log_is_read_in_stretches(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast path is taken (not only the fallback): one decode per stretch."""
    calls: list[int] = []
    decode = review_log._decode_stretch

    def counted(stretch: bytes) -> list[records.Record] | None:
        found = decode(stretch)
        calls.append(-1 if found is None else len(found))
        return found

    monkeypatch.setattr(review_log, "_decode_stretch", counted)
    monkeypatch.setattr(review_log, "_STRETCH_BYTES", 2000)
    lines = _good_lines(40)
    scan = scan_lines(b"".join(line + b"\n" for line in lines))
    assert len(scan.records) == len(lines) and not scan.bad_lines
    assert len(calls) > 3 and -1 not in calls and sum(calls) == len(lines)


def test_a_damaged_line_costs_only_its_stretch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(review_log, "_STRETCH_BYTES", 2000)
    lines = _good_lines(40)
    lines[20] = json.dumps({"type": "review", "id": 5}).encode()
    scan = scan_lines(b"".join(line + b"\n" for line in lines))
    assert scan.bad_lines == [21]
    assert len(scan.records) == len(lines) - 1
    assert scan.lines == [n for n in range(1, len(lines) + 1) if n != 21]
