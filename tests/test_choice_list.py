"""A choice card's options (``ChoiceList``): drawn by one widget, picked with Up, Down
and Enter, a digit or letter, or a click, the pick shown once made."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.geometry import Region

from dlquiz.tui.app import DLQuizApp
from dlquiz.tui.screens.review import ReviewScreen
from dlquiz.tui.widgets.choice_list import ChoiceList
from tests.conftest import Clock
from tests.test_keypress import NAME_CARD, SIZE, _app


async def _choice_card(pilot, app: DLQuizApp) -> tuple[ReviewScreen, ChoiceList]:  # type: ignore[no-untyped-def]
    await pilot.press("enter")
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, ReviewScreen)
    screen.next_card(app.study.deck[NAME_CARD])
    await pilot.pause()
    choices = screen.query_one("#choices", ChoiceList)
    assert screen.current is not None and screen.current.correct is not None
    return screen, choices


def _rows(widget: ChoiceList) -> list[str]:
    lines = widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))
    return [line.text.strip() for line in lines]


async def test_up_down_and_enter_pick_the_highlighted_option(home: Path, clock: Clock) -> None:
    app = _app(home, clock)
    async with app.run_test(size=SIZE) as pilot:
        screen, choices = await _choice_card(pilot, app)
        cur = screen.current
        assert cur is not None and cur.correct is not None
        assert choices.highlighted == 0 and _rows(choices)[0].startswith("a) ")
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
        screen, choices = await _choice_card(pilot, app)
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
        screen, _choices = await _choice_card(pilot, app)
        cur = screen.current
        assert cur is not None
        assert await pilot.click(ChoiceList, offset=(3, 2))  # the third option's row
        await pilot.pause()
        assert screen.mode == "feedback" and cur.typed == cur.choices[2]


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
