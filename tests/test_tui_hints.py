"""Skill cards teach: a named mistake's feedback, two hints (then Hard), a near miss is Hard,
and the log keeps what was typed, the mistake and the hints used."""

from __future__ import annotations

import random
from pathlib import Path

from textual.widgets import Input, Static

from dlquiz.__main__ import make_app
from dlquiz.questions.base import Expected, Mistake, Question
from dlquiz.tui.app import DLQuizApp
from tests.conftest import Clock
from tests.test_tui import SIZE, _log
from tests.test_tui_skills import _to_skill

KEPT = Mistake(
    "kept-in-channels",
    "kept in_channels",
    (1, 3, 8, 8),
    "You kept in_channels = 3; a Conv2d's output has out_channels = 8 channels.",
)


def _shape_question(family: str, level: int, seed: int) -> Question:
    return Question(
        family=family,
        level=level,
        params={"C_in": 3, "C_out": 8},
        prompt="What is the shape of y?",
        code="conv = nn.Conv2d(3, 8, 3, padding=1)\ny = conv(torch.randn(1, 3, 8, 8))",
        expected=Expected("shape", (1, 8, 8, 8)),
        explanation="Channels become 8.",
        proof="print((1, 8, 8, 8))",
        seed=seed,
        mistakes=(KEPT,),
        hints=("Conv output: (N, out_channels, H_out, W_out).", "N = 1, out_channels = 8, 8×8."),
    )


def _float_question(family: str, level: int, seed: int) -> Question:
    return Question(
        family=family,
        level=level,
        params={},
        prompt="What is the loss? Give a float to 3 decimal places.",
        code="",
        expected=Expected("float", 0.3656, 3),
        explanation="…",
        proof="print('0.366')",
        seed=seed,
        hints=("rule", "numbers 3"),
    )


def _app(home: Path, clock: Clock, generator: object) -> DLQuizApp:
    return make_app(home, clock=clock, rng=random.Random(3), generator=generator)


async def _type(pilot, screen, text: str) -> None:  # type: ignore[no-untyped-def]
    screen.query_one("#typed", Input).value = text
    await pilot.press("enter")


async def test_a_named_mistake_is_explained_and_logged(home: Path, clock: Clock) -> None:
    app = _app(home, clock, _shape_question)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _to_skill(pilot, app)
        await _type(pilot, screen, "1x3x8x8")
        assert screen.mode == "question"
        assert "out_channels = 8" in str(screen.query_one("#hint", Static).render())
        await _type(pilot, screen, "(1, 3, 8, 8)")
        assert screen.mode == "feedback" and screen.current.suggested == 1  # type: ignore[union-attr]
        assert "You kept in_channels = 3" in str(screen.query_one("#card-back", Static).render())
        await pilot.press("enter")
    record = _log(home)[-1]
    assert record["rating"] == 1
    assert record["mistake"] == "kept-in-channels"
    assert record["answer"] == "(1, 3, 8, 8)" and record["hints"] == 0


async def test_two_hints_then_a_right_answer_is_hard(home: Path, clock: Clock) -> None:
    app = _app(home, clock, _shape_question)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _to_skill(pilot, app)
        await pilot.press("h")
        back = str(screen.query_one("#card-back", Static).render())
        assert "Hint 1" in back and "Hint 2" not in back
        assert screen.query_one("#typed", Input).value == ""  # the key was not typed
        await pilot.press("h")
        assert "N = 1, out_channels = 8" in str(screen.query_one("#card-back", Static).render())
        await pilot.press("h")  # no third hint: nothing happens
        await _type(pilot, screen, "1 8 8 8")
        assert screen.mode == "feedback" and screen.current.suggested == 2  # type: ignore[union-attr]
        await pilot.press("enter")
    record = _log(home)[-1]
    assert record["rating"] == 2 and record["hints"] == 2 and record.get("mistake") is None


async def test_h_is_typed_once_the_answer_box_has_text(home: Path, clock: Clock) -> None:
    app = _app(home, clock, _shape_question)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _to_skill(pilot, app)
        screen.query_one("#typed", Input).value = "1"
        await pilot.press("h")
        assert screen.query_one("#typed", Input).value == "1h"
        assert not any(back.display for back in screen.query("#card-back"))  # no hint shown


async def test_a_near_miss_is_accepted_as_hard(home: Path, clock: Clock) -> None:
    app = _app(home, clock, _float_question)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _to_skill(pilot, app)
        await _type(pilot, screen, "0.365")
        assert screen.mode == "feedback" and screen.current.suggested == 2  # type: ignore[union-attr]
        assert "exact value is 0.3656" in str(screen.query_one("#card-back", Static).render())


def _pick_question(family: str, level: int, seed: int) -> Question:
    return Question(
        family=family,
        level=level,
        params={},
        prompt="What is the shape of y, or does the last line raise an error? Pick one.",
        code="a = torch.zeros(6, 1, 7)\nb = torch.zeros(1, 2, 7)\ny = a + b",
        expected=Expected("choice", 0, choices=("(6, 2, 7)", "(1, 2, 7)", "(6, 1, 7)", "error")),
        explanation="Each 1 stretches.",
        proof="print('(6, 2, 7)')",
        seed=seed,
        mistakes=(
            Mistake("kept-first", "kept the first shape", 2, "A size-1 dim stretches to 2."),
        ),
    )


async def test_a_picked_option_that_a_slip_leads_to_is_named(home: Path, clock: Clock) -> None:
    app = _app(home, clock, _pick_question)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _to_skill(pilot, app)
        await pilot.press("3")  # c) (6, 1, 7): the first shape kept
        assert screen.mode == "feedback" and screen.current.suggested == 1  # type: ignore[union-attr]
        assert "stretches to 2" in str(screen.query_one("#card-back", Static).render())
        await pilot.press("enter")
    assert _log(home)[-1]["mistake"] == "kept-first"
