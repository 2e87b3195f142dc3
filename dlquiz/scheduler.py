"""A thin layer over the ``fsrs`` package (FSRS-6): ratings, previews, grading.

We never hand-write FSRS maths. What this module adds:

* ``CardState``, a compact immutable snapshot of a card's memory state that
  serialises to a short JSON list (fast to load at 100k cards);
* ``Scheduler.outcomes``: the four possible next states of a card, computed
  once, so the interval shown on each rating button is exactly the interval
  applied when that button is pressed (FSRS fuzzes intervals at random);
* the auto-grade mapping used by auto-checked cards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, NamedTuple

from fsrs import Card, Rating, State
from fsrs import Scheduler as FsrsScheduler
from fsrs.scheduler import MAX_DIFFICULTY, MIN_DIFFICULTY, STABILITY_MIN
from msgspec import Meta

AGAIN, HARD, GOOD, EASY = 1, 2, 3, 4
RATING_NAMES = {AGAIN: "Again", HARD: "Hard", GOOD: "Good", EASY: "Easy"}

LEARNING, REVIEW, RELEARNING = State.Learning.value, State.Review.value, State.Relearning.value


class CardState(NamedTuple):
    """A card's scheduling state; times are POSIX seconds (UTC).

    The bounds are checked whenever a state is read from disk (``dlquiz.records``):
    a hand-edited 7, NaN or 1e308 makes the record damaged instead of crashing
    FSRS later. Stability and difficulty are held to the ranges FSRS clamps its own
    results to (it divides by stability and raises difficulty to a negative power);
    ``check_schedulable`` adds the rules that span fields.
    """

    state: Annotated[int, Meta(ge=1, le=3)]  # fsrs.State: Learning, Review, Relearning
    step: Annotated[int, Meta(ge=0, le=1000)] | None
    stability: Annotated[float, Meta(ge=STABILITY_MIN, le=1e9)] | None  # days
    difficulty: Annotated[float, Meta(ge=MIN_DIFFICULTY, le=MAX_DIFFICULTY)] | None
    due: Annotated[float, Meta(ge=0, le=1e11)]
    last_review: Annotated[float, Meta(ge=0, le=1e11)] | None
    reps: Annotated[int, Meta(ge=0, le=10**9)]
    lapses: Annotated[int, Meta(ge=0, le=10**9)]

    @property
    def due_at(self) -> datetime:
        return datetime.fromtimestamp(self.due, UTC)


def check_schedulable(state: CardState) -> None:
    """Raise ValueError if FSRS could not review ``state`` (its bounds checked apart).

    FSRS asserts that a Review or Relearning card has a stability and a difficulty,
    and a Relearning card a step; only Learning starts from nothing (a new card).
    """
    # Indexed, not by name (a third faster): this runs for each state of each record read.
    kind = state[0]
    if kind != LEARNING and (
        state[2] is None or state[3] is None or (kind == RELEARNING and state[1] is None)
    ):
        raise ValueError(
            f"FSRS cannot review a card in state {kind} with step {state.step}, "
            f"stability {state.stability} and difficulty {state.difficulty}"
        )


@dataclass(frozen=True)
class Outcome:
    """What happens to a card if it is given ``rating`` now."""

    rating: int
    state: CardState
    interval: timedelta

    @property
    def label(self) -> str:
        return format_interval(self.interval)


def _to_fsrs(state: CardState | None, now: datetime) -> Card:
    # card_id is passed explicitly: fsrs.Card() without one sleeps 1 ms.
    if state is None:
        return Card(card_id=1, due=now)
    return Card(
        card_id=1,
        state=State(state.state),
        step=state.step,
        stability=state.stability,
        difficulty=state.difficulty,
        due=datetime.fromtimestamp(state.due, UTC),
        last_review=(
            datetime.fromtimestamp(state.last_review, UTC)
            if state.last_review is not None
            else None
        ),
    )


class Scheduler:
    """FSRS-6 scheduling with the user's settings."""

    def __init__(
        self,
        desired_retention: float = 0.9,
        learning_steps: tuple[timedelta, ...] = (timedelta(minutes=1), timedelta(minutes=10)),
        relearning_steps: tuple[timedelta, ...] = (timedelta(minutes=10),),
        parameters: tuple[float, ...] | None = None,
        maximum_interval: int = 36500,
    ) -> None:
        kwargs: dict[str, object] = {}
        if parameters:
            kwargs["parameters"] = parameters
        self._fsrs = FsrsScheduler(
            desired_retention=desired_retention,
            learning_steps=learning_steps,
            relearning_steps=relearning_steps,
            maximum_interval=maximum_interval,
            **kwargs,  # type: ignore[arg-type]  # only `parameters`, a tuple
        )

    def outcomes(self, state: CardState | None, now: datetime) -> dict[int, Outcome]:
        """The next state for each rating 1–4 (``state`` None means a new card)."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        now = now.astimezone(UTC)
        card = _to_fsrs(state, now)
        reps = state.reps if state else 0
        lapses = state.lapses if state else 0
        was_review = state is not None and state.state == REVIEW
        result: dict[int, Outcome] = {}
        for rating in (AGAIN, HARD, GOOD, EASY):
            new, _log = self._fsrs.review_card(card, Rating(rating), now)
            assert new.last_review is not None
            after = CardState(
                state=new.state.value,
                step=new.step,
                stability=new.stability,
                difficulty=new.difficulty,
                due=new.due.timestamp(),
                last_review=new.last_review.timestamp(),
                reps=reps + 1,
                lapses=lapses + (1 if rating == AGAIN and was_review else 0),
            )
            result[rating] = Outcome(rating, after, new.due - now)
        return result

    def retrievability(self, state: CardState, now: datetime) -> float:
        return float(self._fsrs.get_card_retrievability(_to_fsrs(state, now), now.astimezone(UTC)))


def shifted(outcome: Outcome, answered_at: datetime) -> CardState:
    """The outcome's state as if computed at ``answered_at`` (same interval).

    Outcomes are computed when a card is shown; the answer comes seconds later.
    Shifting keeps the interval the user saw on the button.
    """
    ts = answered_at.timestamp()
    return outcome.state._replace(due=ts + outcome.interval.total_seconds(), last_review=ts)


def auto_rating(correct: bool, needed_help: bool = False) -> int:
    """Auto-grade: wrong -> Again; right after a hint or retry -> Hard; right -> Good."""
    if not correct:
        return AGAIN
    return HARD if needed_help else GOOD


def format_interval(delta: timedelta) -> str:
    """A short human interval: 45s, 10m, 3h, 4d, 2.5mo, 1.2y."""
    seconds = max(0.0, delta.total_seconds())
    if seconds < 60:
        return f"{round(seconds)}s"
    minutes = seconds / 60
    if minutes < 60:
        return f"{round(minutes)}m"
    hours = minutes / 60
    if hours < 24:
        return f"{round(hours)}h"
    days = hours / 24
    if days < 30:
        return f"{round(days)}d"
    if days < 365:
        months = days / 30.4
        return f"{months:.1f}mo".replace(".0mo", "mo")
    return f"{days / 365:.1f}y".replace(".0y", "y")
