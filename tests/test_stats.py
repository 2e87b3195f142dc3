"""Study statistics: each figure checked against a hand-computed expectation."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from dlquiz.cards import CardSpec, Kind
from dlquiz.commands import stats as stats_command
from dlquiz.history import review_record, undo_record
from dlquiz.records import Record, Review
from dlquiz.scheduler import (
    AGAIN,
    EASY,
    GOOD,
    HARD,
    LEARNING,
    RELEARNING,
    REVIEW,
    CardState,
    Scheduler,
    shifted,
)
from dlquiz.session import day_start
from dlquiz.stats import (
    Mastery,
    Ratio,
    Stats,
    compute,
    heatmap_rows,
    render_heatmap,
    shade,
    sparkline,
    study_day,
)
from tests.conftest import T0, OwnedStore  # 2026-03-02 12:00 UTC, a Monday

SCHED = Scheduler()


class Log:
    """A review log and the card states it leads to, built like the app builds them."""

    def __init__(self) -> None:
        self.records: list[Record] = []
        self.cards: dict[str, CardState] = {}

    def answer(self, card: str, rating: int, at: datetime) -> Review:
        before = self.cards.get(card)
        after = shifted(SCHED.outcomes(before, at)[rating], at)
        record = review_record(card, rating, at, before, after)
        self.records.append(record)
        self.cards[card] = after
        return record

    def undo(self, record: Review, at: datetime) -> None:
        self.records.append(undo_record(record, at))
        if record.before is None:
            del self.cards[record.card]
        else:
            self.cards[record.card] = record.before

    def state(self, card: str) -> int:
        return self.cards[card].state


def _deck(*ids: str) -> dict[str, CardSpec]:
    return {i: CardSpec(i, Kind.RECALL, i.split("/")[1]) for i in ids}


def _day(n: int, hour: int = 12) -> datetime:
    """Noon (UTC) of day ``n`` after T0's date."""
    return T0.replace(hour=hour) + timedelta(days=n)


def _stats(
    log: Log,
    now: datetime,
    tz: tzinfo = UTC,
    deck: dict[str, CardSpec] | None = None,
    hour: int = 4,
) -> Stats:
    return compute(log.records, log.cards, deck or _deck(*log.cards), now, tz, hour)


# ----- undo ---------------------------------------------------------------------------


def test_undone_reviews_never_count() -> None:
    log = Log()
    log.answer("term/a/recall", GOOD, _day(0))
    mistake = log.answer("term/b/recall", AGAIN, _day(0, 13))
    log.undo(mistake, _day(0, 13) + timedelta(seconds=5))
    # A day whose only review was undone is not a study day.
    lone = log.answer("term/a/recall", GOOD, _day(1))
    log.undo(lone, _day(1) + timedelta(seconds=5))

    stats = _stats(log, _day(1, 20), deck=_deck("term/a/recall", "term/b/recall"))
    assert stats.totals.reviews == 1
    assert stats.per_day[_day(0).date().isoformat()] == 1
    assert stats.per_day[_day(1).date().isoformat()] == 0
    assert stats.totals.reviews_today == 0
    assert stats.totals.cards_studied == 1  # b's only review was undone
    assert (stats.current_streak, stats.longest_streak) == (1, 1)


def test_undone_new_card_is_not_new_today() -> None:
    log = Log()
    log.answer("term/a/recall", GOOD, _day(0))
    log.answer("term/a/recall", GOOD, _day(0, 13))  # a second look: not a second new card
    log.undo(log.answer("term/b/recall", GOOD, _day(0, 14)), _day(0, 14))
    log.answer("term/c/recall", EASY, _day(0, 15))
    stats = _stats(log, _day(0, 16), deck=_deck("term/a/recall", "term/b/recall", "term/c/recall"))
    assert stats.totals.new_today == 2  # a and c
    assert stats.totals.reviews_today == 3


