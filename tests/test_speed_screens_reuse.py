"""Statistics and help are kept between openings: shown again at once, up to date."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from textual.containers import VerticalScroll
from textual.theme import Theme
from textual.widgets import Input, OptionList, SelectionList, Static

from dlquiz.__main__ import make_app
from dlquiz.questions import generate
from dlquiz.tui.app import DLQuizApp
from dlquiz.tui.screens.browse import browse_screen
from dlquiz.tui.screens.help import HelpScreen, HelpText, help_screen
from dlquiz.tui.screens.home import HomeScreen
from dlquiz.tui.screens.practice import cram_screen, quiz_screen
from dlquiz.tui.screens.stats import COMPUTING, StatsScreen, stats_screen
from tests.conftest import Clock

SIZE = (80, 24)


def _app(home: Path, clock: Clock) -> DLQuizApp:
    return make_app(home, clock=clock, generator=generate, rng=random.Random(0))


async def _stats(pilot, app: DLQuizApp) -> StatsScreen:  # type: ignore[no-untyped-def]
    screen = stats_screen(app)
    await app.push_screen(screen)
    await app.workers.wait_for_complete()
    await pilot.pause()
    assert app.screen is screen and screen.stats is not None and not screen.computing
    return screen


def _text(screen: StatsScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def _home(pilot, app: DLQuizApp) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("escape")
    await pilot.pause()
    assert isinstance(app.screen, HomeScreen)


async def test_stats_reopened_shows_its_figures_and_takes_new_reviews(
    home: Path, clock: Clock
) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        first = await _stats(pilot, app)
        figures = first.stats
        assert first.stats is not None and first.stats.totals.reviews == 0
        await _home(pilot, app)

        again = await _stats(pilot, app)  # nothing new in the log: the same figures
        assert again is first and again.stats is figures
        assert COMPUTING not in _text(again, "#stats-status")
        await _home(pilot, app)

        study = app.study
        card = next(iter(study.deck))
        study.answer(card, study.outcomes(card, clock())[3], clock())
        study.flush()
        later = await _stats(pilot, app)
        assert later is first and later.stats is not figures
        assert later.stats is not None and later.stats.totals.reviews == 1
        assert _text(later, "#tile-today").splitlines()[0] == "1"


async def test_help_is_kept_back_at_the_top_and_rebuilt_for_another_accent(
    home: Path, clock: Clock
) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        first = help_screen(app)
        await app.push_screen(first)
        await pilot.pause()
        scroll = first.query_one("#help", VerticalScroll)
        scroll.scroll_end(animate=False)
        await pilot.pause()
        assert scroll.scroll_y > 0
        await pilot.press("escape")
        await pilot.pause()
        again = help_screen(app)
        assert again is first
        await app.push_screen(again)
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen) and scroll.scroll_y == 0
        await pilot.press("escape")
        await pilot.pause()
        old_accent = first.accent
        app.register_theme(Theme("bench-mint", primary="#33aaaa", accent="#aa33aa"))
        app.theme = "bench-mint"
        await pilot.pause()
        light = help_screen(app)
        await app.push_screen(light)
        await pilot.pause()
        assert light.accent != old_accent  # the keys are drawn in the new accent
        assert light is not first and light.query_one(HelpText).accent == light.accent


async def test_quiz_setup_is_kept_and_set_back_to_its_defaults(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        first = quiz_screen(app)
        await app.push_screen(first)
        await pilot.pause()
        families = first.query_one("#families", SelectionList)
        fresh = (set(families.selected), families.highlighted, app.focused)
        assert len(fresh[0]) == families.option_count  # all ticked
        await pilot.press("down", "down", "space")  # untick the third family
        first.query_one("#count", Input).value = "7"
        first.query_one("#minutes", Input).value = "5"
        assert len(families.selected) == families.option_count - 1
        await pilot.press("escape")
        await pilot.pause()
        again = quiz_screen(app)
        assert again is first
        await app.push_screen(again)
        await pilot.pause()
        assert (set(families.selected), families.highlighted, app.focused) == fresh
        assert first.query_one("#count", Input).value == "10"
        assert first.query_one("#minutes", Input).value == ""


async def test_cram_is_kept_for_the_same_deck(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        first = cram_screen(app)
        await app.push_screen(first)
        await pilot.pause()
        topics = first.query_one("#topics", OptionList)
        assert topics.highlighted == 0 and app.focused is topics
        await pilot.press("down", "down")
        assert topics.highlighted == 2
        await pilot.press("escape")
        await pilot.pause()
        again = cram_screen(app)
        assert again is first
        await app.push_screen(again)
        await pilot.pause()
        assert topics.highlighted == 0 and app.focused is topics
        await pilot.press("enter")  # still starts a cram of the first topic
        await pilot.pause()
        assert type(app.screen).__name__ == "ReviewScreen"


async def test_browse_is_kept_and_starts_over(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        first = browse_screen(app)
        await app.push_screen(first)
        await app.workers.wait_for_complete()  # the catalogue, built in a thread
        await pilot.pause()
        listing = first.query_one("#browse-list", OptionList)
        search = first.query_one("#browse-search", Input)
        fresh = ([o.id for o in listing.options], listing.highlighted, app.focused)
        await pilot.press(*"relu", "enter")
        await pilot.pause()
        assert first.current is not None and first.detail_open
        while not isinstance(app.screen, HomeScreen):  # Esc closes the entry, then Browse
            await pilot.press("escape")
            await pilot.pause()
        again = browse_screen(app)
        assert again is first
        await app.push_screen(again)
        await pilot.pause()
        assert search.value == "" and first.current is None and not first.detail_open
        assert ([o.id for o in listing.options], listing.highlighted, app.focused) == fresh
        await pilot.press(*"relu", "enter")  # and works as before
        await pilot.pause()
        assert first.current == "term:relu"


async def test_a_kept_screen_is_restyled_only_when_the_theme_changed(
    home: Path, clock: Clock
) -> None:
    from textual.css.stylesheet import Stylesheet

    applied: list[object] = []
    apply = Stylesheet.apply

    def counting(self: Stylesheet, node: object, *args: object, **kwargs: object) -> None:
        applied.append(node)
        apply(self, node, *args, **kwargs)  # type: ignore[arg-type]

    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for key in ("comma", "s", "b", "question_mark"):
            await pilot.press(key)
            await pilot.pause()
            await pilot.press("escape")
            await pilot.pause()
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(Stylesheet, "apply", counting)
                await pilot.press(key)  # the kept screen, shown again
                await pilot.pause()
                assert not [n for n in applied if n is app.screen], key  # not restyled
                await pilot.press("escape")
                await pilot.pause()
                app.theme = "nord" if app.theme != "nord" else "textual-dark"
                await pilot.pause()
                applied.clear()
                await pilot.press(key)  # shown again after a theme change: restyled
                await pilot.pause()
                assert [n for n in applied if n is app.screen], key
            await pilot.press("escape")
            await pilot.pause()
