"""The quiz: a real countdown, Esc asks and shows the score so far, misses in full."""

from __future__ import annotations

import random
from pathlib import Path

from rich.syntax import Syntax
from textual.pilot import Pilot
from textual.widgets import Input, SelectionList, Static

from dlquiz.__main__ import make_app
from dlquiz.questions import generate
from dlquiz.tui.app import DLQuizApp
from dlquiz.tui.confirm import ConfirmStopQuiz
from dlquiz.tui.screens.practice import QuizResults, QuizScreen
from dlquiz.tui.screens.review import ReviewScreen
from dlquiz.tui.widgets.card_parts import TitleProgressBar
from tests.conftest import LOG_NAME, Clock
from tests.test_tui import SIZE, _answer_one

FAMILY = "linear-params"  # typed answers, code in every question


def _app(home: Path, clock: Clock) -> DLQuizApp:
    return make_app(home, clock=clock, generator=generate, rng=random.Random(4))


async def _start(pilot: Pilot[int], app: DLQuizApp, count: str, minutes: str) -> ReviewScreen:
    await pilot.press("t")
    screen = app.screen
    assert isinstance(screen, QuizScreen)
    families = screen.query_one("#families", SelectionList)
    families.deselect_all()
    families.select(FAMILY)
    screen.query_one("#count", Input).value = count
    screen.query_one("#minutes", Input).value = minutes
    await pilot.press("ctrl+s")
    review = app.screen
    assert isinstance(review, ReviewScreen) and review.practice is not None
    return review


async def _question(pilot: Pilot[int], review: ReviewScreen) -> None:
    for _ in range(500):
        if review.mode == "question":
            return
        await pilot.pause(0.01)
    raise AssertionError("no question")


async def _miss(pilot: Pilot[int], review: ReviewScreen, answer: str = "1") -> None:
    """Type a wrong answer twice: the second try is graded wrong."""
    await _question(pilot, review)
    for _ in range(2):
        review.query_one("#typed", Input).value = answer
        await pilot.press("enter")
    assert review.mode == "feedback"
    await pilot.press("enter")


def _top(app: DLQuizApp) -> object:
    return app.screen


def _progress(review: ReviewScreen) -> str:
    return review.query_one(TitleProgressBar).progress.plain


def _results_text(screen: QuizResults) -> str:
    return "\n".join(str(s.render()) for s in screen.query(Static))


async def test_countdown_ends_the_quiz_when_time_is_up(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        review = await _start(pilot, app, "", "1")
        assert review.practice is not None and review.practice.time_limit is not None
        await _question(pilot, review)  # the clock starts with the first question
        review._tick()
        assert "Time left 1:00" in _progress(review)
        clock.advance(seconds=25)
        review._tick()
        assert "Time left 0:35" in _progress(review)
        await _answer_one(pilot, app)
        await _question(pilot, review)
        clock.advance(seconds=40)
        review._tick()  # what the one-second timer runs
        await pilot.pause()
        results = app.screen
        assert isinstance(results, QuizResults)
        text = _results_text(results)
        assert "Score: 1 / 1" in text and "in 1:00" in text and "Time is up" in text
    assert not (home / LOG_NAME).exists()


async def test_escape_asks_then_shows_the_partial_score(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        review = await _start(pilot, app, "5", "")
        assert "Left 5" in _progress(review) and "Time 0:00" in _progress(review)
        await _answer_one(pilot, app)
        await _question(pilot, review)
        await pilot.press("escape")
        assert isinstance(app.screen, ConfirmStopQuiz)
        await pilot.press("escape")  # go on
        assert _top(app) is review and review.mode == "question"
        await pilot.press("escape")
        await pilot.press("y")
        await pilot.pause()
        results = app.screen
        assert isinstance(results, QuizResults)
        text = _results_text(results)
        assert "Score: 1 / 1" in text and "Stopped early" in text
        await pilot.press("enter")
        assert not isinstance(app.screen, (QuizResults, ReviewScreen))


async def test_misses_are_shown_in_full_and_can_be_crammed(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        review = await _start(pilot, app, "2", "")
        await _question(pilot, review)
        assert review.current is not None and review.current.question is not None
        question = review.current.question
        missed_id = review.current.spec.id
        await _miss(pilot, review, "1")
        await _answer_one(pilot, app)
        await pilot.pause()
        results = app.screen
        assert isinstance(results, QuizResults)
        text = _results_text(results)
        assert "Score: 1 / 2" in text and "Missed (1)" in text
        assert question.prompt in text
        assert "You: 1" in text and f"Answer: {question.expected.display()}" in text
        assert question.explanation.splitlines()[0] in text
        code = results.query_one(".miss-code Static", Static).content
        assert isinstance(code, Syntax) and code.code.strip() == question.code.strip()
        assert not code.word_wrap  # scrolls sideways: Python indentation stays intact
        await pilot.press("c")
        await pilot.pause()
        cram = app.screen
        assert isinstance(cram, ReviewScreen) and cram.practice is not None
        assert cram.practice.title == "Cram: quiz misses"
        assert [s.id for s in cram.practice.queue] == [missed_id]


async def test_show_answer_after_a_wrong_try_says_what_was_typed(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        review = await _start(pilot, app, "1", "")
        await _question(pilot, review)
        review.query_one("#typed", Input).value = "7"
        await pilot.press("enter")  # wrong: one more try
        assert review.mode == "question"
        await pilot.press("ctrl+r")
        back = str(review.query_one("#card-back", Static).render())
        assert "Shown without an answer" not in back
        assert "you answered 7" in back
