"""Typed log and state records: every value read from disk is validated.

A record with a bad value is a damaged line: skipped, reported with its line
number, kept on disk, and never a crash in any entry point.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dlquiz import records
from dlquiz.history import mark_record, review_record, undo_record
from dlquiz.scheduler import GOOD, REVIEW, CardState
from dlquiz.store import LOG_NAME  # the pre-device log: still read
from dlquiz.study import Study
from tests.conftest import STATE_NAME, T0

STATE = CardState(REVIEW, None, 12.5, 5.2, T0.timestamp() + 86400, T0.timestamp(), 3, 0)


def _line(record: records.Record) -> dict[str, object]:
    data: dict[str, object] = json.loads(records.encode(record))
    return data


def _review() -> dict[str, object]:
    return _line(review_record("term/relu/recall", GOOD, T0, None, STATE, 900))


def test_every_kind_round_trips() -> None:
    review = review_record("term/relu/recall", GOOD, T0, None, STATE, 900)
    kinds = [
        review,
        undo_record(review, T0),
        mark_record("suspend", "c", T0, on=True, reason="leech"),
        mark_record("bury", "c", T0, until=T0.timestamp() + 3600),
        mark_record("flag", "c", T0, on=True),
        mark_record("reset", "c", T0),
    ]
    for record in kinds:
        assert records.decode(records.encode(record).rstrip(b"\n")) == record


def _with(path: str, value: object) -> bytes:
    data = _review()
    target: object = data
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[int(key)] if isinstance(target, list) else target[key]  # type: ignore[index]
    last = keys[-1]
    if isinstance(target, list):
        target[int(last)] = value
    else:
        assert isinstance(target, dict)
        target[last] = value
    return json.dumps(data).encode()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("after.0", 7),  # no such FSRS state
        ("after.0", "2"),  # a string where a number belongs
        ("after.2", 1e308),  # stability out of range
        ("after.4", -5.0),  # due before 1970
        ("after.6", -1),  # negative reps
        ("rating", 5),
        ("rating", 0),
        ("rating", 2.5),
        ("card", 42),
        ("card", ""),
        ("time", "yesterday"),
        ("time", "2026-03-02T12:00:00"),  # no time zone
        ("time", "0001-01-01T00:30:00Z"),  # outside the card states' range (1970 to 5138)
        ("time", "9999-12-31T23:30:00Z"),
        ("time", "1969-12-31T23:59:59Z"),
        ("before", [1, 2, 3]),
        ("duration_ms", -3),
        ("id", None),
    ],
)
def test_a_bad_value_makes_the_line_damaged(field: str, value: object) -> None:
    assert records.decode(_with(field, value)) is None


def test_non_finite_numbers_are_damaged() -> None:
    good = json.dumps(_review(), separators=(",", ":"))
    assert records.decode(good.encode()) is not None
    for token in ("NaN", "Infinity", "1e400"):
        bad_rating = good.replace('"rating":3', f'"rating":{token}')
        assert bad_rating != good and records.decode(bad_rating.encode()) is None
        bad_due = good.replace(str(STATE.due), token, 1)
        assert bad_due != good and records.decode(bad_due.encode()) is None


def test_deep_nesting_and_huge_lines_are_damaged_not_a_crash() -> None:
    deep = b'{"type":"review","skill":{"family":"x","level":1,"seed":1,"params":{"a":'
    assert records.decode(deep + b"[" * 100_000 + b"]" * 100_000 + b"}}}") is None
    assert records.decode(b"[" * 100_000) is None
    assert records.decode(b'{"type":"flag","pad":"' + b"x" * 100_000 + b'"}') is None


def test_a_record_type_from_a_newer_version_is_kept_and_ignored() -> None:
    assert records.decode(b'{"type":"future-thing","card":"c"}') is records.UNKNOWN
    assert records.decode(b'{"no":"type"}') is None
    assert records.decode(b"[1, 2]") is None


BAD_LINES = [
    b'{"v":1,"type":"review","id":"x1","card":"term/relu/recall","rating":3,'
    b'"time":"2026-03-02T12:00:00Z","before":null,"after":[7,0,1,5,1,1,1,0]}',
    b'{"v":1,"type":"review","id":"x2","card":"term/relu/recall","rating":1e400,'
    b'"time":"2026-03-02T12:00:00Z","before":null,"after":[1,0,1,5,1,1,1,0]}',
    b'{"v":1,"type":"bury","card":"term/relu/recall","time":"2026-03-02T12:00:00Z","until":NaN}',
    b'{"v":1,"type":"flag","card":["x"],"time":"2026-03-02T12:00:00Z","on":true}',
    # A well-formed review in year 9999: the study day of its time overflowed in stats.
    b'{"v":1,"type":"review","id":"x3","card":"term/relu/recall","rating":3,'
    b'"time":"9999-12-31T23:30:00Z","before":null,"after":[1,0,1,5,1,1,1,0]}',
]


def _write_log(home: Path) -> list[bytes]:
    home.mkdir(parents=True, exist_ok=True)
    good = records.encode(review_record("term/relu/recall", GOOD, T0, None, STATE, 900))
    lines = [good, *(line + b"\n" for line in BAD_LINES)]
    (home / LOG_NAME).write_bytes(b"".join(lines))
    return lines


def test_bad_records_are_skipped_reported_and_kept(home: Path) -> None:
    lines = _write_log(home)
    with Study.open(home, with_skills=False, now=T0) as study:
        assert study.card_state("term/relu/recall") == STATE
        assert any("lines 2, 3, 4, 5, 6" in n for n in study.notices), study.notices
    assert (home / LOG_NAME).read_bytes() == b"".join(lines)  # untouched


@pytest.mark.parametrize(
    "damage",
    [
        {"cards": {"term/relu/recall": [7, 0, 1, 5, 1, 1, 1, 0]}},
        {"cards": {"term/relu/recall": [2, None, "x", 5, 1, 1, 1, 0]}},
        {"sources": {"reviews.jsonl": [-5, ""]}},
        {"sources": {"reviews.jsonl": ["big", ""]}},
        {"marks": {"term/relu/recall": [True, 1e400, False, False]}},
        {"cards": [1, 2]},
    ],
)
def test_a_bad_value_in_state_json_means_rebuild_and_keep(home: Path, damage: dict) -> None:  # type: ignore[type-arg]
    _write_log(home)
    with Study.open(home, with_skills=False, now=T0):
        pass
    state = json.loads((home / STATE_NAME).read_text())
    state.update(damage)
    bad = json.dumps(state).encode()
    (home / STATE_NAME).write_bytes(bad)
    with Study.open(home, with_skills=False, now=T0) as study:
        assert study.card_state("term/relu/recall") == STATE  # rebuilt from the log
        assert any(f"{STATE_NAME} was damaged" in n for n in study.notices)
    kept = list(home.glob(f"{STATE_NAME}.damaged-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == bad


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dlquiz", "--data-dir", str(home), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_no_entry_point_crashes_on_bad_records(home: Path, tmp_path: Path) -> None:
    _write_log(home)
    stats = _cli(home, "stats", "--json")
    assert stats.returncode == 0, stats.stderr
    assert "Traceback" not in stats.stderr and "damaged" in stats.stderr
    assert json.loads(stats.stdout)["totals"]["reviews"] == 1
    out = tmp_path / "log.csv"
    export = _cli(home, "export", "log", str(out))
    assert export.returncode == 0 and "Traceback" not in export.stderr, export.stderr
    assert out.read_text().count("term/relu/recall") == 1
    optimize = _cli(home, "optimize", "--dry-run")
    assert optimize.returncode == 0 and "Traceback" not in optimize.stderr, optimize.stderr


async def test_the_app_starts_and_studies_with_bad_records(home: Path) -> None:
    from dlquiz.__main__ import make_app
    from tests.conftest import Clock

    _write_log(home)
    app = make_app(home, clock=Clock(), generator=lambda *_: None)  # type: ignore[arg-type,return-value]
    async with app.run_test() as pilot:
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "ReviewScreen"
