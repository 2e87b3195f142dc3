"""Markup typed into an answer box is shown as typed: never read as markup (a ``[/]``
closing nothing would stop the app with a MarkupError, a ``[$y]`` would vanish), never
acted on (a ``@click``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, Static

from tests.conftest import Clock
from tests.test_tui_skills import _app, _to_skill

HOSTILE = ["[/]", '[link="]x', "[b]7", "7\\", "[red]12[/red]", "[@click=app.quit]1[/]", "$x [$y]"]


@pytest.mark.parametrize("typed", HOSTILE)
async def test_markup_typed_as_an_answer_is_shown_as_typed(
    home: Path, clock: Clock, typed: str
) -> None:
    app = _app(home, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _to_skill(pilot, app)
        cur = screen.current
        assert cur is not None and cur.is_typed
        box = screen.query_one("#typed", Input)
        box.value = typed
        await pilot.press("enter")  # graded, or refused with a hint: either way, read
        await pilot.pause()
        assert app.is_running and app.screen is screen
        if screen.mode == "question":  # not graded yet: shown with the answer instead
            box.value = typed
            await pilot.press("ctrl+r")
            await pilot.pause()
        assert app.is_running and app.screen is screen and screen.mode == "feedback"
        shown = str(screen.query_one("#card-back", Static).render()).replace("\u200b", "")
        assert f"you answered {typed.strip()}." in shown or typed.strip() in shown, shown
        await pilot.press("enter")
        await pilot.pause()
        assert app.is_running
