"""Browse driven headless: search, read an entry, follow links, manage its cards."""

from __future__ import annotations

import io
import json
import random
import re
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import Input, OptionList, Static

from dlquiz.__main__ import make_app
from dlquiz.questions import generate
from dlquiz.scheduler import GOOD
from dlquiz.tui.app import DLQuizApp
from dlquiz.tui.confirm import Confirm as ConfirmScreen
from dlquiz.tui.screens.browse import MORE_ID, PAGE, BrowseScreen
from dlquiz.tui.screens.home import HomeScreen
from dlquiz.tui.widgets.term_view import TermView
from tests.conftest import LOG_NAME, Clock

SIZES = [(80, 24), (120, 40)]


def _log(home: Path) -> list[dict[str, object]]:
    path = home / LOG_NAME
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _app(home: Path, clock: Clock) -> DLQuizApp:
    return make_app(home, clock=clock, generator=generate, rng=random.Random(0))


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _listed(screen: BrowseScreen) -> list[str]:
    """Ids of the entries in the result list, top to bottom (headings skipped)."""
    listing = screen.query_one("#browse-list", OptionList)
    return [o.id for o in listing.options if o.id is not None and o.id != MORE_ID]


def _body(screen: BrowseScreen) -> str:
    return _flat(str(screen.query_one("#term-body", Static).render()))


def _schedule(screen: BrowseScreen) -> str:
    console = Console(file=io.StringIO(), width=200, color_system=None)
    console.print(screen.query_one("#term-schedule", Static).content)
    return console.file.getvalue()  # type: ignore[attr-defined]


async def _browse(app: DLQuizApp, pilot) -> BrowseScreen:  # type: ignore[no-untyped-def]
    await app.push_screen(BrowseScreen())
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, BrowseScreen)
    await app.workers.wait_for_complete()  # the catalogue, built in a thread
    await pilot.pause()
    assert screen.catalog is not None
    return screen


async def _search(pilot, screen: BrowseScreen, text: str) -> None:  # type: ignore[no-untyped-def]
    box = screen.query_one("#browse-search", Input)
    box.focus()
    # Only the last key is typed: each key filters the whole deck again, and the
    # search box handles a typed key and a set value alike (Input.Changed).
    box.value = text[:-1]
    box.cursor_position = len(box.value)
    await pilot.press(text[-1])
    await pilot.pause()
    assert screen.query_one("#browse-search", Input).value == text


@pytest.mark.parametrize("size", SIZES)
async def test_alias_and_case_insensitive_filter(home: Path, clock: Clock, size) -> None:  # type: ignore[no-untyped-def]
    app = _app(home, clock)
    async with app.run_test(size=size) as pilot:
        screen = await _browse(app, pilot)
        # Every entry matches; the list holds the first page of them (a "more" line
        # after it lists the next: tests/test_speed2_browse.py).
        everything = [entry.key for entry, _ in screen.found]
        assert _listed(screen) == everything[:PAGE]
        content = app.study.content
        assert len(everything) == len(content.terms) + len(content.concepts)
        # Terms come before concepts.
        kinds = [key.split(":")[0] for key in everything]
        assert kinds == sorted(kinds, key=lambda k: k != "term")

        await _search(pilot, screen, "CNN")
        found = _listed(screen)
        assert found[0] == "term:convolutional-neural-network"
        assert "term:relu" not in found and len(found) < len(everything)
        for key in found:  # everything listed really contains the query somewhere
            entry = screen.by_key[key]
            assert any("cnn" in name.casefold() for name in entry.names)

        await pilot.press(*["backspace"] * 3, "m", "s", "e")
        await pilot.pause()
        assert _listed(screen)[0] == "term:mean-squared-error"
        assert "MSE" in str(
            screen.query_one("#browse-list", OptionList).get_option_at_index(0).prompt
        )