def test_unknown_and_damaged_records_are_ignored() -> None:
    log = Log()
    log.answer("term/a/recall", GOOD, _day(0))
    log.records += [
        {"v": 1, "type": "suspend", "card": "term/a/recall", "time": "2026-03-02T13:00:00Z"},
        {"v": 1, "type": "review", "card": "term/a/recall"},  # no id, time, rating
        {"v": 1, "type": "review", "id": "x", "card": "c", "rating": 3, "time": "not a time"},
    ]
    assert _stats(log, _day(0, 14)).totals.reviews == 1


# ----- true retention -----------------------------------------------------------------


def test_retention_counts_first_review_per_card_per_day_of_cards_in_review() -> None:
    log = Log()
    for card in ("a", "b", "c", "d"):
        log.answer(f"term/{card}/recall", EASY, _day(0))  # straight to Review
    log.answer("term/e/recall", GOOD, _day(0))  # stays in Learning
    assert {log.state(f"term/{c}/recall") for c in "abcd"} == {REVIEW}
    assert log.state("term/e/recall") == LEARNING

    # Day 10. a: fails, then passes the same day (the pass is not a first look).
    assert log.state("term/a/recall") == REVIEW
    log.answer("term/a/recall", AGAIN, _day(10))
    log.answer("term/a/recall", GOOD, _day(10, 13))
    # b: passes at first look, then fails later the same day while still in Review;
    # that later failure must not count.
    log.answer("term/b/recall", GOOD, _day(10))
    assert log.state("term/b/recall") == REVIEW
    log.answer("term/b/recall", AGAIN, _day(10, 14))
    # c: Hard is a pass.
    log.answer("term/c/recall", HARD, _day(10))
    # d: a failure that was undone; its redo (Good) becomes the day's first look.
    log.undo(log.answer("term/d/recall", AGAIN, _day(10)), _day(10, 12) + timedelta(seconds=3))
    log.answer("term/d/recall", GOOD, _day(10, 15))
    # e: first look of day 1, but a learning card: not a recall test after a day.
    log.answer("term/e/recall", GOOD, _day(1))
    # b is relearning after its failure: its first look on day 11 does not count.
    assert log.state("term/b/recall") == RELEARNING
    log.answer("term/b/recall", AGAIN, _day(11))

    # Counted so far: a fail, b pass, c pass, d pass -> 3 of 4.
    stats = _stats(log, _day(11, 20))
    assert stats.retention == Ratio(3, 4)
    assert stats.retention.share == pytest.approx(0.75)
    assert stats.retention_recent == Ratio(3, 4)  # day 10 is within the last 30 days

    # Day 45: c (still in Review) fails. Window of the last 30 days is days 16..45.
    assert log.state("term/c/recall") == REVIEW
    log.answer("term/c/recall", AGAIN, _day(45))
    later = _stats(log, _day(45, 20))
    assert later.retention == Ratio(3, 5)
    assert later.retention_recent == Ratio(0, 1)


def test_retention_window_edges() -> None:
    log = Log()
    log.answer("term/a/recall", EASY, _day(0))
    log.answer("term/a/recall", GOOD, _day(20))
    # On day 49 the window holds study days 20..49; on day 50 it starts at day 21.
    assert _stats(log, _day(49)).retention_recent == Ratio(1, 1)
    assert _stats(log, _day(50)).retention_recent == Ratio(0, 0)


def test_retention_without_tests_is_zero_of_zero() -> None:
    log = Log()
    log.answer("term/a/recall", GOOD, _day(0))
    stats = _stats(log, _day(0, 13))
    assert stats.retention == Ratio(0, 0)
    assert stats.retention.share is None
    assert stats.to_json()["retention"]["all_time"] == {"passed": 0, "total": 0, "share": None}


# ----- study days ---------------------------------------------------------------------


KOLKATA = ZoneInfo("Asia/Kolkata")  # UTC+5:30, no daylight saving
NEW_YORK = ZoneInfo("America/New_York")  # clocks go forward on 2026-03-08 at 2 am


