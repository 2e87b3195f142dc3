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
from typing import Any, ClassVar, Self

from rich.segment import Segment
from textual import events
from textual.containers import VerticalScroll
from textual.content import Content
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.style import Style as VisualStyle
from textual.visual import Visual
from textual.widget import Widget
from textual.widgets import Input, Static

from dlquiz.tui.widgets.choice_list import CHOICE_CLASSES, CHOICE_CSS, ChoiceList, Choices
from dlquiz.tui.widgets.footer import LaidOutOnce

KEPT = 4  # texts whose drawn lines a Text keeps
_OPTIONS = ".card-head--choices"  # the style of the options' rows in a CardHead


@lru_cache(maxsize=256)
def parse(markup: str) -> Content:
    """``markup`` as Content, parsed once: parsing costs ~40 µs a line, and the same hints
    and kinds of card come back card after card."""
    return Content.from_markup(markup)


def _height(content: Content, widget: Widget, width: int) -> int:
    """Lines ``content`` takes in ``widget``, ``width`` cells wide (its wrap and overflow
    rules), as Textual's layout finds them (``Widget.get_content_height``)."""
    return content.get_height(widget.styles, width)  # type: ignore[arg-type]  # as Textual


class Text(LaidOutOnce, Static):
    """A line or block of the card's text."""

    _markup: object = None  # what ``put`` showed last
    _shown: Content | None = None
    _in_pass = False  # in ``render_lines``
    _drawing: list[Strip] | None = None  # the lines of the ``render_lines`` under way

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._kept: dict[object, list[Strip]] = {}  # drawn lines, by what they show

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
            layout = not self._same_height(content)
        shown, self._markup, self._shown = self._shown, key, content
        self._show(shown, content, layout)

    def _show(self, shown: Content | None, content: Content, layout: bool) -> None:
        """Put ``content`` on screen in place of ``shown``."""
        self.update(content, layout=layout)

    def _same_height(self, content: Content) -> bool:
        """``content`` takes as many lines as this widget has now, as laid out: showing it
        needs no layout pass (one of the whole screen)."""
        width = self.content_size.width
        if width <= 0 or self.content is not self._shown or not self.display:
            return False  # not laid out yet, or set by ``update`` since
        return self.lines_for(content, width) == self.content_size.height

    def lines_for(self, content: Content, width: int) -> int:
        """The height this widget takes to show ``content`` ``width`` cells wide."""
        return _height(content, self, width)

    def render_line(self, y: int) -> Strip:
        if self.content is not self._shown or self.text_selection is not None:
            # Set by ``update`` (code, feedback), or selected: Textual's own line cache,
            # which draws such a text once, not at each scroll step.
            return super().render_line(y)
        strips = self._drawing
        if strips is None:
            strips = self._lines()
            if self._in_pass:
                self._drawing = strips
        if y < len(strips):
            return strips[y]
        return Strip.blank(self.size.width, self.visual_style.rich_style)  # as Textual

    def _lines(self) -> list[Strip]:
        """All the lines, as Textual draws them. What was shown a card or two ago (the
        same hint, the same kind of card) comes back from the lines drawn then: drawing
        a text costs ~0.5 ms, even one line."""
        width, height = self.size
        style = self.visual_style
        key = (self._markup, width, height, style, self.app.theme)
        strips = self._kept.get(key)
        if strips is None:
            strips = Visual.to_strips(self, self.visual, width, height, style)
            if len(self._kept) >= KEPT:
                self._kept.clear()
            self._kept[key] = strips
        return strips

    def render_lines(self, crop: Region) -> list[Strip]:
        # The lines are looked up once for all those drawn now, not at each line (the
        # text, size, style and theme they are drawn for).
        self._in_pass, self._drawing = True, None
        try:
            return super().render_lines(crop)
        finally:
            self._in_pass, self._drawing = False, None


