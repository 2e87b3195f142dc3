"""The theme a user chose is in place from the first frame, set as Textual's own theme
watcher sets one (``DLQuizApp._start_theme``), without parsing every stylesheet again."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App

from dlquiz.study import Study
from dlquiz.tui.app import DLQuizApp
from tests.conftest import Clock
from tests.test_keypress import _app

SIZE = (80, 24)


def _with_theme(home: Path, theme: str) -> None:
    with Study.open(home, with_skills=False) as study:
        study.change_settings(study.settings.replace(theme=theme))


def _look(app: DLQuizApp) -> tuple[object, ...]:
    """What a theme sets: its name, the app's classes, the CSS variables, a colour."""
    return (
        app.theme,
        sorted(app.classes),
        app.stylesheet._variables,
        app.screen.query_one("#home-title").styles.color,
    )


@pytest.mark.parametrize("theme", ["nord", "textual-light", "gruvbox"])
async def test_the_chosen_theme_as_textual_would_set_it(
    home: Path, clock: Clock, theme: str
) -> None:
    _with_theme(home, theme)
    started = _app(home, clock)
    async with started.run_test(size=SIZE) as pilot:
        await pilot.pause()
        ours = _look(started)
    # The same theme set by Textual's own watcher, on a running app.
    _with_theme(home, "textual-dark")
    switched = _app(home, clock)
    async with switched.run_test(size=SIZE) as pilot:
        await pilot.pause()
        switched.theme = theme
        await pilot.pause()
        theirs = _look(switched)
    assert ours == theirs


async def test_the_stylesheets_are_not_parsed_again_for_the_theme_at_start(
    home: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Textual's theme watcher refreshes the CSS: every stylesheet parsed once more."""
    _with_theme(home, "nord")  # not the default: the theme changes at start
    refreshed: list[bool] = []
    refresh = App.refresh_css

    def counted(self: App[object], animate: bool = True) -> None:
        refreshed.append(animate)
        refresh(self, animate)

    monkeypatch.setattr(App, "refresh_css", counted)
    app = _app(home, clock)
    assert app.theme == "nord"
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert refreshed == []
        app.theme = "gruvbox"  # a change once running still refreshes it
        await pilot.pause()
        assert refreshed
