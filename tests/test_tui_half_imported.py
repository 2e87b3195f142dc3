"""A screen key pressed while a thread is still importing a screen's module.

``_warm_screen_data`` imports the settings screen's module (and others) in a thread;
the module is in ``sys.modules`` before its body has run. Leaving a screen looks the
settings and review screens up there: a half-run module must read as "no such screen
open", not end the app with an AttributeError (found by benchmarks/screens.py, which
pressed ``s`` right after start).
"""

from __future__ import annotations

import random
import sys
import types
from pathlib import Path

import pytest

from dlquiz.__main__ import make_app
from dlquiz.questions import generate
from dlquiz.tui.app import DLQuizApp
from dlquiz.tui.screens.home import HomeScreen
from dlquiz.tui.screens.stats import StatsScreen
from tests.conftest import Clock

SIZE = (80, 24)
HALF_RUN = ("dlquiz.tui.screens.settings", "dlquiz.tui.screens.review")


def _app(home: Path, clock: Clock) -> DLQuizApp:
    return make_app(home, clock=clock, generator=generate, rng=random.Random(0))


@pytest.fixture
def half_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """The screen modules ``_leaving`` looks up, as a thread importing them leaves them:
    in ``sys.modules``, nothing defined yet."""
    for name in HALF_RUN:
        module = types.ModuleType(name)
        monkeypatch.setitem(sys.modules, name, module)


@pytest.mark.usefixtures("half_run")
async def test_a_screen_opens_while_a_screen_module_is_half_imported(
    home: Path, clock: Clock
) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, StatsScreen)
        assert app.return_code is None  # still running: no error ended it


@pytest.mark.usefixtures("half_run")
async def test_quit_while_a_screen_module_is_half_imported(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