class CardHead(Text):
    """The card's kind (muted), a blank line, its front, a choice card's options and,
    once shown, a rule and its back (or the feedback on a pick and the back): one widget
    for all, as every widget on the review screen costs each key a little, and a card
    that shows or hides a widget of its own is laid out again.

    A card with nothing else in it (no code, answer box or ``ChoiceList``: ``fill``)
    takes at least the card's whole height: the next card, or its back, then needs no
    layout pass unless it is taller than the screen has room for.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "card-head--kind",
        "card-head--rule",
        "card-head--choices",
        *CHOICE_CLASSES,
    }
    # The options as a ChoiceList draws them: on $surface, padded a cell each side.
    DEFAULT_CSS = f"""
    CardHead {{
        & > .card-head--kind {{ color: $text-muted; }}
        & > .card-head--rule {{ color: $primary; }}
        & > .card-head--choices {{ background: $surface; }}
        {CHOICE_CSS}
    }}
    """

    kind: str = ""  # markup, as last shown
    front: str = ""
    back: str | None = None
    fill = False
    choices: Choices | None = None  # a choice card's options, drawn under its front
    _head = Content("")  # all above the rule (kind, front, options), as last shown
    _front_part = Content("")  # the kind and front, as last shown
    _rows_width = -1  # the width the options were last wrapped to
    _rows: int | None = None  # the rows a repaint is narrowed to (``refresh``)
    _room_seen = 0  # the card's height for this widget at the last layout pass

    def show(
        self,
        kind: str,
        front: str,
        back: str | None = None,
        fill: bool = False,
        choices: Choices | None = None,
    ) -> None:
        """Show ``kind`` over ``front`` (markup each), ``choices``' options and, under a
        rule, ``back``; ``fill``: nothing else is on the card."""
        self.kind, self.front, self.back, self.choices = kind, front, back, choices
        layout = None
        if fill != self.fill:
            self.fill = fill
            # No blank line under it when nothing follows it. Inline: a class would
            # restyle the widget, ~0.2 ms at each change of kind of card.
            self.styles.margin = (0, 0, 0 if fill else 1, 0)
            layout = True
        self._show_parts(self.content_size.width, layout)

    def redraw_choices(self) -> None:
        """Draw the options again (a move, a pick, the mouse over them)."""
        self._show_parts(self.content_size.width, None)

    def _show_parts(self, width: int, layout: bool | None) -> None:
        kind, front, back, choices = self.kind, self.front, self.back, self.choices

        def make() -> Content:
            # The kind's own colours (NEW, Flagged) over the muted colour, resolved when
            # drawn (the theme may change).
            head = parse(kind).stylize_before(".card-head--kind")
            self._head = self._front_part = Content.assemble(head, "\n\n", parse(front))
            if choices is not None:
                self._rows_width = width
                rows = Content("\n").join(self._option_rows(choices, width))
                self._head = Content.assemble(self._head, "\n\n", rows)
            if back is None:
                # Options end with a blank line, as a ChoiceList's margin did (it shows
                # where a card taller than the screen ends).
                return self._head if choices is None else Content.assemble(self._head, "\n")
            # A blank line, the rule's line (drawn by ``render_line``), a blank line.
            return Content.assemble(self._head, "\n\n\n\n", parse(back))

        options = None if choices is None else (choices.key, width)
        self._put((kind, front, back, self.fill, options), make, layout)

    def _option_rows(self, choices: Choices, width: int) -> list[Content]:
        """The options' rows, a cell of padding each side: as wide as this widget, so
        a highlight is a bar and the Content's own wrapping leaves them as they are."""
        rows = choices.rows(max(1, width - 2), lambda name: f"{_OPTIONS}.{name}" if name else None)
        return [Content.assemble(" ", row, " ").stylize_before(_OPTIONS) for row in rows]

    def _get_style(self, style: VisualStyle | str) -> VisualStyle:
        # The options' styles, named in their rows and resolved when drawn (the theme
        # may change), over the card's: Textual resolves a ".class" span to that class's
        # own rules, which lose an opaque background ($surface, the highlight's).
        if isinstance(style, str) and style.startswith(_OPTIONS):
            return self.get_visual_style(*style[1:].split("."))
        return super()._get_style(style)

    def _show(self, shown: Content | None, content: Content, layout: bool) -> None:
        width = self.content_size.width
        if layout or not self.fill or shown is None or width <= 0:
            super()._show(shown, content, layout)
            return
        # Filling the card, most of its rows are blank before and after: only those
        # either text takes are drawn again (each row costs ~0.1 ms to draw).
        self._rows = max(_height(shown, self, width), _height(content, self, width))
        try:
            super()._show(shown, content, layout)
        finally:
            self._rows = None

    def refresh(
        self, *regions: Region, repaint: bool = True, layout: bool = False, recompose: bool = False
    ) -> Self:
        if self._rows is not None and not (regions or layout or recompose):
            regions = (Region(0, 0, self.size.width, self._rows),)
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    @property
    def rule_line(self) -> int | None:
        """The line of the rule over the back (None: no back shown): under the kind and
        front as wrapped now, and a blank line."""
        if self.back is None:
            return None
        return _height(self._head, self, self.content_size.width) + 1  # cached by Content

    def lines_for(self, content: Content, width: int) -> int:
        lines = super().lines_for(content, width)
        return max(lines, self._room_seen) if self.fill else lines

    def scroll_to_back(self) -> None:
        """The rule over the back at the top of the card, as far as the card scrolls."""
        line, card = self.rule_line, self.parent
        if line is not None and isinstance(card, Widget):
            top = self.virtual_region.y + line
            back = Region(0, top, self.size.width, max(1, self.size.height - line))
            card.scroll_to_region(back, top=True, animate=False)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if self.choices is not None and width != self._rows_width and width > 0:
            # The options wrapped to the width this pass gives (a scrollbar came or
            # went, the terminal was resized, the first card): measured and drawn in
            # this pass, not in one more.
            self._show_parts(width, layout=False)
        height = super().get_content_height(container, viewport, width)
        if not self.fill:
            return height
        self._room_seen = container.height
        return max(height, container.height)

    def render_line(self, y: int) -> Strip:
        if self.back is not None and y == self.rule_line:
            style = self.visual_style.rich_style + self.get_component_rich_style(
                "card-head--rule", partial=True
            )
            return Strip([Segment("─" * self.size.width, style)], self.size.width)
        return super().render_line(y)

    # ----- the options under the mouse ----------------------------------------------

    def _option_row(self, y: int) -> int | None:
        """Row ``y`` of this widget as a row of the options (0: the first option's)."""
        if self.choices is None:
            return None
        return y - _height(self._front_part, self, self.content_size.width) - 1

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if self.choices is not None and self.choices.hover_at(self._option_row(event.y)):
            self.redraw_choices()

    def on_leave(self) -> None:
        if self.choices is not None and self.choices.hover_at(None):
            self.redraw_choices()

    def on_click(self, event: events.Click) -> None:
        choices, row = self.choices, self._option_row(event.y)
        index = None if choices is None or row is None else choices.at(row)
        if choices is not None and index is not None and not choices.locked:
            event.stop()
            choices.highlighted = index
            self.post_message(ChoiceList.Picked(index))


