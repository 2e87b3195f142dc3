"""The settings screen is built once and reused: each opening shows the saved settings."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from textual.theme import Theme
from textual.widgets import Input, Select, SelectionList, Static

from dlquiz import optimize
from dlquiz.__main__ import make_app
from dlquiz.questions import generate
from dlquiz.tui.app import DLQuizApp
from dlquiz.tui.confirm import ConfirmDiscard
from dlquiz.tui.screens.home import HomeScreen
from dlquiz.tui.screens.settings import SettingsScreen, settings_screen
from tests.conftest import Clock
from tests.test_tui_settings import filled

SIZE = (80, 24)


def _app(home: Path, clock: Clock) -> DLQuizApp:
    return make_app(home, clock=clock, generator=generate, rng=random.Random(0))


async def _open(pilot, app: DLQuizApp) -> SettingsScreen:  # type: ignore[no-untyped-def]
    screen = settings_screen(app)
    await app.push_screen(screen)
    await filled(pilot, screen)
    assert app.screen is screen
    return screen


def _value(screen: SettingsScreen, name: str) -> str:
    return screen.query_one(f"#f-{name}", Input).value


async def test_reopened_screen_is_the_same_and_drops_unsaved_edits(
    home: Path, clock: Clock
) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        first = await _open(pilot, app)
        first.query_one("#f-new_per_day", Input).value = "7"
        first.query_one("#f-day_starts_at_hour", Select).value = 9
        first.query_one("#f-excluded_tags", SelectionList).deselect("cnn")
        assert first.edited
        await pilot.press("escape")
        assert isinstance(app.screen, ConfirmDiscard)
        await pilot.press("escape")  # keep editing: the dialog closing keeps the edits
        await pilot.pause()
        assert app.screen is first and _value(first, "new_per_day") == "7"
        await pilot.press("escape")
        await pilot.click("#discard")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)

        again = await _open(pilot, app)
        assert again is first  # not built again
        assert _value(again, "new_per_day") == "20"
        assert again.query_one("#f-day_starts_at_hour", Select).value == 4
        assert "cnn" in again.query_one("#f-excluded_tags", SelectionList).selected
        assert not again.edited
        assert app.focused is again.query_one("#f-desired_retention")  # back at the top
        await pilot.press("escape")  # nothing edited: no question
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


async def test_reopened_screen_shows_settings_saved_elsewhere_and_no_old_errors(
    home: Path, clock: Clock
) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot, app)
        screen.query_one("#f-new_per_day", Input).value = "lots"
        await pilot.press("ctrl+s")
        await pilot.pause()
        error = screen.query_one("#err-new_per_day", Static)
        assert error.display and "whole number" in str(error.render())
        screen.query_one("#f-new_per_day", Input).value = "20"  # back to the saved value
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        # Changed while the screen is closed: by the theme key and by another save.
        saved = app.study.settings.replace(
            new_per_day=3, theme="textual-light", excluded_skills=("conv2d-shape", "not-here")
        )
        assert app.apply_settings(saved)
        again = await _open(pilot, app)
        assert again is screen
        assert _value(again, "new_per_day") == "3"
        assert again.query_one("#f-theme", Select).value == "textual-light"
        assert "conv2d-shape" not in again.query_one("#f-excluded_skills", SelectionList).selected
        assert not again.query_one("#err-new_per_day", Static).display
        assert not again.edited
        # An id the list cannot show survives a save from the reused form.
        again.query_one("#f-new_per_day", Input).value = "4"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.study.settings.new_per_day == 4
        assert set(app.study.settings.excluded_skills) == {"conv2d-shape", "not-here"}


async def test_other_choices_build_a_new_screen(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        first = await _open(pilot, app)
        await pilot.press("escape")
        await pilot.pause()
        app.register_theme(Theme("bench-mint", primary="#3aa"))  # the theme list changes
        second = await _open(pilot, app)
        assert second is not first
        themes = {str(v) for _, v in second.choices["theme"]}
        assert "bench-mint" in themes
        await pilot.press("escape")
        await pilot.pause()
        assert await _open(pilot, app) is second


async def test_reopened_screen_takes_a_theme_changed_while_it_was_closed(
    home: Path, clock: Clock
) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot, app)
        lists = screen.query_one("#f-excluded_tags", SelectionList)

        def looks() -> tuple[object, ...]:
            return (screen.styles.background, lists.styles.border_top)

        dark = looks()
        await pilot.press("escape")
        await pilot.pause()
        again = await _open(pilot, app)  # nothing changed: shown as it was
        assert again is screen and looks() == dark
        await pilot.press("escape")
        await pilot.pause()
        assert app.apply_settings(app.study.settings.replace(theme="textual-light"))
        await pilot.pause()
        light = await _open(pilot, app)
        assert light is screen
        assert looks() != dark  # restyled for the new theme
        fresh = SettingsScreen()  # what a newly built form looks like in this theme
        await app.push_screen(fresh)
        await filled(pilot, fresh)
        fresh_lists = fresh.query_one("#f-excluded_tags", SelectionList)
        assert (fresh.styles.background, fresh_lists.styles.border_top) == looks()


async def test_a_fit_stops_when_the_kept_screen_is_left_another_way(
    home: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    stopped = threading.Event()

    def endless_fit(log: Path, **options: Any) -> tuple[optimize.Fit, int]:
        cancelled = options["cancelled"]
        while not cancelled():
            time.sleep(0.01)
        stopped.set()
        raise optimize.FitCancelled

    monkeypatch.setattr(optimize, "fit_in_subprocess", endless_fit)
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot, app)
        screen.start_fit()
        await pilot.pause()
        assert screen._fitting
        app.pop_screen()  # as opening another screen from the command palette does
        for _ in range(300):  # not a timing assertion: a bound, so a failure cannot hang
            if stopped.is_set():
                break
            await asyncio.sleep(0.01)
        else:
            screen.workers.cancel_group(screen, "fit")  # let the test end
        assert stopped.is_set() and not screen._fitting
        assert app.study.settings.fsrs_parameters is None
