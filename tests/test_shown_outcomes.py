"""A card's rating outcomes are computed when its ratings show, not when it is shown,
and stay those of the moment it was shown: what the buttons say is what is recorded."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from dlquiz.__main__ import make_app
from dlquiz.scheduler import GOOD, Outcome, format_interval
from dlquiz.study import Study
from dlquiz.tui.screens.review import ReviewScreen
from dlquiz.tui.shown import Outcomes
from dlquiz.tui.widgets.rating_bar import RatingBar
from tests.conftest import Clock


def test_outcomes_are_computed_once_when_first_looked_up(home: Path, clock: Clock) -> None:
    with Study.open(home, with_skills=False) as study:
        spec = study.next_card(clock())
        assert spec is not None
        made: list[dict[int, Outcome]] = []

        def compute() -> dict[int, Outcome]:
            made.append(study.outcomes(spec.id, clock()))  # fuzzed: one draw per call
            return made[-1]

        outcomes = Outcomes(compute)
        assert made == []  # nothing computed to show the card
        good = outcomes[GOOD]
        assert len(made) == 1 and good == made[0][GOOD]
        assert dict(outcomes) == made[0] and len(outcomes) == 4 and list(outcomes) == list(made[0])
        assert len(made) == 1  # once, whatever is looked up after


async def test_the_ratings_are_computed_on_reveal_for_the_moment_the_card_was_shown(
    home: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[datetime] = []
    outcomes = Study.outcomes

    def counted(self: Study, card_id: str, now: datetime) -> dict[int, Outcome]:
        asked.append(now)
        return outcomes(self, card_id, now)

    monkeypatch.setattr(Study, "outcomes", counted)

    def no_torch(family: str, level: int, seed: int) -> object:
        raise RuntimeError("content cards only")

    app = make_app(home, clock=clock, rng=random.Random(0), generator=no_torch)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ReviewScreen) and screen.current is not None
        card, shown_at = screen.current.spec.id, clock()
        assert asked == []  # the card is on screen; its ratings are not
        clock.advance(minutes=5)
        await pilot.press("1" if screen.current.is_choice else "space")
        await pilot.pause()
        assert asked == [shown_at]  # on reveal, as of when the card was shown
        label = screen.query_one(RatingBar).label(GOOD)
        await pilot.press("3")
        await pilot.pause()
        state = app.study.cards[card]
        # What the button said is what was recorded (counted from the answer's time).
        interval = timedelta(seconds=state.due - (state.last_review or 0))
        assert label == f"3 Good · {format_interval(interval)}"
        assert asked[0] == shown_at and asked.count(shown_at) == 1
