"""The statistics screen: numbers from a data folder written at fixed times, off the UI thread."""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Sparkline, Static
from textual.worker import WorkerFailed

from dlquiz import stats as stats_core
from dlquiz import stats_log, stats_saved
from dlquiz import workspace as workspace_mod
from dlquiz.__main__ import make_app
from dlquiz.cards import CardSpec, Kind, build_deck
from dlquiz.history import mark_record, review_record, undo_record
from dlquiz.questions import generate
from dlquiz.scheduler import AGAIN, EASY, GOOD, REVIEW, CardState, Scheduler, shifted
from dlquiz.stats import SHADES
from dlquiz.store import Store
from dlquiz.tui.app import DLQuizApp
from dlquiz.tui.screens.home import HomeScreen
from dlquiz.tui.screens.stats import COMPUTING, StatsScreen
from dlquiz.tui.widgets.stats_widgets import (
    ForecastChart,
    Heatmap,
    MasteryTable,
    heatmap_layout,
)
from tests.conftest import T0, Clock, OwnedStore

SIZE = (80, 24)
Gate = tuple[threading.Event, list[threading.Thread]]  # (opens it, the threads it held)
# Five hours behind UTC: a review at 06:00 UTC is 01:00 local, before the 04:00 day
# start, so it belongs to the previous study day. Counting in UTC would move it to
# today and change every figure checked below.
TZ = timezone(timedelta(hours=-5))
DAY_HOUR = 4  # the default day_starts_at_hour


def _deck(home: Path) -> dict[str, CardSpec]:
    content, _ = workspace_mod.load_content(home)
    return build_deck(content, workspace_mod.skill_cards())


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    """``day`` days after 2026-03-02 (T0's date), at ``hour``:``minute`` UTC."""
    return T0.replace(hour=hour, minute=minute) + timedelta(days=day)


