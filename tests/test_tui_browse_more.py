"""Browse: filters, Related history with Esc back, typing always filters, PgDn pages."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import pytest
from textual.widgets import Input, OptionList, Static

from dlquiz import paths
from dlquiz.__main__ import make_app
from dlquiz.cards import Kind, term_card_id
from dlquiz.catalog import parse_query
from dlquiz.questions import generate
from dlquiz.scheduler import GOOD
from dlquiz.tui.app import DLQuizApp
from dlquiz.tui.screens.browse import MORE_ID, BrowseScreen
from dlquiz.tui.widgets.term_view import TermView
from tests.conftest import Clock
from tests.test_tui_browse import _search as _type

MY_DECK = """
[[term]]
slug = "zq-own-thing"
term = "Own Thing"
definition = "Something the user wrote down themselves."
tags = ["cnn"]
"""


def _app(home: Path, clock: Clock) -> DLQuizApp:
    return make_app(home, clock=clock, generator=generate, rng=random.Random(0))


async def _browse(app: DLQuizApp, pilot) -> BrowseScreen:  # type: ignore[no-untyped-def]
    await app.push_screen(BrowseScreen())
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, BrowseScreen)
    await app.workers.wait_for_complete()  # the catalogue, built in a thread
    await pilot.pause()
    assert screen.catalog is not None
    return screen


def _listed(screen: BrowseScreen) -> list[str]:
    listing = screen.query_one("#browse-list", OptionList)
    return [o.id for o in listing.options if o.id is not None and o.id != MORE_ID]


def test_parse_query_separates_words_and_filters() -> None:
    q = parse_query("is:Due  tag:CNN relu deck:mine is:bogus is:")
    assert q.text == "relu"
    assert q.marks == {"due"} and q.tags == ("cnn",) and q.decks == ("mine",)
    assert q.unknown == ("is:bogus",)
    assert not parse_query("relu").filtered


async def test_filters_by_marks_state_tag_and_deck(home: Path, clock: Clock) -> None:
    deck = paths.decks_dir(home)
    deck.mkdir(parents=True)
    (deck / "mine.toml").write_text(MY_DECK, encoding="utf-8")
    app = _app(home, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        study = app.study
        relu = term_card_id("relu", Kind.RECALL)
        adam = term_card_id("adam", Kind.RECALL)
        study.answer(relu, study.outcomes(relu, clock())[GOOD], clock())
        study.answer(adam, study.outcomes(adam, clock())[GOOD], clock())
        assert app.apply_mark("flag", relu, on=True)
        assert app.apply_mark("suspend", adam, on=True)
        assert app.apply_mark("bury", term_card_id("sigmoid-function", Kind.NAME))
        clock.advance(days=30)  # both answered cards are due by now
        screen = await _browse(app, pilot)
        total = len(screen.found)  # every entry (the list shows a page of them)

        await _type(pilot, screen, "is:flagged")
        assert _listed(screen) == ["term:relu"]
        await _type(pilot, screen, "is:suspended")
        assert _listed(screen) == ["term:adam"]
        await _type(pilot, screen, "is:due")
        assert _listed(screen) == ["term:relu"]  # adam is suspended: not due
        await _type(pilot, screen, "is:buried")
        assert _listed(screen) == []  # buried until the next day only; 30 days have passed
        await _type(pilot, screen, "is:new")
        new = [entry.key for entry, _ in screen.found]
        assert "term:relu" in new  # its name card is still new
        assert "term:adam" in new and len(new) == total
        await _type(pilot, screen, "deck:mine")
        assert _listed(screen) == ["term:zq-own-thing"]
        await _type(pilot, screen, "tag:cnn own thing")
        assert _listed(screen) == ["term:zq-own-thing"]
        await _type(pilot, screen, "deck:built-in tag:cnn")
        assert "term:zq-own-thing" not in _listed(screen) and len(_listed(screen)) > 3
        await _type(pilot, screen, "is:whatever")
        status = str(screen.query_one("#browse-status", Static).render())
        assert "Unknown filter is:whatever" in status


async def test_leech_and_buried_filters(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        sigmoid = term_card_id("sigmoid-function", Kind.NAME)
        assert app.apply_mark("bury", sigmoid)
        assert app.apply_mark("suspend", term_card_id("adam", Kind.RECALL), on=True)
        screen = await _browse(app, pilot)
        await _type(pilot, screen, "is:buried")
        assert _listed(screen) == ["term:sigmoid-function"]
        await _type(pilot, screen, "is:leech")
        assert _listed(screen) == []  # suspended by hand is not a leech
        await _type(pilot, screen, "is:suspended")
        assert _listed(screen) == ["term:adam"]
        clock.advance(days=2)
        await _type(pilot, screen, "is:buried")
        assert _listed(screen) == []


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_escape_goes_back_through_related_links(home: Path, clock: Clock, size) -> None:  # type: ignore[no-untyped-def]
    app = _app(home, clock)
    async with app.run_test(size=size) as pilot:
        screen = await _browse(app, pilot)
        await _type(pilot, screen, "cnn")
        await pilot.press("enter")
        start = screen.current
        assert start == "term:convolutional-neural-network"
        trail: list[str] = [start]
        for _ in range(2):  # two links deep
            links = screen.query_one(TermView).links
            links.focus()
            links.highlighted = 0
            await pilot.press("enter")
            await pilot.pause()
            now_at = screen.current
            assert now_at is not None and now_at != trail[-1]
            trail.append(now_at)
        await pilot.press("escape")
        assert screen.current == trail[1]
        await pilot.press("escape")
        assert screen.current == start
        links = screen.query_one(TermView).links
        assert links.highlighted_option is not None
        assert links.highlighted_option.id == trail[1]  # the link we took is highlighted
        await pilot.press("escape")  # no more history: as before (closes, or leaves)
        assert screen.current is None or app.screen is not screen


async def test_typing_filters_after_escape_from_an_entry(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _browse(app, pilot)
        await _type(pilot, screen, "relu")
        await pilot.press("enter")
        assert screen.current == "term:relu"
        await pilot.press("escape")
        assert screen.current is None
        box = screen.query_one("#browse-search", Input)
        assert not box.has_focus  # the list has it, as before
        await pilot.press("x", "a")  # x is no card key now: it types
        await pilot.pause()
        assert box.has_focus and box.value == "reluxa"
        screen.query_one("#browse-list", OptionList).focus()
        await pilot.press("backspace")  # from the list as well
        await pilot.press("backspace")
        await pilot.pause()
        assert box.value == "relu" and _listed(screen)[0] == "term:relu"


async def test_typing_in_an_open_entry_filters_wide(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _browse(app, pilot)
        await _type(pilot, screen, "relu")
        await pilot.press("enter")
        assert screen.current == "term:relu"
        await pilot.press("f")  # a card key while an entry is open: flags
        await pilot.pause()
        assert app.study.marks[term_card_id("relu", Kind.RECALL)].flagged
        await pilot.press("g", "e")
        await pilot.pause()
        box = screen.query_one("#browse-search", Input)
        assert box.has_focus and box.value == "reluge"


async def test_page_down_scrolls_the_whole_entry_without_tab(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _browse(app, pilot)
        await _type(pilot, screen, "cnn")
        await pilot.press("enter")
        detail = screen.query_one(TermView)
        assert detail.links.has_focus  # where Enter puts you: the links
        await pilot.pause()
        assert detail.max_scroll_y > 0  # the entry is taller than the screen
        schedule = screen.query_one("#term-schedule")
        assert not detail.region.contains_region(schedule.region)
        for _ in range(5):
            await pilot.press("pagedown")
        await pilot.pause()
        assert detail.scroll_y == detail.max_scroll_y
        assert detail.region.contains_region(schedule.region)  # the Schedule table in view
        await pilot.press("pageup")
        await pilot.pause()
        assert detail.scroll_y < detail.max_scroll_y


async def test_due_filter_follows_the_clock(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        study = app.study
        relu = term_card_id("relu", Kind.RECALL)
        study.answer(relu, study.outcomes(relu, clock())[GOOD], clock())
        screen = await _browse(app, pilot)
        await _type(pilot, screen, "is:due")
        due_now = _listed(screen)
        state = study.cards[relu]
        clock.now = state.due_at + timedelta(seconds=1)
        await _type(pilot, screen, "is:due")
        assert "term:relu" not in due_now and _listed(screen) == ["term:relu"]


def test_matches_leech_and_every_filter_at_once() -> None:
    from datetime import UTC, datetime

    from dlquiz.catalog import Entry, matches
    from dlquiz.records import Marks

    now = datetime(2026, 3, 2, tzinfo=UTC)
    entry = Entry("term:x", "term", "x", "X", ("X",), ("term/x/recall", "term/x/name"), ("cnn",))
    leech = {"term/x/recall": Marks(suspended=True, leech=True)}
    assert matches(entry, parse_query("is:leech"), {}, leech, now)
    assert matches(entry, parse_query("is:leech is:new tag:cnn deck:built-in"), {}, leech, now)
    assert not matches(entry, parse_query("is:leech tag:rnn"), {}, leech, now)
    assert not matches(entry, parse_query("is:leech"), {}, {}, now)
    assert not matches(entry, parse_query("deck:mine"), {}, leech, now)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_footer_never_offers_a_key_that_types(home: Path, clock: Clock, size) -> None:  # type: ignore[no-untyped-def]
    # Out of the search box every printable key but the card keys types into it, q and ?
    # included: the footer said "q Quit" and "? Help" there, and q typed a q.
    from dlquiz.tui.widgets.footer import LineFooter

    app = _app(home, clock)
    async with app.run_test(size=size) as pilot:
        screen = await _browse(app, pilot)
        await _type(pilot, screen, "relu")
        await pilot.press("enter")
        if size == (80, 24):  # narrow, the entry filled the screen: back to the list
            await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(screen.focused, Input)
        shown = {k.key for k in screen.query_one(LineFooter).shown()}
        assert "q" not in shown and "question_mark" not in shown, shown
        assert "escape" in shown  # the way out is still offered
        await pilot.press("q")
        await pilot.pause()
        assert app.screen is screen and screen.query_one("#browse-search", Input).value == "reluq"