class Card(LaidOutOnce, VerticalScroll):
    """The scrolling card."""


class TitleBar(Widget):
    """Textual's one-line Header (icon, title, clock space) drawn by one widget instead of
    four, on every screen: every widget on the review screen costs each keypress a
    little, and each one a screen's first opening mounts, styles and draws. Same cells
    and colours; a click on the icon opens the command palette, as on the Header."""

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
            # Two rows whatever they show: no layout; the title's row stays as drawn.
            self.refresh(Region(0, 1, self.size.width, 1))

    def row(self, y: int) -> Content:
        """Row ``y``: the title (0), or the progress line (1)."""
        if y == 0:
            return super().render().stylize_before(self.get_visual_style("title-bar--title"))
        room = max(0, self.size.width - 2)
        # As a one-row Static shows a line too long for it: its first wrapped line.
        lines = self.progress.wrap(room) if room else []
        line = (lines[0] if lines else Content("")).truncate(room, pad=True)
        row = Content.assemble(" ", line, " ").truncate(self.size.width)
        return row.stylize_before(self.get_visual_style("title-bar--progress"))

    def render(self) -> Content:
        return Content.assemble(self.row(0), "\n", self.row(1))

    def render_line(self, y: int) -> Strip:
        # Row by row: a new progress line draws its own row only (both rows through
        # ``render`` took ~1.3 ms a rating key).
        if self.text_selection is not None:
            return super().render_line(y)  # Textual draws the selection
        if y > 1:
            return Strip([], 0)  # padded to the bar's width, as any line is
        return Strip(self.row(y).render_segments(self.visual_style))


# The parts only some cards show, in their order in the card (after its front, around
# its back), made when first needed.
PARTS: dict[str, Callable[[], Widget]] = {
    "card-code": lambda: Text(id="card-code"),
    "choices": lambda: ChoiceList(id="choices"),
    "typed": lambda: Input(id="typed", placeholder="Your answer, then Enter"),
    "card-back": lambda: Text(id="card-back"),  # the feedback on an answer, then the back
    "card-proof": lambda: Text(id="card-proof"),
}
