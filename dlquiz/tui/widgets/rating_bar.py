"""Four rating buttons, each showing the interval it would schedule, drawn by one widget.

A container of four Buttons is five widgets on the review screen, and every widget there
costs each rating key a little (its messages, its place in each layout pass, its share
of hiding the bar): drawn by one widget, a rating key took about 0.6 ms less
(benchmarks/screens.py, keypress). ``RatingBar`` draws the cells four compact Buttons
draw (laid out as a Horizontal lays them out: 1fr each, 12 to 19 cells, a margin of 1,
centred), and does what they do: a click rates, Tab and Shift+Tab step from one rating
to the next (and out after the last), Enter or Space rates the one focused.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.strip import Strip
from textual.style import Style
from textual.widget import Widget

from dlquiz.scheduler import AGAIN, EASY, GOOD, HARD, RATING_NAMES, Outcome

RATINGS = (AGAIN, HARD, GOOD, EASY)
_VARIANTS = {AGAIN: "error", HARD: "warning", GOOD: "success", EASY: "primary"}
# The compact Button's hover backgrounds (Textual's Button CSS): error darkens less.
_HOVER = {"error": "darken-1", "warning": "darken-2", "success": "darken-2", "primary": "darken-2"}
MIN_WIDTH, MAX_WIDTH = 12, 19


def _variant_css() -> str:
    """A Button's look per variant (default style, compact), as component classes."""
    rules = []
    for variant, hover in _HOVER.items():
        base = f"${variant}"
        rules += [
            f"& > .rating-bar--{variant} {{ color: $button-color-foreground; "
            f"background: {base}; text-style: bold; }}",
            f"& > .rating-bar--{variant}-hover {{ background: {base}-{hover}; }}",
            # A focused Button: its background tinted, in the focus text style.
            f"& > .rating-bar--{variant}-focus {{ background: {base}; "
            "background-tint: $foreground 5%; text-style: $button-focus-text-style; }",
            f"& > .rating-bar--{variant}-hover-focus {{ background: {base}-{hover}; "
            "background-tint: $foreground 5%; text-style: $button-focus-text-style; }",
        ]
    return "\n".join(rules)


