"""The skill map: every question family by level, where each stands, and what it needs.

A cell is one skill (``family`` × ``level``): locked (a prerequisite is not learned yet),
new (ready to be introduced), learning, or known; the colour of a studied skill is its
chance of recall now. The panel under the grid lists the selected skill's prerequisites
and the skills that build on it (``dlquiz.skillgraph``).

The screen is kept between openings (``skill_map_screen``): each showing computes the
cells again, and rebuilds the grid only when one of them changed.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate
from textual.screen import Screen
from textual.widgets import DataTable, Static

from dlquiz import skillgraph
from dlquiz.cards import CardSpec, Kind
from dlquiz.questions import families
from dlquiz.tui.reuse import KeepsStyles, kept_screen
from dlquiz.tui.widgets.card_parts import TitleBar
from dlquiz.tui.widgets.footer import LineFooter

if TYPE_CHECKING:
    from dlquiz.tui.app import DLQuizApp

GLYPHS = {"locked": "·", "new": "○", "learning": "◐", "known": "●"}
LEGEND = (
    "[b]●[/] known  [b]◐[/] learning  [b cyan]○[/] new  [dim]·[/] locked   "
    "recall now: [green]≥90%[/] [yellow]≥75%[/] [red]<75%[/]"
)


def recall_style(retrievability: float | None) -> str:
    """Colour of a studied skill by its chance of recall now."""
    if retrievability is None:
        return ""
    if retrievability >= 0.9:
        return "green"
    if retrievability >= 0.75:
        return "yellow"
    return "red"


SCREEN_NAME = "skill_map"  # the name the kept screen is installed under

_SKILLS: list[tuple[Mapping[str, CardSpec], int, dict[str, list[int]]]] = []
_SKILLS_LOCK = threading.Lock()  # the app may find them ahead in a thread: found once


def deck_skills(deck: Mapping[str, CardSpec]) -> dict[str, list[int]]:
    """Families in the deck with their levels, ordered by topic then family; found once
    per deck (a walk of every card: ~20 ms at 100k cards, twice per opening before)."""
    with _SKILLS_LOCK:
        if _SKILLS and _SKILLS[0][0] is deck and _SKILLS[0][1] == len(deck):
            return _SKILLS[0][2]
        found: dict[str, list[int]] = {}
        for spec in deck.values():
            if spec.kind is Kind.SKILL:
                found.setdefault(spec.key, []).append(spec.level)
        registry = families()
        order = sorted(found, key=lambda f: (registry[f].topic if f in registry else "", f))
        skills = {f: sorted(found[f]) for f in order}
        _SKILLS[:] = [(deck, len(deck), skills)]
        return skills


def skill_map_screen(app: DLQuizApp) -> SkillMapScreen:
    """The skill map to push: the one shown before (kept, back at its first cell)."""
    return kept_screen(app, SCREEN_NAME, SkillMapScreen, SkillMapScreen, lambda old: True)


def _name(card_id: str) -> str:
    _, family, level = card_id.split("/")
    return f"{family} {level}"


class SkillMapScreen(KeepsStyles, Screen[None]):
    """Families × levels, with the prerequisite edges of the selected skill."""

    DEFAULT_CSS = """
    SkillMapScreen #map-legend {
        padding: 0 1;
        height: auto;
    }
    SkillMapScreen #map-grid {
        height: 1fr;
    }
    SkillMapScreen #map-detail {
        height: 6;
        padding: 0 1;
        border-top: solid $primary;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,m", "back", "Back", key_display="esc"),
        Binding("r", "refresh", "Refresh"),
    ]

    app: DLQuizApp

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[str] = []  # family ids, in table order
        self.levels = 0  # columns
        self._shown: object = None  # what the grid shows (see fill)
        self._reset = False  # shown again (kept by skill_map_screen): back to the first cell

    def compose(self) -> ComposeResult:
        yield TitleBar()
        yield Static(LEGEND, id="map-legend")
        yield DataTable(id="map-grid", cursor_type="cell", zebra_stripes=True)
        yield Static(id="map-detail")
        yield LineFooter()

    def on_mount(self) -> None:
        self.sub_title = "Skill map"
        self.fill()
        self.query_one(DataTable).focus()

    def reopened(self) -> None:
        self._reset = True

    def on_screen_resume(self) -> None:
        if self._reset:
            self._reset = False
            self.query_one(DataTable).cursor_coordinate = Coordinate(0, 1)
        self.fill()

    def _skills(self) -> dict[str, list[int]]:
        return deck_skills(self.app.study.deck)

    def card_at(self, coordinate: Coordinate) -> str | None:
        if not 0 <= coordinate.row < len(self.rows):
            return None
        card_id = f"skill/{self.rows[coordinate.row]}/{coordinate.column + 1}"
        return card_id if card_id in self.app.study.deck else None

    def cell(self, card_id: str) -> Text:
        study = self.app.study
        status = study.session.skill_status(card_id)
        glyph = GLYPHS[status]
        if status == "locked":
            return Text(glyph, style="dim")
        if status == "new":
            return Text(f"{glyph} new", style="bold cyan")
        chance = study.retrievability(card_id, self.app.clock())
        label = f"{glyph} {chance:.0%}" if chance is not None else glyph
        return Text(label, style=recall_style(chance))

    def fill(self) -> None:
        table = self.query_one(DataTable)
        cursor = table.cursor_coordinate
        skills = self._skills()
        levels_max = max((max(levels) for levels in skills.values()), default=0)
        grid = [
            [
                self.cell(f"skill/{family}/{lv}") if lv in levels else Text("")
                for lv in range(1, levels_max + 1)
            ]
            for family, levels in skills.items()
        ]
        shown: Any = [[(c.plain, str(c.style)) for c in row] for row in grid]
        if shown != self._shown or table.row_count != len(skills):
            # Rebuilt only when a cell changed: rebuilding the grid is what costs.
            self._shown = shown
            table.clear(columns=True)
            self.rows = list(skills)
            self.levels = levels_max
            width = max((len(f) for f in skills), default=6)
            table.add_column(Text("Family"), key="family", width=width)
            for level in range(1, self.levels + 1):
                table.add_column(Text(f"L{level}"), key=str(level), width=6)
            for family, cells in zip(skills, grid, strict=True):
                table.add_row(Text(family), *cells, key=family)
        if not self.rows:
            self.query_one("#map-detail", Static).update(
                "No question families in this deck (started with --no-skills?)."
            )
            return
        row = min(cursor.row, len(self.rows) - 1)
        table.cursor_coordinate = Coordinate(row, max(1, cursor.column))
        self.show_detail(table.cursor_coordinate)

    def on_data_table_cell_highlighted(self, event: DataTable.CellHighlighted) -> None:
        if event.coordinate.column == 0:  # the family name: move onto its first level
            self.query_one(DataTable).cursor_coordinate = event.coordinate.right()
            return
        self.show_detail(event.coordinate)

    def show_detail(self, coordinate: Coordinate) -> None:
        detail = self.query_one("#map-detail", Static)
        card_id = self.card_at(Coordinate(coordinate.row, coordinate.column - 1))
        if card_id is None:
            detail.update("")
            return
        study = self.app.study
        session = study.session
        _, family, level = card_id.split("/")
        fam = families().get(family)
        what = fam.levels.get(int(level), "") if fam else ""
        status = session.skill_status(card_id)
        chance = study.retrievability(card_id, self.app.clock())
        recall = f" · recall now {chance:.0%}" if chance is not None else ""
        title = f"{fam.title} ({family})" if fam else family
        lines = [Text.assemble((f"{title} level {level}", "bold"), f": {what}")]
        lines.append(Text(f"{status}{recall}"))
        needs = skillgraph.prerequisites(card_id)
        if needs:
            parts: list[Text | str] = ["Needs: "]
            for i, pre in enumerate(needs):
                ok = session.learned(pre)
                parts.append(", " if i else "")
                parts.append(
                    Text(f"{_name(pre)} {'✓' if ok else '✗'}", style="green" if ok else "red")
                )
            lines.append(Text.assemble(*parts))
        else:
            lines.append(Text("Needs: nothing (a starting point)"))
        builds = skillgraph.dependents(card_id)
        if builds:
            lines.append(Text("Unlocks: " + ", ".join(_name(b) for b in builds)))
        detail.update(Text("\n").join(lines))

    def action_back(self) -> None:
        self.dismiss()

    def action_refresh(self) -> None:
        self.fill()
