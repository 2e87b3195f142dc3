"""The settings screen driven headless: edit, save, refuse bad input, cancel, fit."""

from __future__ import annotations

import dataclasses
import json
import random
from pathlib import Path
from typing import Any

import pytest
from fsrs.scheduler import LOWER_BOUNDS_PARAMETERS as LOWER
from fsrs.scheduler import UPPER_BOUNDS_PARAMETERS as UPPER
from textual.widgets import Input, Select, SelectionList, Static

from dlquiz import optimize
from dlquiz.__main__ import make_app
from dlquiz.questions import generate
from dlquiz.settings import Settings
from dlquiz.tui.app import DLQuizApp
from dlquiz.tui.confirm import ConfirmDiscard
from dlquiz.tui.screens.home import HomeScreen
from dlquiz.tui.screens.settings import SettingsScreen
from dlquiz.tui.settings_form import field_help
from tests.conftest import SETTINGS_NAME, Clock

SIZE = (80, 24)


def _app(home: Path, clock: Clock) -> DLQuizApp:
    return make_app(home, clock=clock, generator=generate, rng=random.Random(0))


def _saved(home: Path) -> dict[str, object] | None:
    path = home / SETTINGS_NAME
    return json.loads(path.read_text()) if path.exists() else None


async def _type(pilot, screen: SettingsScreen, name: str, text: str) -> None:  # type: ignore[no-untyped-def]
    """Replace a text field's content, its last key typed as a person would (the field
    takes a typed key and a set value alike, as Input.Changed; each key costs a layout
    of the whole form)."""
    box = screen.query_one(f"#f-{name}", Input)
    box.focus()
    await pilot.pause()
    box.value = text[:-1]
    box.cursor_position = len(box.value)
    await pilot.press(text[-1])
    assert box.value == text


async def _click(pilot, screen: SettingsScreen, selector: str) -> None:  # type: ignore[no-untyped-def]
    """Scroll a button into view and click it with the mouse."""
    screen.query_one(selector).scroll_visible(animate=False, immediate=True)
    await pilot.pause()
    assert await pilot.click(selector)


def _error(screen: SettingsScreen, name: str) -> str:
    return str(screen.query_one(f"#err-{name}", Static).render())


async def filled(pilot, screen: SettingsScreen) -> None:  # type: ignore[no-untyped-def]
    """Wait until every section of the form is mounted (they arrive in the frames after
    the first; a bound, so that a failure cannot hang)."""
    for _ in range(200):
        if screen.complete:
            break
        await pilot.pause(0.02)
    assert screen.complete
    await pilot.pause()


async def _open(pilot, app: DLQuizApp) -> SettingsScreen:  # type: ignore[no-untyped-def]
    screen = SettingsScreen()
    await app.push_screen(screen)
    await filled(pilot, screen)
    return screen


def test_help_comes_from_the_field_docstrings() -> None:
    help_text = field_help()
    for field in dataclasses.fields(Settings):
        assert help_text.get(field.name), f"{field.name} has no docstring to show"
    assert "0.70" in help_text["desired_retention"]


async def test_every_field_has_a_row_with_its_help(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot, app)
        for field in dataclasses.fields(Settings):
            row = screen.query_one(f"#field-{field.name}")
            shown = " ".join(str(s.render()) for s in row.query(".field-help").results(Static))
            assert field_help()[field.name] in shown


async def test_save_writes_settings_and_the_session_uses_them(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot, app)
        old_scheduler = app.study.scheduler
        assert screen.query_one("#f-new_per_day", Input).value == "20"
        await _type(pilot, screen, "new_per_day", "7")
        await _type(pilot, screen, "desired_retention", "0.85")
        await _type(pilot, screen, "learning_steps_minutes", "2 15 60")
        await pilot.press("ctrl+s")
        await pilot.pause()
        saved = _saved(home)
        assert saved is not None
        assert saved["new_per_day"] == 7 and saved["desired_retention"] == 0.85
        assert saved["learning_steps_minutes"] == [2.0, 15.0, 60.0]
        assert saved["max_reviews_per_day"] == Settings().max_reviews_per_day  # untouched
        assert app.study.settings.new_per_day == 7
        assert app.study.settings.desired_retention == 0.85
        assert app.study.scheduler is not old_scheduler  # rebuilt with the new settings
        assert not screen.edited  # saved: nothing left to discard
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)
        assert "7 new" in str(app.screen.query_one("#home-counts", Static).render())


