"""The review screen's rows drawn line by line (``render_line``), and the lines a Text
keeps: cell for cell what Textual's own pipeline draws from ``render()`` (a twin of
each widget drawn that way, side by side), after a change of text, of theme, and back."""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.strip import Strip
from textual.visual import Visual
from textual.widget import Widget

from dlquiz.scheduler import AGAIN, EASY, GOOD, HARD
from dlquiz.tui.widgets.card_parts import Text, TitleProgressBar
from dlquiz.tui.widgets.rating_bar import RatingBar

Cell = tuple[str, object, object, bool, bool]


def _cells(strip: Strip) -> list[Cell]:
    """Each cell of ``strip``: its character, colours, bold and reverse."""
    out: list[Cell] = []
    for segment in strip:
        style = segment.style
        look = (
            (style.color, style.bgcolor, bool(style.bold), bool(style.reverse))
            if style is not None
            else (None, None, False, False)
        )
        out += [(ch, *look) for ch in segment.text]
    return out


def _drawn(widget: Widget) -> list[list[Cell]]:
    """The widget's rows as the screen gets them (through Textual's line cache)."""
    width, height = widget.size
    return [_cells(strip) for strip in widget.render_lines(Region(0, 0, width, height))]


def _chars(row: list[Cell]) -> str:
    return "".join(cell[0] for cell in row)


# Twins drawn as Textual draws any widget: the whole of ``render()``, through its text
# pipeline (what these widgets did before they drew line by line).
class _TitleByRender(TitleProgressBar):
    def render_line(self, y: int) -> Strip:
        return Widget.render_line(self, y)


class _TextByRender(Text):
    def render_line(self, y: int) -> Strip:
        return Widget.render_line(self, y)


class _BarByRender(RatingBar):
    def render_line(self, y: int) -> Strip:
        return Widget.render_line(self, y)


class _Pairs(App[None]):
    TITLE = "dlquiz"
    CSS = "TitleProgressBar { dock: none; }"  # one under the other
    AUTO_FOCUS = None  # neither bar focused (a focused one has its own look)

    def compose(self) -> ComposeResult:
        yield TitleProgressBar(id="title")
        yield _TitleByRender(id="title-twin")
        yield Text(id="hint")
        yield _TextByRender(id="hint-twin")
        yield RatingBar(id="bar")
        yield _BarByRender(id="bar-twin")


def _toggle_theme(app: App[None]) -> None:
    app.theme = "textual-light" if app.theme != "textual-light" else "textual-dark"


async def test_the_title_and_progress_rows_are_drawn_as_textual_draws_them() -> None:
    app = _Pairs()
    async with app.run_test(size=(40, 12)) as pilot:
        bars = [app.query_one(f"#{name}", TitleProgressBar) for name in ("title", "title-twin")]
        for line in ("Due [b $warning]3[/] · New [b $accent]2[/]", "Due 2 · New 2 · Done 1"):
            for bar in bars:
                bar.show_progress(line)
            await pilot.pause()
            ours, twin = (_drawn(bar) for bar in bars)
            assert ours == twin
            assert "dlquiz" in _chars(ours[0]) and _chars(ours[1]).startswith(" Due ")
        before = ours
        _toggle_theme(app)
        await pilot.pause()
        ours, twin = (_drawn(bar) for bar in bars)
        assert ours == twin
        assert _chars(ours[1]) == _chars(before[1])  # the same text…
        assert ours[1][0][2] != before[1][0][2]  # …on the new theme's background


