"""A choice card's options: drawn under the front by the card's head (``CardHead``), or
under code by a ``ChoiceList``, from the same ``Choices``; picked with Up, Down and
Enter, a digit or letter, or a click, the pick shown once made."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.geometry import Region
from textual.strip import Strip

from dlquiz.tui.app import DLQuizApp
from dlquiz.tui.screens.review import ReviewScreen
from dlquiz.tui.widgets.card_parts import CardHead
from dlquiz.tui.widgets.choice_list import ChoiceList, Choices
from tests.conftest import Clock
from tests.test_keypress import NAME_CARD, SIZE, _app


async def _choice_card(pilot, app: DLQuizApp) -> tuple[ReviewScreen, CardHead, Choices]:  # type: ignore[no-untyped-def]
    await pilot.press("enter")
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, ReviewScreen)
    screen.next_card(app.study.deck[NAME_CARD])
    await pilot.pause()
    head = screen.query_one(CardHead)
    assert screen.current is not None and screen.current.correct is not None
    assert head.choices is not None, "a name card's options: drawn by its head"
    return screen, head, head.choices


def _rows(widget: CardHead | ChoiceList) -> list[str]:
    lines = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    return [line.text.strip() for line in lines]


def _option_row(head: CardHead, label_start: str) -> int:
    """The row of the head on which the option starting ``label_start`` begins."""
    return next(y for y, row in enumerate(_rows(head)) if row.startswith(label_start))


async def test_up_down_and_enter_pick_the_highlighted_option(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen, head, choices = await _choice_card(pilot, app)
        cur = screen.current
        assert cur is not None and cur.correct is not None
        assert choices.highlighted == 0 and _option_row(head, "a) ") > 0
        await pilot.press("up")  # round the top: the last option
        assert choices.highlighted == 3
        for _ in range(cur.correct + 1):
            await pilot.press("down")
        assert choices.highlighted == cur.correct
        await pilot.press("enter")
        await pilot.pause()
        assert screen.mode == "feedback" and cur.typed == cur.choices[cur.correct]
        assert choices.locked and choices.highlighted == cur.correct
        await pilot.press("up")  # the pick is made: it stays
        assert choices.highlighted == cur.correct


async def test_a_letter_picks_and_the_pick_stays_highlighted(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen, _head, choices = await _choice_card(pilot, app)
        cur = screen.current
        assert cur is not None and cur.correct is not None
        wrong = (cur.correct + 1) % 4
        await pilot.press("abcd"[wrong])
        await pilot.pause()
        assert screen.mode == "feedback" and cur.typed == cur.choices[wrong]
        assert choices.locked and choices.highlighted == wrong


async def test_a_click_picks_the_option_under_the_mouse(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen, head, _choices = await _choice_card(pilot, app)
        cur = screen.current
        assert cur is not None
        assert await pilot.click(CardHead, offset=(3, _option_row(head, "a) ") - 1))
        await pilot.pause()
        assert screen.mode == "question", "a click above the options picks nothing"
        assert await pilot.click(CardHead, offset=(3, _option_row(head, "c) ")))
        await pilot.pause()
        assert screen.mode == "feedback" and cur.typed == cur.choices[2]


def _cells(strip: Strip) -> list[tuple[str, object, object]]:
    """Each cell's character, colour and background (a blank's colour is not seen)."""
    cells = []
    for segment in strip:
        style = segment.style
        for char in segment.text:
            color = None if char == " " or style is None else style.color
            cells.append((char, color, style.bgcolor if style else None))
    return cells


class _Both(App[None]):
    """A ChoiceList and a card's head side by side, as wide as each other."""

    CSS = "Vertical { width: 36; height: auto; } CardHead { height: auto; }"

    def compose(self) -> ComposeResult:
        with Vertical():
            yield ChoiceList(id="choices")
        with Vertical():
            yield CardHead(id="card-head")


