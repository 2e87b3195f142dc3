"""Fitting FSRS parameters to the user's own review log (`dlquiz optimize`)."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fsrs import Card, Rating
from fsrs import Scheduler as FsrsScheduler
from fsrs.scheduler import DEFAULT_PARAMETERS

from dlquiz.commands.optimize import run
from dlquiz.history import mark_record, review_record, undo_record
from dlquiz.optimize import (
    MIN_REVIEWS,
    Fit,
    card_number,
    count_reviews,
    fit,
    fit_in_subprocess,
    review_logs,
)
from dlquiz.records import Record, Review, encode
from dlquiz.scheduler import AGAIN, EASY, GOOD, HARD, Scheduler
from tests.conftest import SETTINGS_NAME, T0, OwnedStore


def synthetic_log(n_cards: int = 90, days: int = 25, seed: int = 7) -> list[Record]:
    """A learner who studies every day for ``days`` days, scheduled by dlquiz.

    Cards are introduced 15 a day. A review's outcome is drawn from a simple
    forgetting curve whose per-card "ease" differs from what FSRS's defaults
    assume, so a fit has something to learn. The scheduler aims at 97 %
    retention so that cards come back often within the 25 days (535 usable reviews:
    just over the minimum, as the fit costs CPU per review).
    """
    rng = random.Random(seed)
    sched = Scheduler(desired_retention=0.97)
    states: dict[str, Any] = {}
    records: list[Record] = []
    counter = iter(range(10**9))
    cards = [f"term/c{i}/recall" for i in range(n_cards)]
    ease = {c: rng.uniform(0.5, 2.0) for c in cards}
    for day in range(days):
        now = T0 + timedelta(days=day)
        end = now + timedelta(hours=3)
        fresh = [c for c in cards if c not in states][:15]
        while now < end:
            due = sorted((s.due, c) for c, s in states.items() if s.due <= end.timestamp())
            if fresh:
                card = fresh.pop(0)
            elif due:
                when, card = due[0]
                now = max(now, datetime.fromtimestamp(when, UTC))
            else:
                break
            before = states.get(card)
            if before is None:
                rating = rng.choice([AGAIN, HARD, GOOD, GOOD, EASY])
            else:
                elapsed = (now.timestamp() - before.last_review) / 86400
                recall = (1 + elapsed / (9 * before.stability * ease[card])) ** -1
                rating = GOOD if rng.random() < recall else AGAIN
                if rating == GOOD and rng.random() < 0.2:
                    rating = rng.choice([HARD, EASY])
            after = sched.outcomes(before, now)[rating].state
            records.append(
                review_record(
                    card,
                    rating,
                    now,
                    before,
                    after,
                    rng.randint(2000, 20000),
                    new_id=lambda: f"r{next(counter)}",
                )
            )
            states[card] = after
            now += timedelta(seconds=20)
    return records


@pytest.fixture(scope="module")
def records() -> Iterator[list[Record]]:
    # fsrs fuzzes intervals with the global `random`; seed it so the log is fixed.
    saved = random.getstate()
    random.seed(1234)
    try:
        log = synthetic_log()
    finally:
        random.setstate(saved)
    yield log


@pytest.fixture(scope="module")
def child_fit(
    records: list[Record], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Fit, int, list[str]]:
    """The synthetic log fitted once, in the child process the Settings screen uses:
    (fit, reviews counted, progress said). Fitting takes seconds; three tests read it."""
    path = tmp_path_factory.mktemp("fit") / "log.jsonl"
    path.write_bytes(b"".join(encode(r) for r in records))
    said: list[str] = []
    result, counted = fit_in_subprocess(path, progress=said.append)
    assert result is not None
    return result, counted, said


@pytest.fixture(scope="module")
def fitted(child_fit: tuple[Fit, int, list[str]]) -> Fit:
    return child_fit[0]


def _log_loss(records: list[Record], parameters: tuple[float, ...]) -> float:
    """Mean log loss of FSRS's predicted recall, replayed in plain Python floats.

    Independent of dlquiz.optimize's torch code: no tensors, the formula for
    binary cross entropy written out.
    """
    sched = FsrsScheduler(parameters=parameters)
    by_card: dict[str, list[tuple[datetime, int]]] = {}
    for r in records:
        if not isinstance(r, Review):
            continue
        by_card.setdefault(r.card, []).append((r.time, r.rating))
    total, n = 0.0, 0
    for card_id, history in by_card.items():
        history.sort(key=lambda item: item[0])
        card = Card(card_id=card_number(card_id), due=history[0][0])
        for when, rating in history[:64]:
            if card.last_review and (when - card.last_review).days > 0:
                p = min(max(sched.get_card_retrievability(card, when), 1e-12), 1 - 1e-12)
                total -= math.log(p) if rating != AGAIN else math.log(1 - p)
                n += 1
            card, _ = sched.review_card(card, Rating(rating), when)
    return total / n


def _store_with(home: Path, records: list[Record]) -> None:
    with OwnedStore(home) as store:
        for record in records:
            store.append(record)


def test_review_logs_leave_out_undone_reviews_and_split_at_reset() -> None:
    sched = Scheduler()
    state = sched.outcomes(None, T0)[GOOD].state
    a = review_record("term/a/recall", GOOD, T0, None, state, 1000, new_id=lambda: "a")
    b = review_record("term/a/recall", AGAIN, T0 + timedelta(days=1), state, state, None)
    undo = undo_record(b, T0 + timedelta(days=1, minutes=1))
    reset = mark_record("reset", "term/a/recall", T0 + timedelta(days=2))
    c = review_record("term/a/recall", EASY, T0 + timedelta(days=3), None, state, 500)
    logs = review_logs([a, b, undo, reset, c, {"type": "from-the-future", "card": "x"}])
    assert [(log.rating, log.review_duration) for log in logs] == [
        (Rating.Good, 1000),
        (Rating.Easy, 500),
    ]
    # After a reset the card's history starts again as another fsrs card.
    assert logs[0].card_id == card_number("term/a/recall")
    assert logs[1].card_id != logs[0].card_id
    assert logs[0].review_datetime.tzinfo == UTC


def test_card_numbers_are_stable_positive_ints() -> None:
    n = card_number("concept/conv-weight-sharing")
    assert n == card_number("concept/conv-weight-sharing")
    assert isinstance(n, int) and 0 < n < 2**63
    assert n != card_number("concept/conv-weight-sharing", 1)


def test_only_reviews_on_a_later_day_count() -> None:
    sched = Scheduler()
    state = sched.outcomes(None, T0)[GOOD].state
    times = [T0, T0 + timedelta(minutes=10), T0 + timedelta(hours=30), T0 + timedelta(days=5)]
    log = [review_record("term/a/recall", GOOD, t, None, state) for t in times]
    assert count_reviews(log) == 2


def test_too_few_reviews_changes_nothing(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sched = Scheduler()
    state = sched.outcomes(None, T0)[GOOD].state
    _store_with(
        home,
        [
            review_record(f"term/t{i}/recall", GOOD, T0 + timedelta(days=d), None, state)
            for i in range(3)
            for d in range(4)
        ],
    )
    assert run(home) == 0
    out = capsys.readouterr().out
    assert (
        "12 reviews in your log, 9 usable for fitting (reviews made a day or more after "
        f"the card's previous review); {MIN_REVIEWS} needed."
    ) in out
    assert "Keep studying." in out
    assert not (home / SETTINGS_NAME).exists()
    assert fit([]) is None
    assert fit([]) is None


def test_fit_beats_the_defaults_on_a_synthetic_log(records: list[Record], fitted: Fit) -> None:
    assert 800 <= len(records) <= 1200
    assert count_reviews(records) >= MIN_REVIEWS
    result = fitted
    assert len(result.parameters) == len(DEFAULT_PARAMETERS)
    assert result.parameters != tuple(DEFAULT_PARAMETERS)
    assert result.improved
    # Checked independently of the torch code: a plain replay through fsrs.
    fitted = _log_loss(records, result.parameters)
    default = _log_loss(records, tuple(DEFAULT_PARAMETERS))
    assert fitted < default
    assert fitted == pytest.approx(result.loss, rel=1e-6)
    assert default == pytest.approx(result.default_loss, rel=1e-6)
    # Reproducible: test_optimize_saves_parameters_the_scheduler_accepts fits the same
    # log again, in this process (through the store), and must save exactly these.


def test_a_fit_in_the_child_process_says_how_it_goes(
    records: list[Record], child_fit: tuple[Fit, int, list[str]]
) -> None:
    result, counted, said = child_fit
    assert counted == count_reviews(records) >= MIN_REVIEWS
    assert result.improved and result.reviews == counted
    # Progress as it went: reading, loading torch, each of fsrs's passes, in order.
    assert said[0] == "Reading your reviews…"
    passes = [s for s in said if " pass " in s]
    assert passes and passes[0].endswith("pass 1 of 5…") and passes[-1].endswith("pass 5 of 5…")


def test_optimize_saves_parameters_the_scheduler_accepts(
    home: Path, records: list[Record], fitted: Fit, capsys: pytest.CaptureFixture[str]
) -> None:
    _store_with(home, records)
    # The dry run is given the fixture's fit of this very log (computed by the real fit,
    # and the real run below must reproduce it): what is checked here is that it saves
    # nothing, and a second fit of the same log would only cost seconds.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("dlquiz.commands.optimize.fit", lambda _records: fitted)
        assert run(home, dry_run=True) == 0
    out = capsys.readouterr().out
    assert "Dry run" in out and "Parameters:" in out
    assert not (home / SETTINGS_NAME).exists()

    assert run(home) == 0
    out = capsys.readouterr().out
    assert "Parameters:" in out and "Saved" in out
    with OwnedStore(home) as store:
        params = store.settings.fsrs_parameters
    assert params is not None and len(params) == len(DEFAULT_PARAMETERS)
    # Reproducible: the same log gives the same parameters (what the settings screen calls).
    assert tuple(params) == fitted.parameters
    FsrsScheduler(parameters=params)  # raises if any parameter is out of bounds
    sched = Scheduler(parameters=params)
    assert sched.outcomes(None, T0)[GOOD].interval > timedelta(0)


def test_optimize_refuses_while_another_instance_runs(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with OwnedStore(home):
        assert run(home) == 2
    assert "already running" in capsys.readouterr().err


def test_optimize_never_saves_the_defaults_over_unreadable_settings(
    home: Path, records: list[Record], fitted: Fit, capsys: pytest.CaptureFixture[str]
) -> None:
    _store_with(home, records)
    mine = home / SETTINGS_NAME
    # The user's own choices, with one value out of range (a hand edit gone wrong).
    raw = b'{"desired_retention": 0.93, "new_per_day": 7, "max_reviews_per_day": 0}'
    mine.write_bytes(raw)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("dlquiz.commands.optimize.fit", lambda _records: fitted)
        # A dry run fits and says the file is unreadable; it moves and writes nothing.
        assert run(home, dry_run=True) == 0
        out, err = capsys.readouterr()
        assert "Parameters:" in out and "could not be read" in err
        assert mine.read_bytes() == raw and not list(mine.parent.glob("*damaged*"))
        # A real run refuses before the fit, in one line that says nothing changed.
        assert run(home) == 2
        out, err = capsys.readouterr()
        assert "Fitting" not in out
        assert err.count("\n") == 1 and "could not be read" in err and "Nothing was changed" in err
        assert mine.read_bytes() == raw and not list(mine.parent.glob("*damaged*"))