class Writer:
    """Answers cards into a real data folder, the way the app does (scheduler, log)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.scheduler = Scheduler()
        self.cards: dict[str, CardState] = {}

    def answer(self, card: str, rating: int, at: datetime) -> dict[str, Any]:
        before = self.cards.get(card)
        after = shifted(self.scheduler.outcomes(before, at)[rating], at)
        record = review_record(card, rating, at, before, after)
        self.store.append(record)
        self.cards[card] = after
        return record


def _fill(home: Path, deck: dict[str, CardSpec]) -> dict[str, str]:
    """Four study days (local): Feb 27, Feb 28, Mar 1 (late night), Mar 2 (today)."""
    a, b, c, d = [
        spec.id
        for spec in deck.values()
        if spec.kind is Kind.RECALL and "optimization" in spec.tags
    ][:4]
    skill = "skill/conv2d-shape/1"
    assert skill in deck
    with OwnedStore(home) as store:
        w = Writer(store)
        w.answer(a, EASY, _at(-3, 15))
        w.answer(b, EASY, _at(-3, 15, 1))
        first_a = w.answer(a, GOOD, _at(-2, 15))
        first_b = w.answer(b, AGAIN, _at(-2, 15, 1))
        late = w.answer(a, GOOD, _at(0, 6))  # 01:00 local: still Mar 1's study day
        w.answer(c, GOOD, _at(0, 10))
        today_a = w.answer(a, GOOD, _at(0, 10, 1))
        mistake = w.answer(d, GOOD, _at(0, 10, 2))
        store.append(undo_record(mistake, _at(0, 10, 3)))  # never counts
        w.answer(skill, GOOD, _at(0, 10, 4))
        store.append(mark_record("suspend", b, _at(0, 10, 5), on=True))  # due today, held
        # Every look at a and b after the first day is a test of a learned card.
        for record in (first_a, first_b, late, today_a):
            assert record.before is not None and record.before.state == REVIEW
        store.rebuild()  # state.json from the log, as a restart would
    return {"a": a, "b": b, "c": c, "d": d, "skill": skill}


def _text(screen: StatsScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def _expected_forecast(cards: dict[str, CardState], today: date, tz: tzinfo) -> list[int]:
    """Cards due per local study day from ``today`` on, overdue ones today (by hand)."""
    counts = [0] * 30
    for state in cards.values():
        local = datetime.fromtimestamp(state.due, tz) - timedelta(hours=DAY_HOUR)
        offset = max(0, (local.date() - today).days)
        if offset < 30:
            counts[offset] += 1
    return counts


def _app(home: Path, clock: Clock) -> DLQuizApp:
    return make_app(home, clock=clock, generator=generate, rng=random.Random(0))


@pytest.fixture
def local_tz(monkeypatch: pytest.MonkeyPatch) -> tzinfo:
    monkeypatch.setattr(workspace_mod, "local_tz", lambda: TZ)
    return TZ


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Gate:
    """Holds the statistics computation until the test opens the gate; records its thread."""
    opened = threading.Event()
    threads: list[threading.Thread] = []
    real: Callable[..., stats_core.Stats] = stats_core.compute_home

    def held(*args: Any, **kwargs: Any) -> stats_core.Stats:
        threads.append(threading.current_thread())
        # On the event loop this would freeze the app and the test would fail here.
        assert opened.wait(10), "the computation was never released"
        return real(*args, **kwargs)

    monkeypatch.setattr(stats_core, "compute_home", held)
    return opened, threads


async def test_figures_from_a_real_data_folder(
    home: Path,
    clock: Clock,
    local_tz: tzinfo,
    gate: Gate,
) -> None:
    deck = _deck(home)
    ids = _fill(home, deck)
    opened, threads = gate
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = StatsScreen()
        await app.push_screen(screen)
        await pilot.pause()
        # The worker is held: the screen is up, says so, and shows no stale figures.
        assert COMPUTING in _text(screen, "#stats-status")
        assert not screen.query_one("#stats-body").display
        assert screen.computing and screen.check_action("refresh", ()) is None
        opened.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert threads and threads[0] is not threading.main_thread()
        assert not screen.computing
        assert COMPUTING not in _text(screen, "#stats-status")
        assert screen.query_one("#stats-body").display

        # Reviews today: c, a and the skill card (d was undone; 06:00 UTC was Mar 1).
        today_tile = _text(screen, "#tile-today")
        assert today_tile.splitlines()[:2] == ["3", "reviews today"]
        assert "8 all time" in today_tile  # 9 reviews written, one undone
        # Four local study days in a row, ending today.
        streak = _text(screen, "#tile-streak")
        assert streak.splitlines()[0] == "4 days" and "longest 4 days" in streak
        # First look of a day at a learned card: a passed 3 times, b failed once.
        assert "75% (3 of 4 recalled)" in _text(screen, "#retention")
        assert _text(screen, "#tile-retention").splitlines()[0] == "75%"
        cards_tile = _text(screen, "#tile-cards")
        assert cards_tile.splitlines()[0] == f"4/{len(deck)}"  # a, b, c, skill
        assert "2 new today" in cards_tile  # c and the skill card

        # Heatmap: one shaded cell per study day, the busiest (today) at 3 reviews.
        heatmap = screen.query_one(Heatmap)
        lines = heatmap.render().plain.splitlines()
        assert len(lines) == 9 and lines[1].startswith("Mon") and lines[7].startswith("Sun")
        shaded = sum(ch in SHADES[1:] for line in lines[1:8] for ch in line)
        weeks, cell = heatmap_layout(heatmap.size.width)
        assert weeks == 26
        assert shaded == 4 * (cell - 1)  # each cell: shade characters, then a gap
        assert lines[1].rstrip()[-1] == SHADES[-1]  # today (a Monday) is the peak
        assert "busiest day: 3 reviews" in lines[8]

        # Forecast: the bars and the counts match the card states on disk.
        store_cards = app.study.cards
        assert set(store_cards) == {ids["a"], ids["b"], ids["c"], ids["skill"]}
        expected = _expected_forecast(store_cards, date(2026, 3, 2), TZ)
        assert sum(expected) == 4 and expected[0] >= 3  # b, c, skill are in (re)learning
        chart = screen.query_one(ForecastChart)
        data = list(chart.query_one(Sparkline).data or [])
        assert data[1::2][:: chart.per_day] == expected
        counts = _text(screen, "#forecast-counts")
        assert (
            f"today {expected[0]} · tomorrow {expected[1]} · next 7 days {sum(expected[:7])} "
            f"· next 30 days {sum(expected)}" in counts
        )
        assert "today" in str(chart.query_one(".forecast-x", Static).render())
        assert app.study.marks[ids["b"]].suspended
        assert "1 of these is suspended" in counts  # b: relearning, due today

        # Mastery rows: a, b, c share the tag; the skill card is its family's only one.
        tags = screen.query_one("#mastery-tags", MasteryTable)
        row = [str(cell) for cell in tags.get_row("optimization")]
        mastered = sum(store_cards[ids[k]].stability >= 21 for k in "abc")
        in_tag = sum("optimization" in spec.tags for spec in deck.values())
        assert row[1:4] == [str(mastered), "3", str(in_tag)]
        assert row[4] == f"{mastered / 3:.0%}"
        families = screen.query_one("#mastery-families", MasteryTable)
        assert families.display and families.row_count == 1
        # Shown by its title, not its id.
        family = [str(cell) for cell in families.get_row("Conv2d output shape")]
        assert family[0] == "Conv2d output shape"
        levels = sum(s.kind is Kind.SKILL and s.key == "conv2d-shape" for s in deck.values())
        assert family[2:4] == ["1", str(levels)]

        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("q")


async def test_empty_folder_says_why_and_refresh_picks_up_a_review(
    home: Path, clock: Clock, local_tz: tzinfo
) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = StatsScreen()
        await app.push_screen(screen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        retention = _text(screen, "#retention")
        assert retention.count("n/a (no reviews of learned cards yet)") == 2
        assert _text(screen, "#tile-retention").splitlines()[0] == "n/a"
        assert _text(screen, "#tile-streak").splitlines()[0] == "0 days"
        assert _text(screen, "#tile-today").splitlines()[0] == "0"
        assert "Nothing studied is due" in _text(screen, "#forecast-counts")
        assert not any(screen.query_one(ForecastChart).forecast)
        assert not screen.query_one("#mastery-families", MasteryTable).display
        assert "No skill family started yet" in _text(screen, "#families-note")
        lines = screen.query_one(Heatmap).render().plain.splitlines()
        assert not any(ch in SHADES[1:] for line in lines[1:8] for ch in line)

        # A review made while the screen is open shows up after `r`, not before.
        card = next(iter(app.study.deck))
        now = clock()
        assert app.study.answer(card, app.study.outcomes(card, now)[GOOD], now)
        assert _text(screen, "#tile-today").splitlines()[0] == "0"
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert _text(screen, "#tile-today").splitlines()[:2] == ["1", "review today"]
        assert _text(screen, "#tile-streak").splitlines()[0] == "1 day"
        assert _text(screen, "#tile-cards").splitlines()[0] == f"1/{len(app.study.deck)}"
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("q")


@pytest.mark.parametrize(("size", "cell", "per_day"), [((80, 24), 2, 2), ((120, 40), 3, 3)])
async def test_layout_fits_small_and_uses_room_when_wide(
    home: Path,
    clock: Clock,
    local_tz: tzinfo,
    size: tuple[int, int],
    cell: int,
    per_day: int,
) -> None:
    _fill(home, _deck(home))
    app = _app(home, clock)
    async with app.run_test(size=size) as pilot:
        screen = StatsScreen()
        await app.push_screen(screen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        heatmap = screen.query_one(Heatmap)
        lines = heatmap.render().plain.splitlines()
        # All 26 weeks, nothing cut off on the right.
        assert max(len(line) for line in lines) <= heatmap.size.width
        assert len(lines[1]) >= 4 + 25 * cell  # the last column may end without its gap
        chart = screen.query_one(ForecastChart)
        bars = chart.query_one(Sparkline)
        for _ in range(100):  # the chart redraws on its resize, once laid out
            if chart.per_day == per_day and bars.size.width == 30 * per_day:
                break
            await pilot.pause(0.01)
        assert chart.per_day == per_day and bars.size.width == 30 * per_day
        assert bars.region.right <= screen.size.width
        # The four tiles sit side by side.
        tops = {tile.region.y for tile in screen.query(".tile")}
        assert len(tops) == 1
        scroll = screen.query_one("#stats")
        if size == (80, 24):
            assert scroll.max_scroll_y > 0  # the rest is a scroll away
        await pilot.press("escape")
        await pilot.press("q")


async def test_a_failing_computation_is_reported_not_fatal(
    home: Path, clock: Clock, local_tz: tzinfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> stats_core.Stats:
        raise ValueError("disk said no")

    monkeypatch.setattr(stats_core, "compute_home", broken)
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = StatsScreen()
        await app.push_screen(screen)
        with pytest.raises(WorkerFailed, match="disk said no"):
            await app.workers.wait_for_complete()
        await pilot.pause()
        status = _text(screen, "#stats-status")
        assert "Could not compute the statistics" in status and "disk said no" in status
        assert not screen.computing and screen.check_action("refresh", ())
        assert app.is_running and app.screen is screen
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)
        await pilot.press("q")


def test_time_zone_is_what_moves_the_late_review() -> None:
    # Guard for the scenario above: the 06:00 UTC review is Mar 1 locally, Mar 2 in UTC.
    late = _at(0, 6)
    assert stats_core.study_day(late, TZ, DAY_HOUR) == date(2026, 3, 1)
    assert stats_core.study_day(late, UTC, DAY_HOUR) == date(2026, 3, 2)


async def test_leaving_while_computing_is_harmless(
    home: Path,
    clock: Clock,
    local_tz: tzinfo,
    gate: Gate,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opened, threads = gate
    returned = threading.Event()
    held = stats_core.compute_home

    def compute(*args: Any, **kwargs: Any) -> stats_core.Stats:
        try:
            return held(*args, **kwargs)
        finally:
            returned.set()

    monkeypatch.setattr(stats_core, "compute_home", compute)
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = StatsScreen()
        await app.push_screen(screen)
        await pilot.pause()
        assert screen.computing and threads
        await pilot.press("escape")  # the UI answers while the worker is still held
        assert isinstance(app.screen, HomeScreen)
        opened.set()
        assert await asyncio.to_thread(returned.wait, 5)  # the loop stays free meanwhile
        # Proving that nothing arrives needs a bounded wait: the worker's last step
        # (handing the result to the UI) follows the computation within microseconds.
        for _ in range(20):
            await pilot.pause(0.01)
        assert screen.stats is None  # the late result was dropped
        assert app.is_running and isinstance(app.screen, HomeScreen)
        await pilot.press("q")


async def test_figures_never_shown_are_saved_and_let_go_at_once(
    home: Path,
    clock: Clock,
    local_tz: tzinfo,
    gate: Gate,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Closed while computing: the tally is saved, and the log's records it held (saved
    and let go once figures are shown) are let go, when the computation ends, not when
    the app closes."""
    monkeypatch.setattr(stats_log, "FREEZE_FROM", 1)  # records held, as for a large log
    monkeypatch.setattr(stats_log.gc, "freeze", lambda: None)  # nothing of the run frozen
    _fill(home, _deck(home))
    stats_log.forget()
    opened, threads = gate
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(StatsScreen())
        await pilot.pause()
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)
        opened.set()
        saved = stats_saved.saved_path(home, app.study.device)
        for _ in range(500):  # the worker ends within milliseconds of the computation
            if saved.is_file():
                break
            await pilot.pause(0.01)
        assert threads and saved.is_file()
        assert stats_log._spent is None
        await pilot.press("q")
    stats_log.forget()


