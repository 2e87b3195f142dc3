"""Notices are plain text: a "[" in a file name, a path or a deck's text is shown as
written. Read as markup, "[/]" raised a MarkupError when the toast was drawn, and the
app closed with a traceback."""

from __future__ import annotations

import random
from pathlib import Path

from textual.widgets._toast import Toast

from dlquiz import paths
from dlquiz.__main__ import make_app
from dlquiz.questions import generate
from dlquiz.tui.app import DLQuizApp
from dlquiz.tui.screens.browse import BrowseScreen
from dlquiz.tui.screens.home import HomeScreen
from tests.conftest import Clock
from tests.test_tui_browse import _search

TAGGED_DECK = """
[[term]]
slug = "zz-mark"
term = "Zzmark [/] term"
definition = "A term whose name holds what markup reads as a closing tag."
tags = ["cnn"]
"""


def _app(home: Path, clock: Clock) -> DLQuizApp:
    return make_app(home, clock=clock, generator=generate, rng=random.Random(0))


def _toasts(app: DLQuizApp) -> list[str]:
    return [str(toast.render()) for toast in app.screen.query(Toast)]


async def test_a_broken_deck_named_like_markup_is_reported_as_written(
    home: Path, clock: Clock
) -> None:
    decks = paths.decks_dir(home)
    decks.mkdir(parents=True)
    (decks / 'broken[link="].toml').write_text("[[term]\nnot toml", encoding="utf-8")
    app = _app(home, clock)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)  # running, not closed by the notice
        assert any('broken[link="].toml' in text for text in _toasts(app)), _toasts(app)


async def test_a_term_named_like_markup_is_named_as_written_when_suspended(
    home: Path, clock: Clock
) -> None:
    decks = paths.decks_dir(home)
    decks.mkdir(parents=True)
    (decks / "mine.toml").write_text(TAGGED_DECK, encoding="utf-8")
    app = _app(home, clock)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await app.push_screen(BrowseScreen())
        screen = app.screen
        assert isinstance(screen, BrowseScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        await _search(pilot, screen, "zzmark")
        await pilot.press("enter")
        assert screen.current == "term:zz-mark"
        await pilot.press("x")
        await pilot.pause()
        await pilot.pause()
        assert app.screen is screen
        assert any("“Zzmark [/] term”" in text for text in _toasts(app)), _toasts(app)


async def test_markup_that_does_not_parse_is_shown_as_written(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        app.notify("[b]bold[/b] is markup")  # what parses is still drawn as markup
        app.screen.notify("a stray [/] closing tag")  # a screen's notices go through the app
        await pilot.pause()
        await pilot.pause()
        texts = _toasts(app)
        assert "bold is markup" in texts and "a stray [/] closing tag" in texts, texts
