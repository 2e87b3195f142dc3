"""Screens prepared in idle time: built and laid out unseen, then shown as they are, up to date."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.screen import Screen
from textual.widgets import Input, Select, Static

from dlquiz import catalog, practice
from dlquiz.__main__ import make_app
from dlquiz.cards import deck_tags
from dlquiz.questions import generate
from dlquiz.tui.app import ENV_PREPARE, DLQuizApp
from dlquiz.tui.screens.browse import BrowseScreen
from dlquiz.tui.screens.help import HelpScreen
from dlquiz.tui.screens.home import HomeScreen
from dlquiz.tui.screens.practice import CramScreen, QuizScreen, deck_topics
from dlquiz.tui.screens.settings import SettingsScreen
from dlquiz.tui.screens.skill_map import SkillMapScreen
from dlquiz.tui.screens.stats import StatsScreen
from tests.conftest import Clock

SIZE = (80, 24)
# The name each screen is kept under, and the key home opens it with.
PREPARED = {
    "settings": (SettingsScreen, "comma"),
    "browse": (BrowseScreen, "b"),
    "cram": (CramScreen, "c"),
    "help": (HelpScreen, "question_mark"),
    "quiz": (QuizScreen, "t"),
    "skill_map": (SkillMapScreen, "m"),
    "stats": (StatsScreen, "s"),
}


@pytest.fixture
def preparing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Screens prepared, after a short idle time (the suite turns it off)."""
    monkeypatch.setenv(ENV_PREPARE, "1")
    monkeypatch.setattr(DLQuizApp, "PREPARE_IDLE_S", 0.05)
    monkeypatch.setattr(DLQuizApp, "PREPARE_TICK_S", 0.01)
    monkeypatch.setattr(DLQuizApp, "WARM_IDLE_S", 0.01)
    yield


def _app(home: Path, clock: Clock, *only: str) -> DLQuizApp:
    """The app; if ``only`` names screens, only those are prepared (a shorter test)."""
    app = make_app(home, clock=clock, generator=generate, rng=random.Random(0))
    if only:
        app.PREPARED = tuple(entry for entry in DLQuizApp.PREPARED if entry[0] in only)
    return app


