"""A log whose line breaks were changed is left as it is, with a clear refusal.

A crash mid-append leaves at most one record after the last newline, and that part is
moved aside. A log turned to carriage returns (an editor, a sync tool) or with its lines
joined has all its records after the last newline: moved aside, the history was gone
from the app.
"""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlquiz import records
from dlquiz.review_log import _JOINED
from dlquiz.store_errors import StoreError
from dlquiz.study import Study
from tests.conftest import LOG_NAME, T0
from tests.test_store import _fill

SAMPLE = (
    b'{"type":"review","id":"4254db214f3d47958128adf22293014a","rating":3,"before":null,'
    b'"after":[1,1,2.3065,2.118,1780733019.79,1780732419.79,1,0],'
    b'"card":"term/activation-function/recall","time":"2026-06-06T07:53:39.794222Z"}'
)


def _folder_files(home: Path) -> dict[str, bytes]:
    return {str(p.relative_to(home)): p.read_bytes() for p in home.rglob("*") if p.is_file()}


@pytest.mark.parametrize("older", [False, True], ids=["records", "older records"])
@pytest.mark.parametrize("separator", [b"\r", b"", b"\r\r"])
def test_a_log_with_changed_line_breaks_is_refused_and_left_as_it_is(
    home: Path, separator: bytes, older: bool
) -> None:
    _fill(home, 6)
    log = home / LOG_NAME
    lines = log.read_bytes().splitlines()
    if older:  # as older versions wrote them: the version first
        lines = [b'{"v":1,' + line[1:] for line in lines]
        assert all(records.decode(line) is not None for line in lines)
    log.write_bytes(separator.join(lines) + separator)
    before = _folder_files(home)
    for read_only in (True, False):  # as for `dlquiz stats`, and as for the app
        with pytest.raises(StoreError) as refused:
            Study.open(home, with_skills=False, now=T0, read_only=read_only)
        message = str(refused.value)
        assert "6 records after its last line break" in message and "newlines (LF)" in message
    after = _folder_files(home)
    assert after[LOG_NAME] == before[LOG_NAME]  # not cut
    assert not [name for name in after if ".partial-" in name]  # nothing moved aside


def test_a_half_written_record_is_still_moved_aside(home: Path) -> None:
    _fill(home, 3)
    log = home / LOG_NAME
    whole = log.read_bytes()
    last = whole.rstrip(b"\n").rsplit(b"\n", 1)[1]
    log.write_bytes(whole + last[: len(last) // 2])  # killed mid-append
    with Study.open(home, with_skills=False, now=T0) as study:
        assert any("half-written" in notice for notice in study.notices)
    assert log.read_bytes() == whole
    assert len(list(home.glob(f"{LOG_NAME}.partial-*"))) == 1


@settings(max_examples=200, deadline=None)
@given(typed=st.text(alphabet=st.sampled_from('}{" \r\n\\ab'), max_size=40) | st.text(max_size=40))
def test_no_record_line_holds_what_marks_two_records_joined(typed: str) -> None:
    """The mark of two records joined never occurs within one record line, whatever text
    the record holds (a typed answer here), and two lines joined always show it."""
    review = records.decode(SAMPLE)
    assert isinstance(review, records.Review)
    line = records.encode(msgspec.structs.replace(review, answer=typed)).rstrip(b"\n")
    assert records.decode(line) is not None
    assert not _JOINED.search(line)
    assert len(_JOINED.findall(line + b"\r" + line)) == len(_JOINED.findall(line + line)) == 1
