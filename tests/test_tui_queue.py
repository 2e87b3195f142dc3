"""The daily loop driven headless: user decks, siblings, keys, undo, summary, card info, marks.

Each test seeds exactly the cards it needs (log records written before the app
opens) instead of answering its way to them.
"""

from __future__ import annotations

import json
import random
from datetime import timedelta
from pathlib import Path
from typing import Any

from textual.widgets import Checkbox, DataTable, OptionList, Static

from dlquiz import records
from dlquiz.scheduler import REVIEW, CardState
from dlquiz.study import Study
from dlquiz.tui.app import DLQuizApp
from dlquiz.tui.screens.card_info import CardInfoScreen
from dlquiz.tui.screens.home import HomeScreen
from dlquiz.tui.screens.review import ReviewScreen
from dlquiz.tui.screens.summary import SummaryScreen
from dlquiz.tui.widgets.card_parts import TitleProgressBar
from tests.conftest import LOG_NAME, T0, Clock

SIZE = (80, 24)
RECALL, NAME = "term/relu/recall", "term/relu/name"
OTHER = "term/adagrad/recall"


def _log(home: Path) -> list[dict[str, Any]]:
    path = home / LOG_NAME
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _seed_due(home: Path, *card_ids: str, reviews: int = 1) -> CardState:
    """Each card reviewed ``reviews`` times long ago, and due an hour before T0."""
    due = T0.timestamp() - 3600
    state = CardState(REVIEW, None, 10.0, 5.0, due, due - 10 * 86400, reviews, 0)
    (home / LOG_NAME).parent.mkdir(parents=True, exist_ok=True)
    lines = b""
    for card in card_ids:
        before = None
        for i in range(reviews):
            at = T0 - timedelta(days=30 - 10 * i)
            after = state if i == reviews - 1 else state._replace(reps=i + 1)
            review = records.Review(
                id=f"{card}-{i}", card=card, time=at, rating=3, before=before, after=after,
                duration_ms=4000, answer="typed" if i == 0 else None,
            )  # fmt: skip
            lines += records.encode(review)
            before = after
    with (home / LOG_NAME).open("ab") as log:
        log.write(lines)
    return state


def _app(home: Path, clock: Clock, **settings: Any) -> DLQuizApp:
    study = Study.open(home, with_skills=False, now=clock())
    if settings:
        study.change_settings(study.settings.replace(**settings))
    return DLQuizApp(study, clock=clock, rng=random.Random(0))


def _progress(app: DLQuizApp) -> str:
    """The progress line under the title."""
    return app.screen.query_one(TitleProgressBar).progress.plain