async def test_a_text_shown_again_is_drawn_as_textual_draws_it() -> None:
    app = _Pairs()
    async with app.run_test(size=(40, 12)) as pilot:
        hints = [app.query_one(f"#{name}", Text) for name in ("hint", "hint-twin")]
        first, second = "[dim]Space: show the answer[/]", "[b $success]Right.[/] 3 or Space: Good"
        seen: dict[str, list[list[Cell]]] = {}
        for markup in (first, second, first, second):
            for hint in hints:
                hint.put(markup)
            await pilot.pause()
            ours, twin = (_drawn(hint) for hint in hints)
            assert ours == twin
            assert ours == seen.setdefault(markup, ours)  # shown again: the same cells
        assert _chars(seen[first][0]).startswith("Space: show the answer")
        # Another theme: drawn for it, not from the lines kept for the last one.
        _toggle_theme(app)
        await pilot.pause()
        ours, twin = (_drawn(hint) for hint in hints)
        assert ours == twin and ours != seen[second]
        # Narrower: the text wraps anew, on each line drawn.
        for hint in hints:
            hint.put("a hint long enough to take two lines at thirty columns")
        await pilot.pause()
        await pilot.resize_terminal(30, 12)
        await pilot.pause()
        ours, twin = (_drawn(hint) for hint in hints)
        assert ours == twin and len(ours) == 2 and _chars(ours[1]).startswith("lines at thirty")
        # Set directly, not through ``put``: drawn from what was set.
        for hint in hints:
            hint.update("set directly")
        await pilot.pause()
        ours, twin = (_drawn(hint) for hint in hints)
        assert ours == twin and _chars(ours[0]).startswith("set directly")


async def test_the_rating_bar_draws_its_row_as_textual_draws_it() -> None:
    app = _Pairs()
    async with app.run_test(size=(80, 12)) as pilot:
        bars = [app.query_one(f"#{name}", RatingBar) for name in ("bar", "bar-twin")]
        labels = {AGAIN: "Again · 1m", HARD: "Hard · 6m", GOOD: "Good · 10m", EASY: "Easy · 2d"}
        for suggested in (GOOD, None):
            for bar in bars:
                bar.show_labels(labels, suggested=suggested)
            await pilot.pause()
            ours, twin = (_drawn(bar) for bar in bars)
            assert ours == twin and "3 Good · 10m" in _chars(ours[0])
        for bar in bars:
            bar.set_shown(False)  # hidden: a blank row on the bar's background
        await pilot.pause()
        ours, twin = (_drawn(bar) for bar in bars)
        assert ours == twin and _chars(ours[0]) == " " * 80


async def test_selected_text_is_drawn_selected_as_textual_draws_it() -> None:
    app = _Pairs()
    async with app.run_test(size=(40, 12)) as pilot:
        pairs = [
            [app.query_one(f"#{name}", kind) for name in (own, f"{own}-twin")]
            for own, kind in (("title", TitleProgressBar), ("hint", Text), ("bar", RatingBar))
        ]
        pairs[0][0].show_progress("Due 3")
        pairs[0][1].show_progress("Due 3")
        for hint in pairs[1]:
            hint.put("Space: show the answer")
        await pilot.pause()
        for pair in pairs:
            unselected = _drawn(pair[0])
            selected = []
            for widget in pair:  # one at a time: a screen has one selection
                widget.text_select_all()
                await pilot.pause()
                selected.append(_drawn(widget))
            ours, twin = selected
            assert ours == twin
            if any(_chars(row).strip() for row in ours):
                assert ours != unselected  # the selection shows


async def test_a_text_set_directly_is_drawn_once_not_at_each_scroll_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    drawn: list[int] = []
    to_strips = Visual.to_strips

    def counted(*args: Any, **kwargs: Any) -> list[Strip]:
        drawn.append(1)
        return to_strips(*args, **kwargs)

    app = _Pairs()
    async with app.run_test(size=(40, 12)) as pilot:
        hint = app.query_one("#hint", Text)
        hint.update("\n".join(f"line {n}" for n in range(8)))  # as the card's code is set
        await pilot.pause()
        monkeypatch.setattr(Visual, "to_strips", counted)
        hint.refresh()
        rows = [_chars(hint.render_lines(Region(0, y, 40, 2))[0]) for y in (0, 2, 4, 6)]
        assert [row.strip() for row in rows] == ["line 0", "line 2", "line 4", "line 6"]
        assert len(drawn) == 1  # the lines shown one part after another: drawn once
