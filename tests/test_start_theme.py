"""The theme a user chose is in place from the first frame, set as Textual's own theme
watcher sets one (``DLQuizApp._start_theme``), without parsing every stylesheet again."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App

from dlquiz.__main__ import make_app
from dlquiz.study import Study
from tests.conftest import Clock

SIZE = (80, 24)


def _with_theme(home: Path, theme: str) -> None:
    with Study.open(home, with_skills=False) as study:
        study.change_settings(study.settings.replace(theme=theme))


def _no_torch(family: str, level: int, seed: int) -> object:
    raise RuntimeError("content cards only")


@pytest.mark.parametrize("theme", ["nord", "textual-light", "gruvbox"])
async def test_the_chosen_theme_as_textual_would_set_it(
    home: Path, clock: Clock, theme: str
) -> None:
    _with_theme(home, theme)
    started = make_app(home, clock=clock, generator=_no_torch)
    async with started.run_test(size=SIZE) as pilot:
        await pilot.pause()
        ours = (
            started.theme,
            sorted(started.classes),
            started.stylesheet._variables,
            started.screen.query_one("#home-title").styles.color,
        )
    # The same theme set by Textual's own watcher, on a running app.
    _with_theme(home, "textual-dark")
    switched = make_app(home, clock=clock, generator=_no_torch)
    async with switched.run_test(size=SIZE) as pilot:
        await pilot.pause()
        switched.theme = theme
        await pilot.pause()
        theirs = (
            switched.theme,
            sorted(switched.classes),
            switched.stylesheet._variables,
            switched.screen.query_one("#home-title").styles.color,
        )
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
    app = make_app(home, clock=clock, generator=_no_torch)
    assert app.theme == "nord"
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert refreshed == []
        app.theme = "gruvbox"  # a change once running still refreshes it
        await pilot.pause()
        assert refreshed