async def test_the_head_draws_the_options_as_a_choice_list_does_in_every_state() -> None:
    labels = ["a) one", "b) " + "an option long enough to wrap " * 2, "c) three", "d) four"]
    app = _Both()
    async with app.run_test(size=(80, 30)) as pilot:
        widget, head = app.query_one(ChoiceList), app.query_one(CardHead)
        choices = Choices(labels)
        widget.set_choices(labels)
        head.show("kind", "front", fill=False, choices=choices)
        await pilot.pause()
        top = _option_row(head, "a) ")

        def same() -> bool:
            # As on screen (padding and all): the list's rows, and the head's option rows.
            screen = app.screen._compositor.render_strips()
            rows = widget.region.height
            assert rows > len(labels)  # the long option wraps
            drawn = screen[widget.region.y : widget.region.y + rows]
            heads = screen[head.region.y + top : head.region.y + top + rows]
            return [_cells(s)[:36] for s in drawn] == [_cells(s)[:36] for s in heads]

        assert same(), "as shown"
        steps: list[tuple[str, Callable[[Choices], object]]] = [
            ("another highlighted", lambda states: states.move(2)),
            ("one under the mouse", lambda states: states.hover_at(0)),
            ("the pick made: the rest dimmed", lambda states: states.pick(1)),
        ]
        for state, step in steps:
            for states in (widget.choices, choices):
                assert step(states) is not False  # moved, hovered, picked
            widget.redraw_choices()
            head.redraw_choices()
            await pilot.pause()
            assert same(), state
        app.theme = "textual-light"  # the options' colours are the theme's, when drawn
        await pilot.pause()
        assert same(), "in another theme"


async def test_the_mouse_over_an_option_highlights_it_until_it_leaves(
    home: Path, clock: Clock
) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        _screen, head, choices = await _choice_card(pilot, app)
        row = _option_row(head, "b) ")
        await pilot.hover(CardHead, offset=(5, row))
        assert choices.hover == 1
        hovered = head.render_lines(Region(0, row, head.size.width, 1))[0]
        await pilot.hover(CardHead, offset=(5, 0))  # the kind of card, over the options
        assert choices.hover is None
        plain = head.render_lines(Region(0, row, head.size.width, 1))[0]
        assert _cells(hovered) != _cells(plain), "drawn again as the mouse comes and goes"


class _Harness(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.picked: list[int] = []

    def compose(self) -> ComposeResult:
        yield ChoiceList(id="choices")

    def on_choice_list_picked(self, event: ChoiceList.Picked) -> None:
        self.picked.append(event.index)


async def test_long_options_wrap_and_each_of_their_rows_picks_them() -> None:
    app = _Harness()
    long = "a) " + " ".join(["a long option that wraps"] * 6)
    async with app.run_test(size=(40, 20)) as pilot:
        choices = app.query_one(ChoiceList)
        choices.set_choices([long, "b) short", "c) also short"])
        await pilot.pause()
        rows = _rows(choices)
        assert choices.size.height == len(rows) > 3  # its height follows the wrapped lines
        first_row_of_b = rows.index("b) short")
        assert first_row_of_b > 1
        assert all(choices._at(y) == 0 for y in range(first_row_of_b))
        assert choices._at(first_row_of_b) == 1 and choices._at(first_row_of_b + 1) == 2
        assert choices._at(first_row_of_b + 2) is None  # below the last option
        assert await pilot.click(ChoiceList, offset=(2, 1))  # the long option's second row
        await pilot.pause()
        assert app.picked == [0]
        choices.set_choices(["a) one", "b) two"])  # the next card: shorter, laid out again
        await pilot.pause()
        assert choices.size.height == 2 and not choices.locked and choices.highlighted == 0


async def test_the_options_are_wrapped_again_when_the_terminal_is_resized(
    home: Path, clock: Clock
) -> None:
    app = _app(home, clock)
    async with app.run_test(size=(60, 20)) as pilot:
        _screen, head, choices = await _choice_card(pilot, app)
        for size in ((100, 30), (44, 20)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
            width = head.content_size.width
            rows = head.render_lines(Region(0, 0, head.size.width, head.size.height))
            first = _option_row(head, "a) ")
            wrapped = sum(len(Content(label).wrap(width - 2)) for label in choices.labels)
            options = rows[first : first + wrapped]
            blank = _cells(rows[first - 1])[-1][2]  # the card's own background
            for row in options:
                cells = _cells(row)
                assert len(cells) == width and cells[0][2] == cells[-1][2] != blank, (
                    "the options' background reaches the new width"
                )
            texts = [row.text for row in options]
            assert [t[1:3] for t in texts if t[1:3] in ("a)", "b)", "c)", "d)")] == [
                "a)",
                "b)",
                "c)",
                "d)",
            ]
