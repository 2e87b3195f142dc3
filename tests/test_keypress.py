"""A rating key to the next card: what keeps it cheap, checked on the review screen.

Each widget on the screen costs every keypress a little (its messages, its place in
each layout pass), even hidden; each resized container
and each text set again costs a layout and a redraw. These tests hold the review
screen to the choices that keep a keypress close to a bare text swap
(benchmarks/screens.py, ``keypress``).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from textual._compositor import Compositor
from textual.app import App, ComposeResult
from textual.command import CommandPalette
from textual.content import Content
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Input

from dlquiz.__main__ import make_app
from dlquiz.tui.app import DLQuizApp
from dlquiz.tui.screens.review import ReviewScreen
from dlquiz.tui.widgets.card_parts import Card, CardHead, Text, TitleBar, TitleProgressBar
from dlquiz.tui.widgets.footer import LineFooter
from dlquiz.tui.widgets.rating_bar import RatingBar
from tests.conftest import Clock

SIZE = (80, 24)
NAME_CARD = "term/relu/name"  # a choice card
WRAPPED_CHOICES = "concept/loss-focal-purpose"  # options longer than a row at 60 columns


def _app(home: Path, clock: Clock) -> DLQuizApp:
    def no_torch(family: str, level: int, seed: int) -> object:
        raise RuntimeError("these tests use content cards only")

    return make_app(home, clock=clock, rng=random.Random(0), generator=no_torch)


async def _review(pilot, app: DLQuizApp) -> ReviewScreen:  # type: ignore[no-untyped-def]
    await pilot.press("enter")
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, ReviewScreen) and screen.mode == "question"
    return screen


def _footer(screen: ReviewScreen) -> list[str]:
    return [f"{k.key_display} {k.description}" for k in screen.query_one(LineFooter).shown()]


def _hint(screen: ReviewScreen) -> str:
    return str(screen.query_one("#hint", Text).render())


def _row(widget: Widget, y: int = 0) -> str:
    """Row ``y`` of ``widget`` as it is drawn."""
    return widget.render_lines(Region(0, y, widget.size.width, 1))[0].text


async def test_the_footer_is_the_same_from_question_to_answer_to_the_next_card(
    home: Path, clock: Clock
) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _review(pilot, app)
        assert "Space: Show answer" in _hint(screen)  # the keys of the moment: in the hint
        await pilot.press("space")
        await pilot.press("3")  # from now on Undo is in the footer
        await pilot.pause()
        first = _footer(screen)
        assert "u Undo" in first and "- Bury" in first and "esc Home" in first
        for _ in range(3):
            assert screen.mode == "question" and not screen.current.is_choice  # type: ignore[union-attr]
            await pilot.press("space")
            await pilot.pause()
            assert screen.mode == "revealed"
            assert _footer(screen) == first
            assert "1 Again" in _hint(screen) and "4 Easy" in _hint(screen)
            await pilot.press("3")
            await pilot.pause()
            assert _footer(screen) == first


async def test_the_card_keeps_its_size_when_the_answer_and_ratings_come_and_go(
    home: Path, clock: Clock
) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _review(pilot, app)
        card = screen.query_one(Card)
        bar = screen.query_one(RatingBar)
        asked = card.region
        assert not bar.shown and not _row(bar).strip()
        # Hidden, the ratings take no focus and no click.
        assert bar not in screen.focus_chain
        await pilot.press("space")
        await pilot.pause()
        assert bar.shown and bar.region.height == 1 and "Good" in _row(bar)
        assert card.region == asked
        assert bar in screen.focus_chain
        await pilot.press("3")
        await pilot.pause()
        assert not bar.shown and card.region == asked and not _row(bar).strip()
        assert bar not in screen.focus_chain


async def test_parts_only_some_cards_need_are_mounted_when_first_needed_in_card_order(
    home: Path, clock: Clock
) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _review(pilot, app)
        card = screen.query_one(Card)
        # Recall cards only so far: the choices, code, answer box, feedback and proof are
        # not there.
        for part in ("card-code", "choices", "typed", "card-back", "card-proof"):
            assert not screen.query(f"#{part}")
        kinds = {CardHead}
        # Title bar (and progress line), card (its kind, front and back), hint, ratings
        # and footer: one widget each (the four ratings, the footer's keys).
        assert len(list(screen.walk_children(Widget))) <= 6, "each widget costs every key"
        assert {type(w) for w in card.children} <= kinds

        screen.next_card(app.study.deck[NAME_CARD])
        await pilot.pause()
        head = screen.query_one(CardHead)
        # A name card's options are drawn by its head, and the feedback under them.
        assert head.choices is not None and len(head.choices.labels) == 4
        assert screen.focused is None
        await pilot.press("2")  # any pick: the answer and its grade show
        await pilot.pause()
        cur = screen.current
        assert screen.mode == "feedback" and cur is not None and head.back is not None
        assert "✗" in head.back or "✓" in head.back
        assert head.back.endswith(cur.back)
        assert not screen.query("#choices") and not screen.query("#card-back")

        # The rest, made in place, hidden until a card shows them.
        for part in ("card-proof", "typed", "card-code", "card-back", "choices"):
            assert not screen.part(part).display
        await pilot.pause()
        order = [w.id for w in card.children]
        assert order == [
            "card-head",
            "card-code",
            "choices",
            "typed",
            "card-back",
            "card-proof",
        ]
        assert screen.part("typed") is screen.query_one("#typed", Input)  # made once
        await pilot.press("enter")  # Good: the next card hides what the last one showed
        await pilot.pause()
        assert screen.mode == "question" and head.choices is None and head.back is None
        assert not screen.query_one("#card-back").display


class _One(App[None]):
    def compose(self) -> ComposeResult:
        yield Text(id="t")


async def test_text_is_set_again_only_when_it_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    app = _One()
    async with app.run_test(size=(40, 10)) as pilot:
        text = app.query_one(Text)
        updates: list[tuple[str, bool]] = []
        update = Text.update

        def counted(self: Text, content: object = "", *, layout: bool = True) -> None:
            updates.append((str(content), layout))
            update(self, content, layout=layout)  # type: ignore[arg-type]

        monkeypatch.setattr(Text, "update", counted)
        text.put("[b]Recall[/] the definition")
        await pilot.pause()
        text.put("[b]Recall[/] the definition")  # the same: nothing to do
        text.put("Concept")  # one line before and after: no layout
        await pilot.pause()
        text.put("a longer text that takes two lines of forty cells")
        await pilot.pause()
        text.put("Concept", layout=False)
        assert updates == [
            ("Recall the definition", True),  # first: its size is not known
            ("Concept", False),
            ("a longer text that takes two lines of forty cells", True),
            ("Concept", False),
        ]
        assert text.size.height == 2  # laid out for the two lines, not yet again
        await pilot.pause()
        assert str(text.render()) == "Concept"
        text.update("set directly")  # then put cannot tell what is shown: it lays out
        text.put("Concept")
        assert updates[-1] == ("Concept", True)


class _Titled(App[None]):
    TITLE = "dlquiz"
    SUB_TITLE = "v0.1.0"

    def compose(self) -> ComposeResult:
        yield TitleBar()


@pytest.mark.parametrize("width", [60, 80, 121])
async def test_the_title_bar_draws_the_header_in_one_widget(width: int) -> None:
    app = _Titled()
    async with app.run_test(size=(width, 10)) as pilot:
        bar = app.query_one(TitleBar)
        # As the Header lays it out: the icon in 8 cells, the title centred between
        # them and the clock's 10 cells on the right.
        title = "dlquiz — v0.1.0"
        room = width - 18
        left = (room - len(title)) // 2
        expected = (" ⭘" + " " * 6 + " " * left + title).ljust(width)
        assert str(bar.render()) == expected
        app.sub_title = "Settings"
        await pilot.pause()
        assert "dlquiz — Settings" in str(bar.render())
        await pilot.click(TitleBar, offset=(1, 0))  # the icon
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)


class _TitledProgress(App[None]):
    TITLE = "dlquiz"

    def compose(self) -> ComposeResult:
        yield TitleProgressBar()


async def test_the_progress_line_is_drawn_under_the_title_by_the_same_widget() -> None:
    app = _TitledProgress()
    async with app.run_test(size=(30, 6)) as pilot:
        bar = app.query_one(TitleProgressBar)
        bar.show_progress("Due [b $warning]3[/] · New 2")
        await pilot.pause()
        title, progress = str(bar.render()).split("\n")
        assert len(title) == len(progress) == 30 and "dlquiz" in title
        assert progress == " Due 3 · New 2".ljust(30)  # a cell of padding each side
        bar.show_progress("Cram: a title much too long for the line   Left 3")
        await pilot.pause()
        # Cut at the end of its first wrapped line, as the one-row Static before it was.
        assert str(bar.render()).split("\n")[1] == " Cram: a title much too long  "
        # Drawn again: the progress row only (the title's row is the same).
        assert _row(bar, 1) == " Cram: a title much too long  " and "dlquiz" in _row(bar, 0)
        await pilot.click(TitleProgressBar, offset=(1, 1))  # the progress row: no palette
        assert not isinstance(app.screen, CommandPalette)


async def test_a_card_that_fits_is_shown_and_turned_over_without_a_layout_pass(
    home: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    reflows: list[object] = []
    reflow = Compositor.reflow

    def counted(self: Compositor, parent: Widget, size: object) -> object:
        reflows.append(parent)
        return reflow(self, parent, size)  # type: ignore[arg-type]

    monkeypatch.setattr(Compositor, "reflow", counted)
    app = _app(home, clock)
    async with app.run_test(size=(120, 40)) as pilot:  # room for the builtin cards whole
        screen = await _review(pilot, app)
        head = screen.query_one(CardHead)
        card = screen.query_one(Card)
        for _ in range(5):
            cur = screen.current
            assert cur is not None and not cur.is_choice and not cur.is_typed
            reflows.clear()
            await pilot.press("space")
            await pilot.pause()
            assert head.back == cur.back
            # The back under a rule, a blank line around it, in the head's own lines.
            rule = head.rule_line
            assert rule is not None
            assert _row(head, rule) == "─" * head.size.width
            assert not _row(head, rule - 1).strip() and not _row(head, rule + 1).strip()
            first_words = " ".join(Content.from_markup(cur.back).plain.split()[:2])
            assert first_words in _row(head, rule + 2)
            fits = head.size.height <= card.scrollable_content_region.height
            assert fits and reflows == [], "the back shown in place: no layout pass"
            await pilot.press("3")
            await pilot.pause()
            assert screen.current is not cur and head.back is None
            assert reflows == [], "the next card shown in place: no layout pass"
            # Only the rows either card's text took were drawn again: none of the last
            # card's back is left below the new front.
            rows = [_row(head, y) for y in range(head.size.height)]
            used = max(i for i, row in enumerate(rows) if row.strip()) + 1
            assert used <= rule and not any(row.strip() for row in rows[used:])
            assert head.size.height > used, "the card's blank rows are the head's own"


async def test_a_choice_card_and_a_plain_one_follow_each_other_in_place(
    home: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    reflows: list[object] = []
    reflow = Compositor.reflow

    def counted(self: Compositor, parent: Widget, size: object) -> object:
        reflows.append(parent)
        return reflow(self, parent, size)  # type: ignore[arg-type]

    monkeypatch.setattr(Compositor, "reflow", counted)
    app = _app(home, clock)
    async with app.run_test(size=(60, 20)) as pilot:
        screen = await _review(pilot, app)
        head = screen.query_one(CardHead)
        card = screen.query_one(Card)
        screen.next_card(app.study.deck["term/relu/recall"])
        await pilot.pause()
        reflows.clear()
        screen.next_card(app.study.deck[WRAPPED_CHOICES])
        await pilot.pause()
        # The options drawn by the head, under the front: nothing laid out.
        assert head.size.height <= card.scrollable_content_region.height
        assert reflows == [], "a choice card after a plain one: no layout pass"
        assert not screen.query("#choices"), "no widget of their own"
        choices = head.choices
        assert choices is not None and len(choices.labels) == 4
        width = head.content_size.width - 2  # a cell of padding each side
        wrapped = [
            line.plain.strip() for label in choices.labels for line in Content(label).wrap(width)
        ]
        assert len(wrapped) > len(choices.labels), "some option takes two rows or more"
        rows = [_row(head, y) for y in range(head.size.height)]
        first = next(y for y, row in enumerate(rows) if row.startswith(" a) "))
        drawn = rows[first : first + len(wrapped)]
        assert [row.strip() for row in drawn] == wrapped, "every row of every option, in place"
        assert all(len(row) == head.size.width for row in drawn)
        screen.next_card(app.study.deck["term/relu/recall"])
        await pilot.pause()
        assert reflows == [], "and a plain card after a choice card: none either"
        assert head.choices is None and not any(" a) " in _row(head, y) for y in range(8))


async def test_each_card_starts_at_its_top(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=(60, 11)) as pilot:  # a card taller than its pane
        screen = await _review(pilot, app)
        card = screen.query_one(Card)
        seen: set[bool] = set()
        for _ in range(6):
            await pilot.press("space")  # the answer is scrolled into view
            await pilot.pause()
            assert card.scroll_y > 0
            await pilot.press("3")
            await pilot.pause()
            assert screen.mode == "question"
            assert card.scroll_offset == (0, 0)
            # The scrollbar hidden ahead of the next card comes back if that card needs it.
            tall = card.virtual_size.height > card.scrollable_content_region.height
            assert card.show_vertical_scrollbar == card.vertical_scrollbar.display == tall
            seen.add(tall)
        assert seen == {True, False}, "both a card that fits and one that does not"


async def test_tab_and_shift_tab_reach_each_rating_as_the_buttons_did(
    home: Path, clock: Clock
) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _review(pilot, app)
        await pilot.press("space")
        await pilot.pause()
        bar = screen.query_one(RatingBar)
        await pilot.press("tab", "tab")  # the card (it scrolls), then the first rating
        assert screen.focused is bar and bar.cursor == 1
        await pilot.press("shift+tab")  # back to the card
        assert isinstance(screen.focused, Card)
        await pilot.press("shift+tab")  # in from after the bar: its last rating
        assert screen.focused is bar and bar.cursor == 4
        card = screen.current.spec.id  # type: ignore[union-attr]
        await pilot.press("enter")  # the focused rating, not Good
        await pilot.pause()
        last = app.study.session.answered[-1]
        assert last.card == card and last.rating == 4
