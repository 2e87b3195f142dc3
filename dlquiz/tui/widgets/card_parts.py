"""The review screen's card parts: laid out once per change of card, not twice.

Textual stores the size a layout pass gives a widget in ``virtual_size``, which asks for
another layout when it changes (see ``LaidOutOnce``). The card's text, its container and
the actions below it change size from card to card; for them that second pass finds the
same sizes.

Also the screen's one-widget title bar, and the parts only some cards show (``PARTS``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import ClassVar

from textual import events
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Input, OptionList, Static

from dlquiz.tui.widgets.footer import LaidOutOnce


@lru_cache(maxsize=256)
def parse(markup: str) -> Content:
    """``markup`` as Content, parsed once: parsing costs ~40 µs a line, and the same hints
    and kinds of card come back card after card."""
    return Content.from_markup(markup)


class Text(LaidOutOnce, Static):
    """A line or block of the card's text."""

    _markup: object = None  # what ``put`` showed last
    _shown: Content | None = None

    def put(self, markup: str | Content, layout: bool | None = None) -> None:
        """Show ``markup`` (or Content, made without parsing), unless it is on screen
        already: an update lays the screen out and redraws the widget even when nothing
        changed (the same hint or kind of card as the last card's). ``layout``: None lays
        out only if the height may change (one line before and after: no); False where
        the size cannot change."""
        if isinstance(markup, Content):
            content = markup  # compared by its text and styles (Content's == is text only)
            self._put((content.plain, tuple(content.spans)), lambda: content, layout)
        else:
            self._put(markup, lambda: parse(markup), layout)

    def _put(self, key: object, make: Callable[[], Content], layout: bool | None) -> None:
        if key == self._markup and self.content is self._shown:
            return
        content = make()
        if layout is None:
            layout = not (self._one_line(self._shown) and self._one_line(content))
        self._markup, self._shown = key, content
        self.update(content, layout=layout)

    def _one_line(self, content: Content | None) -> bool:
        """``content`` (on screen now, or next) takes one line of this widget as laid out."""
        if content is None or self.content is not self._shown:
            return False  # unknown, or set by ``update`` since
        width = self.content_size.width
        return width > 0 and "\n" not in content.plain and content.cell_length <= width


class CardHead(Text):
    """The card's kind (muted), a blank line, then its front: one widget for the two, as
    every widget on the review screen costs each key a little."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"card-head--kind"}
    DEFAULT_CSS = """
    CardHead > .card-head--kind { color: $text-muted; }
    """

    kind: str = ""  # markup, as last shown
    front: str = ""

    def show(self, kind: str, front: str) -> None:
        """Show ``kind`` over ``front`` (markup each)."""
        self.kind, self.front = kind, front

        def make() -> Content:
            # The kind's own colours (NEW, Flagged) over the muted colour, resolved when
            # drawn (the theme may change).
            head = parse(kind).stylize_before(".card-head--kind")
            return Content.assemble(head, "\n\n", parse(front))

        self._put((kind, front), make, None)


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


class TitleBar(Widget):
    """Textual's one-line Header (icon, title, clock space) drawn by one widget instead of
    four: every widget on the review screen costs each keypress a little. Same cells and
    colours; a click on the icon opens the command palette, as on the Header."""

    DEFAULT_CSS = """
    TitleBar {
        dock: top;
        width: 100%;
        height: 1;
        background: $panel;
        color: $foreground;
    }
    """
    ICON = 8  # the Header's icon column: " ⭘" and padding
    CLOCK = 10  # the Header's clock space on the right

    def on_mount(self) -> None:
        for obj, name in (
            (self.app, "title"),
            (self.app, "sub_title"),
            (self.screen, "title"),
            (self.screen, "sub_title"),
        ):
            self.watch(obj, name, self._retitle, init=False)

    def _retitle(self) -> None:
        self.refresh()

    def render(self) -> Content:
        screen, app = self.screen, self.app
        title = app.format_title(
            screen.title if screen.title is not None else app.title,
            screen.sub_title if screen.sub_title is not None else app.sub_title,
        )
        room = max(0, self.size.width - self.ICON - self.CLOCK)
        title = title.truncate(room, ellipsis=True)
        left = (room - title.cell_length) // 2
        return Content.assemble(" ⭘".ljust(self.ICON + left), title).truncate(
            self.size.width, pad=True
        )

    async def on_click(self, event: events.Click) -> None:
        if event.y == 0 and event.x < self.ICON and self.app.ENABLE_COMMAND_PALETTE:
            event.stop()
            await self.run_action("app.command_palette")


class TitleProgressBar(TitleBar):
    """The title bar and, under it, a progress line (padded by a cell each side, on the
    ``$boost`` background): one widget for two rows. Removing the progress line's own
    widget took ~0.5 ms off each rating key (benchmarks/screens.py, keypress)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"title-bar--title", "title-bar--progress"}
    # The widget's own background is none: each row has its own, over the screen's.
    DEFAULT_CSS = """
    TitleProgressBar {
        height: 2;
        background: transparent;
        & > .title-bar--title { background: $panel; color: $foreground; }
        & > .title-bar--progress { background: $boost; color: $foreground; }
    }
    """

    progress: Content = Content("")  # the progress line, as shown

    def show_progress(self, line: str | Content) -> None:
        """Show ``line`` (markup, or Content) as the progress line."""
        content = parse(line) if isinstance(line, str) else line
        if (content.plain, content.spans) != (self.progress.plain, self.progress.spans):
            self.progress = content
            self.refresh()  # two rows whatever they show: no layout

    def render(self) -> Content:
        title = super().render().stylize_before(self.get_visual_style("title-bar--title"))
        room = max(0, self.size.width - 2)
        # As a one-row Static shows a line too long for it: its first wrapped line.
        lines = self.progress.wrap(room) if room else []
        line = (lines[0] if lines else Content("")).truncate(room, pad=True)
        row = Content.assemble(" ", line, " ").truncate(self.size.width)
        progress = row.stylize_before(self.get_visual_style("title-bar--progress"))
        return Content.assemble(title, "\n", progress)


# The parts only some cards show, in their order in the card (after its front, around
# its back), made when first needed.
PARTS: dict[str, Callable[[], Widget]] = {
    "card-code": lambda: Text(id="card-code"),
    "choices": lambda: Choices(id="choices"),
    "typed": lambda: Input(id="typed", placeholder="Your answer, then Enter"),
    "card-back": lambda: Text(id="card-back"),  # composed: only a place in the order
    "card-proof": lambda: Text(id="card-proof"),
}