@pytest.mark.parametrize(
    ("moment", "tz", "expected"),
    [
        (datetime(2026, 3, 2, 22, 0, tzinfo=UTC), KOLKATA, date(2026, 3, 2)),  # 03:30 IST
        (datetime(2026, 3, 2, 22, 40, tzinfo=UTC), KOLKATA, date(2026, 3, 3)),  # 04:10 IST
        (datetime(2026, 3, 2, 18, 0, tzinfo=UTC), KOLKATA, date(2026, 3, 2)),  # 23:30 IST
        (datetime(2026, 3, 8, 7, 30, tzinfo=UTC), NEW_YORK, date(2026, 3, 7)),  # 03:30 EDT
        (datetime(2026, 3, 8, 8, 10, tzinfo=UTC), NEW_YORK, date(2026, 3, 8)),  # 04:10 EDT
        (datetime(2026, 3, 8, 8, 10, tzinfo=UTC), UTC, date(2026, 3, 8)),
        (datetime(2026, 3, 8, 3, 59, tzinfo=UTC), UTC, date(2026, 3, 7)),
    ],
)
def test_study_day_starts_at_4am_local(moment: datetime, tz: tzinfo, expected: date) -> None:
    assert study_day(moment, tz, 4) == expected
    # The same day the session uses for its daily limits.
    assert day_start(moment, tz, 4).astimezone(tz).date() == expected


def test_per_day_counts_use_the_local_day_boundary() -> None:
    log = Log()
    log.answer("term/a/recall", GOOD, datetime(2026, 3, 2, 18, 0, tzinfo=UTC))  # 23:30 IST
    log.answer("term/a/recall", GOOD, datetime(2026, 3, 2, 22, 0, tzinfo=UTC))  # 03:30 IST
    log.answer("term/b/recall", GOOD, datetime(2026, 3, 2, 22, 40, tzinfo=UTC))  # 04:10 IST
    now = datetime(2026, 3, 3, 0, 0, tzinfo=UTC)  # 05:30 IST on the 3rd

    stats = _stats(log, now, tz=KOLKATA)
    assert stats.today == date(2026, 3, 3)
    assert stats.per_day["2026-03-02"] == 2
    assert stats.per_day["2026-03-03"] == 1
    assert stats.totals.reviews_today == 1
    assert stats.totals.new_today == 1  # b; a was new on the 2nd

    # With days starting at midnight, the 03:30 review moves to the 3rd.
    midnight = _stats(log, now, tz=KOLKATA, hour=0)
    assert (midnight.per_day["2026-03-02"], midnight.per_day["2026-03-03"]) == (1, 2)
    # In UTC all three fall on the 2nd, and "now" (00:00 UTC) is still the 2nd's study day.
    in_utc = _stats(log, now, tz=UTC)
    assert in_utc.today == date(2026, 3, 2)
    assert in_utc.per_day["2026-03-02"] == 3


def test_per_day_covers_six_months_up_to_today() -> None:
    log = Log()
    log.answer("term/a/recall", GOOD, _day(-200))  # too old for the heatmap...
    log.answer("term/a/recall", GOOD, _day(-182))
    stats = _stats(log, _day(0))
    keys = list(stats.per_day)
    assert keys[0] == (T0.date() - timedelta(days=182)).isoformat()
    assert keys[-1] == T0.date().isoformat()
    assert len(keys) == 183
    assert sum(stats.per_day.values()) == 1
    assert stats.totals.reviews == 2  # ...but still counted in the totals


# ----- forecast -----------------------------------------------------------------------


def _state(due: datetime, stability: float | None = 5.0, state: int = REVIEW) -> CardState:
    return CardState(state, None, stability, 5.0, due.timestamp(), None, 1, 0)