@pytest.mark.parametrize(
    ("field", "text", "expected"),
    [
        ("desired_retention", "1.5", "less than or equal to 0.99"),
        ("new_per_day", "abc", "whole number"),
        ("learning_steps_minutes", "1 -5", "Entry 2"),
        ("relearning_steps_minutes", "ten", "minutes separated by spaces"),
    ],
)
async def test_invalid_value_is_shown_and_nothing_written(
    home: Path, clock: Clock, field: str, text: str, expected: str
) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot, app)
        await _type(pilot, screen, "new_per_day", "9")  # a valid edit alongside
        await _type(pilot, screen, field, text)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert expected in _error(screen, field)
        assert screen.query_one(f"#err-{field}").display
        assert screen.query_one(f"#f-{field}", Input).value == text  # input kept
        assert app.focused is screen.query_one(f"#f-{field}")
        assert _saved(home) is None
        assert app.study.settings.new_per_day == 20
        # Fixing it clears the message and saves.
        await _type(pilot, screen, field, {"desired_retention": "0.8"}.get(field, "3"))
        assert not screen.query_one(f"#err-{field}").display
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert (_saved(home) or {})["new_per_day"] == (3 if field == "new_per_day" else 9)


async def test_every_bad_field_is_reported_at_once(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot, app)
        await _type(pilot, screen, "desired_retention", "1.5")
        await _type(pilot, screen, "new_per_day", "abc")
        await pilot.press("enter")  # Enter in a field saves too
        await pilot.pause()
        assert "0.99" in _error(screen, "desired_retention")
        assert "whole number" in _error(screen, "new_per_day")
        assert _error(screen, "max_reviews_per_day") == ""
        assert app.focused is screen.query_one("#f-desired_retention")  # the first one
        assert _saved(home) is None


async def test_theme_light_applies_on_save(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot, app)
        assert app.theme == "textual-dark"
        screen.query_one("#f-theme", Select).value = "textual-light"
        await pilot.pause()
        assert app.theme == "textual-dark"  # not before saving
        await pilot.click("#save")
        await pilot.pause()
        assert app.theme == "textual-light"
        assert (_saved(home) or {})["theme"] == "textual-light"


async def test_day_start_select(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot, app)
        screen.query_one("#f-day_starts_at_hour", Select).value = 6
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert (_saved(home) or {})["day_starts_at_hour"] == 6


async def test_escape_discards_after_confirming(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot, app)
        await _type(pilot, screen, "new_per_day", "7")
        await pilot.press("escape")
        assert isinstance(app.screen, ConfirmDiscard)
        await pilot.press("escape")  # keep editing
        assert app.screen is screen
        assert screen.query_one("#f-new_per_day", Input).value == "7"
        await pilot.press("escape")
        await pilot.click("#discard")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert _saved(home) is None
        assert app.study.settings.new_per_day == 20
        # Reopened, the form shows the saved value again.
        screen = await _open(pilot, app)
        assert screen.query_one("#f-new_per_day", Input).value == "20"
        assert not screen.edited
        await pilot.press("escape")  # nothing edited: no question asked
        assert isinstance(app.screen, HomeScreen)


async def test_rotation_lists_save_the_unticked_as_excluded(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot, app)
        tags = screen.query_one("#f-excluded_tags", SelectionList)
        skills = screen.query_one("#f-excluded_skills", SelectionList)
        deck_tags = {t for s in app.study.deck.values() if s.kind != "skill" for t in s.tags}
        assert set(tags.selected) == deck_tags  # everything in rotation by default
        assert "conv2d-shape" in skills.selected
        tags.deselect("cnn")
        skills.deselect("conv2d-shape")
        await pilot.press("ctrl+s")
        await pilot.pause()
        saved = _saved(home) or {}
        assert saved["excluded_tags"] == ["cnn"]
        assert saved["excluded_skills"] == ["conv2d-shape"]
        assert app.study.settings.excluded_tags == ("cnn",)
        await _click(pilot, screen, "#none-excluded_skills")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert set((_saved(home) or {})["excluded_skills"]) == {  # type: ignore[arg-type]
            s.key for s in app.study.deck.values() if s.kind == "skill"
        }


