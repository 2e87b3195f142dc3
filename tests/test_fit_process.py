"""Fitting FSRS parameters in a child process: result, progress, stop, failure; and the
Settings screen's use of it (progress shown, the button stops it, results applied)."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fsrs.scheduler import LOWER_BOUNDS_PARAMETERS as LOWER
from fsrs.scheduler import UPPER_BOUNDS_PARAMETERS as UPPER
from textual.widgets import Button, Static

from dlquiz import optimize
from dlquiz.records import Record, Review, decode, encode
from dlquiz.store import LOG_NAME
from dlquiz.tui.screens.settings import FIT_LABEL, SettingsScreen
from tests.conftest import Clock
from tests.test_optimize import synthetic_log
from tests.test_tui_settings import SIZE, _app, _click, _open, _saved


def _children() -> set[str]:
    """Live child processes of this test process (Linux)."""
    pids: set[str] = set()
    for task in Path("/proc/self/task").iterdir():
        with (task / "children").open() as handle:
            pids |= set(handle.read().split())
    return pids


@pytest.fixture(scope="module")
def log_path(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    saved = random.getstate()
    random.seed(1234)  # fsrs fuzzes intervals with the global random
    try:
        records = synthetic_log()
    finally:
        random.setstate(saved)
    path = tmp_path_factory.mktemp("fit") / LOG_NAME
    path.write_bytes(b"".join(encode(r) for r in records))
    yield path


def _records(path: Path) -> list[Record]:
    return [r for line in path.read_bytes().splitlines() if isinstance(r := decode(line), Review)]


def test_too_few_reviews_comes_back_without_torch(tmp_path: Path) -> None:
    path = tmp_path / LOG_NAME
    records = synthetic_log(n_cards=10, days=5)
    path.write_bytes(b"".join(encode(r) for r in records))
    said: list[str] = []
    result, counted = optimize.fit_in_subprocess(path, progress=said.append)
    assert result is None
    assert counted == optimize.count_reviews(records) < optimize.MIN_REVIEWS
    assert not any("PyTorch" in s for s in said)


def test_stopping_kills_the_process_at_once(log_path: Path) -> None:
    said: list[str] = []
    with pytest.raises(optimize.FitCancelled):
        # Stopped as soon as it has said anything: long before the fit could end.
        optimize.fit_in_subprocess(log_path, progress=said.append, cancelled=lambda: bool(said))
    assert said and not any(" pass " in s for s in said), said  # killed before fitting
    assert not _children()


def test_a_failing_child_is_reported(tmp_path: Path) -> None:
    with pytest.raises(optimize.FitFailed, match="not a regular file"):
        optimize.fit_in_subprocess(tmp_path)  # a folder where the log should be
    assert not _children()


# ----- the Settings screen -----------------------------------------------------------


def _fake(
    result: optimize.Fit | None, counted: int = 999
) -> Callable[..., tuple[optimize.Fit | None, int]]:
    def fit_in_subprocess(log: Path, **options: Any) -> tuple[optimize.Fit | None, int]:
        options["progress"]("Fitting to 999 reviews: pass 1 of 5…")
        return result, counted

    return fit_in_subprocess


async def _wait_fit(pilot: Any, screen: SettingsScreen) -> None:
    for _ in range(500):
        await pilot.pause(0.01)
        if not screen._fitting:
            return
    raise AssertionError("fit did not finish")


def _status(screen: SettingsScreen) -> str:
    return str(screen.query_one("#fit-status", Static).render())


async def test_screen_applies_a_better_fit_and_defaults_clear_it(
    home: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    fitted = tuple((lo + hi) / 2 for lo, hi in zip(LOWER, UPPER, strict=True))
    fit = optimize.Fit(parameters=fitted, reviews=999, loss=0.3, default_loss=0.4)
    monkeypatch.setattr(optimize, "fit_in_subprocess", _fake(fit))
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot, app)
        await _click(pilot, screen, "#fit")
        await _wait_fit(pilot, screen)
        assert (_saved(home) or {})["fsrs_parameters"] == pytest.approx(list(fitted))
        assert app.study.settings.fsrs_parameters == fitted
        assert "0.4000 → 0.3000" in _status(screen)
        await _click(pilot, screen, "#defaults")
        await pilot.pause()
        assert (_saved(home) or {})["fsrs_parameters"] is None


@pytest.mark.parametrize(
    ("fit", "says"),
    [
        (optimize.Fit((1.0,) * 21, reviews=999, loss=0.5, default_loss=0.4), "already fit"),
        # In the log-loss sense better, but out of fsrs's bounds: refused, not saved.
        (optimize.Fit(tuple(hi + 1 for hi in UPPER), 999, 0.1, 0.4), "not saved"),
        (None, "usable for fitting"),
    ],
)
async def test_screen_keeps_the_parameters_when_a_fit_is_no_use(
    home: Path,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    fit: optimize.Fit | None,
    says: str,
) -> None:
    monkeypatch.setattr(optimize, "fit_in_subprocess", _fake(fit))
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot, app)
        await _click(pilot, screen, "#fit")
        await _wait_fit(pilot, screen)
        assert says in _status(screen)
        assert _saved(home) is None and app.study.settings.fsrs_parameters is None


async def test_screen_shows_progress_and_its_button_stops_the_fit(
    home: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    stopped = threading.Event()

    def slow(log: Path, **options: Any) -> tuple[optimize.Fit | None, int]:
        assert log.name == "reviews.jsonl" and log.exists()  # every device's reviews, merged
        options["progress"]("Fitting to 999 reviews: pass 2 of 5…")
        for _ in range(500):
            if options["cancelled"]():
                stopped.set()
                raise optimize.FitCancelled
            time.sleep(0.01)
        raise AssertionError("never stopped")

    monkeypatch.setattr(optimize, "fit_in_subprocess", slow)
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(pilot, app)
        await _click(pilot, screen, "#fit")
        for _ in range(200):
            await pilot.pause(0.01)
            if "pass 2 of 5" in _status(screen):
                break
        assert "pass 2 of 5" in _status(screen)
        button = screen.query_one("#fit", Button)
        assert str(button.label) == "Stop fitting"
        # A Button ignores clicks for 0.2 s after one (its "-active" flash): a person's
        # second click comes later than that; this test's could come sooner.
        for _ in range(100):
            if not button.has_class("-active"):
                break
            await pilot.pause(0.01)
        await _click(pilot, screen, "#fit")
        await pilot.pause()
        assert "Fitting stopped" in _status(screen) and str(button.label) == FIT_LABEL
        await app.workers.wait_for_complete()
        assert stopped.is_set()  # the worker saw the stop and ended the fit
        assert _saved(home) is None