async def test_clicking_a_header_sorts_the_mastery_table(
    home: Path, clock: Clock, local_tz: tzinfo
) -> None:
    _fill(home, _deck(home))
    app = _app(home, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = StatsScreen()
        await app.push_screen(screen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.stats is not None
        groups = screen.stats.mastery_by_tag
        table = screen.query_one("#mastery-tags", MasteryTable)
        screen.query_one("#stats").scroll_to_widget(table, animate=False, top=True)
        await pilot.pause()

        def order() -> list[str]:
            return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]

        assert order() == sorted(groups)  # by name to begin with
        columns = list(table.columns.values())
        x = sum(c.get_render_width(table) for c in columns[:2]) + 1  # inside "Studied"
        assert str(columns[2].label) == "Studied"
        await pilot.click(table, offset=(x, 0))
        await pilot.pause()
        studied = [groups[name].studied for name in order()]
        assert studied == sorted(studied, reverse=True) and studied[0] > 0
        await pilot.click(table, offset=(x, 0))  # again: the other way round
        await pilot.pause()
        studied = [groups[name].studied for name in order()]
        assert studied == sorted(studied) and studied[-1] > 0
        await pilot.press("escape")
        await pilot.press("q")


async def test_the_most_frequent_named_mistakes_are_listed(
    home: Path, clock: Clock, local_tz: tzinfo
) -> None:
    from dlquiz.study import Study

    card = "skill/conv2d-shape/1"
    with Study.open(home, now=clock()) as study:
        for _ in range(2):
            outcome = study.outcomes(card, clock())[AGAIN]
            asked = {"family": "conv2d-shape", "level": 1, "seed": 7, "params": {}}
            extra = {"skill": asked, "mistake": "kept-in-channels", "answer": "(1, 3, 8, 8)"}
            study.answer(card, outcome, clock(), extra=extra)
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = StatsScreen()
        await app.push_screen(screen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.query_one("#mistakes", Static).display
        assert "kept in channels (Conv2d output shape) ×2" in _text(screen, "#mistakes")


async def test_the_tally_is_saved_for_the_next_run_once_the_figures_are_shown(
    home: Path, clock: Clock, local_tz: tzinfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(home, _deck(home))
    stats_log.forget()
    app = _app(home, clock)
    saved_when_shown: list[bool] = []
    real_fill = StatsScreen._fill

    def fill(screen: StatsScreen, *args: Any) -> None:
        saved_when_shown.append(stats_saved.saved_path(home, app.study.device).exists())
        real_fill(screen, *args)

    monkeypatch.setattr(StatsScreen, "_fill", fill)
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(StatsScreen())
        await app.workers.wait_for_complete()
        await pilot.pause()
        await app.workers.wait_for_complete()  # the save, started after the next refresh
        device = app.study.device
        assert saved_when_shown == [False]  # the figures did not wait for the file
        assert stats_saved.saved_path(home, device).is_file()
    stats_log.forget()  # the next run
    kept = stats_saved.load(home, device, TZ, DAY_HOUR)
    assert kept is not None and kept.tally.reviews == 8  # 9 written, one undone


async def test_a_tally_not_saved_yet_is_saved_when_the_app_closes(
    home: Path, clock: Clock, local_tz: tzinfo
) -> None:
    _fill(home, _deck(home))
    stats_log.forget()
    app = _app(home, clock)
    async with app.run_test(size=SIZE):
        study = app.study
        stats_core.compute_home(
            home, study.cards, study.deck, app.clock(), TZ, DAY_HOUR, study.device, save_later=True
        )
        saved = stats_saved.saved_path(home, study.device)
        assert not saved.exists()
    assert saved.is_file()
    stats_log.forget()