async def test_unknown_excluded_ids_are_kept(home: Path, clock: Clock) -> None:
    # A tag from a deck that did not load this time must survive a save.
    app = _app(home, clock)
    app.study.change_settings(Settings().replace(excluded_tags=("gone-deck-tag", "cnn")))
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot, app)
        assert "cnn" not in screen.query_one("#f-excluded_tags", SelectionList).selected
        await _type(pilot, screen, "new_per_day", "5")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert (_saved(home) or {})["excluded_tags"] == ["cnn", "gone-deck-tag"]


async def _wait_fit(pilot, screen: SettingsScreen) -> None:  # type: ignore[no-untyped-def]
    for _ in range(500):
        await pilot.pause(0.01)
        if not screen._fitting:
            return
    raise AssertionError("fit did not finish")


async def test_fit_with_too_few_reviews_says_so(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot, app)
        await _click(pilot, screen, "#fit")
        await _wait_fit(pilot, screen)
        status = str(screen.query_one("#fit-status", Static).render())
        assert "Not enough reviews yet: 0 reviews in your log, 0 usable for fitting" in status
        assert str(optimize.MIN_REVIEWS) in status
        assert _saved(home) is None


def _fake_fit_process(fit: optimize.Fit, seen: list[int] | None = None) -> Any:
    """Stands in for the fitting process (tested in test_fit_process.py): the screen's
    handling of its answer is what is tested here. ``seen`` gets the records handed over."""

    def fit_in_subprocess(log: Path, **options: Any) -> tuple[optimize.Fit, int]:
        if seen is not None:
            seen.append(len(log.read_bytes().splitlines()))
        return fit, 999

    return fit_in_subprocess


async def test_fit_applies_parameters_and_defaults_clear_them(
    home: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The optimizer itself is tested elsewhere; here: what the screen does with its answer.
    # In bounds but unlike the defaults: the middle of each parameter's allowed range.
    fitted = tuple((lo + hi) / 2 for lo, hi in zip(LOWER, UPPER, strict=True))
    seen: list[int] = []

    fit = optimize.Fit(parameters=fitted, reviews=999, loss=0.3, default_loss=0.4)
    monkeypatch.setattr(optimize, "fit_in_subprocess", _fake_fit_process(fit, seen))
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot, app)
        await _type(pilot, screen, "new_per_day", "11")  # an unsaved edit stays unsaved
        await _click(pilot, screen, "#fit")
        await _wait_fit(pilot, screen)
        assert seen == [0]
        saved = _saved(home) or {}
        assert saved["fsrs_parameters"] == pytest.approx(list(fitted))
        assert saved["new_per_day"] == 20
        assert app.study.settings.fsrs_parameters == fitted
        assert "0.4000 → 0.3000" in str(screen.query_one("#fit-status", Static).render())
        assert f"{fitted[0]:.4g}" in str(screen.query_one("#fsrs-current", Static).render())
        assert screen.query_one("#f-new_per_day", Input).value == "11"
        await _click(pilot, screen, "#defaults")
        await pilot.pause()
        assert (_saved(home) or {})["fsrs_parameters"] is None
        assert app.study.settings.fsrs_parameters is None
        assert screen.query_one("#defaults").disabled


async def test_fit_that_does_not_beat_the_defaults_changes_nothing(
    home: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    fit = optimize.Fit(parameters=(1.0,) * 21, reviews=999, loss=0.5, default_loss=0.4)
    monkeypatch.setattr(optimize, "fit_in_subprocess", _fake_fit_process(fit))
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot, app)
        await _click(pilot, screen, "#fit")
        await _wait_fit(pilot, screen)
        assert "already fit" in str(screen.query_one("#fit-status", Static).render())
        assert _saved(home) is None


async def test_parameters_the_scheduler_refuses_are_not_saved(
    home: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Settings accepts any floats; fsrs checks bounds. A bad fit must not reach the disk.
    out_of_bounds = tuple(hi + 1 for hi in UPPER)
    fit = optimize.Fit(out_of_bounds, reviews=999, loss=0.1, default_loss=0.4)
    monkeypatch.setattr(optimize, "fit_in_subprocess", _fake_fit_process(fit))
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot, app)
        await _click(pilot, screen, "#fit")
        await _wait_fit(pilot, screen)
        assert "not saved" in str(screen.query_one("#fit-status", Static).render())
        assert _saved(home) is None
        assert app.study.settings.fsrs_parameters is None
