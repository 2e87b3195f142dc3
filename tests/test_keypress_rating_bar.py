"""``RatingBar``: four compact Buttons drawn by one widget, cell for cell.

Compared through the screen as a terminal shows it (the SVG screenshot: character,
colours, weight) with four stock Buttons in a Horizontal, styled as the rating bar's
buttons were: at several widths, with and without the gaps, with a suggested rating,
a focused one and one under the mouse; and what a user does with it (click, Tab, Enter).
"""

from __future__ import annotations

from typing import ClassVar

import pytest
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Button, Input, Static

from dlquiz.scheduler import RATING_NAMES
from dlquiz.tui.widgets.rating_bar import RATINGS, RatingBar
from tests.test_keypress_footer import _row

_VARIANTS = {1: "error", 2: "warning", 3: "success", 4: "primary"}
LABELS = {1: "Again · 1m", 2: "Hard · 6m", 3: "Good · 10m", 4: "Easy · 4d"}

_STOCK_CSS = """
Bar { height: 1; width: 100%; align-horizontal: center; padding: 0 1; }
Bar Button { width: 1fr; max-width: 19; min-width: 12; margin: 0 1; }
Bar Button.suggested { text-style: bold reverse; }
Screen.-narrow Bar Button { margin: 0; }
"""


class Bar(Horizontal):
    """The rating bar as it was: a Horizontal of four compact Buttons."""

    def compose(self) -> ComposeResult:
        for rating in RATINGS:
            yield Button(
                f"{rating} {RATING_NAMES[rating]}",
                id=f"rate-{rating}",
                variant=_VARIANTS[rating],  # type: ignore[arg-type]
                compact=True,
            )


class _Host(App[None]):
    AUTO_FOCUS = None  # the rating bar has no focus on the review screen until Tab
    CSS: ClassVar[str] = (
        _STOCK_CSS
        + """
    RatingBar { padding: 0 1; }
    Screen.-narrow RatingBar > .rating-bar--button { margin: 0; }
    """
    )

    def __init__(self, stock: bool, labels: dict[int, str], suggested: int | None) -> None:
        super().__init__()
        self.stock, self.labels, self.suggested = stock, labels, suggested
        self.rated: list[int] = []

    def compose(self) -> ComposeResult:
        yield Static("a card", id="above")
        yield Bar() if self.stock else RatingBar(id="ratings")
        yield Input(id="below")  # something else to Tab to

    def on_mount(self) -> None:
        self.screen.set_class(self.size.width < 70, "-narrow")
        if self.stock:
            for rating, label in self.labels.items():
                button = self.query_one(f"#rate-{rating}", Button)
                button.label = f"{rating} {label}"
                button.set_class(rating == self.suggested, "suggested")
        else:
            self.query_one(RatingBar).show_labels(self.labels, self.suggested)

    def on_rating_bar_rated(self, event: RatingBar.Rated) -> None:
        self.rated.append(event.rating)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        assert event.button.id is not None
        self.rated.append(int(event.button.id.removeprefix("rate-")))


async def _cells(
    stock: bool,
    width: int,
    labels: dict[int, str],
    suggested: int | None = None,
    focus: int | None = None,
    hover: int | None = None,
) -> list[tuple[str, str, str]]:
    app = _Host(stock, labels, suggested)
    async with app.run_test(size=(width, 6)) as pilot:
        await pilot.pause()
        bar: Widget
        if stock:
            if focus is not None:
                app.query_one(f"#rate-{focus}").focus()
            if hover is not None:
                await pilot.hover(f"#rate-{hover}")
        else:
            bar = app.query_one(RatingBar)
            if focus is not None:
                bar.focus()
                bar.cursor = focus
                bar.refresh()
            if hover is not None:
                x0, w = bar.regions()[hover - 1]
                await pilot.hover(RatingBar, offset=(1 + x0 + w // 2, 0))
        await pilot.pause()
        return _row(app.export_screenshot(), 1)  # the bar's row


@pytest.mark.parametrize("width", [50, 56, 60, 64, 80, 81, 100, 120])
async def test_the_bar_draws_the_four_buttons_cell_for_cell(width: int) -> None:
    assert await _cells(False, width, LABELS) == await _cells(True, width, LABELS)


@pytest.mark.parametrize(
    ("width", "state"),
    [
        (80, {"suggested": 3}),
        (60, {"suggested": 1}),
        (80, {"focus": 2}),
        (80, {"focus": 3, "suggested": 3}),
        (80, {"hover": 4}),
        (80, {"hover": 1}),
        (60, {"hover": 2, "focus": 2}),
    ],
)
async def test_suggested_focused_and_hovered_buttons_look_the_same(
    width: int, state: dict[str, int]
) -> None:
    ours = await _cells(False, width, LABELS, **state)
    assert ours == await _cells(True, width, LABELS, **state)


async def test_a_label_too_long_for_its_button_is_cut_as_the_button_cuts_it() -> None:
    long = {1: "Again · 10m", 2: "Hard · 1.2h", 3: "Good · 12.5d", 4: "Easy · 11.3mo"}
    assert await _cells(False, 52, long) == await _cells(True, 52, long)


async def test_a_click_tab_and_enter_rate_as_the_buttons_did() -> None:
    app = _Host(False, LABELS, None)
    async with app.run_test(size=(80, 4)) as pilot:
        bar = app.query_one(RatingBar)
        for x0, w in bar.regions():
            await pilot.click(RatingBar, offset=(1 + x0 + w - 1, 0))  # its last cell
        await pilot.click(RatingBar, offset=(0, 0))  # the padding: no button
        assert app.rated == [1, 2, 3, 4]
        app.rated.clear()
        assert app.focused is bar and bar.cursor == 4  # as the clicked Button had it
        app.set_focus(None)
        await pilot.press("tab")  # into the bar, on its first button
        assert app.focused is bar and bar.cursor == 1
        await pilot.press("tab", "tab", "enter")
        await pilot.press("shift+tab", "space")
        assert app.rated == [3, 2]
        await pilot.press("tab", "tab")
        assert app.focused is bar and bar.cursor == 4
        await pilot.press("tab")  # past the last button: out of the bar
        assert app.focused is app.query_one("#below")
        await pilot.press("enter")
        assert app.rated == [3, 2]
