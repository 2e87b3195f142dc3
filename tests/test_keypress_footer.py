"""``LineFooter``: the compact footer in one widget, cell for cell as Textual's Footer draws it.

Compared through the screen as a terminal shows it (the SVG screenshot, cell by cell:
character, colours, weight), at three widths, with a disabled key, and under the mouse.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import ClassVar

import pytest
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import Footer, Static

from dlquiz.tui.widgets.footer import LineFooter

Cell = tuple[str, str, str]  # character, its style (class rule), background


def _row(svg: str, row: int) -> list[Cell]:
    """The cells of one row of a Textual SVG screenshot."""
    rules = dict(re.findall(r"\.(\S+-r\d+) \{ ([^}]*) \}", svg))
    width = 12.2  # Textual's cell width in its SVG
    backgrounds: dict[int, str] = {}
    for fill, x, y, w in re.findall(
        r'<rect fill="(#[0-9a-f]+)" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)"', svg
    ):
        if round((float(y) - 1.5) / 24.4) == row:
            start = round(float(x) / width)
            for col in range(start, start + round(float(w) / width)):
                backgrounds[col] = fill
    cells: dict[int, tuple[str, str]] = {}
    for cls, x, y, text in re.findall(
        r'<text class="(\S+)" x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>', svg
    ):
        if round((float(y) - 20) / 24.4) == row:
            for i, char in enumerate(html.unescape(text).replace("\xa0", " ")):
                cells[round(float(x) / width) + i] = (char, rules.get(cls, cls))
    columns = sorted(backgrounds)
    return [(*cells.get(c, (" ", "")), backgrounds[c]) for c in columns]


class _Keys(App[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("u", "undo", "Undo"),
        Binding("minus", "bury", "Bury", key_display="-"),
        Binding("x", "suspend", "Suspend"),
        Binding("f", "flag", "Flag"),
        Binding("i", "info", "Info"),
        Binding("space", "reveal", "Show answer", show=False),
        Binding("escape", "home", "Home"),
    ]

    def __init__(self, footer: Callable[[], Widget]) -> None:
        super().__init__()
        self.footer, self.done = footer, []  # type: ignore[var-annotated]
        self.undo_ok = False

    def compose(self) -> ComposeResult:
        yield Static("a card")
        yield self.footer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "undo":
            return None if not self.undo_ok else True  # None: shown, disabled
        return True

    def action_bury(self) -> None:
        self.done.append("bury")

    def action_undo(self) -> None:
        self.done.append("undo")


def _stock() -> Footer:
    return Footer(compact=True)


async def _footer_row(footer: Callable[[], Widget], width: int, hover: int | None) -> list[Cell]:
    app = _Keys(footer)
    async with app.run_test(size=(width, 6)) as pilot:
        await pilot.pause()
        if hover is not None:
            await pilot.hover(offset=(hover, 5))
        await pilot.pause()
        return _row(app.export_screenshot(), 5)


# At 58 columns the keys fill the line: the palette key covers the last key's margin.
@pytest.mark.parametrize(
    ("width", "hover"), [(58, None), (60, None), (80, None), (120, 8), (80, 3)]
)
async def test_it_draws_what_the_stock_footer_draws(width: int, hover: int | None) -> None:
    keys = await _footer_row(_stock, width, hover)
    line = await _footer_row(LineFooter, width, hover)
    assert len(keys) == width
    assert "^p palette" in "".join(c[0] for c in keys)
    assert line == keys


async def test_a_click_presses_its_key_and_the_keys_follow_the_bindings() -> None:
    app = _Keys(LineFooter)
    async with app.run_test(size=(80, 6)) as pilot:
        footer = app.query_one(LineFooter)
        await pilot.pause()
        text = str(footer.render())
        assert text.startswith("u Undo - Bury x Suspend") and text.endswith("▏^p palette ")
        assert "Show answer" not in text
        await pilot.click(LineFooter, offset=(text.index("Bury"), 0))
        await pilot.click(LineFooter, offset=(1, 0))  # Undo: disabled, nothing happens
        await pilot.pause()
        assert app.done == ["bury"]
        app.undo_ok = True
        app.refresh_bindings()
        await pilot.pause()
        await pilot.click(LineFooter, offset=(1, 0))
        await pilot.pause()
        assert app.done == ["bury", "undo"]
        await pilot.resize_terminal(30, 6)  # too narrow for all: the last keys go
        await pilot.pause()
        narrow = str(footer.render())
        assert narrow.startswith("u Undo") and narrow.endswith("▏^p palette ")
        assert "Home" not in narrow and len(narrow) == 30
