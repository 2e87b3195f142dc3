"""The help page: help.md rendered without the Markdown widget, nothing of it lost."""

from __future__ import annotations

import random
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from rich.style import Style
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.strip import Strip
from textual.visual import Visual
from textual.widget import Widget

from dlquiz.__main__ import make_app
from dlquiz.questions import generate
from dlquiz.tui.screens.help import HELP_FILE, HelpScreen, HelpText, help_renderable, inline
from tests.conftest import Clock


def _plain(width: int = 76) -> str:
    console = Console(width=width, color_system=None)
    with console.capture() as captured:
        console.print(help_renderable("#ffaa00"))
    return captured.get()


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9+]+", text)


def test_every_word_of_help_md_is_shown() -> None:
    source = HELP_FILE.read_text(encoding="utf-8")
    # Markdown syntax aside (#, |, ---, `, *), the page says what the file says. As a
    # multiset: a table's wrapped cells interleave their lines.
    expected = _words(re.sub(r"^\|?[-:| ]+\|?$", "", source, flags=re.M))
    assert expected.count("Key") >= 5  # the tables' headers are words too
    assert Counter(_words(_plain())) == Counter(expected)
    headings = [line.lstrip("#").strip() for line in source.splitlines() if line.startswith("#")]
    lines = [line.strip() for line in _plain().splitlines()]
    assert [line for line in lines if line in headings] == headings  # in the file's order


def test_inline_code_and_emphasis_are_styled_not_shown_as_syntax() -> None:
    text = inline("press `Ctrl+P`, **Again** or *Hard* [not markup]", "bold red")
    assert text.plain == "press Ctrl+P, Again or Hard [not markup]"
    styles = {text.plain[span.start : span.end]: str(span.style) for span in text.spans}
    assert styles["Ctrl+P"] == "bold red"
    assert styles["Again"] == "bold" and styles["Hard"] == "italic"


def test_emoji_codes_are_shown_as_written() -> None:
    """help.md is not Rich markup: an emoji code stays the text it is."""
    text = inline("`:q:` is not :smile: and [b]this[/b] is not bold", "bold red")
    assert text.plain == ":q: is not :smile: and [b]this[/b] is not bold"


# Opened in a new process: Help, the skill map and the statistics, then which of Rich's
# modules were loaded. Its emoji table (~5 ms to load) is needed by none of them.
_OPEN_SCREENS = """
import asyncio, random, sys
from pathlib import Path
from dlquiz.__main__ import make_app
from dlquiz.questions import generate

async def main() -> None:
    app = make_app(Path(sys.argv[1]), generator=generate, rng=random.Random(0))
    async with app.run_test(size=(80, 24)) as pilot:
        for key in ("question_mark", "escape", "m", "escape", "s"):
            await pilot.press(key)
            await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        print(type(app.screen).__name__, "rich._emoji_codes" in sys.modules)

asyncio.run(main())
"""


def test_help_skill_map_and_stats_never_load_the_emoji_table(home: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _OPEN_SCREENS, str(home)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert done.stdout.split() == ["StatsScreen", "False"], done.stderr


def test_narrow_terminal_wraps_instead_of_cutting() -> None:
    narrow = _plain(width=40)
    assert max(len(line.rstrip()) for line in narrow.splitlines()) <= 40
    assert Counter(_words(narrow)) == Counter(_words(_plain()))


async def test_help_opens_scrolls_and_closes(home: Path, clock: Clock) -> None:
    from dlquiz.tui.screens.home import HomeScreen

    app = make_app(home, clock=clock, generator=generate, rng=random.Random(0))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        scroll = app.screen.query_one("#help")
        await pilot.press("end")
        await pilot.pause()
        assert scroll.scroll_y > 0  # the page is longer than the screen, and it scrolls
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)


class _HelpByRender(HelpText):
    """Drawn as Textual draws any widget: the whole of ``render()`` (as HelpText was)."""

    def render_line(self, y: int) -> Strip:
        return Widget.render_line(self, y)


class _HelpPair(App[None]):
    AUTO_FOCUS = None

    def compose(self) -> ComposeResult:
        yield HelpText("#ffaa00", id="ours")
        yield _HelpByRender("#ffaa00", id="twin")


def _rows(widget: Widget) -> list[list[tuple[object, ...]]]:
    """Each row as the screen gets it: every cell's character, colours, bold, italic and
    underline (the page's headings, keys and emphasis)."""
    width, height = widget.size
    rows = []
    for strip in widget.render_lines(Region(0, 0, width, height)):
        row: list[tuple[object, ...]] = []
        for segment in strip:
            style = segment.style or Style()
            look = (style.color, style.bgcolor, style.bold, style.italic, style.underline)
            row += [(ch, *look) for ch in segment.text]
        rows.append(row)
    return rows


async def test_the_page_is_drawn_line_by_line_as_textual_draws_it() -> None:
    app = _HelpPair()
    async with app.run_test(size=(80, 24)) as pilot:
        pair = [app.query_one(f"#{name}", HelpText) for name in ("ours", "twin")]
        for theme in (app.theme, "textual-light"):
            app.theme = theme
            await pilot.pause()
            ours, twin = (_rows(widget) for widget in pair)
            assert ours == twin and len(ours) > 100  # the whole page, every cell
            assert "".join(cell[0] for cell in ours[0]).strip()  # a heading, not blank
        unselected = ours
        selected = []
        for widget in pair:  # one at a time: a screen has one selection
            widget.text_select_all()
            await pilot.pause()
            selected.append(_rows(widget))
        assert selected[0] == selected[1] and selected[0] != unselected  # the selection shows


async def test_only_the_lines_on_screen_are_drawn(
    home: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not the whole page through Textual's text pipeline (~180 lines, ~30 ms at the
    first open): the lines laid out once per width, the ones on screen drawn."""
    drawn: list[int] = []  # rows of the page drawn
    whole: list[object] = []  # widgets drawn whole through the text pipeline
    render_line, to_strips = HelpText.render_line, Visual.to_strips

    def counted(self: HelpText, y: int) -> Strip:
        drawn.append(y)
        return render_line(self, y)

    def pipeline(widget: Widget, *args: Any, **kwargs: Any) -> list[Strip]:
        whole.append(widget)
        return to_strips(widget, *args, **kwargs)

    monkeypatch.setattr(HelpText, "render_line", counted)
    monkeypatch.setattr(Visual, "to_strips", staticmethod(pipeline))
    app = make_app(home, clock=clock, generator=generate, rng=random.Random(0))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        page = app.screen.query_one(HelpText)
        assert page.size.height > 100 and drawn  # a long page, drawn line by line
        assert max(drawn) < 24 and not any(isinstance(w, HelpText) for w in whole)
        await pilot.press("escape")
