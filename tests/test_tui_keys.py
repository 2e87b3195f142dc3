"""Keys that work on every screen."""

from __future__ import annotations

import random
from pathlib import Path

from textual.widgets import Input

from dlquiz.__main__ import make_app
from dlquiz.questions import generate
from dlquiz.tui.screens.review import ReviewScreen
from tests.conftest import LOG_NAME, Clock
from tests.test_tui import SIZE, _answer_one


async def test_ctrl_c_quits_and_answers_are_kept(home: Path, clock: Clock) -> None:
    app = make_app(home, clock=clock, generator=generate, rng=random.Random(0))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await _answer_one(pilot, app)
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app._exit  # quitting, with no "press ctrl+q" prompt
    assert app.return_code == 0
    assert len((home / LOG_NAME).read_text().splitlines()) == 1


async def test_ctrl_c_quits_while_typing_an_answer(home: Path, clock: Clock) -> None:
    app = make_app(home, clock=clock, generator=generate, rng=random.Random(0))
    async with app.run_test(size=SIZE) as pilot:
        app.action_quiz()
        await pilot.pause()
        await pilot.press("ctrl+s")
        screen = app.screen
        assert isinstance(screen, ReviewScreen)
        for _ in range(500):
            if screen.mode == "question":
                break
            await pilot.pause(0.01)
        await pilot.pause()  # focus() takes effect on the next turn of the event loop
        typed = screen.query_one("#typed", Input)
        assert typed.has_focus
        await pilot.press("1", "ctrl+c")
        await pilot.pause()
        assert app._exit
