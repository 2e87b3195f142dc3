"""Every key, on one screen (written in help.md beside this module).

Textual's Markdown widget builds a widget per block and took ~0.7 s to open
this page; help.md uses only headings, paragraphs, two-column tables and a
list, so it is turned into Rich renderables once per theme, laid out once per
width, and shown as styled lines by one widget.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

from rich.console import Console, Group, RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.color import Color, ColorParseError
from textual.containers import VerticalScroll
from textual.geometry import Size
from textual.screen import ModalScreen
from textual.strip import Strip
from textual.widget import Widget

from dlquiz.tui.reuse import KeepsStyles, kept_screen

HELP_FILE = Path(__file__).with_name("help.md")
SCREEN_NAME = "help"  # the name the kept screen is installed under

# Inline markdown used in help.md: `code`, **bold**, *italic*.
_INLINE = re.compile(r"`([^`]+)`|\*\*([^*]+)\*\*|\*([^*]+)\*")


def inline(text: str, key_style: str) -> Text:
    """One line or cell of help.md as styled text, built directly: through Rich markup
    it also looked for emoji codes, and loaded Rich's emoji table (~5 ms) to do so."""
    out = Text()
    last = 0
    for match in _INLINE.finditer(text):
        out.append(text[last : match.start()])
        code, bold, italic = match.groups()
        if code is not None:
            out.append(code, key_style)
        elif bold is not None:
            out.append(bold, "bold")
        else:
            out.append(italic, "italic")
        last = match.end()
    out.append(text[last:])
    return out


def _cells(row: str) -> list[str]:
    return [cell.strip() for cell in row.strip().strip("|").split("|")]


def render_help(source: str, accent: str) -> list[RenderableType]:
    """help.md as renderables: headings, paragraphs, tables, bullet lists."""
    key_style = f"bold {accent}"
    out: list[RenderableType] = []
    paragraph: list[str] = []
    table: Table | None = None
    key_words: list[str] = []  # of the table's first column: never folded mid-word

    def flush() -> None:
        nonlocal table
        if paragraph:
            out.append(inline(" ".join(paragraph), key_style))
            out.append(Text())
            paragraph.clear()
        if table is not None:
            table.columns[0].min_width = max(map(len, key_words), default=1)
            key_words.clear()
            out.append(table)
            out.append(Text())
            table = None

    for raw in source.splitlines():
        line = raw.strip()
        if line.startswith("#"):
            flush()
            level = len(line) - len(line.lstrip("#"))
            title = line.lstrip("#").strip()
            style = f"bold {accent}" if level == 1 else "bold underline"
            out.append(Text(title, style=style))
            out.append(Text())
        elif line.startswith("|"):
            cells = _cells(line)
            if all(set(cell) <= set("-:") for cell in cells):
                continue  # the line under a table's header
            if table is None:
                flush()
                table = Table(box=None, padding=(0, 2, 0, 0), show_edge=False)
                for i, cell in enumerate(cells):
                    # Keys narrow enough to leave the descriptions most of the width.
                    table.add_column(
                        Text(cell), header_style="bold dim", max_width=None if i else 20
                    )
            else:
                row = [inline(cell, key_style) for cell in cells]
                key_words.extend(row[0].plain.split())
                table.add_row(*row)
        elif line.startswith("- "):
            flush()
            bullet = Text("• ")
            bullet.append_text(inline(line[2:], key_style))
            out.append(bullet)
        elif not line:
            if out and isinstance(out[-1], Text) and str(out[-1]).startswith("• "):
                out.append(Text())
            flush()
        else:
            paragraph.append(line)
    flush()
    while out and isinstance(out[-1], Text) and not str(out[-1]):
        out.pop()
    return out


@cache
def _help_source() -> str:
    return HELP_FILE.read_text(encoding="utf-8")


@cache
def help_renderable(accent: str) -> Group:
    """Built once per accent colour (the theme's)."""
    return Group(*render_help(_help_source(), accent))


@cache
def help_lines(accent: str, width: int) -> tuple[Strip, ...]:
    """The page laid out at ``width`` columns, a strip per line.

    Laying out Rich tables is the slow part (~30 ms a pass, and Textual asks for
    the height and the lines separately, at every resize): done once per width.
    """
    console = Console(width=width, color_system="truecolor", force_terminal=True)
    lines = console.render_lines(help_renderable(accent), console.options, pad=False)
    return tuple(Strip([segment for segment in line if not segment.control]) for line in lines)


class HelpText(Widget):
    """help.md at the width it is given, from ``help_lines``'s cache: only the lines on
    screen are drawn (as text of the whole page, all ~180 lines were, ~30 ms)."""

    DEFAULT_CSS = "HelpText { height: auto; }"

    def __init__(self, accent: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.accent = accent

    def _lines(self, width: int) -> tuple[Strip, ...]:
        return help_lines(self.accent, max(20, width))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines(width))

    def render(self) -> Text:
        """The whole page as text: what a selection is drawn and copied from."""
        text = Text(no_wrap=True, end="")
        for number, line in enumerate(self._lines(self.content_region.width or self.size.width)):
            if number:
                text.append("\n")
            for segment in line:
                text.append(segment.text, segment.style)
        return text

    def render_line(self, y: int) -> Strip:
        if self.text_selection is not None:
            return super().render_line(y)  # drawn from ``render``, the selection shown
        width = self.content_region.width or self.size.width
        lines = self._lines(width)
        style = self.visual_style.rich_style
        background = Style(bgcolor=style.bgcolor)  # of the blank cells, as Textual pads
        if not 0 <= y < len(lines):
            return Strip.blank(width, background)
        # The page's own styles over the widget's colours, padded to the full width.
        return lines[y].apply_style(style).extend_cell_length(width, background)


def theme_accent(app: App[object]) -> str:
    """The current theme's accent colour, which the keys are shown in."""
    try:
        return Color.parse(app.theme_variables.get("accent", "")).hex
    except ColorParseError:  # a theme without an accent colour
        return "cyan"


def help_screen(app: App[Any]) -> HelpScreen:
    """The help screen to push: the one shown before while the theme's accent is the
    same (kept, back at the top), else a new one."""
    accent = theme_accent(app)
    return kept_screen(app, SCREEN_NAME, HelpScreen, HelpScreen, lambda old: old.accent == accent)


class HelpScreen(KeepsStyles, ModalScreen[None]):
    # The page is taller than the screen but at very large sizes: room for the scrollbar
    # from the first layout pass, else the page was laid out at two widths (~30 ms each).
    DEFAULT_CSS = "HelpScreen #help { scrollbar-gutter: stable; }"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "close", "Close", key_display="esc"),
    ]

    accent = ""  # set as composed

    def compose(self) -> ComposeResult:
        self.accent = theme_accent(self.app)
        with VerticalScroll(id="help"):
            yield HelpText(self.accent, id="help-text")

    def reopened(self) -> None:
        self.query_one("#help", VerticalScroll).scroll_home(animate=False)

    def action_close(self) -> None:
        self.dismiss()
