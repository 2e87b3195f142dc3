"""The footer: the screen's keys in one line, drawn by one widget, never wider than the screen.

Textual's Footer is a widget per key (ten on a busy screen), removed and mounted again
at every change of bindings, and it lays out every key even when they do not fit (the
last ones then run under the command-palette key: "Setting▏^p paletteQ" at 60
columns). Every widget on a screen costs each keypress a little, and composing ten
costs each screen's opening more: ``LineFooter`` draws the same cells (the stock
compact footer's styles) from one widget, keeps only the keys that fit, in order (the
screen's own keys first, the app's Help and Quit last; Help stays when the screen's keys
are cut short), and presses a key on a click.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.cells import cell_len
from textual import events
from textual.app import App
from textual.binding import ActiveBinding, Binding
from textual.content import Content
from textual.geometry import Size
from textual.screen import Screen
from textual.style import Style
from textual.widget import Widget


class LaidOutOnce:
    """Mixin for a widget: a new size from a layout pass does not ask for another pass.

    Textual stores the size a layout pass gives a widget in ``virtual_size``, a reactive
    that asks for a layout when it changes: every widget whose size changed (a card's
    text one line longer, a key relabelled) costs one more layout and render of the whole
    screen, which finds the same sizes. For text and plain containers, whose content
    follows from the size that pass gave them, that second pass changes nothing. A
    scrollbar that comes or goes still asks for one (``show_vertical_scrollbar`` is a
    layout reactive of its own).
    """

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        return super()._size_updated(  # type: ignore[misc,no-any-return]
            size, virtual_size, container_size, layout=False
        )


def _cells(display: str, description: str, palette: bool, compact: bool) -> int:
    label = cell_len(display)
    if description:
        label += cell_len(description) + (1 if compact else 3)
    if palette:
        return label + 1 + (0 if compact else 1)  # the bar before it; its right padding
    return label + (1 if compact else 0)  # margin-right in compact mode


class KeySpec(NamedTuple):
    """What one footer key shows and does (a key to relabel, or to make)."""

    key: str
    key_display: str
    description: str
    action: str
    disabled: bool
    tooltip: str
    palette: bool = False

    def width(self, compact: bool) -> int:
        return _cells(self.key_display, self.description, self.palette, compact)


# Kept when the screen's keys run out of room: the key that lists all the others.
KEPT_ACTIONS = frozenset({"help"})


def fit_specs(specs: list[KeySpec], width: int, compact: bool = True) -> list[KeySpec]:
    """``fit_keys`` for specs: the palette key, Help, and the keys before them that fit
    (in their order)."""
    kept_anyway = [s for s in specs if s.palette or s.action in KEPT_ACTIONS]
    room = width - sum(s.width(compact) for s in kept_anyway)
    if room < 0:  # too narrow even for those: the palette key alone, as before
        kept_anyway = [s for s in kept_anyway if s.palette]
        room = width - sum(s.width(compact) for s in kept_anyway)
    kept: list[KeySpec] = []
    for spec in specs:
        if spec in kept_anyway:
            kept.append(spec)
            continue
        if spec.palette or spec.action in KEPT_ACTIONS:
            continue
        if room - spec.width(compact) < 0:
            room = -1  # the keys after one that did not fit are dropped too, in order
            continue
        room -= spec.width(compact)
        kept.append(spec)
    return [s for s in kept if not s.palette] + [s for s in kept if s.palette]


def key_specs(
    app: App[object], active: dict[str, ActiveBinding], palette: bool = True
) -> list[KeySpec]:
    """The keys the stock Footer shows for ``active`` bindings, as specs (the palette key
    last). Bindings in a group are shown one by one (the stock Footer gives a group one
    label; no screen of ours groups keys)."""
    firsts: dict[str, tuple[Binding, bool, str]] = {}
    for _, binding, enabled, tooltip in active.values():
        if binding.show:
            firsts.setdefault(binding.action, (binding, enabled, tooltip))
    display = app.get_key_display
    specs = [
        KeySpec(b.key, display(b), b.description, b.action, not enabled, tooltip)
        for b, enabled, tooltip in firsts.values()
    ]
    if palette and app.ENABLE_COMMAND_PALETTE:
        found = active.get(app.COMMAND_PALETTE_BINDING)
        if found is not None:
            _, b, enabled, _tooltip = found
            tip = b.tooltip or b.description
            key = KeySpec(b.key, display(b), b.description, b.action, not enabled, tip, True)
            specs.append(key)
    return specs


class LineFooter(Widget, can_focus=False):
    """The compact footer's keys, drawn by one widget as Textual's Footer draws them with
    one widget per key.

    On the review screen, where a key changes the card many times a minute, one widget
    instead of ten took about 1.2 ms off each rating (benchmarks/screens.py, keypress);
    every screen composes nine widgets fewer when it opens. A key is clicked as a
    FooterKey is: the key is pressed, or the bell rings if it is disabled.
    """

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {  # noqa: RUF012  # Textual's own declaration style
        "footer-key--key",
        "footer-key--description",
        "line-footer--key",
        "line-footer--hover",
        "line-footer--disabled",
        "line-footer--border",
    }
    # The stock Footer's and FooterKey's rules (compact), as component styles.
    DEFAULT_CSS = """
    LineFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        & > .line-footer--key { background: $footer-item-background; }
        & > .line-footer--hover {
            color: $footer-key-foreground;
            background: $block-hover-background;
        }
        & > .line-footer--disabled { text-style: dim; }
        & > .line-footer--border { color: $foreground 20%; }
        & > .footer-key--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .footer-key--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self._specs: list[KeySpec] = []
        self._spans: list[tuple[int, int, KeySpec]] = []  # x from, x to, key
        self._hover: KeySpec | None = None

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._bindings_changed(self.screen)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if not self.is_attached or screen is not self.screen or not self.app.app_focus:
            return
        specs = key_specs(self.app, screen.active_bindings)
        if specs != self._specs:
            self._specs = specs
            self.refresh()  # one line whatever it shows: no layout

    def on_resize(self) -> None:
        self.refresh()

    def shown(self) -> list[KeySpec]:
        """The keys on the line now: those that fit, and the palette key."""
        return fit_specs(self._specs, self.size.width, compact=True)

    def render(self) -> Content:
        width = self.size.width
        parts: list[Content] = []
        spans: list[tuple[int, int, KeySpec]] = []
        x = 0
        fitted = self.shown()
        keys = [spec for spec in fitted if not spec.palette]
        palette = [spec for spec in fitted if spec.palette]
        gap = Content(" ")  # the compact keys' right margin: the footer's background
        for spec in keys:
            label = self._key(spec)
            spans.append((x, x + label.cell_length, spec))
            parts += [label, gap]
            x += label.cell_length + 1
        # Docked right, the palette key keeps the compact keys' right margin too; it
        # covers the last key's margin when the keys fill the line (as the stock one does).
        right = [self._key(spec, border=True) for spec in palette]
        x_right = width - sum(c.cell_length + 1 for c in right)
        if keys and x == x_right + 1:
            parts.pop()
            x -= 1
        parts.append(Content(" " * max(0, x_right - x)))
        x = x_right
        for spec, label in zip(palette, right, strict=True):
            spans.append((x, x + label.cell_length, spec))
            parts += [label, gap]
            x += label.cell_length + 1
        self._spans = spans
        return Content.assemble(*parts)

    def _key(self, spec: KeySpec, border: bool = False) -> Content:
        """One key as FooterKey draws it (compact): its key, a space, its description."""
        base = ["line-footer--key"]
        if spec == self._hover:
            base.append("line-footer--hover")
        if spec.disabled:
            base.append("line-footer--disabled")
        parts: list[tuple[str, Style]] = []
        if border:  # the palette key's vkey border on its left
            parts.append(("▏", self.get_visual_style(*base, "line-footer--border")))
        parts.append((spec.key_display, self.get_visual_style(*base, "footer-key--key")))
        if spec.description:
            desc = " " + spec.description
            parts.append((desc, self.get_visual_style(*base, "footer-key--description")))
        return Content.assemble(*parts)

    def _at(self, x: int) -> KeySpec | None:
        return next((spec for x0, x1, spec in self._spans if x0 <= x < x1), None)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._hovered(self._at(event.x))

    def on_leave(self) -> None:
        self._hovered(None)

    def _hovered(self, spec: KeySpec | None) -> None:
        if spec != self._hover:
            self._hover = spec
            self.tooltip = spec.tooltip if spec is not None and spec.tooltip else None
            self.refresh()

    def on_mouse_down(self, event: events.MouseDown) -> None:
        spec = self._at(event.x)
        if spec is None:
            return
        if spec.disabled:
            self.app.bell()
        else:
            self.app.simulate_key(spec.key)