async def test_typo_falls_back_to_fuzzy(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _browse(app, pilot)
        await _search(pilot, screen, "bakpropagation")
        assert _listed(screen)[0] == "term:backpropagation"
        assert "closest" in str(screen.query_one("#browse-status", Static).render())
        await _search(pilot, screen, "qqqzzzxxx")  # nonsense finds nothing
        assert _listed(screen) == []
        assert "Nothing matches" in str(screen.query_one("#browse-status", Static).render())


@pytest.mark.parametrize("size", SIZES)
async def test_enter_opens_the_definition_and_schedule(home: Path, clock: Clock, size) -> None:  # type: ignore[no-untyped-def]
    app = _app(home, clock)
    # Study ReLU's recall card once so its schedule has something to show.
    card = "term/relu/recall"
    now = clock()
    outcome = app.study.outcomes(card, now)[GOOD]
    assert app.study.answer(card, outcome, now)
    async with app.run_test(size=size) as pilot:
        screen = await _browse(app, pilot)
        await _search(pilot, screen, "relu")
        assert screen.check_action("suspend", (True,)) is False  # nothing open yet
        await pilot.press("down")
        assert isinstance(screen.focused, OptionList)
        await pilot.press("enter")
        assert screen.current == "term:relu"
        relu = app.study.content.terms["relu"]
        body = _body(screen)
        assert _flat(relu.definition) in body and _flat(relu.formula) in body
        assert "Rectified Linear Unit" in body  # an alias
        schedule = _schedule(screen)
        recall_row = next(line for line in schedule.splitlines() if line.startswith("Recall"))
        name_row = next(line for line in schedule.splitlines() if line.startswith("Name"))
        state = app.study.cards[card]
        assert state.reps == 1
        due_local = outcome.state.due_at.astimezone(app.study.tz)
        assert f"{due_local:%Y-%m-%d %H:%M}" in recall_row
        assert "learning" in recall_row or "review" in recall_row
        assert "new" in name_row
        detail = screen.query_one(TermView)
        left = screen.query_one("#browse-left")
        assert detail.display
        if size[0] >= 100:
            assert left.display  # side by side
        else:
            assert not left.display  # the detail replaces the list
        assert screen.check_action("suspend", (True,)) is True


@pytest.mark.parametrize("size", SIZES)
async def test_related_terms_are_navigable(home: Path, clock: Clock, size) -> None:  # type: ignore[no-untyped-def]
    app = _app(home, clock)
    async with app.run_test(size=size) as pilot:
        screen = await _browse(app, pilot)
        await _search(pilot, screen, "cnn")
        await pilot.press("enter")
        assert screen.current == "term:convolutional-neural-network"
        links = screen.query_one("#term-links", OptionList)
        link_ids = [o.id for o in links.options]
        related = app.study.content.terms["convolutional-neural-network"].related
        assert [f"term:{slug}" for slug in related] == [
            k for k in link_ids if k in {f"term:{s}" for s in related}
        ]
        target = "term:pooling-layer"
        links.focus()
        links.highlighted = link_ids.index(target)
        await pilot.press("enter")
        await pilot.pause()
        assert screen.current == target
        pooling = app.study.content.terms["pooling-layer"]
        assert _flat(pooling.definition) in _body(screen)


async def test_same_as_is_linked_both_ways(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _browse(app, pilot)
        content = app.study.content
        term = next(t for t in content.terms.values() if t.same_as)
        other = term.same_as[0]
        screen.open_item(f"term:{other}")  # the side that does not declare the link
        await pilot.pause()
        links = [str(o.prompt) for o in screen.query_one("#term-links", OptionList).options]
        assert any("Same as" in p and term.term in p for p in links)


@pytest.mark.parametrize("size", SIZES)
async def test_suspend_is_logged_and_leaves_the_session(home: Path, clock: Clock, size) -> None:  # type: ignore[no-untyped-def]
    app = _app(home, clock)
    app.study.change_settings(app.study.settings.replace(new_per_day=1000))
    now = clock()
    first = app.study.next_card(now)
    assert first is not None and first.id.startswith("term/")
    slug = first.key
    name = app.study.content.terms[slug].term
    new_before = app.study.counts(now).new
    async with app.run_test(size=size) as pilot:
        screen = await _browse(app, pilot)
        await _search(pilot, screen, name)
        await pilot.press("enter")
        assert screen.current == f"term:{slug}"
        await pilot.press("x")
        await pilot.pause()
        records = [r for r in _log(home) if r["type"] == "suspend"]
        assert {r["card"] for r in records} == {f"term/{slug}/recall", f"term/{slug}/name"}
        assert all(r["on"] is True for r in records)
        nxt = app.study.next_card(now)
        assert nxt is None or nxt.key != slug
        assert app.study.counts(now).new == new_before - 1  # the name card was locked anyway
        prompt = str(screen.query_one("#browse-list", OptionList).get_option(f"term:{slug}").prompt)
        assert "⊘" in prompt
        assert "suspended" in _schedule(screen)
        # x again unsuspends: the card is offered once more.
        assert screen.check_action("suspend", (False,)) is True
        await pilot.press("x")
        await pilot.pause()
        last = _log(home)[-2:]
        assert [r["type"] for r in last] == ["suspend", "suspend"]
        assert all(r["on"] is False for r in last)
        nxt = app.study.next_card(now)
        assert nxt is not None and nxt.id == first.id


async def test_typing_x_in_the_search_box_does_not_suspend(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _browse(app, pilot)
        screen.open_item("term:relu")
        await _search(pilot, screen, "x")
        assert _log(home) == []


async def test_flag_and_bury(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    now = clock()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _browse(app, pilot)
        await _search(pilot, screen, "dropout")
        await pilot.press("enter")
        assert screen.current == "term:dropout"
        await pilot.press("f")
        await pilot.pause()
        flags = [r for r in _log(home) if r["type"] == "flag"]
        assert len(flags) == 2 and all(r["on"] is True for r in flags)
        assert all(app.study.marks[c].flagged for c in screen.by_key["term:dropout"].card_ids)
        prompt = str(screen.query_one("#browse-list", OptionList).get_option("term:dropout").prompt)
        assert "⚑" in prompt
        await pilot.press("b")
        await pilot.pause()
        buries = [r for r in _log(home) if r["type"] == "bury"]
        assert len(buries) == 2
        tomorrow = app.study.session.bury_until(now)
        assert tomorrow > now.timestamp()
        assert all(r["until"] == tomorrow for r in buries)
        assert screen.check_action("bury", (False,)) is True  # now offered as "Unbury"
        for _ in range(5):
            spec = app.study.next_card(now)
            assert spec is None or spec.key != "dropout"


async def test_reset_asks_first(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    card = "term/relu/recall"
    now = clock()
    assert app.study.answer(card, app.study.outcomes(card, now)[GOOD], now)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _browse(app, pilot)
        await _search(pilot, screen, "relu")
        await pilot.press("enter")
        before = _log(home)
        await pilot.press("r")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ConfirmScreen)
        assert "Reset progress of 'ReLU'? Its history stays in the log." in str(
            modal.query_one("#confirm-text", Static).render()
        )
        await pilot.press("enter")  # No has the focus: Enter alone destroys nothing
        await pilot.pause()
        assert app.screen is screen
        assert _log(home) == before
        assert card in app.study.cards

        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.click("#yes")
        await pilot.pause()
        assert app.screen is screen
        added = _log(home)[len(before) :]
        # Only the card with progress is reset; the never-studied name card is left alone.
        assert [(r["type"], r["card"]) for r in added] == [("reset", card)]
        assert card not in app.study.cards
        recall_row = next(x for x in _schedule(screen).splitlines() if x.startswith("Recall"))
        assert "new" in recall_row


async def test_escape_closes_detail_then_screen_when_narrow(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _browse(app, pilot)
        await _search(pilot, screen, "relu")
        await pilot.press("enter")
        assert screen.query_one(TermView).display
        await pilot.press("escape")
        assert app.screen is screen and screen.current is None
        assert screen.query_one("#browse-list").display
        assert not screen.query_one(TermView).display
        assert screen.check_action("suspend", (True,)) is False  # card keys leave the footer
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)


async def test_escape_leaves_at_once_when_wide(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _browse(app, pilot)
        await _search(pilot, screen, "relu")
        await pilot.press("enter")
        assert screen.current == "term:relu"
        # Side by side the detail follows the highlight.
        listing = screen.query_one("#browse-list", OptionList)
        assert listing.has_focus
        await pilot.press("down")
        await pilot.pause()
        assert screen.current == listing.highlighted_option.id != "term:relu"  # type: ignore[union-attr]
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)


async def test_concepts_are_listed_and_shown(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _browse(app, pilot)
        concept = next(iter(app.study.content.concepts.values()))
        screen.open_item(f"concept:{concept.slug}")
        await pilot.pause()
        body = _body(screen)
        assert _flat(concept.question) in body and _flat(concept.answer) in body
        assert _flat(concept.explanation) in body
        assert "Concept" in _schedule(screen)