class RatingBar(Widget, can_focus=True):
    """Again / Hard / Good / Easy with previews; posts ``RatingBar.Rated``.

    One line high whatever it shows; the review screen hides it with ``shown`` (its row
    stays, so the card keeps its size when the ratings come and go). Hidden, it draws a
    blank line and takes no focus, click or hover: hiding it with ``visible`` would lay
    the screen out (the compositor drops an invisible widget) at every card.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "rating-bar--button",  # its margin: the gap around each button
        "rating-bar--suggested",
        *(f"rating-bar--{v}{s}" for v in _HOVER for s in ("", "-hover", "-focus", "-hover-focus")),
    }
    DEFAULT_CSS = f"""
    RatingBar {{
        height: 1;
        width: 100%;
        & > .rating-bar--button {{ margin: 0 1; }}
        & > .rating-bar--suggested {{ text-style: bold reverse; }}
        {_variant_css()}
    }}
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,space", "press", "Rate", show=False),
        Binding("tab", "step(1)", "Next rating", show=False),
        Binding("shift+tab", "step(-1)", "Previous rating", show=False),
    ]

    class Rated(Message):
        def __init__(self, rating: int) -> None:
            super().__init__()
            self.rating = rating

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.labels = {r: f"{r} {RATING_NAMES[r]}" for r in RATINGS}
        self.suggested: int | None = None
        self.cursor = AGAIN  # the rating Enter takes while the bar has the focus
        self._hover: int | None = None
        self._spans: list[tuple[int, int, int]] = []  # x from, x to, rating
        self._drawn_key: object = None
        self._drawn: Content | None = None
        self.shown = True

    def set_shown(self, shown: bool) -> None:
        """Show the ratings, or a blank line in their place."""
        if shown != self.shown:
            self.shown = shown
            if not shown:
                self._hover = None
                if self.has_focus:
                    self.blur()
            self.refresh()  # the same line: no layout

    def allow_focus(self) -> bool:
        return self.shown and super().allow_focus()

    def show(self, outcomes: Mapping[int, Outcome], suggested: int | None = None) -> None:
        """Label each button with its interval; mark the auto-grade if any."""
        labels = {r: f"{RATING_NAMES[r]} · {o.label}" for r, o in outcomes.items()}
        self.show_labels(labels, suggested)

    def show_labels(self, labels: dict[int, str], suggested: int | None = None) -> None:
        """Plain labels instead of intervals (practice modes do not schedule)."""
        shown = self.labels | {r: f"{r} {label}" for r, label in labels.items()}
        if shown != self.labels or suggested != self.suggested:
            self.labels, self.suggested = shown, suggested
            self.refresh()  # one line whatever it shows: no layout

    def label(self, rating: int) -> str:
        """What the button for ``rating`` says."""
        return self.labels[rating]

    # ----- layout and drawing -------------------------------------------------------

    def regions(self) -> list[tuple[int, int]]:
        """Each button's (x, width) in this widget, as a Horizontal of four lays them out."""
        margin = self.get_component_styles("rating-bar--button").margin.left
        width = self.content_size.width
        room = width - 5 * margin  # the margins between buttons are shared
        each = min(max(Fraction(room, 4), Fraction(MIN_WIDTH)), Fraction(MAX_WIDTH))
        out, x = [], Fraction(margin)
        for _ in RATINGS:
            end = x + each
            out.append((x.__floor__(), (end - x.__floor__()).__floor__()))
            x = end + margin
        used = out[-1][0] + out[-1][1] + margin
        shift = max(0, (width - used) // 2)  # centred
        return [(x0 + shift, w) for x0, w in out]

    def render_line(self, y: int) -> Strip:
        # One row, drawn from the Content ``render`` keeps (through ``render`` and
        # Textual's text pipeline, a hidden bar's blank row took ~0.5 ms a rating key).
        if self.text_selection is not None:
            return super().render_line(y)  # Textual draws the selection
        # Padded to the bar's width as any line is (a hidden bar's: all of it).
        if y > 0 or not self.shown:
            return Strip([], 0)
        return Strip(self.render().render_segments(self.visual_style))

    def render(self) -> Content:
        if not self.shown:
            return Content("")
        focused = self.has_focus and self.app.app_focus
        regions = self.regions()
        # Drawn again only when something it shows changed: showing the bar again after
        # each rating asks for a render too, of the same bar.
        key = (
            tuple(self.labels.items()),
            self.suggested,
            self._hover,
            focused and self.cursor,
            tuple(regions),
            self.app.theme,
        )
        if key == self._drawn_key and self._drawn is not None:
            return self._drawn
        self._drawn_key, self._drawn = key, self._draw(regions, focused)
        return self._drawn

    def _draw(self, regions: list[tuple[int, int]], focused: bool) -> Content:
        parts: list[Content] = []
        spans: list[tuple[int, int, int]] = []
        x = 0
        for rating, (x0, width) in zip(RATINGS, regions, strict=True):
            variant = _VARIANTS[rating]
            classes = [f"rating-bar--{variant}"]
            if rating == self.suggested:
                classes.append("rating-bar--suggested")
            state = ("-hover" if rating == self._hover else "") + (
                "-focus" if focused and rating == self.cursor else ""
            )
            if state:
                classes.append(f"rating-bar--{variant}{state}")
            style = self.get_visual_style(*classes)
            if any(self.get_component_styles(c).text_style.reverse for c in classes):
                # Textual's visual styles drop ``reverse`` (as of 8.2); the Button has it.
                style = Style(style.background, style.foreground, bold=style.bold, reverse=True)
            # A Button's label: its first line (the bar is one high) between 1-cell pads,
            # centred; the cells around it have only the button's background.
            inner = max(0, width - 2)
            lines = Content(self.labels[rating]).wrap(inner) if inner else []
            text = lines[0].plain.rstrip() if lines else ""
            block = f" {text} "[:width]
            left = (width - len(block)) // 2
            around = Style(background=style.background)
            parts += [
                Content(" " * (x0 - x)),
                Content.styled(" " * left, around),
                Content.styled(block, style),
                Content.styled(" " * (width - left - len(block)), around),
            ]
            spans.append((x0, x0 + width, rating))
            x = x0 + width
        self._spans = spans
        return Content.assemble(*parts)

    # ----- input --------------------------------------------------------------------

    def _at(self, x: int) -> int | None:
        if not self.shown:
            return None
        return next((r for x0, x1, r in self._spans if x0 <= x < x1), None)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._hovered(self._at(event.x - self.gutter.left))

    def on_leave(self) -> None:
        self._hovered(None)

    def _hovered(self, rating: int | None) -> None:
        if rating != self._hover:
            self._hover = rating
            self.refresh()

    def on_click(self, event: events.Click) -> None:
        rating = self._at(event.x - self.gutter.left)
        if rating is not None:
            event.stop()
            self.cursor = rating  # as a clicked Button takes the focus
            self.post_message(self.Rated(rating))

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.cursor = AGAIN  # the next time in, by Tab, on the first button again
        self.refresh()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "step":
            # Out of the bar past its ends: the screen's own Tab moves the focus on.
            (step,) = parameters
            assert isinstance(step, int)
            return (self.cursor + step) in RATINGS
        return True

    def action_step(self, step: int) -> None:
        self.cursor += step
        self.refresh()

    def action_press(self) -> None:
        self.post_message(self.Rated(self.cursor))