def test_forecast_buckets() -> None:
    cards = {
        "term/overdue/recall": _state(datetime(2026, 2, 20, 9, 0, tzinfo=UTC)),
        "term/later-today/recall": _state(datetime(2026, 3, 2, 13, 0, tzinfo=UTC)),
        # 03:00 on the 3rd still belongs to the study day of the 2nd.
        "term/before-4am/recall": _state(datetime(2026, 3, 3, 3, 0, tzinfo=UTC)),
        "term/learning/recall": _state(T0 + timedelta(minutes=10), state=LEARNING),
        "term/tomorrow/recall": _state(datetime(2026, 3, 3, 5, 0, tzinfo=UTC)),
        "term/day29/recall": _state(datetime(2026, 3, 31, 4, 0, tzinfo=UTC)),
        "term/day30/recall": _state(datetime(2026, 4, 1, 4, 0, tzinfo=UTC)),
    }
    deck = _deck(*cards)
    cards["term/not-in-deck/recall"] = _state(T0)
    stats = compute([], cards, deck, T0, UTC)

    expected = [0] * 30
    expected[0] = 4
    expected[1] = 1
    expected[29] = 1
    assert list(stats.forecast) == expected
    dates = list(stats.forecast_by_date())
    assert (dates[0], dates[29]) == ("2026-03-02", "2026-03-31")


def test_forecast_in_a_timezone_ahead_of_utc() -> None:
    tz = ZoneInfo("Asia/Tokyo")  # UTC+9
    # 2026-03-02 20:00 UTC is 05:00 on the 3rd in Tokyo: tomorrow there, today in UTC.
    cards = {"term/a/recall": _state(datetime(2026, 3, 2, 20, 0, tzinfo=UTC))}
    assert compute([], cards, _deck(*cards), T0, tz).forecast[:2] == (0, 1)
    assert compute([], cards, _deck(*cards), T0, UTC).forecast[:2] == (1, 0)


# ----- mastery ------------------------------------------------------------------------


def test_mastery_threshold_is_21_days_inclusive() -> None:
    deck = {
        "term/x/recall": CardSpec("term/x/recall", Kind.RECALL, "x", ("cnn",)),
        "term/y/recall": CardSpec("term/y/recall", Kind.RECALL, "y", ("cnn", "math")),
        "term/z/recall": CardSpec("term/z/recall", Kind.RECALL, "z", ("cnn",)),
        "term/r/recall": CardSpec("term/r/recall", Kind.RECALL, "r", ("rnn",)),
        "skill/conv2d-shape/1": CardSpec(
            "skill/conv2d-shape/1", Kind.SKILL, "conv2d-shape", ("convolution",), 1
        ),
        "skill/conv2d-shape/2": CardSpec(
            "skill/conv2d-shape/2", Kind.SKILL, "conv2d-shape", ("convolution",), 2
        ),
        "skill/pool2d-shape/1": CardSpec(
            "skill/pool2d-shape/1", Kind.SKILL, "pool2d-shape", ("convolution",), 1
        ),
    }
    cards = {
        "term/x/recall": _state(T0, stability=21.0),
        "term/y/recall": _state(T0, stability=20.999),
        "skill/conv2d-shape/1": _state(T0, stability=30.0),
        "skill/pool2d-shape/1": _state(T0, stability=1.0),
        "term/gone/recall": _state(T0, stability=100.0),  # no longer in the deck
    }
    stats = compute([], cards, deck, T0, UTC)
    assert stats.mastery_by_tag == {
        "cnn": Mastery(1, 2, 3),
        "convolution": Mastery(1, 2, 3),
        "math": Mastery(0, 1, 1),
        "rnn": Mastery(0, 0, 1),
    }
    assert stats.mastery_by_family == {
        "conv2d-shape": Mastery(1, 1, 2),
        "pool2d-shape": Mastery(0, 1, 1),
    }
    assert stats.mastery_by_tag["cnn"].share == pytest.approx(0.5)
    assert stats.mastery_by_tag["rnn"].share is None
    assert (stats.totals.cards_studied, stats.totals.cards_in_deck) == (4, 7)


# ----- streaks ------------------------------------------------------------------------


