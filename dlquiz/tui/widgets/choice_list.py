"""A multiple-choice card's options, drawn by one widget.

Textual's OptionList made a choice card cost about twice a plain card's rating key
(benchmarks/screens.py, keypress at 1k cards: 25 ms against 10): its options were
rebuilt, re-measured and re-scrolled, its highlight set, and its disabled state
restyled the widget and its scrollbars at every card. ``ChoiceList`` draws the same
lines from one widget and does what the list did on a card: Up and Down move the
highlight, Enter picks it, a click picks the option under the mouse, and once a pick
is made (``show_pick``) the options stay on screen, the pick highlighted, the rest dimmed.
Its height follows its options, wrapped to its width; the card scrolls if they are
taller than the screen. That height is found in the layout pass that shows them: the
second pass a new height asked for found the same sizes, and is no longer made
(``LaidOutOnce``).

It never takes the focus: the review screen's own Up, Down and Enter move and pick
(``move``, ``pick``), as its digits and letters do. A focus that came to it at each
choice card and left at the next card restyled it twice per card.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.content import Content
from textual.geometry import Size
from textual.message import Message
from textual.widget import Widget

from dlquiz.tui.widgets.footer import LaidOutOnce


class ChoiceList(LaidOutOnce, Widget, can_focus=False):
    """Options "a) …" to pick one of; posts ``ChoiceList.Picked`` with its index."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "choice-list--highlighted",
        "choice-list--hover",
        "choice-list--locked",
    }
    # The OptionList's own colours for a highlighted, hovered and disabled option.
    DEFAULT_CSS = """
    ChoiceList {
        height: auto;
        padding: 0 1;
        background: $surface;
        & > .choice-list--highlighted {
            color: $block-cursor-foreground;
            background: $block-cursor-background;
            text-style: $block-cursor-text-style;
        }
        & > .choice-list--hover { background: $block-hover-background; }
        & > .choice-list--locked { color: $text-disabled; }
    }
    """

    class Picked(Message):
        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.labels: list[str] = []
        self.highlighted = 0
        self.locked = False  # a pick was made (``show_pick``): no more moves or picks
        self._hover: int | None = None
        self._rows: list[int] = []  # the first row of each option, as last drawn
        self._total = 0  # the rows drawn

    # ----- what it shows ------------------------------------------------------------

    def set_choices(self, labels: list[str]) -> None:
        """Show ``labels``, the first highlighted, ready for a pick."""
        same_height = self._height(labels, self.content_size.width) == self.content_size.height
        self.labels, self.highlighted, self.locked, self._hover = list(labels), 0, False, None
        self.refresh(layout=not same_height)

    def show_pick(self, picked: int) -> None:
        """The pick is made: ``picked`` stays highlighted, the others dimmed."""
        self.highlighted, self.locked, self._hover = picked, True, None
        self.refresh()

    # ----- layout and drawing -------------------------------------------------------

    def _lines(self, label: str, width: int) -> list[Content]:
        return Content(label).wrap(max(1, width)) or [Content("")]

    def _height(self, labels: list[str], width: int) -> int:
        if width <= 0:
            return -1  # not laid out yet
        return sum(len(self._lines(label, width)) for label in labels)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return max(0, self._height(self.labels, width))

    def render(self) -> Content:
        width = self.content_size.width
        rows: list[int] = []
        lines: list[Content] = []
        for index, label in enumerate(self.labels):
            rows.append(len(lines))
            classes = self._component_classes_of(index)
            style = self.get_visual_style(*classes) if classes else None
            for line in self._lines(label, width):
                # Padded to the full width: a highlight is a bar, as in an OptionList.
                padded = line.pad_right(max(0, width - line.cell_length))
                lines.append(padded.stylize(style) if style is not None else padded)
        self._rows, self._total = rows, len(lines)
        return Content("\n").join(lines)

    def _component_classes_of(self, index: int) -> list[str]:
        if index == self.highlighted:
            return ["choice-list--highlighted"]
        if self.locked:
            return ["choice-list--locked"]
        if index == self._hover:
            return ["choice-list--hover"]
        return []

    # ----- input --------------------------------------------------------------------

    def _at(self, y: int) -> int | None:
        """The option drawn on row ``y``."""
        if not 0 <= y < self._total:
            return None
        return max(index for index, first in enumerate(self._rows) if y >= first)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        hover = None if self.locked else self._at(event.y - self.gutter.top)
        if hover != self._hover:
            self._hover = hover
            self.refresh()

    def on_leave(self) -> None:
        if self._hover is not None:
            self._hover = None
            self.refresh()

    def on_click(self, event: events.Click) -> None:
        index = self._at(event.y - self.gutter.top)
        if index is not None and not self.locked:
            event.stop()
            self.highlighted = index
            self.post_message(self.Picked(index))

    def move(self, step: int) -> None:
        """Highlight the option ``step`` away (round the ends), before a pick."""
        if self.labels and not self.locked:
            self.highlighted = (self.highlighted + step) % len(self.labels)
            self.refresh()
