"""Pictures for the statistics screen: a review heatmap, a due forecast, mastery tables.

Each widget takes figures already computed by ``dlquiz.stats`` and only draws
them, adapting to the width it is given (80 columns up to wide terminals).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.color import Color
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.events import Resize
from textual.widget import Widget
from textual.widgets import DataTable, Sparkline, Static

from dlquiz.stats import HISTORY_DAYS, SHADES, Mastery, heatmap_rows, render_heatmap, shade

LABEL_WIDTH = 4  # weekday names in front of the heatmap, as in stats.render_heatmap
MAX_WEEKS = HISTORY_DAYS // 7
# Opacity of $success for shades 1..4: the darkest step must still stand out from
# the background, so the ramp starts well above zero.
HEAT_ALPHA = {SHADES[1]: 40, SHADES[2]: 60, SHADES[3]: 80, SHADES[4]: 100}
EMPTY_DAY = "·"  # a past day without reviews; future days stay blank


def heatmap_layout(width: int) -> tuple[int, int]:
    """(weeks, cell width) that fit ``width`` columns: wider cells when there is room,
    fewer weeks (the most recent ones) when even two-column cells do not fit."""
    for cell in (3, 2):
        if LABEL_WIDTH + MAX_WEEKS * cell <= width:
            return MAX_WEEKS, cell
    return max(1, min(MAX_WEEKS, (width - LABEL_WIDTH) // 2)), 2


def heatmap_content(per_day: Mapping[str, int], today: date, weeks: int, cell: int) -> Content:
    """The calendar as styled text: months on top, Mon..Sun rows, then a legend.

    The shade characters carry the intensity on their own (readable without colour);
    colour repeats it with $success at increasing opacity.
    """
    rows = heatmap_rows(per_day, today, weeks)
    peak = max((c for row in rows for c in row if c), default=0)
    # Month labels: the first line of the core's plain rendering, same geometry.
    months = render_heatmap(per_day, today, weeks, cell).splitlines()[0]
    parts: list[str | tuple[str, str]] = [(months, "$text-muted"), "\n"]
    names = ["Mon", "", "Wed", "", "Fri", "", "Sun"]
    gap = " " if cell > 1 else ""  # a gap between weeks keeps the cells square-ish
    fill = max(1, cell - len(gap))
    for name, row in zip(names, rows, strict=True):
        parts.append((f"{name:<{LABEL_WIDTH}}", "$text-muted"))
        for count in row:
            if count is None:
                parts.append(" " * cell)
            elif count == 0:
                parts.append((EMPTY_DAY.ljust(fill) + gap, "$text-muted 50%"))
            else:
                char = shade(count, peak)
                parts.append((char * fill, f"$success {HEAT_ALPHA[char]}%"))
                parts.append(gap)
        parts.append("\n")
    parts.append((f"{'':<{LABEL_WIDTH}}less ", "$text-muted"))
    parts.append((EMPTY_DAY + " ", "$text-muted 50%"))
    for char in SHADES[1:]:
        parts.append((char, f"$success {HEAT_ALPHA[char]}%"))
        parts.append(" ")
    parts.append(("more", "$text-muted"))
    if peak:
        parts.append((f"   busiest day: {peak} reviews", "$text-muted"))
    return Content.assemble(*parts)


class Heatmap(Widget):
    """Reviews per study day over the last six months, one column per week."""

    DEFAULT_CSS = """
    Heatmap {
        height: 9;
        width: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.per_day: Mapping[str, int] = {}
        self.today: date | None = None

    def show(self, per_day: Mapping[str, int], today: date) -> None:
        self.per_day, self.today = per_day, today
        self.refresh()

    def render(self) -> Content:
        if self.today is None:
            return Content("")
        weeks, cell = heatmap_layout(self.size.width)
        return heatmap_content(self.per_day, self.today, weeks, cell)


def forecast_axis(days: int, per_day: int) -> str:
    """Labels under the bars: today, then every week, the last day at the right edge."""
    width = days * per_day
    axis = [" "] * width

    def put(at: int, label: str) -> None:
        at = max(0, min(at, width - len(label)))
        # Leave a space between labels; a label that would touch another is dropped.
        if all(c == " " for c in axis[max(0, at - 1) : at + len(label) + 1]):
            axis[at : at + len(label)] = label

    put(0, "today")
    put(width - len(f"+{days - 1}d"), f"+{days - 1}d")
    for day in range(7, days - 1, 7):
        put(day * per_day, f"+{day}d")
    return "".join(axis)


class ForecastChart(Vertical):
    """Cards due per day as bars (Textual's Sparkline), with a y scale and day labels."""

    DEFAULT_CSS = """
    ForecastChart {
        height: auto;
    }
    ForecastChart > Horizontal {
        height: 5;
    }
    ForecastChart .forecast-y {
        width: 5;
        height: 5;
        padding-right: 1;
        text-align: right;
        color: $text-muted;
    }
    ForecastChart Sparkline {
        height: 5;
        width: 60;
    }
    ForecastChart Sparkline > .sparkline--max-color {
        color: $warning;
    }
    ForecastChart Sparkline > .sparkline--min-color {
        color: $warning 35%;
    }
    ForecastChart .forecast-x {
        height: 1;
        margin-left: 5;
        color: $text-muted;
    }
    """

    Y_WIDTH: ClassVar[int] = 5

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.forecast: tuple[int, ...] = ()
        self._drawn: tuple[tuple[int, ...], int] | None = None  # (forecast, per_day) drawn

    @property
    def per_day(self) -> int:
        """Columns per day, as last drawn."""
        return self._drawn[1] if self._drawn is not None else 2

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static(classes="forecast-y")
            yield Sparkline([], classes="forecast-bars")
        yield Static(classes="forecast-x")

    def show(self, forecast: Sequence[int]) -> None:
        self.forecast = tuple(forecast)
        self._draw()

    def on_resize(self, event: Resize) -> None:
        self._draw()

    def _draw(self) -> None:
        if not self.forecast or not self.is_mounted:
            return
        days = len(self.forecast)
        width = self.size.width or 80
        per_day = max(1, min(3, (width - self.Y_WIDTH) // days))
        if (self.forecast, per_day) == self._drawn:
            # Its first layout pass resizes it, most often to as many columns a day: a
            # redraw would ask for another pass of the whole screen, which changes nothing.
            return
        self._drawn = (self.forecast, per_day)
        bars = self.query_one(Sparkline)
        bars.styles.width = days * per_day
        # Sparkline scales bars between min(data) and max(data); a zero beside every
        # value pins the bottom of the scale at 0, and with width = days * per_day
        # every bar covers exactly one [0, n] pair, whose max is that day's count.
        bars.data = [x for n in self.forecast for _ in range(per_day) for x in (0, n)]
        peak = max(self.forecast)
        self.query_one(".forecast-y", Static).update(f"{peak or ''}\n\n\n\n0")
        self.query_one(".forecast-x", Static).update(forecast_axis(days, per_day))


def share_text(share: float | None) -> Text:
    return Text("n/a" if share is None else f"{share:.0%}", justify="right")


def bar_text(share: float | None, width: int, full: str, empty: str) -> Text:
    """A horizontal bar ``width`` cells long, filled to ``share`` (empty when None)."""
    filled = 0 if share is None else round(share * width)
    text = Text("█" * filled, style=full)
    text.append("░" * (width - filled), style=empty)
    return text


class MasteryTable(DataTable[object]):
    """Mastered / studied / in-deck counts per group, with a bar; click a header to sort."""

    DEFAULT_CSS = """
    MasteryTable {
        height: auto;
        margin-bottom: 1;
    }
    """

    BAR_WIDTH: ClassVar[int] = 12
    COLUMNS: ClassVar[tuple[str, ...]] = ("Mastered", "Studied", "In deck", "Share")

    def __init__(self, label: str, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.label = label
        self.groups: dict[str, Mastery] = {}
        self.sort_column = 0  # 0 name, 1 mastered, 2 studied, 3 in deck, 4 share, 5 bar
        self.sort_reverse = False

    def on_mount(self) -> None:
        # Labels as Text: a str is read as markup, which loads Rich's emoji table (~5 ms).
        self.add_column(Text(self.label), key="name")
        for name in self.COLUMNS:
            self.add_column(Text(name), key=name.lower())
        self.add_column(Text(""), key="bar")
        # The bars use concrete colours (DataTable cells are Rich text), so redraw
        # them when the theme changes.
        self.watch(self.app, "theme", self._fill, init=False)

    def show(self, groups: Mapping[str, Mastery]) -> None:
        self.groups = dict(groups)
        self._fill()

    def _sort_key(self, item: tuple[str, Mastery]) -> tuple[object, ...]:
        name, m = item
        share = -1.0 if m.share is None else m.share
        keys: list[object] = [name.lower(), m.mastered, m.studied, m.total, share, share]
        return (keys[self.sort_column], name.lower())

    def _fill(self) -> None:
        variables = self.app.theme_variables
        try:
            background = Color.parse(variables.get("background", "#000000"))
            full = Color.parse(variables.get("success", "green"))
            foreground = Color.parse(variables.get("foreground", "white"))
        except Exception:  # a theme without these colours: plain bars
            full_style, empty_style = "", "dim"
        else:
            full_style = full.hex
            empty_style = background.blend(foreground, 0.3).hex
        self.clear()
        items = sorted(self.groups.items(), key=self._sort_key, reverse=self.sort_reverse)
        for name, m in items:
            self.add_row(
                Text(name),
                *(Text(str(n), justify="right") for n in (m.mastered, m.studied, m.total)),
                share_text(m.share),
                bar_text(m.share, self.BAR_WIDTH, full_style, empty_style),
                key=name,
            )

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        if event.column_index == self.sort_column:
            self.sort_reverse = not self.sort_reverse
        else:
            # Names read best A→Z; numbers most useful largest first.
            self.sort_column = event.column_index
            self.sort_reverse = event.column_index != 0
        self._fill()
