"""The FSRS layer: previews equal what is applied; ratings and intervals behave."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dlquiz.scheduler import (
    AGAIN,
    EASY,
    GOOD,
    HARD,
    LEARNING,
    REVIEW,
    CardState,
    Scheduler,
    auto_rating,
    format_interval,
    shifted,
)

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_new_card_outcomes_follow_learning_steps() -> None:
    out = Scheduler().outcomes(None, T0)
    assert out[AGAIN].interval == timedelta(minutes=1)
    assert out[GOOD].interval == timedelta(minutes=10)  # second learning step
    assert out[EASY].state.state == REVIEW  # Easy graduates at once
    assert out[EASY].interval >= timedelta(days=1)
    for rating, outcome in out.items():
        assert outcome.rating == rating
        assert outcome.state.reps == 1
        assert outcome.state.lapses == 0
        assert outcome.state.last_review == T0.timestamp()


def test_intervals_grow_with_rating_for_a_review_card() -> None:
    sched = Scheduler()
    state = sched.outcomes(None, T0)[EASY].state
    later = T0 + timedelta(days=10)
    out = sched.outcomes(state, later)
    days = [out[r].interval for r in (AGAIN, HARD, GOOD, EASY)]
    assert days == sorted(days)
    assert days[0] < timedelta(days=1) < days[2]
    assert out[AGAIN].state.lapses == 1  # forgetting a review card is a lapse
    assert out[GOOD].state.lapses == 0


def test_higher_desired_retention_means_shorter_intervals() -> None:
    low, high = Scheduler(desired_retention=0.8), Scheduler(desired_retention=0.97)
    state = Scheduler().outcomes(None, T0)[EASY].state
    later = T0 + timedelta(days=5)
    assert high.outcomes(state, later)[GOOD].interval < low.outcomes(state, later)[GOOD].interval


def test_shifted_keeps_the_previewed_interval() -> None:
    outcome = Scheduler().outcomes(None, T0)[HARD]
    answered = T0 + timedelta(seconds=42)
    state = shifted(outcome, answered)
    assert state.last_review == answered.timestamp()
    assert state.due - state.last_review == pytest.approx(outcome.interval.total_seconds())


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError):
        Scheduler().outcomes(None, datetime(2026, 1, 1))


def test_custom_learning_steps() -> None:
    sched = Scheduler(learning_steps=(timedelta(minutes=5),))
    assert sched.outcomes(None, T0)[AGAIN].interval == timedelta(minutes=5)


def test_card_state_round_trips_through_a_log_line() -> None:
    from dlquiz import records
    from dlquiz.history import review_record

    state = CardState(LEARNING, 0, 2.3, 5.1, 1000.0, 900.0, 1, 0)
    line = records.encode(review_record("term/a/recall", 3, T0, None, state))
    decoded = records.decode(line.rstrip(b"\n"))
    assert isinstance(decoded, records.Review) and decoded.after == state
    assert records.decode(line.replace(b"[1,0,2.3", b"[1,2,3]")) is None  # wrong length


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=30), "30s"),
        (timedelta(minutes=1), "1m"),
        (timedelta(minutes=10), "10m"),
        (timedelta(hours=5), "5h"),
        (timedelta(days=3), "3d"),
        (timedelta(days=61), "2mo"),
        (timedelta(days=730), "2y"),
        (timedelta(days=550), "1.5y"),
    ],
)
def test_format_interval(delta: timedelta, text: str) -> None:
    assert format_interval(delta) == text


def test_auto_rating() -> None:
    assert auto_rating(False) == AGAIN
    assert auto_rating(False, needed_help=True) == AGAIN
    assert auto_rating(True, needed_help=True) == HARD
    assert auto_rating(True) == GOOD
