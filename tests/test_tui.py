"""The review loop driven headless, as a person would: keys in, screen and disk checked."""

from __future__ import annotations

import json
import random
from pathlib import Path

from textual.widgets import Input, Static

from dlquiz.__main__ import make_app
from dlquiz.cards import Kind
from dlquiz.questions import generate
from dlquiz.tui.app import DLQuizApp
from dlquiz.tui.screens.help import HelpScreen
from dlquiz.tui.screens.home import HomeScreen
from dlquiz.tui.screens.review import ReviewScreen
from dlquiz.tui.screens.summary import SummaryScreen
from dlquiz.tui.widgets.card_parts import CardHead
from dlquiz.tui.widgets.rating_bar import RatingBar
from tests.conftest import LOG_NAME, Clock

SIZE = (80, 24)
# Built-in cards the feedback tests study through custom study (``Study.focus``).
RECALL_CARD = "term/adagrad/recall"
CHOICE_CARD = "term/activation-function/name"  # a name card: multiple choice


def _log(home: Path) -> list[dict[str, object]]:
    path = home / LOG_NAME
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _text(app: DLQuizApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def _answer_one(pilot, app: DLQuizApp, rating: str = "3") -> str:  # type: ignore[no-untyped-def]
    """Answer the card on screen correctly; returns its id."""
    screen = app.screen
    assert isinstance(screen, ReviewScreen) and screen.current is not None
    card_id = screen.current.spec.id
    if screen.current.spec.kind is Kind.SKILL:
        for _ in range(3000):  # generated in a thread worker (maybe importing torch first)
            if screen.mode != "loading":
                break
            await pilot.pause(0.01)
        question = screen.current.question
        assert screen.mode == "question" and question is not None
        if not screen.current.is_choice:
            screen.query_one("#typed", Input).value = question.expected.proof_line()
            await pilot.press("enter")
            assert screen.mode == "feedback" and screen.current.suggested == 3
            await pilot.press("enter" if rating == "3" else rating)
            return card_id
    if screen.current.correct is not None:  # multiple choice: pick the right one
        await pilot.press(str(screen.current.correct + 1))
        assert screen.mode == "feedback"
        # The explanation stays up: under the options the head draws (a card without
        # code), or in a part of its own under a ChoiceList (a card with code).
        head = screen.query_one(CardHead)
        if head.choices is not None:
            assert head.back is not None and "Correct." in head.back
        else:
            assert screen.query_one("#card-back").display
        await pilot.press("enter")
    else:
        await pilot.press("space")
        assert screen.mode == "revealed"
        assert screen.query_one(RatingBar).display
        await pilot.press(rating)
    return card_id


async def test_answer_five_quit_and_find_them_again(home: Path, clock: Clock) -> None:
    app = make_app(home, clock=clock, generator=generate, rng=random.Random(0))
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, HomeScreen)
        assert "20 new" in _text(app, "#home-counts")
        await pilot.press("enter")
        answered = []
        for _ in range(5):
            answered.append(await _answer_one(pilot, app))
            clock.advance(seconds=20)
        assert len(_log(home)) == 5  # each answer on disk before the next card
        await pilot.press("q")
    assert [r["card"] for r in _log(home)] == answered

    app2 = make_app(home, clock=clock, generator=generate, rng=random.Random(0))
    async with app2.run_test(size=SIZE) as pilot:
        counts = _text(app2, "#home-counts")
        assert "5 reviewed today" in counts and "15 new" in counts
        assert set(answered) <= set(app2.study.cards)
        await pilot.press("q")


async def test_undo_brings_the_card_back(home: Path, clock: Clock) -> None:
    app = make_app(home, clock=clock, generator=generate, rng=random.Random(0))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        first = await _answer_one(pilot, app)
        screen = app.screen
        assert isinstance(screen, ReviewScreen) and screen.current is not None
        assert screen.current.spec.id != first
        await pilot.press("u")
        assert screen.current is not None and screen.current.spec.id == first
        assert app.study.counts(clock()).reviewed_today == 0
        await pilot.press("q")
    kinds = [r["type"] for r in _log(home)]
    assert kinds == ["review", "undo"]