def _text(app: DLQuizApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def _review(pilot: Any, app: DLQuizApp) -> ReviewScreen:
    await pilot.press("enter")
    screen = app.screen
    assert isinstance(screen, ReviewScreen) and screen.current is not None
    return screen


def _card(screen: ReviewScreen) -> str:
    assert screen.current is not None
    return screen.current.spec.id


async def test_a_deck_imported_today_shows_in_the_next_session(home: Path, clock: Clock) -> None:
    decks = home / "decks"
    decks.mkdir(parents=True)
    (decks / "mine.toml").write_text(
        '[[term]]\nslug = "zz-first"\nterm = "Zz first"\ndefinition = "One of my own."\n\n'
        '[[term]]\nslug = "zz-second"\nterm = "Zz second"\ndefinition = "Another of mine."\n'
    )
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _review(pilot, app)
        seen = []
        for _ in range(3):
            seen.append(_card(screen))
            await pilot.press("space", "4")
        assert any(card.startswith("term/zz-") for card in seen), seen
        await pilot.press("q")


async def test_siblings_never_on_the_same_day(home: Path, clock: Clock) -> None:
    _seed_due(home, RECALL, NAME)
    app = _app(home, clock, new_per_day=0)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _review(pilot, app)
        first = _card(screen)
        assert first in (RECALL, NAME)
        if screen.current is not None and screen.current.correct is not None:
            await pilot.press(str(screen.current.correct + 1), "enter")
        else:
            await pilot.press("space", "3")
        assert screen.mode == "done"  # its sibling, due too, waits for tomorrow
        await pilot.press("q")
    clock.advance(days=1)
    app = _app(home, clock, new_per_day=0)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _review(pilot, app)
        assert _card(screen) == ({RECALL, NAME} - {first}).pop()
        await pilot.press("q")


async def test_space_and_enter_rate_good_after_reveal(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _review(pilot, app)
        await pilot.press("space")
        assert screen.mode == "revealed"
        await pilot.press("space")
        await pilot.press("space", "enter")
        await pilot.press("q")
    assert [r["rating"] for r in _log(home)] == [3, 3]


async def test_progress_line_counts_due_new_and_done(home: Path, clock: Clock) -> None:
    _seed_due(home, OTHER)
    app = _app(home, clock, new_per_day=2)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _review(pilot, app)
        assert "Due 1 · New 2 · Done 0" in _progress(app)
        assert _card(screen) == OTHER  # due before new
        await pilot.press("space", "4")
        assert "Due 0 · New 2 · Done 1" in _progress(app)
        await pilot.press("q")


async def test_a_failed_card_waits_behind_other_cards(home: Path, clock: Clock) -> None:
    app = _app(home, clock, new_per_day=3)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _review(pilot, app)
        failed = _card(screen)
        await pilot.press("space", "1")
        clock.advance(minutes=5)  # due again already
        await pilot.press("space", "4")  # the next card is not the failed one: answer it
        assert _card(screen) != failed
        await pilot.press("q")
    first_two = [r["card"] for r in _log(home)][:2]
    assert first_two[0] == failed and first_two[1] != failed


async def test_only_learning_cards_left_says_when_and_offers_to_learn_ahead(
    home: Path, clock: Clock
) -> None:
    app = _app(home, clock, new_per_day=1, learning_steps_minutes=(60.0,))
    async with app.run_test(size=SIZE) as pilot:
        screen = await _review(pilot, app)
        card = _card(screen)
        await pilot.press("space", "1")
        assert screen.mode == "done"
        front = _text(app, "#card-head")
        assert "due in 1h" in front and "learn" in front
        await pilot.press("a")
        assert screen.mode == "question" and _card(screen) == card
        await pilot.press("q")


async def test_u_undoes_suspend_bury_and_flag_in_every_state(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _review(pilot, app)
        first = _card(screen)
        await pilot.press("x")
        assert _card(screen) != first and app.study.marks_of(first).suspended
        await pilot.press("space")  # the next card's answer is showing
        await pilot.press("u")
        assert _card(screen) == first and not app.study.marks_of(first).suspended
        await pilot.press("f", "minus")
        await pilot.press("u")  # the bury
        assert _card(screen) == first and app.study.marks_of(first).flagged
        await pilot.press("space", "u")  # the flag, while revealed: the card stays
        assert _card(screen) == first and screen.mode == "revealed"
        assert not app.study.marks_of(first).flagged
        await pilot.press("q")
    kinds = [(r["type"], r.get("on", r.get("until", "-"))) for r in _log(home)]
    assert kinds[0] == ("suspend", True) and kinds[1] == ("suspend", False)
    assert kinds[-1] == ("flag", False) and kinds[-2] == ("bury", None)


async def test_ctrl_z_undoes_inside_an_answer_box(home: Path, clock: Clock) -> None:
    from dlquiz.questions import generate

    study = Study.open(home, now=clock())  # with question families
    app = DLQuizApp(study, clock=clock, rng=random.Random(0), generator=generate)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _review(pilot, app)
        first = _card(screen)
        await pilot.press("space", "4")
        skill = next(s for s in study.deck.values() if s.kind.value == "skill")
        screen.next_card(skill)  # a computed question with an answer box
        for _ in range(500):
            if screen.mode != "loading":
                break
            await pilot.pause(0.01)
        assert screen.current is not None and screen.current.is_typed
        await pilot.press("u")  # a letter of the answer, not an undo
        assert study.can_undo
        await pilot.press("ctrl+z")
        assert _card(screen) == first and not study.can_undo
        await pilot.press("q")


async def test_summary_screen_and_studying_on(home: Path, clock: Clock) -> None:
    app = _app(home, clock, new_per_day=2)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await _review(pilot, app)
        missed = _card(screen)
        await pilot.press("space", "1")
        clock.advance(minutes=2)
        await pilot.press("space", "4")
        await pilot.press("space", "4")  # the missed one, learned this time
        assert screen.mode == "done"
        await pilot.press("enter")
        summary = app.screen
        assert isinstance(summary, SummaryScreen)
        text = str(summary.query_one("#summary-text", Static).render())
        assert "Cards 3" in text and "Missed (1)" in text
        assert app.study.content.terms[missed.split("/")[1]].term in text  # the full question
        await pilot.press("n")  # ten more new cards today
        assert app.screen is screen and screen.mode == "question"
        assert app.study.counts(clock()).new == 10
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("q")


async def test_summary_misses_and_custom_study(home: Path, clock: Clock) -> None:
    app = _app(home, clock, new_per_day=1)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await _review(pilot, app)
        missed = _card(screen)
        await pilot.press("space", "1", "space", "4")  # back at once: nothing else waits
        assert screen.mode == "done"
        await pilot.press("enter")
        text = str(app.screen.query_one("#summary-text", Static).render())
        assert "rated Again, then Easy" in text  # missed, then known
        await pilot.press("m")  # today's misses: practice, schedule untouched
        practice = app.screen
        assert isinstance(practice, ReviewScreen) and practice.practice is not None
        assert _card(practice) == missed
        before = len(_log(home))
        await pilot.press("space", "3")
        assert len(_log(home)) == before
        await pilot.press("escape")
        await pilot.press("enter")
        again = app.screen
        assert isinstance(again, ReviewScreen)
        await pilot.press("enter")  # done: to the summary
        assert isinstance(app.screen, SummaryScreen)
        await pilot.press("c")
        choices = app.screen.query_one("#custom-choices", OptionList)
        keys = [choices.get_option_at_index(i).id for i in range(choices.option_count)]
        assert "optimization" in keys
        await pilot.press("s")  # count it in the schedule
        assert app.screen.query_one("#summary-schedule", Checkbox).value
        choices.highlighted = keys.index("optimization")
        await pilot.press("enter")
        assert again.is_current and again.mode == "question"
        spec = app.study.deck[_card(again)]
        assert "optimization" in spec.tags and "Custom study" in _progress(app)
        before = len(_log(home))
        await pilot.press("space", "3")
        assert len(_log(home)) == before + 1  # recorded
        await pilot.press("q")


async def test_card_info_lists_every_review_and_the_memory_state(home: Path, clock: Clock) -> None:
    _seed_due(home, OTHER, reviews=2)
    app = _app(home, clock, new_per_day=0)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _review(pilot, app)
        assert _card(screen) == OTHER
        await pilot.press("i")
        info = app.screen
        assert isinstance(info, CardInfoScreen)
        assert info.query_one(DataTable).row_count == 2
        head = str(info.query_one(".info-head", Static).render())
        assert "Stability 10.0 days" in head and "Difficulty 5.0" in head
        r = app.study.retrievability(OTHER, clock())
        assert r is not None and f"Recall chance now {r:.0%}" in head
        row = info.query_one(DataTable).get_row_at(1)  # oldest last
        assert row[1] == "Good" and str(row[3]) == "typed" and row[4] == "4s"
        await pilot.press("escape")
        assert app.screen is screen
        await pilot.press("q")


async def test_marks_are_shown_and_the_footer_follows(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=(120, 24)) as pilot:
        screen = await _review(pilot, app)
        assert "Flagged" not in _text(app, "#card-head").splitlines()[0]  # the kind line
        assert screen.check_action("flag", ()) and not screen.check_action("unflag", ())
        await pilot.press("f")
        await pilot.pause()
        assert "Flagged" in _text(app, "#card-head").splitlines()[0]
        assert screen.check_action("unflag", ()) and not screen.check_action("flag", ())
        footer = str(screen.query_one("LineFooter").render())
        assert "Unflag" in footer
        await pilot.press("f")
        assert not app.study.marks_of(_card(screen)).flagged
        await pilot.press("q")


async def test_card_info_for_several_cards_has_a_section_each(home: Path, clock: Clock) -> None:
    _seed_due(home, RECALL)
    app = _app(home, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        app.open_card_info(RECALL, NAME)  # as Browse does for a term
        await pilot.pause()
        info = app.screen
        assert isinstance(info, CardInfoScreen)
        heads = [str(h.render()) for h in info.query(".info-head").results(Static)]
        assert len(heads) == 2 and "Due" in heads[0] and "Never reviewed" in heads[1]
        assert [t.row_count for t in info.query(DataTable).results(DataTable)] == [1, 0]
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("q")


async def test_u_during_feedback_undoes_the_answer_on_screen(home: Path, clock: Clock) -> None:
    _seed_due(home, NAME)
    app = _app(home, clock, new_per_day=0)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _review(pilot, app)
        cur = screen.current
        assert cur is not None and _card(screen) == NAME and cur.correct is not None
        await pilot.press(str((cur.correct + 1) % len(cur.choices) + 1))  # a wrong pick
        assert screen.mode == "feedback"
        await pilot.press("u")
        assert screen.mode == "question" and _card(screen) == NAME
        assert not app.study.can_undo
        await pilot.press("q")
    mine = [(r["type"], r.get("rating")) for r in _log(home) if r["card"] == NAME]
    assert mine[-2:] == [("review", 1), ("undo", None)]


async def test_an_undone_computed_question_comes_back_with_the_same_numbers(
    home: Path, clock: Clock
) -> None:
    # Undo brought the question back with fresh numbers: not the one the user undid.
    from dlquiz.questions import generate

    study = Study.open(home, now=clock())  # with question families
    app = DLQuizApp(study, clock=clock, rng=random.Random(0), generator=generate)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _review(pilot, app)
        skill = next(s for s in study.deck.values() if s.kind.value == "skill")

        async def question() -> tuple[int | None, str, str]:
            for _ in range(3000):  # a cap: the first question may wait on torch
                if screen.mode != "loading":
                    break
                await pilot.pause(0.01)
            cur = screen.current
            assert cur is not None and cur.question is not None, screen.mode
            return cur.seed, cur.question.prompt, cur.question.code

        screen.next_card(skill)
        asked = await question()
        await pilot.press("ctrl+r")  # give up: the answer shown, graded Again
        assert screen.mode == "feedback"
        await pilot.press("enter")  # recorded; the next card comes
        await pilot.pause()
        await pilot.press("u")
        assert _card(screen) == skill.id
        assert await question() == asked
        # Answered again, then shown once more with new numbers and undone from there:
        # the numbers of the answer undone come back, not the ones on screen.
        await pilot.press("ctrl+r", "enter")
        await pilot.pause()
        screen.next_card(skill)
        shown_again = await question()
        assert shown_again != asked
        await pilot.press("ctrl+z")  # the answer box has the focus: Ctrl+Z undoes
        assert _card(screen) == skill.id
        assert await question() == asked
        await pilot.press("q")
