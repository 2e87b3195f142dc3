"""Left alone on the home screen, the app computes the statistics ahead: the stats
screen then shows them at once. Off in a headless app unless asked for (tests)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from textual.screen import Screen

from dlquiz import stats as stats_core
from dlquiz import stats_log
from dlquiz.__main__ import make_app
from dlquiz.questions import generate
from dlquiz.scheduler import GOOD
from dlquiz.tui.screens import home as home_mod
from dlquiz.tui.screens.home import HomeScreen
from dlquiz.tui.screens.stats import StatsScreen
from tests.conftest import Clock

SIZE = (80, 24)


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every computation of the figures (ahead or by the screen), counted."""
    calls: list[int] = []
    real = stats_core.compute_home

    def compute_home(*args: Any, **kwargs: Any) -> stats_core.Stats:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(stats_core, "compute_home", compute_home)
    stats_log.forget()
    return calls


def _app(home: Path, clock: Clock) -> Any:
    return make_app(home, clock=clock, generator=generate, rng=random.Random(0))


async def _ahead_done(app: Any, pilot: Any) -> None:
    """Until the home screen's timer has fired and its computation has finished."""
    for _ in range(200):
        await pilot.pause(0.02)
        screen = app.screen
        if isinstance(screen, HomeScreen) and screen._ahead is None:
            break
    await app.workers.wait_for_complete()


async def test_figures_computed_ahead_are_shown_at_once(
    home: Path, clock: Clock, computed: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(home_mod, "STATS_AHEAD", True)
    monkeypatch.setattr(home_mod, "STATS_AHEAD_AFTER_S", 0.05)
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        await _ahead_done(app, pilot)
        assert computed == [1]
        await pilot.press("s")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, StatsScreen)
        assert screen.stats is not None and not screen.computing  # no thread of its own
        assert computed == [1]
        before = screen.stats.totals.reviews
        await pilot.press("escape")
        # An answer changes the log: back home, the figures are computed ahead again,
        # and they count it.
        card = next(iter(app.study.deck))
        app.study.answer(card, app.study.outcomes(card, clock())[GOOD], clock())
        app.push_screen(Screen())  # away from home, then back: home resumes
        await pilot.pause()
        app.pop_screen()
        await _ahead_done(app, pilot)
        assert len(computed) == 2  # ahead, with the answer in the log
        calls = len(computed)
        await pilot.press("s")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, StatsScreen) and screen.stats is not None
        assert screen.stats.totals.reviews == before + 1
        assert len(computed) == calls  # ready: nothing computed on opening
    stats_log.forget()


async def test_leaving_home_before_the_delay_computes_nothing_ahead(
    home: Path, clock: Clock, computed: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(home_mod, "STATS_AHEAD", True)
    monkeypatch.setattr(home_mod, "STATS_AHEAD_AFTER_S", 0.5)
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HomeScreen) and screen._ahead is not None  # counting down
        app.push_screen(Screen())  # away at once (a bare screen: no time of its own)
        await pilot.pause()
        assert screen._ahead is None  # stopped as home was left
        await pilot.pause(0.8)
        assert computed == []
        assert not [w for w in app.workers if w.group == "stats-ahead"]


async def test_headless_apps_compute_nothing_ahead_by_default(
    home: Path, clock: Clock, computed: list[int]
) -> None:
    assert home_mod.STATS_AHEAD is None
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HomeScreen) and screen._ahead is None
    assert computed == []
