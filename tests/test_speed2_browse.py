"""Browse in a big deck: the list is filled a page at a time, the catalogue is built once."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from textual.widgets import OptionList, Static

from dlquiz import paths
from dlquiz.__main__ import make_app
from dlquiz.cards import Kind, build_deck, term_card_id
from dlquiz.catalog import Entry, build_entries, catalog_for, count_terms, search
from dlquiz.questions import generate
from dlquiz.tui.app import DLQuizApp
from dlquiz.tui.screens import browse
from dlquiz.tui.screens.browse import MORE_ID, BrowseScreen
from dlquiz.workspace import load_content
from tests.conftest import Clock
from tests.test_tui_browse import _search

PAGE = 40  # small pages: the built-in content alone spans several


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


def _ids(screen: BrowseScreen) -> list[str | None]:
    return [o.id for o in screen.query_one("#browse-list", OptionList).options]


def _entries(screen: BrowseScreen) -> list[str]:
    return [i for i in _ids(screen) if i is not None and i != MORE_ID]


def _more_line(screen: BrowseScreen) -> str:
    listing = screen.query_one("#browse-list", OptionList)
    return str(listing.get_option(MORE_ID).prompt)


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browse, "PAGE", PAGE)


async def test_the_list_holds_a_page_and_says_how_many_more(
    home: Path, clock: Clock, small_pages: None
) -> None:
    app = _app(home, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _browse(app, pilot)
        content = app.study.content
        total = len(content.terms) + len(content.concepts)
        assert _entries(screen) == [e.key for e in screen.entries[:PAGE]]
        assert _ids(screen)[-1] == MORE_ID
        assert f"{total - PAGE:,} more" in _more_line(screen)
        # The status counts every match, not only the listed ones.
        status = str(screen.query_one("#browse-status", Static).render())
        assert f"{len(content.terms)} terms" in status
        assert f"{len(content.concepts)} concepts" in status


async def test_a_term_past_the_first_page_is_found_by_typing(
    home: Path, clock: Clock, small_pages: None
) -> None:
    app = _app(home, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _browse(app, pilot)
        late = screen.entries[len(app.study.content.terms) - 1]  # the last term
        assert late.kind == "term" and late.key not in _entries(screen)
        await _search(pilot, screen, late.title)
        assert _entries(screen)[0] == late.key
        await pilot.press("enter")
        await pilot.pause()
        assert screen.current == late.key


async def test_moving_onto_the_more_line_lists_the_next_page(
    home: Path, clock: Clock, small_pages: None
) -> None:
    app = _app(home, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _browse(app, pilot)
        listing = screen.query_one("#browse-list", OptionList)
        listing.focus()
        listing.highlighted = PAGE - 1  # the last entry of the first page
        await pilot.press("down")
        await pilot.pause()
        assert _entries(screen) == [e.key for e in screen.entries[: 2 * PAGE]]
        assert listing.highlighted == PAGE  # the first entry of the new page
        assert listing.highlighted_option is not None
        assert listing.highlighted_option.id == screen.entries[PAGE].key
        assert f"{len(screen.entries) - 2 * PAGE:,} more" in _more_line(screen)

        # End lands on the line, so each press lists one more page, up to the end.
        while MORE_ID in _ids(screen):
            await pilot.press("end")
            await pilot.pause()
        assert _entries(screen) == [e.key for e in screen.entries]
        assert _ids(screen).count(None) == 1  # the concepts heading, once


async def test_selecting_the_more_line_lists_the_next_page(
    home: Path, clock: Clock, small_pages: None
) -> None:
    app = _app(home, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _browse(app, pilot)
        listing = screen.query_one("#browse-list", OptionList)
        listing.post_message(OptionList.OptionSelected(listing, listing.get_option(MORE_ID), PAGE))
        await pilot.pause()
        assert len(_entries(screen)) == 2 * PAGE


async def test_a_click_on_the_more_line_lists_one_page(
    home: Path, clock: Clock, small_pages: None
) -> None:
    app = _app(home, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _browse(app, pilot)
        listing = screen.query_one("#browse-list", OptionList)
        listing.focus()
        await pilot.pause()
        listing.scroll_end(animate=False, immediate=True)
        await pilot.pause()
        line = listing._index_to_line[listing.get_option_index(MORE_ID)]
        top = listing.content_region.y - listing.region.y  # the list's border
        # A click highlights the line, then selects it: one page more, not two.
        assert await pilot.click(listing, offset=(2, top + line - round(listing.scroll_y)))
        await pilot.pause()
        assert len(_entries(screen)) == 2 * PAGE
        assert listing.highlighted_option is not None
        assert listing.highlighted_option.id == screen.entries[PAGE].key


async def test_changed_marks_show_on_resume(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _browse(app, pilot)
        listing = screen.query_one("#browse-list", OptionList)
        before = {key: str(listing.get_option(key).prompt) for key in _entries(screen)}
        first = screen.entries[0]
        assert app.apply_mark("flag", first.card_ids[0], on=True)  # e.g. during a review
        screen.on_screen_resume()
        after = {key: str(listing.get_option(key).prompt) for key in _entries(screen)}
        assert [k for k in before if before[k] != after[k]] == [first.key]
        assert "⚑" in after[first.key] and "⚑" not in before[first.key]


def test_catalogue_is_built_once_per_study(home: Path) -> None:
    content, _ = load_content(home)
    deck = build_deck(content)
    first = catalog_for(content, deck)
    assert catalog_for(content, deck) is first
    assert first.entries == build_entries(content, deck)
    assert first.by_key == {e.key: e for e in first.entries}
    other = build_deck(content)  # another study's deck: built again
    assert catalog_for(content, other) is not first


def test_user_decks_and_built_in_entries_are_told_apart(home: Path) -> None:
    decks = paths.decks_dir(home)
    decks.mkdir(parents=True)
    for name in ("mine", "yours"):
        (decks / f"{name}.toml").write_text(
            f'[[term]]\nslug = "zq-{name}"\nterm = "Zq {name}"\n'
            f'definition = "A term of the {name} deck."\ntags = ["cnn"]\n',
            encoding="utf-8",
        )
    content, _ = load_content(home)
    entries = {e.key: e for e in build_entries(content, build_deck(content))}
    assert entries["term:zq-mine"].deck == "mine"
    assert entries["term:zq-yours"].deck == "yours"
    assert entries["term:relu"].deck == "built-in"


def test_an_empty_query_lists_every_entry_in_order(home: Path) -> None:
    content, _ = load_content(home)
    entries = build_entries(content, build_deck(content))
    found, fuzzy = search(entries, "  ")
    assert not fuzzy and len(found) == len(entries)
    assert list(found) == [(e, None) for e in entries]
    assert found[3:7] == [(e, None) for e in entries[3:7]]
    assert count_terms(found) == len(content.terms)
    ranked, _ = search(entries, "network")
    assert count_terms(ranked) == sum(1 for e, _ in ranked if e.kind == "term")
    assert 0 < count_terms(ranked) < len(ranked)  # some terms and some concepts


def test_entries_own_the_cards_the_deck_has(home: Path) -> None:
    content, _ = load_content(home)
    deck = build_deck(content)
    recall, name = term_card_id("relu", Kind.RECALL), term_card_id("relu", Kind.NAME)
    entries = {e.key: e for e in build_entries(content, deck)}
    assert entries["term:relu"].card_ids == (recall, name)
    del deck[recall]  # e.g. a deck built without some cards
    assert {e.key: e for e in build_entries(content, deck)}["term:relu"].card_ids == (name,)


@pytest.mark.parametrize("query", ["net", "Loss", "relu", "a", "gradient descent"])
def test_search_ranks_exact_then_prefix_then_anywhere_alphabetically(
    home: Path, query: str
) -> None:
    content, _ = load_content(home)
    entries = build_entries(content, build_deck(content))
    needle = query.casefold()

    def rank(entry: Entry) -> int | None:
        folded = [n.casefold() for n in entry.names]
        if needle in folded:
            return 0
        if any(n.startswith(needle) for n in folded):
            return 1
        return 2 if any(needle in n for n in folded) else None

    expected = sorted(
        (e for e in entries if rank(e) is not None),
        key=lambda e: (e.kind != "term", rank(e), e.title.casefold()),
    )
    found, fuzzy = search(entries, query)
    assert not fuzzy
    assert [e.key for e, _ in found] == [e.key for e in expected]
