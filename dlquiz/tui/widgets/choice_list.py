"""A multiple-choice card's options: where the user is among them (``Choices``), and the
widget that draws them under a card's code (``ChoiceList``).

A card with nothing between its front and its options (a name card, a concept card)
has them drawn by its head (``CardHead``), in the same widget as its front and, once
picked, the feedback and the back: a change between such a card and a flashcard
then needs no layout pass, which cost ~2.5 ms of a rating key (the layout, the card
redrawn whole, the widgets shown and hidden). A card with code between its front and
its options (a computed question) has them drawn by ``ChoiceList``, from the same
``Choices``.

Textual's OptionList made a choice card cost about twice a plain card's rating key
(benchmarks/screens.py, keypress at 1k cards: 25 ms against 10): its options were
rebuilt, re-measured and re-scrolled, its highlight set, and its disabled state
restyled the widget and its scrollbars at every card. Up and Down move the highlight,
Enter picks it, a click picks the option under the mouse, and once a pick is made
(``pick``) the options stay on screen, the pick highlighted, the rest dimmed. The
options wrap to their width; the card scrolls if they are taller than the screen.

Neither widget takes the focus: the review screen's own Up, Down and Enter move and
pick, as its digits and letters do. A focus that came to the options at each choice
card and left at the next card restyled them twice per card.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from textual import events
from textual.content import Content
from textual.geometry import Size
from textual.message import Message
from textual.style import Style
from textual.widget import Widget

from dlquiz.tui.widgets.footer import LaidOutOnce

# The OptionList's own colours for a highlighted, hovered and disabled option: the
# component classes of each widget that draws options.
CHOICE_CLASSES = {"choice-list--highlighted", "choice-list--hover", "choice-list--locked"}
CHOICE_CSS = """
    & > .choice-list--highlighted {
        color: $block-cursor-foreground;
        background: $block-cursor-background;
        text-style: $block-cursor-text-style;
    }
    & > .choice-list--hover { background: $block-hover-background; }
    & > .choice-list--locked { color: $text-disabled; }
"""


class Choices:
    """Options "a) …", the one highlighted, the one under the mouse, and the pick."""

    def __init__(self, labels: Sequence[str] = ()) -> None:
        self.labels = list(labels)
        self.highlighted = 0
        self.locked = False  # a pick was made (``pick``): no more moves or picks
        self.hover: int | None = None
        self._starts: list[int] = []  # the first row of each option, as last drawn
        self._total = 0  # the rows drawn

    @property
    def key(self) -> tuple[object, ...]:
        """What the options look like: equal keys, equal rows."""
        return (tuple(self.labels), self.highlighted, self.locked, self.hover)

    def move(self, step: int) -> bool:
        """Highlight the option ``step`` away (round the ends), before a pick: moved?"""
        if not self.labels or self.locked:
            return False
        self.highlighted = (self.highlighted + step) % len(self.labels)
        return True

    def pick(self, index: int) -> None:
        """The pick is made: ``index`` stays highlighted, the others dimmed."""
        self.highlighted, self.locked, self.hover = index, True, None

    def hover_at(self, row: int | None) -> bool:
        """The mouse is over ``row`` of the options (None: off them): changed?"""
        hover = None if self.locked or row is None else self.at(row)
        changed, self.hover = hover != self.hover, hover
        return changed

    def at(self, row: int) -> int | None:
        """The option drawn on ``row`` (from 0, the first option's first row)."""
        if not 0 <= row < self._total:
            return None
        return max(index for index, first in enumerate(self._starts) if row >= first)

    def height(self, width: int) -> int:
        """The rows the options take ``width`` cells wide."""
        return sum(len(_wrapped(label, width)) for label in self.labels)

    def rows(self, width: int, style: Callable[[str | None], Style | str | None]) -> list[Content]:
        """The options' rows ``width`` cells wide, each padded to it (a highlight is a
        bar, as in an OptionList); ``style(component_class)`` styles an option's rows
        (None: an option with no class of its own)."""
        starts: list[int] = []
        lines: list[Content] = []
        for index, label in enumerate(self.labels):
            starts.append(len(lines))
            option_style = style(self._class_of(index))
            for line in _wrapped(label, width):
                padded = line.pad_right(max(0, width - line.cell_length))
                lines.append(padded.stylize(option_style) if option_style else padded)
        self._starts, self._total = starts, len(lines)
        return lines

    def _class_of(self, index: int) -> str | None:
        if index == self.highlighted:
            return "choice-list--highlighted"
        if self.locked:
            return "choice-list--locked"
        if index == self.hover:
            return "choice-list--hover"
        return None


def _wrapped(label: str, width: int) -> list[Content]:
    return Content(label).wrap(max(1, width)) or [Content("")]


class ChoiceList(LaidOutOnce, Widget, can_focus=False):
    """Options "a) …" to pick one of; posts ``Picked`` with its index. Its height follows
    its options, wrapped to its width. That height is found in the layout pass that
    shows them: the second pass a new height asked for found the same sizes, and is no
    longer made (``LaidOutOnce``)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = CHOICE_CLASSES
    DEFAULT_CSS = f"""
    ChoiceList {{
        height: auto;
        padding: 0 1;
        background: $surface;
        {CHOICE_CSS}
    }}
    """

    class Picked(Message):
        """An option was clicked (of a ``ChoiceList`` or a ``CardHead``): ``index``."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.choices = Choices()

    @property
    def labels(self) -> list[str]:
        return self.choices.labels

    @property
    def highlighted(self) -> int:
        return self.choices.highlighted

    @property
    def locked(self) -> bool:
        return self.choices.locked

    def set_choices(self, labels: list[str]) -> None:
        """Show ``labels``, the first highlighted, ready for a pick."""
        width, choices = self.content_size.width, Choices(labels)
        same_height = width > 0 and choices.height(width) == self.content_size.height
        self.choices = choices
        self.refresh(layout=not same_height)

    def redraw_choices(self) -> None:
        """Draw the options again (a move, a pick)."""
        self.refresh()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return self.choices.height(width) if width > 0 else 0

    def render(self) -> Content:
        rows = self.choices.rows(
            self.content_size.width, lambda name: self.get_visual_style(name) if name else None
        )
        return Content("\n").join(rows)

    def _at(self, y: int) -> int | None:
        """The option drawn on row ``y`` of the widget."""
        return self.choices.at(y - self.gutter.top)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if self.choices.hover_at(event.y - self.gutter.top):
            self.refresh()

    def on_leave(self) -> None:
        if self.choices.hover_at(None):
            self.refresh()

    def on_click(self, event: events.Click) -> None:
        index = self._at(event.y)
        if index is not None and not self.choices.locked:
            event.stop()
            self.choices.highlighted = index
            self.post_message(self.Picked(index))
