"""Skill cards in the TUI: typed answers, retries, auto-grades, proof, the torch worker."""

from __future__ import annotations

import json
import random
from pathlib import Path

from textual.widgets import Input, Static

from dlquiz.__main__ import make_app
from dlquiz.answers import check
from dlquiz.cards import Kind
from dlquiz.questions import generate
from dlquiz.tui.app import DLQuizApp
from dlquiz.tui.screens.review import ReviewScreen
from tests.conftest import Clock
from tests.test_tui import SIZE, _log

# A skill whose questions are typed (a whole number), then an ordinary card after it.
SKILL_CARD = "skill/linear-params/1"
AFTER_SKILL = "term/adam/recall"


async def _first_skill(pilot, app: DLQuizApp) -> ReviewScreen:  # type: ignore[no-untyped-def]
    """Open review with a skill card up (maybe still loading).

    Custom study (``Study.focus``) puts the skill card first instead of answering the
    deck's other cards until one comes up.
    """
    assert app.study.focus([SKILL_CARD, AFTER_SKILL]) == 2
    await pilot.press("enter")
    screen = app.screen
    assert isinstance(screen, ReviewScreen)
    assert screen.current is not None and screen.current.spec.kind is Kind.SKILL
    return screen


async def _to_skill(pilot, app: DLQuizApp, wait: float = 30.0) -> ReviewScreen:  # type: ignore[no-untyped-def]
    # A generous cap, left as soon as the question is up: the card is the first one shown
    # now, so a worker's first generation (importing torch) may happen here, on a busy machine.
    screen = await _first_skill(pilot, app)
    for _ in range(int(wait / 0.01)):  # the question is generated in a thread worker
        if screen.mode == "question":
            break
        await pilot.pause(0.01)
    assert screen.mode == "question" and screen.current is not None
    assert screen.current.question is not None
    return screen


def _wrong_answer(screen: ReviewScreen) -> str:
    q = screen.current.question  # type: ignore[union-attr]
    assert q is not None
    for guess in ("(1, 1)", "7", "0.123", "a", "b"):
        if check(q.expected, guess).status == "wrong":
            return guess
    raise AssertionError("no wrong answer found")


def _app(home: Path, clock: Clock) -> DLQuizApp:
    return make_app(home, clock=clock, rng=random.Random(3), generator=generate)


