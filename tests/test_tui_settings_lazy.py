"""The settings form is shown with its first screenful and gets its other sections in the
frames after: usable at once, and nothing is lost if it is saved or left before."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from textual.app import App
from textual.screen import Screen
from textual.widgets import Input, Select, SelectionList, Static

from dlquiz.__main__ import make_app
from dlquiz.questions import generate
from dlquiz.tui.app import DLQuizApp
from dlquiz.tui.screens.home import HomeScreen
from dlquiz.tui.screens.settings import SettingsScreen, settings_screen
from dlquiz.tui.settings_form import LIST_FIELDS, SELECT_FIELDS, TEXT_FIELDS
from dlquiz.tui.settings_sections import FIRST_TEXT_FIELDS
from tests.conftest import Clock
from tests.test_tui_settings import filled

SIZE = (80, 24)


def _app(home: Path, clock: Clock) -> DLQuizApp:
    return make_app(home, clock=clock, generator=generate, rng=random.Random(0))


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> None:
    """The later sections wait for the test (``_fill``), not for a timer."""
    monkeypatch.setattr(SettingsScreen, "FILL_PAUSE_S", 3600.0)


async def _fill(pilot, screen: SettingsScreen) -> None:  # type: ignore[no-untyped-def]
    """Mount the sections left, one after the other, as the screen's timer does (a
    screen not shown then mounts the others by itself)."""
    for _ in range(20):
        if screen.complete:
            break
        await screen._mount_next()
        await pilot.pause()
    assert screen.complete


def _mounted(screen: SettingsScreen, name: str) -> bool:
    return bool(screen.query(f"#f-{name}"))


async def test_the_first_screenful_comes_first_and_the_rest_after(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = settings_screen(app)
        await app.push_screen(screen)
        # On top with its first fields, focused on the first, before the others are in.
        assert app.screen is screen
        first = TEXT_FIELDS[:FIRST_TEXT_FIELDS]
        assert first and all(_mounted(screen, name) for name in first)
        assert not any(_mounted(screen, name) for name in TEXT_FIELDS[FIRST_TEXT_FIELDS:])
        assert not _mounted(screen, "excluded_skills") and not screen.complete
        assert app.focused is screen.query_one(f"#f-{TEXT_FIELDS[0]}")
        await filled(pilot, screen)  # then every field, without anything else happening
        for name in (*TEXT_FIELDS, *SELECT_FIELDS, *LIST_FIELDS):
            assert _mounted(screen, name), name
        assert screen.query("#fit") and not screen.edited


async def test_the_pause_before_the_next_section_starts_once_the_form_is_drawn(
    home: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    frames: list[object] = []  # the screens drawn, in order
    display = App._display

    def drawn(self: App[object], screen: Screen[object], renderable: object) -> None:
        frames.append(screen)
        display(self, screen, renderable)  # type: ignore[arg-type]

    monkeypatch.setattr(App, "_display", drawn)
    timers: list[int] = []  # frames of the form drawn when each pause was started
    set_timer = SettingsScreen.set_timer

    def counted(self: SettingsScreen, delay: float, callback: object = None, **kw: object):  # type: ignore[no-untyped-def]
        if getattr(callback, "__name__", "") == "_mount_next":
            timers.append(frames.count(self))
        return set_timer(self, delay, callback, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(SettingsScreen, "set_timer", counted)
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = settings_screen(app)
        await app.push_screen(screen)
        await filled(pilot, screen)
    # One pause per section after the first, each begun after a frame showing the form.
    assert len(timers) >= 3 and all(n >= 1 for n in timers), timers


async def test_saved_before_the_rest_arrives_keeps_every_value(
    home: Path, clock: Clock, held: None
) -> None:
    app = _app(home, clock)
    saved = app.study.settings.replace(
        day_starts_at_hour=6,
        theme="nord",
        excluded_tags=("cnn",),
        excluded_skills=("conv2d-shape", "not-here"),
    )
    assert app.apply_settings(saved)
    async with app.run_test(size=SIZE) as pilot:
        screen = settings_screen(app)
        await app.push_screen(screen)
        await pilot.pause()
        assert not _mounted(screen, "theme") and not screen.complete
        assert not screen.edited  # the fields not mounted hold the saved values
        screen.query_one("#f-new_per_day", Input).value = "7"
        assert screen.edited
        await pilot.press("ctrl+s")
        await pilot.pause()
        now = app.study.settings
        assert now.new_per_day == 7
        assert (now.day_starts_at_hour, now.theme) == (6, "nord")
        assert now.excluded_tags == ("cnn",)
        assert set(now.excluded_skills) == {"conv2d-shape", "not-here"}
        assert not screen.edited
        # The sections mounted now show the saved settings.
        await _fill(pilot, screen)
        assert screen.query_one("#f-theme", Select).value == "nord"
        assert screen.query_one("#f-day_starts_at_hour", Select).value == 6
        assert "cnn" not in screen.query_one("#f-excluded_tags", SelectionList).selected
        assert "conv2d-shape" not in screen.query_one("#f-excluded_skills", SelectionList).selected
        assert not screen.edited


async def test_left_before_the_rest_arrives_it_is_complete_when_reopened(
    home: Path, clock: Clock, held: None
) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = settings_screen(app)
        await app.push_screen(screen)
        await pilot.pause()
        await pilot.press("escape")  # nothing edited: no question
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        changed = app.study.settings.replace(theme="nord", excluded_tags=("cnn",))
        assert app.apply_settings(changed)  # while it was closed
        await filled(pilot, screen)  # left: its sections are mounted unseen, not held back
        again = settings_screen(app)
        assert again is screen
        await app.push_screen(again)
        await pilot.pause()
        assert again.query_one("#f-theme", Select).value == "nord"
        assert "cnn" not in again.query_one("#f-excluded_tags", SelectionList).selected
        assert not again.edited


async def test_an_error_for_a_field_not_mounted_yet_shows_once_it_is(
    home: Path, clock: Clock, held: None
) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = settings_screen(app)
        await app.push_screen(screen)
        await pilot.pause()
        assert not _mounted(screen, "bury_siblings")
        screen._set_error("bury_siblings", "Must be on or off")
        await _fill(pilot, screen)
        error = screen.query_one("#err-bury_siblings", Static)
        assert error.display and "on or off" in str(error.render())
        # Cleared as the form is loaded again (a reopening), with an error set since.
        screen._set_error("new_per_day", "Must be a whole number")
        assert screen.query_one("#err-new_per_day", Static).display
        screen._load(app.study.settings)
        await pilot.pause()
        assert not screen.query(".field-error.shown")
        assert not error.display and not str(error.render()).strip()


async def test_tab_goes_through_the_fields_in_the_form_order(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = settings_screen(app)
        await app.push_screen(screen)
        await filled(pilot, screen)
        expected = [f"f-{name}" for name in (*TEXT_FIELDS, *SELECT_FIELDS)]
        for name in LIST_FIELDS:
            expected += [f"f-{name}", f"all-{name}", f"none-{name}"]
        expected += ["fit", "save", "cancel"]  # "Use default parameters": off, no parameters
        chain = [w.id for w in screen.focus_chain if w.id != "settings-form"]
        assert chain == expected
        assert app.focused is not None and app.focused.id == expected[0]
        for name in expected[1 : len(TEXT_FIELDS) + 2]:  # across the first later section
            await pilot.press("tab")
            assert app.focused is not None and app.focused.id == name
