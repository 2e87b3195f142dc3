"""Review, browse, stats and settings as a person sees them at 60×20, 80×24 and 120×40.

Footers must fit, code and prose must read well at every size (pytest-textual-snapshot).
Update after an intended change with:
pytest tests/test_snapshots_sizes.py --snapshot-update (then look at each new SVG).
"""

from __future__ import annotations

import random
from datetime import UTC
from pathlib import Path

import pytest

from dlquiz.__main__ import make_app
from dlquiz.questions import generate
from dlquiz.tui.app import DLQuizApp
from tests.conftest import Clock, steady_cursor
from tests.test_tui_settings import filled

SIZES = [(60, 20), (80, 24), (120, 40)]


@pytest.fixture(autouse=True)
def _repeatable(monkeypatch: pytest.MonkeyPatch) -> None:
    # As in test_snapshots: FSRS fuzz and the study day's time zone fixed.
    random.seed(20260302)
    monkeypatch.setattr("dlquiz.workspace.local_tz", lambda: UTC)
    steady_cursor(monkeypatch)


def _app(home: Path, clock: Clock) -> DLQuizApp:
    return make_app(home, clock=clock, generator=generate, rng=random.Random(0))


async def _settled(pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_review_answer(snap_compare, home: Path, clock: Clock, size) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(
        _app(home, clock), terminal_size=size, press=["enter", "space"], run_before=None
    )


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_browse_entry(snap_compare, home: Path, clock: Clock, size) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(_app(home, clock), terminal_size=size, press=["b", *"relu", "enter"])


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_stats(snap_compare, home: Path, clock: Clock, size) -> None:  # type: ignore[no-untyped-def]
    async def open_stats(pilot) -> None:  # type: ignore[no-untyped-def]
        await pilot.press("s")
        await _settled(pilot)

    assert snap_compare(_app(home, clock), terminal_size=size, run_before=open_stats)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_settings(snap_compare, home: Path, clock: Clock, size) -> None:  # type: ignore[no-untyped-def]
    async def open_settings(pilot) -> None:  # type: ignore[no-untyped-def]
        pilot.app.action_settings()
        await _settled(pilot)
        await filled(pilot, pilot.app.screen)  # its last sections come after the first frame
        await _settled(pilot)

    assert snap_compare(_app(home, clock), terminal_size=size, run_before=open_settings)