async def test_name_card_wrong_pick_is_graded_again_and_explained(home: Path, clock: Clock) -> None:
    # Meet the first term today, so its name card unlocks tomorrow.
    app = make_app(home, clock=clock, generator=generate, rng=random.Random(0))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        first = await _answer_one(pilot, app, rating="4")
        assert first.endswith("/recall")
        await pilot.press("q")
    clock.advance(days=1)
    app = make_app(home, clock=clock, generator=generate, rng=random.Random(0))
    # Custom study of that name card alone reaches it without answering the whole deck.
    assert app.study.focus([first.replace("/recall", "/name")]) == 1
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, ReviewScreen) and screen.current is not None
        assert screen.current.spec.id == first.replace("/recall", "/name")
        cur = screen.current
        assert cur is not None and cur.correct is not None
        wrong = (cur.correct + 1) % len(cur.choices)
        await pilot.press(str(wrong + 1))
        assert cur.suggested == 1  # Again
        head = screen.query_one(CardHead)  # the options, then the feedback, under the front
        back = head.back or ""
        assert "Not quite" in back and cur.choices[cur.correct] in back
        choices = head.choices
        assert choices is not None and choices.locked
        assert choices.highlighted == cur.choices.index(cur.typed)
        await pilot.press("3")  # the user overrides the grade
        await pilot.press("q")
    last = _log(home)[-1]
    assert last["card"] == cur.spec.id and last["rating"] == 3 and last["auto"] == 1


async def test_quit_during_feedback_records_the_auto_grade(home: Path, clock: Clock) -> None:
    app = make_app(home, clock=clock, generator=generate, rng=random.Random(0))
    # A recall card answered first, then the multiple-choice card the test is about.
    assert app.study.focus([RECALL_CARD, CHOICE_CARD]) == 2
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, ReviewScreen)
        assert screen.current is not None and screen.current.spec.id == RECALL_CARD
        await _answer_one(pilot, app)
        cur = screen.current
        assert cur is not None and cur.spec.id == CHOICE_CARD
        assert cur is not None and cur.correct is not None
        await pilot.press(str(cur.correct + 1))
        await pilot.press("q")
    assert _log(home)[-1]["card"] == cur.spec.id
    assert _log(home)[-1]["rating"] == 3


async def test_help_lists_every_key(home: Path, clock: Clock) -> None:
    app = make_app(home, clock=clock, generator=generate, rng=random.Random(0))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = Path(__file__).parents[1].joinpath("dlquiz/tui/screens/help.md").read_text()
        for key in ("`?`", "`q`", "`Space`", "`u`", "`Esc`", "`1`"):
            assert key in text
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)


async def test_footer_shows_only_keys_that_apply(home: Path, clock: Clock) -> None:
    app = make_app(home, clock=clock, generator=generate, rng=random.Random(0))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, ReviewScreen) and screen.current is not None
        assert screen.current.correct is None  # the first card is a recall card
        assert screen.check_action("reveal", ()) is True
        assert screen.check_action("rate", (3,)) is False
        assert screen.check_action("undo", ()) is None  # shown dimmed: nothing to undo yet
        await pilot.press("u")  # does nothing
        await pilot.press("3")  # rating before revealing does nothing
        assert _log(home) == []
        await pilot.press("space")
        assert screen.check_action("rate", (3,)) is True
        assert screen.check_action("reveal", ()) is False
        await pilot.press("q")


async def test_done_screen_when_nothing_is_left(home: Path, clock: Clock) -> None:
    app = make_app(home, clock=clock, generator=generate, rng=random.Random(0))
    app.study.change_settings(app.study.settings.replace(new_per_day=1))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await _answer_one(pilot, app, rating="4")
        screen = app.screen
        assert isinstance(screen, ReviewScreen) and screen.mode == "done"
        assert "Nothing more is due" in _text(app, "#card-head")
        await pilot.press("enter")
        assert isinstance(app.screen, SummaryScreen)  # the session's summary first
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)


