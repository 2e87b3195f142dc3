"""The help page: help.md rendered without the Markdown widget, nothing of it lost."""

from __future__ import annotations

import random
import re
from collections import Counter
from pathlib import Path

from rich.console import Console

from dlquiz.__main__ import make_app
from dlquiz.questions import generate
from dlquiz.tui.screens.help import HELP_FILE, HelpScreen, help_renderable, inline
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
