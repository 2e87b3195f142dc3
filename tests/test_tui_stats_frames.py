"""The statistics screen draws its figures in as few frames as it can.

Each layout pass of this screen lays out and redraws some 200 widgets (~30-90 ms at
100k cards): the figures must arrive at the width they keep, and nothing they draw
may ask for a pass of its own.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from textual.screen import Screen
from textual.widgets import Static

from dlquiz.__main__ import make_app
from dlquiz.questions import generate
from dlquiz.tui.app import DLQuizApp
from dlquiz.tui.screens.stats import StatsScreen
from dlquiz.tui.widgets.stats_widgets import ForecastChart
from tests.conftest import Clock

SIZE = (80, 24)


def _app(home: Path, clock: Clock) -> DLQuizApp:
    return make_app(home, clock=clock, generator=generate, rng=random.Random(0))


async def _open_stats(app: DLQuizApp, clock: Clock) -> StatsScreen:
    """The statistics after a few answers (the forecast has bars, the figures fill more
    than a screen), once computed and shown."""
    for card in list(app.study.deck)[:5]:
        now = clock()
        app.study.answer(card, app.study.outcomes(card, now)[3], now)
    screen = StatsScreen()
    await app.push_screen(screen)
    await app.workers.wait_for_complete()
    return screen


async def test_the_figures_are_laid_out_at_the_width_they_keep(
    home: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    passes: list[int] = []  # for each layout pass: the width the figures were given
    real = Screen._refresh_layout

    def counted(self: Screen[Any], *args: Any, **kwargs: Any) -> None:
        real(self, *args, **kwargs)
        if isinstance(self, StatsScreen) and self.stats is not None:
            passes.append(self.query_one("#stats-body").size.width)

    monkeypatch.setattr(Screen, "_refresh_layout", counted)
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_stats(app, clock)
        for _ in range(3):  # anything a pass sets off has been handled
            await pilot.pause()
        assert screen.stats is not None and any(screen.stats.forecast)
        scroll = screen.query_one("#stats")
        assert scroll.max_scroll_y > 0  # taller than the screen: the scrollbar is needed
        # Its scrollbar was there before the figures: every pass gave them the width
        # they keep (it was 78, then 76 once the scrollbar came in). And no chart redrawn
        # for its new width asks for a pass of its own: one more pass at most, Textual's
        # own after a first layout of new widgets (it stores their sizes).
        width = SIZE[0] - 2 - 2  # the scrollbar, the padding on both sides
        assert passes in ([width], [width, width])
        await pilot.press("escape")


async def test_the_forecast_is_not_redrawn_for_a_size_that_changes_nothing(
    home: Path, clock: Clock
) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_stats(app, clock)
        await pilot.pause()
        chart = screen.query_one(ForecastChart)
        axis = chart.query_one(".forecast-x", Static)
        drawn = axis.content
        per_day = chart.per_day
        chart._draw()  # as a resize to as many columns a day does
        assert axis.content is drawn  # not updated: an update lays the screen out again
        await pilot.resize_terminal(120, 40)  # room for more columns a day: redrawn
        await pilot.pause()
        assert chart.per_day > per_day and axis.content is not drawn
        await pilot.press("escape")
