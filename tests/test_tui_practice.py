"""Practice modes and navigation in the TUI: cram, timed quiz, command palette."""

from __future__ import annotations

import json
import random
from pathlib import Path

from textual.widgets import Input, OptionList, SelectionList, Static

from dlquiz.__main__ import make_app
from dlquiz.questions import generate
from dlquiz.tui.app import DLQuizApp
from dlquiz.tui.screens.home import HomeScreen
from dlquiz.tui.screens.practice import CramScreen, QuizResults, QuizScreen
from dlquiz.tui.screens.review import ReviewScreen
from tests.conftest import LOG_NAME, STATE_NAME, Clock
from tests.test_tui import SIZE, _answer_one


def _app(home: Path, clock: Clock) -> DLQuizApp:
    return make_app(home, clock=clock, generator=generate, rng=random.Random(4))


def _log_lines(home: Path) -> int:
    path = home / LOG_NAME
    return len(path.read_text().splitlines()) if path.exists() else 0


async def test_cram_a_tag_changes_nothing_on_disk(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        screen = app.screen
        assert isinstance(screen, CramScreen)
        topics = screen.query_one("#topics", OptionList)
        index = next(
            i for i in range(topics.option_count) if topics.get_option_at_index(i).id == "metrics"
        )
        topics.highlighted = index
        await pilot.press("enter")
        review = app.screen
        assert isinstance(review, ReviewScreen) and review.practice is not None
        total = review.practice.remaining
        assert total > 0
        for _ in range(total):
            await _answer_one(pilot, app)
        assert review.mode == "done"
        assert "Crammed" in str(review.query_one("#card-head", Static).render())
        await pilot.press("enter")
        assert isinstance(app.screen, HomeScreen)
    assert _log_lines(home) == 0
    state = home / STATE_NAME
    assert not state.exists() or json.loads(state.read_text())["cards"] == {}


async def test_timed_quiz_scores_and_lists_misses(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t")
        screen = app.screen
        assert isinstance(screen, QuizScreen)
        families = screen.query_one("#families", SelectionList)
        families.deselect_all()
        families.select("linear-params")
        screen.query_one("#count", Input).value = "3"
        await pilot.press("ctrl+s")
        review = app.screen
        assert isinstance(review, ReviewScreen) and review.practice is not None
        assert review.practice.remaining == 3
        await _answer_one(pilot, app)  # right
        for _ in range(2):  # wrong: give up
            for _ in range(500):
                if review.mode == "question":
                    break
                await pilot.pause(0.01)
            await pilot.press("ctrl+r")
            clock.advance(seconds=30)
            await pilot.press("enter")
        await pilot.pause()
        results = app.screen
        assert isinstance(results, QuizResults)
        text = "\n".join(str(s.render()) for s in results.query(Static))
        assert "Score: 1 / 3" in text and "Missed (2)" in text
        assert len(review.practice.misses) == 2
    assert _log_lines(home) == 0


async def test_command_palette_lists_every_screen(home: Path, clock: Clock) -> None:
    from dlquiz.tui.commands import COMMANDS

    actions = {action for _, _, action in COMMANDS}
    assert {"study", "browse", "cram", "quiz", "stats", "settings", "help", "quit"} <= actions
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        for _, _, action in COMMANDS:
            if action != "quit":
                assert hasattr(app, f"action_{action}"), action
        await pilot.press("ctrl+p")
        await pilot.press(*"timed quiz")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, QuizScreen)


async def test_the_cram_clock_ticks_between_cards(home: Path, clock: Clock) -> None:
    # "Time 0:00" stayed until the next card: the line was redrawn only between cards.
    from dlquiz import practice

    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        plan = practice.cram(app.study.deck, "metrics", random.Random(1), app.clock())
        app.start_practice(plan)
        await pilot.pause()
        review = app.screen
        assert isinstance(review, ReviewScreen)
        title = review._title
        assert "Time 0:00" in title.progress.plain
        clock.advance(seconds=65)
        await pilot.pause(1.3)  # the screen's own one-second tick
        assert "Time 1:05" in title.progress.plain
