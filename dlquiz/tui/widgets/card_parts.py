"""The review screen's card parts: laid out once per change of card, not twice.

Textual stores the size a layout pass gives a widget in ``virtual_size``, which asks for
another layout when it changes (see ``LaidOutOnce``). The card's text, its container and
the actions below it change size from card to card; for them that second pass finds the
same sizes.
"""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.widgets import OptionList, Static

from dlquiz.tui.widgets.footer import LaidOutOnce


class Text(LaidOutOnce, Static):
    """A line or block of the card's text."""

    def put(self, content: str, layout: bool = True) -> None:
        """Show ``content`` (markup), unless it is on screen already: an update lays the
        screen out and redraws the widget even when nothing changed (the same hint or
        kind of card as the last card's). ``layout=False`` where the size cannot change."""
        if content != self.content:
            self.update(content, layout=layout)


class Card(LaidOutOnce, VerticalScroll):
    """The scrolling card."""


class Choices(OptionList):
    """The choices, whose lines (measured when first drawn) need no layout of their own.

    Its height is laid out from its options (``get_content_height``); the lines it then
    measures to draw them set ``virtual_size``, whose change would lay the screen out
    once more to find the same height.
    """

    def _update_lines(self) -> None:
        required = self._layout_required
        super()._update_lines()
        self._layout_required = required
