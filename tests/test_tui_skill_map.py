"""The skill map screen: families × levels, states and colours, and the selected skill's edges."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

from rich.text import Text
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Static

from dlquiz.__main__ import make_app
from dlquiz.questions import families, generate
from dlquiz.scheduler import AGAIN, EASY, GOOD
from dlquiz.study import Study
from dlquiz.tui.commands import COMMANDS
from dlquiz.tui.screens.home import HomeScreen
from dlquiz.tui.screens.skill_map import SkillMapScreen, recall_style
from tests.conftest import T0, Clock

SIZE = (80, 24)
CONV1, CONV2, POOL1 = "skill/conv2d-shape/1", "skill/conv2d-shape/2", "skill/pool2d-shape/1"


def _seed(home: Path) -> None:
    """conv2d-shape 1 passed on two days (learned); pool2d-shape 1 met once; one slip."""
    with Study.open(home, now=T0) as study:
        for card in (CONV1, POOL1):
            study.answer(card, study.outcomes(card, T0)[EASY], T0)
        later = T0 + timedelta(days=3)
        study.answer(CONV1, study.outcomes(CONV1, later)[GOOD], later)
        study.answer(POOL1, study.outcomes(POOL1, later)[AGAIN], later)


def _cell(table: DataTable[Text], family: str, level: int) -> str:
    return table.get_cell(family, str(level)).plain


def _detail(screen: SkillMapScreen) -> str:
    return str(screen.query_one("#map-detail", Static).render())


async def test_the_skill_map_shows_states_colours_and_edges(home: Path) -> None:
    _seed(home)
    clock = Clock(T0 + timedelta(days=4))
    app = make_app(home, clock=clock, rng=random.Random(1), generator=generate)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("m")
        screen = app.screen
        assert isinstance(screen, SkillMapScreen)
        table: DataTable[Text] = screen.query_one(DataTable)
        assert _cell(table, "conv2d-shape", 1).startswith("●")  # known, with its recall %
        assert _cell(table, "conv2d-shape", 1).endswith("%")
        assert _cell(table, "conv2d-shape", 2) == "○ new"  # its prerequisite is learned
        assert _cell(table, "pool2d-shape", 1).startswith("◐")  # met, failed since
        assert _cell(table, "flatten-size", 1) == "·"  # pool2d-shape not learned yet
        assert _cell(table, "conv2d-shape", 3) == "·"
        assert _cell(table, "linear-params", 1) == "○ new"  # a starting point
        # The selected skill's edges.
        table.cursor_coordinate = Coordinate(screen.rows.index("flatten-size"), 1)
        await pilot.pause()
        text = _detail(screen)
        # The family by its title, and the id its row shows.
        title = families()["flatten-size"].title
        assert f"{title} (flatten-size) level 1" in text and "locked" in text
        assert "conv2d-shape 1 ✓" in text and "pool2d-shape 1 ✗" in text
        assert "flatten-size 2" in text.split("Unlocks:")[1]
        # The family-name column is skipped: the cursor lands on level 1.
        table.cursor_coordinate = Coordinate(screen.rows.index("conv2d-shape"), 0)
        await pilot.pause()
        assert table.cursor_coordinate.column == 1
        assert "recall now" in _detail(screen) and "known" in _detail(screen)
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)
        # Also reachable by name, as the command palette does.
        await app.run_action("skill_map")
        await pilot.pause()
        assert isinstance(app.screen, SkillMapScreen)
    assert any(action == "skill_map" for _, _, action in COMMANDS)


def test_recall_colour_bands() -> None:
    assert recall_style(0.95) == "green"
    assert recall_style(0.8) == "yellow"
    assert recall_style(0.5) == "red"
    assert recall_style(None) == ""


async def test_the_kept_skill_map_is_rebuilt_only_when_a_cell_changed(home: Path) -> None:
    clock = Clock(T0)
    app = make_app(home, clock=clock, rng=random.Random(1), generator=generate)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("m")
        screen = app.screen
        assert isinstance(screen, SkillMapScreen)
        table: DataTable[Text] = screen.query_one(DataTable)
        assert _cell(table, "linear-params", 1) == "○ new"
        table.cursor_coordinate = Coordinate(3, 2)
        cleared: list[bool] = []
        clear = table.clear

        def counted(columns: bool = False) -> object:
            cleared.append(columns)
            return clear(columns)

        table.clear = counted  # type: ignore[method-assign]
        await pilot.press("escape")
        await pilot.press("m")  # nothing changed: the same screen, the grid as it was
        await pilot.pause()
        assert app.screen is screen and cleared == []
        assert table.cursor_coordinate == Coordinate(0, 1)  # back at the first cell
        await pilot.press("escape")
        study = app.study
        card = "skill/linear-params/1"
        study.answer(card, study.outcomes(card, clock())[EASY], clock())
        await pilot.press("m")  # a review since: that cell changed, the grid rebuilt
        await pilot.pause()
        assert app.screen is screen and cleared == [True]
        assert _cell(table, "linear-params", 1).startswith(("◐", "●"))