async def _prepared(pilot: Any, app: DLQuizApp, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while app.preparer is None or not app.preparer.done:
        assert time.monotonic() < deadline, "the screens were never all prepared"
        await pilot.pause(0.02)


async def _home(pilot: Any, app: DLQuizApp) -> None:
    while not isinstance(app.screen, HomeScreen):
        app.pop_screen()
        await pilot.pause()


async def test_off_in_the_test_suite_by_default(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.2)
        assert app.preparer is None
        for name in PREPARED:
            assert not app.is_screen_installed(name)


async def test_idle_home_prepares_each_screen_unseen_and_the_key_shows_it(
    home: Path, clock: Clock, preparing: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        painted: list[object] = []
        display = app._display

        def counted(screen: Screen[Any], update: Any) -> None:
            painted.append(screen)
            display(screen, update)

        monkeypatch.setattr(app, "_display", counted)
        await _prepared(pilot, app)
        # Nothing reached the terminal but the home screen (no flicker of a hidden one).
        assert all(isinstance(screen, HomeScreen) for screen in painted)
        assert app.preparer is not None
        prepared = {type(s): s for s in app.preparer.prepared}
        # Nothing was shown meanwhile: home stayed on top, alone on the stack.
        assert isinstance(app.screen, HomeScreen) and len(app.screen_stack) == 2
        for name, (kind, _key) in PREPARED.items():
            screen = app.get_screen(name)
            assert prepared[kind] is screen
            # Composed, mounted and laid out at the terminal's size, yet not on a stack.
            assert screen.is_mounted and screen.query("*")
            assert screen.size == app.size and not screen._layout_required
            assert screen not in app.screen_stack
        for name, (_kind, key) in PREPARED.items():
            screen = app.get_screen(name)
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is screen, name  # the prepared one, not a new one
            await _home(pilot, app)


async def test_a_prepared_screen_is_shown_without_a_layout_pass(
    home: Path, clock: Clock, preparing: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The point of laying it out ahead: Textual's own layout pass at first show is not
    needed (fails if Textual's private layout names or their meaning change)."""
    app = _app(home, clock, "settings", "cram", "quiz", "help")
    async with app.run_test(size=SIZE) as pilot:
        await _prepared(pilot, app)
        for name in ("settings", "cram", "quiz", "help"):
            screen = app.get_screen(name)
            passes: list[object] = []
            layout = screen._refresh_layout

            def counted(
                *args: Any, _layout: Any = layout, _passes: list[object] = passes, **kwargs: Any
            ) -> None:
                _passes.append(args)
                _layout(*args, **kwargs)

            monkeypatch.setattr(screen, "_refresh_layout", counted)
            await pilot.press(PREPARED[name][1])
            await pilot.pause()
            assert app.screen is screen
            assert passes == [], name
            await _home(pilot, app)


async def test_a_prepared_settings_form_shows_settings_changed_since(
    home: Path, clock: Clock, preparing: None
) -> None:
    app = _app(home, clock, "settings")
    async with app.run_test(size=SIZE) as pilot:
        await _prepared(pilot, app)
        form = app.get_screen("settings")
        assert isinstance(form, SettingsScreen)
        assert form.complete  # prepared unseen: every section, not only the first screenful
        before = form.query_one("#f-new_per_day", Input).value
        assert app.theme != "nord"
        background = form.styles.background
        # Changed elsewhere after the form was built (e.g. the theme key, the palette).
        changed = app.study.settings.replace(new_per_day=int(before) + 7, theme="nord")
        assert app.apply_settings(changed)
        await pilot.pause()
        await pilot.press("comma")
        await pilot.pause()
        assert app.screen is form
        assert form.query_one("#f-new_per_day", Input).value == str(int(before) + 7)
        assert form.query_one("#f-theme", Select).value == "nord"
        # Restyled for the new theme, as the screens on the stack were.
        assert form.styles.background != background
        assert form.styles.background == app.screen_stack[0].styles.background
        assert not form.edited


async def test_a_theme_change_gives_a_new_help_page_in_its_colours(
    home: Path, clock: Clock, preparing: None
) -> None:
    app = _app(home, clock, "help")
    async with app.run_test(size=SIZE) as pilot:
        await _prepared(pilot, app)
        old = app.get_screen("help")
        assert isinstance(old, HelpScreen)
        assert app.apply_settings(app.study.settings.replace(theme="nord"))  # another accent
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        shown = app.screen
        assert isinstance(shown, HelpScreen) and shown is not old
        assert shown.accent != old.accent


async def test_no_step_while_the_user_types_or_away_from_home(
    home: Path, clock: Clock, preparing: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(DLQuizApp, "PREPARE_IDLE_S", 0.3)
    app = _app(home, clock, "help")
    async with app.run_test(size=SIZE) as pilot:
        while app.preparer is None or not app._warmed.is_set():
            await pilot.pause(0.02)
        preparer = app.preparer
        for _ in range(8):  # a key every 0.1 s: never 0.3 s idle
            await pilot.press("x")  # no binding on home: only the idle clock sees it
            await pilot.pause(0.1)
        assert preparer.step_ms == []
        await pilot.press("enter")  # a review: no step however long the user reads
        await pilot.pause(0.8)
        assert not isinstance(app.screen, HomeScreen)
        assert preparer.step_ms == []
        await _home(pilot, app)
        await _prepared(pilot, app)  # back home and idle: it goes on
        assert preparer.step_ms


async def test_screen_data_not_computed_ahead_while_another_screen_is_open(
    home: Path, clock: Clock, preparing: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A screen opened at once (here the statistics, which compute in a thread) does not
    share the CPU with the data computed ahead: that waits until the user is home."""
    monkeypatch.setattr(DLQuizApp, "WARM_IDLE_S", 0.3)
    app = _app(home, clock, "help")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        await pilot.pause(0.8)
        assert isinstance(app.screen, StatsScreen)
        assert not app._warm_started and not app._warmed.is_set()
        await _home(pilot, app)
        deadline = time.monotonic() + 30
        while not app._warmed.is_set():
            assert time.monotonic() < deadline, "the data was never computed ahead"
            await pilot.pause(0.02)


def test_data_asked_for_while_a_thread_computes_it_is_computed_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The app computes the screens' data ahead in a thread; a screen asking meanwhile
    waits for that result rather than computing it a second time."""
    from dlquiz.cards import build_deck
    from dlquiz.workspace import load_content, skill_cards

    content, _ = load_content(Path("/nonexistent-dlquiz-home"), write_cache=False)
    deck = build_deck(content, skill_cards())
    calls: list[str] = []
    slow_build = catalog.build_entries
    slow_topics = practice.topics

    def build(*args: Any) -> Any:
        calls.append("catalog")
        time.sleep(0.2)
        return slow_build(*args)

    def topics(*args: Any) -> Any:
        calls.append("topics")
        time.sleep(0.2)
        return slow_topics(*args)

    monkeypatch.setattr(catalog, "build_entries", build)
    monkeypatch.setattr(practice, "topics", topics)
    results: list[object] = []

    def ask() -> None:
        results.extend((catalog.catalog_for(content, deck), deck_topics(deck), deck_tags(deck)))

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(calls) == ["catalog", "topics"]
    assert results[0] is results[3] and results[1] is results[4] and results[2] is results[5]


def test_a_screen_mounted_hidden_is_mounted_and_off_the_stack() -> None:
    """``mount_hidden`` relies on Textual's private ``App._get_screen``."""
    import asyncio

    from textual.app import App
    from textual.widgets import Static

    from dlquiz.tui.reuse import lay_out_hidden, mount_hidden

    class Hidden(Screen[None]):
        def compose(self) -> Any:
            yield Static("hidden", id="text")

    async def run() -> None:
        app: App[None] = App()
        async with app.run_test(size=SIZE) as pilot:
            screen = Hidden()
            mount_hidden(app, screen)
            await pilot.pause()
            assert screen.is_mounted and screen.query_one("#text", Static)
            assert screen not in app.screen_stack and app.screen is not screen
            lay_out_hidden(screen, app.size)
            assert screen.size == app.size
            assert screen.query_one("#text", Static).size.width == SIZE[0]

    asyncio.run(run())


async def test_a_prepared_screen_is_shown_from_lines_rendered_ahead(
    home: Path, clock: Clock, preparing: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its widgets were rendered unseen: showing it renders none of the unchanged ones
    again (fails if Textual stops caching what ``render_hidden`` renders)."""
    app = _app(home, clock, "cram")
    async with app.run_test(size=SIZE) as pilot:
        await _prepared(pilot, app)
        cram = app.get_screen("cram")
        intro = cram.query_one(".practice-intro", Static)
        rendered: list[Static] = []
        render = Static.render

        def counted(self: Static) -> Any:
            rendered.append(self)
            return render(self)

        monkeypatch.setattr(Static, "render", counted)
        await pilot.press("c")
        await pilot.pause()
        assert app.screen is cram and intro.region  # shown, the intro on screen
        assert intro not in rendered
        # and what is on screen is the cram screen's own text and keys
        lines = "\n".join(strip.text for strip in app.screen._compositor.render_strips())
        assert "Cram" in lines and "Back" in lines


async def test_prepared_statistics_count_a_review_made_after_they_were_computed(
    home: Path, clock: Clock, preparing: None
) -> None:
    app = _app(home, clock, "stats")
    async with app.run_test(size=SIZE) as pilot:
        await _prepared(pilot, app)
        stats = app.get_screen("stats")
        assert isinstance(stats, StatsScreen)
        await app.workers.wait_for_complete()  # computed unseen, while home was idle
        await pilot.pause()
        assert stats.stats is not None and stats.stats.totals.reviews == 0
        study = app.study
        card = next(iter(study.deck))
        study.answer(card, study.outcomes(card, clock())[3], clock())
        study.flush()
        await pilot.press("s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen is stats
        assert stats.stats is not None and stats.stats.totals.reviews == 1


async def test_a_prepared_form_shows_its_cursor_at_once(
    home: Path, clock: Clock, preparing: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its field's blink went on while hidden: shown, the blink starts over with the
    cursor on, as when a field takes the focus on a new screen (else it could go off at
    once). Fails if Input's private ``_restart_blink`` or ``_cursor_visible`` change."""
    app = _app(home, clock, "settings")
    async with app.run_test(size=SIZE) as pilot:
        await _prepared(pilot, app)
        form = app.get_screen("settings")
        field = form.query_one("#f-desired_retention", Input)
        assert form.focused is field
        restarted: list[bool] = []
        restart = field._restart_blink

        def counted() -> None:
            restart()
            restarted.append(field._cursor_visible)

        monkeypatch.setattr(field, "_restart_blink", counted)
        await pilot.press("comma")
        assert app.screen is form
        assert restarted == [True]
