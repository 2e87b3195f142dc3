"""The stats screen computes once per state of the log: reopened with nothing new it
shows the same figures without computing, and concurrent screens share one computation."""

from __future__ import annotations

import random
import threading
from pathlib import Path
from typing import Any

import pytest

from dlquiz import stats as stats_core
from dlquiz.__main__ import make_app
from dlquiz.questions import generate
from dlquiz.scheduler import GOOD
from dlquiz.tui import stats_ahead
from dlquiz.tui.screens.home import HomeScreen
from dlquiz.tui.screens.stats import StatsScreen, shared_result
from tests.conftest import Clock

SIZE = (80, 24)


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = stats_core.compute_home

    def compute(*args: Any, **kwargs: Any) -> stats_core.Stats:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(stats_core, "compute_home", compute)
    return calls


async def _open_stats(app: Any, pilot: Any) -> StatsScreen:
    await pilot.press("s")
    await app.workers.wait_for_complete()
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, StatsScreen) and screen.stats is not None
    return screen


async def test_reopening_with_nothing_new_does_not_compute_again(
    home: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _counting(monkeypatch)
    app = make_app(home, clock=clock, generator=generate, rng=random.Random(0))
    async with app.run_test(size=SIZE) as pilot:
        first = (await _open_stats(app, pilot)).stats
        await pilot.press("escape")
        assert (await _open_stats(app, pilot)).stats is first
        assert len(calls) == 1
        await pilot.press("escape")
        # A review changes the log: the next opening computes, and counts it.
        card = next(iter(app.study.deck))
        assert app.study.answer(card, app.study.outcomes(card, clock())[GOOD], clock())
        again = await _open_stats(app, pilot)
        assert len(calls) == 2 and again.stats is not None
        assert again.stats.totals.reviews_today == first.totals.reviews_today + 1
        await pilot.press("escape")
        # The next study day: the same log, counted from another day, is computed again.
        clock.advance(days=1)
        await _open_stats(app, pilot)
        assert len(calls) == 3
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)


def test_concurrent_askers_share_one_computation_and_failures_are_not_kept() -> None:
    key = ("test", object())
    started, release = threading.Event(), threading.Event()
    calls: list[int] = []
    sentinel: Any = object()

    def slow() -> Any:
        calls.append(1)
        started.set()
        assert release.wait(5)
        return sentinel

    results: list[Any] = []
    first = threading.Thread(target=lambda: results.append(shared_result(key, slow)))
    first.start()
    assert started.wait(5)
    second = threading.Thread(target=lambda: results.append(shared_result(key, slow)))
    second.start()
    release.set()
    first.join(5)
    second.join(5)
    assert results == [sentinel, sentinel] and len(calls) == 1

    other = ("test", object())

    def broken() -> Any:
        raise ValueError("disk said no")

    with pytest.raises(ValueError):
        shared_result(other, broken)
    assert other not in stats_ahead._RUNNING
    assert shared_result(other, lambda: sentinel) is sentinel  # tried again, not stuck
