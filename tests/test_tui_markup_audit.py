"""Text that comes from data is shown as written wherever the screens put it, not read as
markup: a review's answer in Card info (a DataTable cell given as str is Rich markup), a
named mistake from the review log and an error on the statistics screen, an error of the
fitting process in Settings. Read as markup, "[/]" raised a MarkupError (the statistics
and Card info closed the app, or the figures never came) and "[MASK]", "[$x]", "[b]" were
dropped."""

from __future__ import annotations

import contextlib
import random
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Static
from textual.worker import WorkerFailed

from dlquiz import optimize, paths
from dlquiz import stats as stats_core
from dlquiz.__main__ import make_app
from dlquiz.questions import generate
from dlquiz.scheduler import AGAIN
from dlquiz.tui.app import DLQuizApp
from dlquiz.tui.screens.card_info import CardInfoScreen
from dlquiz.tui.screens.settings import SettingsScreen
from dlquiz.tui.screens.stats import StatsScreen
from tests.conftest import Clock

SIZE = (120, 40)

HOSTILE_DECK = """
[[term]]
slug = "zz-mark"
term = "Zz [/] [MASK] [$x] term"
definition = "A term whose name holds what markup reads as tags: [/], [MASK], [$x]."
"""
CARD = "term/zz-mark/recall"


def _app(home: Path, clock: Clock) -> DLQuizApp:
    decks = paths.decks_dir(home)
    decks.mkdir(parents=True, exist_ok=True)
    (decks / "mine.toml").write_text(HOSTILE_DECK, encoding="utf-8")
    return make_app(home, clock=clock, generator=generate, rng=random.Random(0))


def _shown(widget: Static) -> str:
    return str(widget.render()).replace("\u200b", "")


def _table_text(table: DataTable[Any]) -> str:
    return "\n".join(
        "".join(segment.text for segment in table.render_line(y)) for y in range(table.size.height)
    ).replace("\u200b", "")


def _answer(app: DLQuizApp, card: str, clock: Clock, **extra: object) -> None:
    """A review of ``card`` as the log keeps it (an answer typed or picked, a mistake)."""
    study = app.study
    outcome = study.outcomes(card, clock())[AGAIN]
    assert not isinstance(app.study.answer(card, outcome, clock(), 3000, extra), Exception)


@pytest.mark.parametrize("typed", ["[/] x", "[b]7[/b] [MASK]", "$x [$y] [red]z", "a\\"])
async def test_card_info_shows_an_answer_as_typed(home: Path, clock: Clock, typed: str) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        assert CARD in app.study.deck
        _answer(app, CARD, clock, answer=typed)
        app.open_card_info(CARD)
        await pilot.pause()
        await pilot.pause()
        assert app.is_running
        info = app.screen
        assert isinstance(info, CardInfoScreen)
        head = _shown(info.query_one(".info-head", Static))
        assert "Zz [/] [MASK] [$x] term" in head  # the title escaped already
        table = info.query_one(DataTable)
        assert table.row_count == 1
        assert typed in _table_text(table), _table_text(table)
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running


async def test_a_named_mistake_from_the_log_is_shown_as_written(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        skill = next(card for card in app.study.deck if card.startswith("skill/"))
        # A log from another device (or version) names mistakes this one does not know.
        _answer(app, skill, clock, mistake="[/] kept [MASK] in [$x]")
        screen = StatsScreen()
        await app.push_screen(screen)
        with contextlib.suppress(WorkerFailed):  # checked below: the figures are shown
            await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.pause()
        assert app.is_running and app.screen is screen
        status = _shown(screen.query_one("#stats-status", Static))
        assert "Could not compute" not in status, status
        mistakes = _shown(screen.query_one("#mistakes", Static))
        assert "[/] kept [MASK] in [$x] (" in mistakes, mistakes


async def test_a_statistics_error_is_shown_as_written(
    home: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fails(*args: object, **kwargs: object) -> stats_core.Stats:
        raise OSError("cannot read /data/[MASK]/[$x] [A]/log.jsonl")

    monkeypatch.setattr(stats_core, "compute_home", fails)
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = StatsScreen()
        await app.push_screen(screen)
        with pytest.raises(WorkerFailed, match="cannot read"):
            await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.is_running and app.screen is screen
        status = _shown(screen.query_one("#stats-status", Static))
        assert "OSError: cannot read /data/[MASK]/[$x] [A]/log.jsonl" in status, status


@pytest.mark.parametrize(
    "said", ["exit code 1: [/] IndexError", "ValueError('[MASK] [$x] [b]w')", "weights[0]\\"]
)
async def test_a_fitting_failure_is_shown_as_written(
    home: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch, said: str
) -> None:
    def fit_in_subprocess(log: Path, **options: Any) -> tuple[optimize.Fit, int]:
        raise optimize.FitFailed(f"the fitting process stopped ({said})")

    monkeypatch.setattr(optimize, "fit_in_subprocess", fit_in_subprocess)
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = SettingsScreen()
        await app.push_screen(screen)
        for _ in range(200):  # every section mounted (they come a frame apart)
            if screen.complete:
                break
            await pilot.pause(0.02)
        assert screen.complete
        screen.start_fit()
        for _ in range(500):
            await pilot.pause(0.01)
            if not screen._fitting:
                break
        await pilot.pause()
        assert app.is_running and app.screen is screen
        status = _shown(screen.query_one("#fit-status", Static))
        assert f"Fitting failed: the fitting process stopped ({said})" in status, status
