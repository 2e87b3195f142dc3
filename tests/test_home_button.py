"""Home's "Study now" button (``StudyButton``): a click starts a session, its label says
when nothing is due, and it is drawn as Textual's primary Button draws it."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import Button

from dlquiz.tui.screens.home import HomeScreen, StudyButton
from dlquiz.tui.screens.review import ReviewScreen
from tests.conftest import Clock
from tests.test_keypress import _app

SIZE = (80, 24)


async def test_a_click_starts_a_session(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert str(app.screen.query_one(StudyButton).render()) == "Study now"
        assert await pilot.click(StudyButton)
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)


async def test_the_label_says_when_nothing_is_due(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    settings = app.study.settings.replace(new_per_day=0)
    app.study.change_settings(settings)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        button = app.screen.query_one(StudyButton)
        assert str(button.render()) == "Nothing due now"
        assert button.size.width == len("Nothing due now") + 2


class _Both(App[None]):
    """The stock primary Button and ours, side by side, with the same label."""

    def compose(self) -> ComposeResult:
        yield Button("Study now", variant="primary", id="stock")
        yield StudyButton("Study now", id="ours")


def _drawn(widget: StudyButton | Button) -> list[list[tuple[str, object]]]:
    """Each row of ``widget`` as (text, style) segments."""
    return [
        [(segment.text, segment.style) for segment in strip]
        for strip in widget.render_lines(widget.region.reset_offset)
    ]


async def test_it_is_drawn_as_the_stock_primary_button() -> None:
    app = _Both()
    async with app.run_test(size=(40, 10)) as pilot:
        stock, ours = app.query_one("#stock", Button), app.query_one("#ours", StudyButton)
        assert stock.region.size == ours.region.size
        app.set_focus(None)
        await pilot.pause()
        assert _drawn(stock) == _drawn(ours)
        focused = []
        for widget in (stock, ours):  # each in turn has the focus
            app.set_focus(widget)
            await pilot.pause()
            focused.append(_drawn(widget))
        assert focused[0] == focused[1] and focused[0] != _drawn(stock)