async def test_notices_are_shown_on_screen(home: Path, clock: Clock) -> None:
    (home / LOG_NAME).parent.mkdir(parents=True)
    (home / LOG_NAME).write_text('{"v":1,"type":"review","card":"x"')  # half a line
    app = make_app(home, clock=clock, generator=generate, rng=random.Random(0))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any("half-written" in m for m in messages)
        await pilot.press("q")


async def test_bury_suspend_and_flag_from_review(home: Path, clock: Clock) -> None:
    app = make_app(home, clock=clock, generator=generate, rng=random.Random(0))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, ReviewScreen) and screen.current is not None
        first = screen.current.spec.id
        await pilot.press("f")
        assert app.study.marks[first].flagged
        await pilot.press("minus")
        assert screen.current is not None and screen.current.spec.id != first
        second = screen.current.spec.id
        await pilot.press("x")
        assert screen.current is not None and screen.current.spec.id not in (first, second)
        assert app.study.marks[second].suspended
        await pilot.press("q")
    kinds = [(r["type"], r["card"]) for r in _log(home)]
    assert kinds == [("flag", first), ("bury", first), ("suspend", second)]
    # a new session the same day still hides both
    app = make_app(home, clock=clock, generator=generate, rng=random.Random(0))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, ReviewScreen) and screen.current is not None
        assert screen.current.spec.id not in (first, second)
        await pilot.press("q")


async def _to_feedback(pilot, app: DLQuizApp) -> ReviewScreen:  # type: ignore[no-untyped-def]
    """Open review, answer a recall card, then pick wrong on a multiple-choice one (feedback).

    Custom study of three cards gets there without answering the deck; the third one
    is what comes after the choice card.
    """
    assert app.study.focus([RECALL_CARD, CHOICE_CARD, "term/adam/recall"]) == 3
    await pilot.press("enter")
    screen = app.screen
    assert isinstance(screen, ReviewScreen)
    assert screen.current is not None and screen.current.spec.id == RECALL_CARD
    await _answer_one(pilot, app)
    cur = screen.current
    assert cur is not None and cur.spec.id == CHOICE_CARD and cur.spec.kind is not Kind.SKILL
    assert cur is not None and cur.correct is not None
    wrong = (cur.correct + 1) % len(cur.choices)
    await pilot.press(str(wrong + 1))  # graded Again
    assert screen.mode == "feedback"
    return screen


async def test_quit_with_help_over_feedback_still_saves_the_answer(
    home: Path, clock: Clock
) -> None:
    app = make_app(home, clock=clock, generator=generate, rng=random.Random(0))
    async with app.run_test(size=SIZE) as pilot:
        screen = await _to_feedback(pilot, app)
        card = screen.current.spec.id  # type: ignore[union-attr]
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await app.action_quit()
        await pilot.pause()
    assert _log(home)[-1]["card"] == card and _log(home)[-1]["rating"] == 1


async def test_enter_on_a_focused_rating_button_records_that_rating(
    home: Path, clock: Clock
) -> None:
    app = make_app(home, clock=clock, generator=generate, rng=random.Random(0))
    async with app.run_test(size=SIZE) as pilot:
        screen = await _to_feedback(pilot, app)
        card = screen.current.spec.id  # type: ignore[union-attr]
        bar = screen.query_one(RatingBar)
        bar.focus()  # Tab to the ratings, then to the fourth
        bar.cursor = 4
        await pilot.press("enter")
        await pilot.press("q")
    last = [r for r in _log(home) if r["card"] == card][-1]
    assert last["rating"] == 4 and last["auto"] == 1


async def test_burying_during_feedback_keeps_the_answer(home: Path, clock: Clock) -> None:
    app = make_app(home, clock=clock, generator=generate, rng=random.Random(0))
    async with app.run_test(size=SIZE) as pilot:
        screen = await _to_feedback(pilot, app)
        card = screen.current.spec.id  # type: ignore[union-attr]
        await pilot.press("minus")
        assert screen.current is None or screen.current.spec.id != card
        await pilot.press("q")
    mine = [(r["type"], r.get("rating")) for r in _log(home) if r["card"] == card]
    assert mine[-2:] == [("review", 1), ("bury", None)]
