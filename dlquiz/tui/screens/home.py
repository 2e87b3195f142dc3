"""Home: what is due today, and the way in."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Vertical
from textual.content import Content
from textual.geometry import Size
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

from dlquiz.tui.reuse import StyledOnce
from dlquiz.tui.widgets.card_parts import TitleBar
from dlquiz.tui.widgets.footer import LineFooter

if TYPE_CHECKING:
    from textual.timer import Timer

    from dlquiz.tui.app import DLQuizApp

# Once home has been left alone this long, the statistics are computed ahead (a thread),
# so that the stats screen finds them ready. Not in a headless app (tests, benchmarks:
# nobody looks at home there) unless STATS_AHEAD says so.
STATS_AHEAD_AFTER_S = 1.5
STATS_AHEAD: bool | None = None  # None: unless headless


class StudyButton(Widget, can_focus=True):
    """Home's one button, drawn as Textual's primary Button (default style) draws it.

    The stock Button's stylesheet (every variant, flat, compact and ANSI styles) took
    10 ms to parse at every start, a fifth of the CSS parsed before the first card;
    only the primary button's rules are here. A click or Enter starts a session.
    """

    DEFAULT_CSS = """
    StudyButton {
        width: auto;
        min-width: 16;
        height: auto;
        line-pad: 1;
        text-align: center;
        content-align: center middle;
        pointer: pointer;
        text-style: bold;
        color: $button-color-foreground;
        background: $primary;
        border-top: tall $primary-lighten-3;
        border-bottom: tall $primary-darken-3;
        &:focus {
            text-style: $button-focus-text-style;
            background-tint: $foreground 5%;
        }
        &:hover {
            background: $primary-darken-2;
            border-top: tall $primary;
        }
        &:ansi {
            color: $primary;
            border: tall $primary;
            background: ansi_default;
            &:hover { background: $ansi-background; }
        }
    }
    """

    app: DLQuizApp

    def __init__(self, label: str, id: str | None = None) -> None:
        super().__init__(id=id)
        self.label = label

    def set_label(self, label: str) -> None:
        if label != self.label:
            self.label = label
            self.refresh(layout=True)  # its width follows the label

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return len(self.label) + 2

    def render(self) -> Content:
        return Content(self.label)

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.app.action_study()


class HomeScreen(StyledOnce, Screen[None]):
    """Due / new / reviewed-today counts and a button to start."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "app.study", "Study", priority=True),
        Binding("b", "app.browse", "Browse"),
        Binding("c", "app.cram", "Cram"),
        Binding("t", "app.quiz", "Quiz"),
        Binding("s", "app.stats", "Stats"),
        Binding("m", "app.skill_map", "Skill map"),
        Binding("comma", "app.settings", "Settings", key_display=","),
    ]

    app: DLQuizApp

    _ahead: Timer | None = None

    def compose(self) -> ComposeResult:
        # The breakpoint classes (-narrow...) before the widgets are styled, as the app
        # sets them on the screens it pushes itself: a home pushed otherwise had every
        # widget styled twice (the classes changed at its first resize: ~5 ms).
        self.app._sized(self)
        yield TitleBar()  # the Header's cells, one widget instead of four
        with Vertical(id="home"):
            yield Static("dlquiz", id="home-title")
            yield Static(
                "Deep learning, one card at a time. Terms, concepts and live torch questions.",
                id="home-tagline",
            )
            with Center():
                yield Static(id="home-counts")
            with Center():
                yield StudyButton("Study now", id="study")
            yield Static(id="home-status")
        yield LineFooter()

    def on_mount(self) -> None:
        # No counts here: the screen is resumed right after it is mounted, and counting
        # walks what is due today (thousands of cards in a big deck): once is enough.
        # Load the review screen's code while the user reads the counts, not after
        # they press Enter.
        self.call_after_refresh(self.app.preload_review)

    def on_screen_resume(self) -> None:
        self.refresh_counts()
        ahead = not self.app.is_headless if STATS_AHEAD is None else STATS_AHEAD
        if ahead:
            self._ahead = self.set_timer(STATS_AHEAD_AFTER_S, self._stats_ahead)

    def on_screen_suspend(self) -> None:
        if self._ahead is not None:
            self._ahead.stop()
            self._ahead = None

    def _stats_ahead(self) -> None:
        self._ahead = None
        if self.app.screen is self:
            from dlquiz.tui.stats_ahead import warm

            warm(self.app)

    def refresh_counts(self) -> None:
        app = self.app
        counts = app.study.counts(app.clock())
        self.query_one("#home-counts", Static).update(
            f"[b $warning]{counts.due}[/] due   "
            f"[b $accent]{counts.new}[/] new   "
            f"[b $success]{counts.reviewed_today}[/] reviewed today"
        )
        # Kept by the study as it writes (a set intersection of 100k cards: ~7 ms a visit).
        self.query_one("#home-status", Static).update(
            f"{app.study.started()} of {len(app.study.deck)} cards started · "
            "`dlquiz where` shows your data folder"
        )
        idle = counts.due == 0 and counts.new == 0
        self.query_one("#study", StudyButton).set_label("Nothing due now" if idle else "Study now")
