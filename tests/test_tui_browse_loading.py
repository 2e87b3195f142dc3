"""Browse opens at once when its catalogue is not built yet (~0.5 s at 100k cards): the
catalogue is built in a thread, and what was typed meanwhile is searched once it is in."""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping
from pathlib import Path

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static

from dlquiz import catalog as catalog_module
from dlquiz.__main__ import make_app
from dlquiz.cards import CardSpec
from dlquiz.catalog import Catalog
from dlquiz.content import Content
from dlquiz.questions import generate
from dlquiz.tui.screens import browse
from dlquiz.tui.screens.browse import MORE_ID, BrowseScreen, browse_screen
from dlquiz.tui.screens.home import HomeScreen
from tests.conftest import Clock

SIZE = (100, 30)


def _listed(screen: BrowseScreen) -> list[str]:
    listing = screen.query_one("#browse-list", OptionList)
    return [o.id for o in listing.options if o.id is not None and o.id != MORE_ID]


@pytest.fixture
def release(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Browse's catalogue is built once this is set (and off the UI thread)."""
    release = threading.Event()
    build = catalog_module.catalog_for

    def slow(content: Content, deck: Mapping[str, CardSpec]) -> Catalog:
        assert threading.current_thread() is not threading.main_thread()
        release.wait(10)
        return build(content, deck)

    monkeypatch.setattr(browse, "catalog_for", slow)
    return release


async def test_browse_opens_before_its_catalogue_and_searches_what_was_typed(
    home: Path, clock: Clock, release: threading.Event
) -> None:
    app = make_app(home, clock=clock, generator=generate, rng=random.Random(0))
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(browse_screen(app))
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, BrowseScreen) and screen.catalog is None
        status = screen.query_one("#browse-status", Static)
        assert "Listing the terms and concepts" in str(status.render())
        assert _listed(screen) == []
        await pilot.press(*"relu")  # typed while it lists
        await pilot.pause()
        assert screen.query_one("#browse-search", Input).value == "relu"
        assert "Listing" in str(status.render())  # not "nothing matches"
        release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.catalog is not None
        listed = _listed(screen)
        assert listed and listed[0] == "term:relu"  # searched for what was typed
        assert "term" in str(status.render())
        # Built once: the next open takes the kept screen and its catalogue.
        await pilot.press("escape")
        while not isinstance(app.screen, HomeScreen):
            await pilot.press("escape")
            await pilot.pause()
        again = browse_screen(app)
        assert again is screen


async def test_browse_closed_while_it_lists_is_listed_and_kept_for_next_time(
    home: Path, clock: Clock, release: threading.Event
) -> None:
    app = make_app(home, clock=clock, generator=generate, rng=random.Random(0))
    async with app.run_test(size=SIZE) as pilot:
        first = browse_screen(app)
        await app.push_screen(first)
        await pilot.pause()
        await pilot.press(*"relu", "escape", "escape")  # typed, then closed while it lists
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen) and first.catalog is None
        release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert first.catalog is not None  # the kept screen takes it, off screen
        again = browse_screen(app)
        assert again is first
        await app.push_screen(again)
        await pilot.pause()
        # Started over, as a reopened Browse is: no query, the first page listed.
        assert again.query_one("#browse-search", Input).value == ""
        listed = _listed(again)
        assert listed and listed[0] != "term:relu"


async def _tried(app: App[object], pilot: Pilot[object], calls: list[int], times: int) -> None:
    """Until the catalogue has been built ``times`` times and its worker is done. The
    build starts once the screen's first frame is drawn: a wait for the workers alone
    may come before it starts (and did, in CI)."""
    for _ in range(500):
        if len(calls) >= times:
            break
        await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_a_catalogue_that_fails_says_so_and_is_tried_again_when_reopened(
    home: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    build = catalog_module.catalog_for
    calls: list[int] = []

    def failing_once(content: Content, deck: Mapping[str, CardSpec]) -> Catalog:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("disk gone")
        return build(content, deck)

    monkeypatch.setattr(browse, "catalog_for", failing_once)
    app = make_app(home, clock=clock, generator=generate, rng=random.Random(0))
    async with app.run_test(size=SIZE) as pilot:
        screen = browse_screen(app)
        await app.push_screen(screen)
        await _tried(app, pilot, calls, 1)
        status = screen.query_one("#browse-status", Static)
        assert "Could not list the terms and concepts: disk gone" in str(status.render())
        await pilot.press(*"relu")  # nothing to search: the message stays
        await pilot.pause()
        assert "Could not list" in str(status.render())
        while not isinstance(app.screen, HomeScreen):
            await pilot.press("escape")
            await pilot.pause()
        await app.push_screen(browse_screen(app))
        await _tried(app, pilot, calls, 2)
        shown = app.screen
        assert isinstance(shown, BrowseScreen) and shown.catalog is not None
        assert len(calls) == 2 and _listed(shown)