def test_streak_with_a_gap() -> None:
    log = Log()
    for n in (-6, -5, -4, -2, -1):  # a run of 3, a day off, a run of 2 ending yesterday
        log.answer("term/a/recall", GOOD, _day(n))
    log.undo(log.answer("term/a/recall", GOOD, _day(-3)), _day(-3))  # does not bridge the gap

    stats = _stats(log, _day(0))
    assert (stats.current_streak, stats.longest_streak) == (2, 3)  # today not studied yet

    log.answer("term/a/recall", GOOD, _day(0, 6))
    stats = _stats(log, _day(0, 7))
    assert (stats.current_streak, stats.longest_streak) == (3, 3)

    # Two days later with nothing since, the streak is broken.
    stats = _stats(log, _day(2))
    assert (stats.current_streak, stats.longest_streak) == (0, 3)


def test_streak_follows_the_local_study_day() -> None:
    # 01:00 local (New York, UTC-5 in February) counts for the day before.
    log = Log()
    log.answer("term/a/recall", GOOD, datetime(2026, 2, 10, 17, 0, tzinfo=UTC))  # 12:00 on 10th
    log.answer("term/a/recall", GOOD, datetime(2026, 2, 12, 6, 0, tzinfo=UTC))  # 01:00 on 12th
    now = datetime(2026, 2, 12, 15, 0, tzinfo=UTC)  # 10:00 on the 12th
    stats = _stats(log, now, tz=NEW_YORK)
    assert (stats.current_streak, stats.longest_streak) == (2, 2)  # the 10th and the 11th
    assert _stats(log, now, tz=UTC).longest_streak == 1  # in UTC: the 10th and the 12th


# ----- heatmap ------------------------------------------------------------------------


def test_heatmap_shape_and_future_days() -> None:
    today = date(2026, 3, 4)  # a Wednesday
    per_day = {
        "2026-03-04": 7,
        "2026-03-02": 2,
        "2025-09-08": 5,  # the Monday 25 weeks before this one: the first cell
        "2025-09-07": 9,  # a day earlier: off the map
    }
    rows = heatmap_rows(per_day, today)
    assert len(rows) == 7
    assert all(len(row) == 26 for row in rows)
    assert rows[0][0] == 5
    assert rows[0][25] == 2 and rows[1][25] == 0 and rows[2][25] == 7
    assert [rows[d][25] for d in range(3, 7)] == [None] * 4
    assert all(rows[d][w] is not None for d in range(7) for w in range(25))
    assert sum(c for row in rows for c in row if c) == 14

    sunday = heatmap_rows({}, date(2026, 3, 8), weeks=4)
    assert len(sunday[0]) == 4
    assert all(c == 0 for row in sunday for c in row)


def test_shading_and_rendering() -> None:
    assert [shade(c, 10) for c in (None, 0, 1, 2, 3, 5, 6, 10, 12)] == list("  ░░▒▒▓██")
    assert shade(3, 0) == " "

    text = render_heatmap({"2026-03-04": 8, "2026-03-02": 1}, date(2026, 3, 4), weeks=26)
    lines = text.splitlines()
    assert len(lines) == 9  # months, Mon..Sun, legend
    monday, wednesday = lines[1], lines[3]
    assert monday.startswith("Mon ") and wednesday.startswith("Wed ")
    assert monday.endswith("░░") and wednesday.endswith("██")  # last column, 2 chars a cell
    assert len(wednesday) == 4 + 26 * 2
    assert "Mar" in lines[0] and "Sep" in lines[0]
    assert "peak 8/day" in lines[-1]


def test_sparkline() -> None:
    # ▁ is zero; the 7 bars above it are ceil(7 * value / peak): 1 -> 1, 4 -> 4, 8 -> 7.
    assert sparkline([0, 1, 4, 8]) == "▁▂▅█"
    assert sparkline([0, 0]) == "▁▁"
    assert sparkline([]) == ""


# ----- to_json ------------------------------------------------------------------------


