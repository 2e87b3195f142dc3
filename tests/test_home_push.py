"""A home screen pushed by anyone is styled once: its breakpoint classes are set before
its widgets are (Textual sets them at the first resize, after styling every widget)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from dlquiz.__main__ import make_app
from dlquiz.questions import generate
from dlquiz.tui.screens.home import HomeScreen
from tests.conftest import Clock


class _Watched(HomeScreen):
    classes_at_mount: frozenset[str] = frozenset()

    def on_mount(self) -> None:
        self.classes_at_mount = frozenset(self.classes)
        super().on_mount()


@pytest.mark.parametrize(("size", "expected"), [((60, 20), "-narrow"), ((80, 24), "-normal")])
async def test_a_home_pushed_directly_has_its_breakpoint_class_when_mounted(
    home: Path, clock: Clock, size: tuple[int, int], expected: str
) -> None:
    app = make_app(home, clock=clock, generator=generate, rng=random.Random(0))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        screen = _Watched()
        app.push_screen(screen)  # not through the app's own helpers
        await pilot.pause()
        assert expected in screen.classes_at_mount
        assert app.screen is screen and expected in screen.classes