async def test_wrong_twice_is_again_and_explained(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _to_skill(pilot, app)
        cur = screen.current
        assert cur is not None and cur.question is not None
        if cur.is_choice:
            wrong = (cur.correct + 1) % len(cur.choices)  # type: ignore[operator]
            await pilot.press(str(wrong + 1))
        else:
            bad = _wrong_answer(screen)
            for _ in range(2):
                screen.query_one("#typed", Input).value = bad
                await pilot.press("enter")
        assert screen.mode == "feedback" and cur.suggested == 1
        back = str(screen.query_one("#card-back", Static).render())
        assert cur.question.expected.display() in back
        await pilot.press("p")
        assert screen.query_one("#card-proof").display
        await pilot.press("enter")
    record = _log(home)[-1]
    assert record["card"] == cur.spec.id and record["rating"] == 1
    skill = record["skill"]
    assert isinstance(skill, dict)
    assert skill["seed"] == cur.question.seed and skill["params"] == json.loads(
        json.dumps(cur.question.params)
    )
    # the question can be regenerated from the log: same seed, same question
    again = generate(skill["family"], skill["level"], skill["seed"])
    assert again.expected == cur.question.expected


async def test_unparsable_input_gets_a_hint_not_a_wrong_mark(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _to_skill(pilot, app)
        cur = screen.current
        assert cur is not None
        if cur.is_choice:
            return  # choice questions have nothing to mistype
        screen.query_one("#typed", Input).value = "\x00??"
        await pilot.press("enter")
        assert screen.mode == "question" and cur.attempts == 0
        assert len(str(screen.query_one("#hint", Static).render())) > 0
        await pilot.press("q")  # typed into the input, not quit
        assert screen.query_one("#typed", Input).value.endswith("q")


async def test_right_after_a_retry_is_hard(home: Path, clock: Clock) -> None:
    for seed in range(20):  # find a session whose first skill question is typed
        app = make_app(home, clock=clock, rng=random.Random(seed), generator=generate)
        async with app.run_test(size=SIZE) as pilot:
            screen = await _to_skill(pilot, app)
            cur = screen.current
            assert cur is not None and cur.question is not None
            if cur.is_choice:
                await pilot.press("u")
                await pilot.press("escape")
                continue
            typed = screen.query_one("#typed", Input)
            typed.value = _wrong_answer(screen)
            await pilot.press("enter")
            assert screen.mode == "question" and cur.attempts == 1
            typed.value = cur.question.expected.proof_line()
            await pilot.press("enter")
            assert screen.mode == "feedback" and cur.suggested == 2
            await pilot.press("enter")
        assert _log(home)[-1]["rating"] == 2
        return
    raise AssertionError("no typed skill question in 20 sessions")


async def test_give_up_shows_the_answer_graded_again(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _to_skill(pilot, app)
        cur = screen.current
        assert cur is not None
        if cur.is_choice:
            return
        await pilot.press("ctrl+r")
        assert screen.mode == "feedback" and cur.suggested == 1
        await pilot.press("3")  # the user overrides: they knew it
    assert _log(home)[-1]["rating"] == 3


async def test_failed_generation_is_reported_and_skipped(home: Path, clock: Clock) -> None:
    def broken(family: str, level: int, seed: int):  # type: ignore[no-untyped-def]
        raise RuntimeError("generator exploded")

    app = make_app(home, clock=clock, rng=random.Random(1), generator=broken)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _first_skill(pilot, app)
        for _ in range(100):
            if screen.mode == "failed":
                break
            await pilot.pause(0.01)
        assert screen.mode == "failed"
        assert "generator exploded" in str(screen.query_one("#card-head", Static).render())
        skipped = screen.current.spec.id  # type: ignore[union-attr]
        await pilot.press("enter")
        assert screen.current is not None and screen.current.spec.id != skipped
    assert all(r["card"] != skipped for r in _log(home))


async def test_a_failed_worker_offers_a_retry_of_the_same_card(home: Path, clock: Clock) -> None:
    from dlquiz.questions.worker import WorkerUnavailable

    calls: list[int] = []

    def flaky(family: str, level: int, seed: int):  # type: ignore[no-untyped-def]
        calls.append(seed)
        if len(calls) == 1:
            raise WorkerUnavailable("The question process stopped answering; it was restarted.")
        return generate(family, level, seed)

    app = make_app(home, clock=clock, rng=random.Random(1), generator=flaky)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _first_skill(pilot, app)
        for _ in range(100):
            if screen.mode == "failed":
                break
            await pilot.pause(0.01)
        assert screen.mode == "failed"
        text = str(screen.query_one("#card-head", Static).render())
        assert "tries again" in text and "report" not in text
        card = screen.current.spec.id  # type: ignore[union-attr]
        await pilot.press("enter")
        for _ in range(300):
            if screen.mode == "question":
                break
            await pilot.pause(0.01)
        assert screen.mode == "question" and screen.current.spec.id == card  # type: ignore[union-attr]
        assert len(calls) == 2 and calls[0] == calls[1]  # the same numbers, asked again


async def test_real_worker_process_serves_the_app(home: Path, clock: Clock) -> None:
    app = make_app(home, clock=clock, rng=random.Random(5))
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(1200):  # torch loads in the child; other cards come first meanwhile
            if app.questions_ready:
                break
            await pilot.pause(0.1)
        screen = await _to_skill(pilot, app, wait=30)
        assert screen.current is not None and screen.current.question is not None
        assert app.questions_ready
        await pilot.press("escape")