def test_to_json_is_plain_json_with_every_figure() -> None:
    log = Log()
    log.answer("term/a/recall", EASY, _day(0))
    log.answer("term/a/recall", GOOD, _day(9))
    stats = _stats(log, _day(9, 13))
    data = json.loads(json.dumps(stats.to_json()))
    assert data["today"] == _day(9).date().isoformat()
    assert data["totals"] == {
        "reviews": 2,
        "reviews_today": 1,
        "cards_studied": 1,
        "cards_in_deck": 1,
        "new_today": 0,
    }
    assert data["streak"] == {"current": 1, "longest": 1}
    assert data["retention"]["all_time"] == {"passed": 1, "total": 1, "share": 1.0}
    assert len(data["due_forecast"]) == 30
    assert data["reviews_per_day"][_day(0).date().isoformat()] == 1
    assert data["mastery"]["threshold_days"] == 21


# ----- the command --------------------------------------------------------------------


def _fill(home: Path) -> list[str]:
    """Study three real deck cards through the store, as the app would; their ids."""
    from dlquiz.study import Study

    workspace = Study.open(home)
    ids = list(workspace.deck)[:3]
    workspace.close()
    with OwnedStore(home) as store:
        for i, card in enumerate(ids):
            at = T0 - timedelta(days=1) + timedelta(minutes=i)
            outcome = SCHED.outcomes(None, at)[EASY]
            after = shifted(outcome, at)
            store.append(review_record(card, EASY, at, None, after))
            store.cards[card] = after
        # One more review today, and one undone.
        card = ids[0]
        before = store.cards[card]
        after = shifted(SCHED.outcomes(before, T0)[GOOD], T0)
        store.append(review_record(card, GOOD, T0, before, after))
        store.cards[card] = after
        undone = review_record(ids[1], AGAIN, T0, store.cards[ids[1]], after)
        store.append(undone)
        store.append(undo_record(undone, T0))
    return ids


def test_command_prints_json(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _fill(home)
    now = T0 + timedelta(hours=1)
    assert stats_command.run(home, True, now, tz=UTC) == 0
    out = capsys.readouterr().out
    data = json.loads(out)
    assert data["today"] == "2026-03-02"
    totals = data["totals"]
    assert (totals["reviews"], totals["reviews_today"], totals["cards_studied"]) == (4, 1, 3)
    assert totals["new_today"] == 0
    assert data["streak"] == {"current": 2, "longest": 2}
    assert data["retention"]["all_time"] == {"passed": 1, "total": 1, "share": 1.0}
    assert data["reviews_per_day"]["2026-03-01"] == 3
    assert sum(data["due_forecast"].values()) == 3  # all three cards due within 30 days

    from dlquiz.study import Study

    workspace = Study.open(home)  # the command released the lock
    try:
        assert totals["cards_in_deck"] == len(workspace.deck)
    finally:
        workspace.close()


def test_command_prints_a_summary(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _fill(home)
    assert stats_command.run(home, False, T0 + timedelta(hours=1), tz=UTC) == 0
    out = capsys.readouterr().out
    assert "Current streak" in out and "2 days" in out
    assert "100% (1 of 1 recalled)" in out
    assert "Mon " in out and "less ░▒▓█ more" in out
    assert "Mastery by topic tag" in out
    assert "next 30 days 3" in out


def test_command_on_an_empty_folder(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert stats_command.run(home, False, T0, tz=UTC) == 0
    out = capsys.readouterr().out
    assert "n/a" in out and "0 days" in out


def test_command_runs_while_the_app_holds_the_lock(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with OwnedStore(home):  # the app is open in another terminal
        assert stats_command.run(home, True, T0, tz=UTC) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["totals"]["reviews"] == 0


def test_stats_cli_in_a_subprocess(home: Path) -> None:
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "dlquiz", "stats", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["totals"]["reviews"] == 0


def test_add_parser_registers_stats_with_json() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    stats_command.add_parser(parser.add_subparsers(dest="command"))
    assert parser.parse_args(["stats", "--json"]).json is True
    assert parser.parse_args(["stats"]).json is False


def test_stats_imports_neither_textual_nor_torch() -> None:
    code = "import dlquiz.stats, dlquiz.commands.stats, sys; print('\\n'.join(sys.modules))"
    loaded = set(
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
        ).stdout.split()
    )
    assert "dlquiz.stats" in loaded
    assert not {m for m in loaded if m.split(".")[0] in {"textual", "torch", "rich"}}
