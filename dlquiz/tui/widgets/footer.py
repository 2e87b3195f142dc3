"""Textual's Footer, updated in place, once per burst of changes, never wider than the screen.

The stock Footer removes and mounts all its keys on every bindings change, and
showing a card changes bindings several times in one go (screen, focus, mode). A
remount costs a style pass per key and a layout pass of its own, after the one the
card's new text already needs. This one relabels the keys it has (adding or removing
only the difference), right after the handler that changed the bindings, so the keys
change in the same layout pass as the rest of the screen.

It also lays out every key even when they do not fit: the last ones then run
under the command-palette key docked at the right ("Setting▏^p paletteQ" at 60
columns). This one keeps the keys that fit, in order (the screen's own keys
come first, the app's Help and Quit last), and recomposes when the width changes.
"""

from __future__ import annotations

from itertools import pairwise
from typing import NamedTuple

from rich.cells import cell_len
from textual import events
from textual._context import active_message_pump
from textual.app import App, ComposeResult
from textual.binding import ActiveBinding, Binding
from textual.content import Content
from textual.geometry import Size
from textual.screen import Screen
from textual.style import Style
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


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


class QuietKey(LaidOutOnce, FooterKey):
    """A footer key whose new label does not cost the screen a second layout."""


def _cells(display: str, description: str, palette: bool, compact: bool) -> int:
    label = cell_len(display)
    if description:
        label += cell_len(description) + (1 if compact else 3)
    if palette:
        return label + 1 + (0 if compact else 1)  # the bar before it; its right padding
    return label + (1 if compact else 0)  # margin-right in compact mode


def key_width(key: FooterKey, compact: bool = True) -> int:
    """Cells a key takes in the footer, its margin included (the stock CSS's numbers)."""
    return _cells(key.key_display, key.description, key.has_class("-command-palette"), compact)


def fit_keys(widgets: list[Widget], width: int, compact: bool = True) -> list[Widget]:
    """``widgets`` without the trailing keys that would not fit in ``width`` cells."""
    palette = [w for w in widgets if isinstance(w, FooterKey) and w.has_class("-command-palette")]
    room = width - sum(key_width(p, compact) for p in palette)
    kept: list[Widget] = []
    for widget in widgets:
        if widget in palette:
            continue
        if isinstance(widget, FooterKey):
            room -= key_width(widget, compact)
            if room < 0:
                break
        kept.append(widget)
    return kept + palette


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

    def make(self) -> QuietKey:
        return QuietKey(
            self.key,
            self.key_display,
            self.description,
            self.action,
            disabled=self.disabled,
            tooltip=self.tooltip,
            classes="-command-palette" if self.palette else "",
        )


def fit_specs(specs: list[KeySpec], width: int, compact: bool = True) -> list[KeySpec]:
    """``fit_keys`` for specs: the palette key, and the keys before it that fit."""
    palette = [s for s in specs if s.palette]
    room = width - sum(p.width(compact) for p in palette)
    kept: list[KeySpec] = []
    for spec in specs:
        if spec.palette:
            continue
        room -= spec.width(compact)
        if room < 0:
            break
        kept.append(spec)
    return kept + palette


def key_specs(
    app: App[object], active: dict[str, ActiveBinding], palette: bool = True
) -> list[KeySpec] | None:
    """The keys the stock Footer composes for ``active`` bindings, as specs (the palette
    key last); None where bindings are grouped (a group label, not keys)."""
    firsts: dict[str, tuple[Binding, bool, str]] = {}
    for _, binding, enabled, tooltip in active.values():
        if binding.show:
            firsts.setdefault(binding.action, (binding, enabled, tooltip))
    groups = [binding.group for binding, _, _ in firsts.values()]
    if any(a is not None and a == b for a, b in pairwise(groups)):
        return None
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


def _now(widget: Widget) -> None:
    """Tell the screen of a change now rather than at the widget's next idle: after
    the screen's next layout, that would be a layout pass of its own."""
    widget._check_refresh()


def _plain_key(widget: Widget) -> bool:
    """A key that can take another key's place by relabelling (not grouped, not the palette)."""
    return type(widget) is QuietKey and not widget.has_class("-command-palette")


def relabel(key: FooterKey, like: KeySpec) -> None:
    """Make the mounted ``key`` show and do what ``like`` says."""
    key.key, key.action = like.key, like.action
    if (key.key_display, key.description) != (like.key_display, like.description):
        key.key_display, key.description = like.key_display, like.description
        key.refresh(layout=True)  # its width follows its text
    if key._disabled != like.disabled:
        key._disabled = like.disabled
        key.set_class(like.disabled, "-disabled")
    if key.tooltip != like.tooltip:
        key.tooltip = like.tooltip
    if not key.display:
        key.display = True
        if isinstance(key.parent, Widget):
            _now(key.parent)  # a key shown lays out its footer too
    _now(key)


class KeyFooter(LaidOutOnce, Footer):
    """A Footer that coalesces bursts of bindings changes into one in-place update,
    and shows only the keys that fit.

    Compact, so that every key of a busy screen fits in 80 columns.
    """

    _update_pending = False
    _composed_width = 0
    _composed: tuple[object, ...] | None = None

    def __init__(self, keep_spares: bool = False) -> None:
        """``keep_spares``: keys no longer needed are hidden, not removed, and shown
        again when needed (a removal lays the screen out once more when it completes;
        for a screen whose keys change on every keypress)."""
        super().__init__(compact=True)
        self.keep_spares = keep_spares

    def _width(self) -> int:
        return self.screen.size.width or self.app.size.width

    def _signature(self, active: dict[str, ActiveBinding] | None = None) -> tuple[object, ...]:
        """Everything the keys shown depend on: the screen's bindings and the width."""
        palette = self.app.COMMAND_PALETTE_BINDING
        active = self.screen.active_bindings if active is None else active
        return (
            self._width(),
            *(
                (b.key, b.key_display, b.description, b.action, b.group, enabled, tooltip)
                for (_, b, enabled, tooltip) in active.values()
                if b.show or b.key == palette
            ),
        )

    async def recompose(self) -> None:
        # From one card to the next the keys are often the same: mounting a dozen
        # identical keys again cost a layout and a style pass per card.
        if not self.is_attached:  # its screen is gone (dismissed): nothing to show
            return
        if self._bindings_ready and self._composed == self._signature():
            return
        await super().recompose()

    def _specs(self, active: dict[str, ActiveBinding]) -> list[KeySpec] | None:
        """The keys the stock Footer composes, as specs; None where bindings are grouped
        (then the stock keys are composed, and never relabelled)."""
        specs = key_specs(self.app, active, self.show_command_palette)
        if specs is not None:  # as the stock compose does
            self.styles.grid_size_columns = len([s for s in specs if not s.palette])
        return specs

    def compose(self) -> ComposeResult:
        width = self._width()
        self._composed_width = width
        if not self._bindings_ready:
            self._composed = None
            return
        active = self.screen.active_bindings
        self._composed = self._signature(active)
        specs = self._specs(active)
        if specs is None:
            yield from fit_keys(list(super().compose()), width, self.compact)
            return
        for spec in fit_specs(specs, width, self.compact):
            key = spec.make()
            if not spec.palette:
                key.data_bind(compact=Footer.compact)  # as the stock keys are
            if self.compact:
                # The class the key's ``compact`` watcher would add after mounting: set
                # before mounting, the watcher finds it and skips a style update.
                key.add_class("-compact", update=False)
            yield key

    def _update(self) -> None:
        """Show the keys that apply now: relabel the keys mounted, add or hide (or
        remove) the difference; recompose only when groups or the palette come or go."""
        self._update_pending = False
        with self._context():  # run on another pump: keys bind to this footer's data
            self._update_keys()

    def _update_keys(self) -> None:
        if not self.is_attached or not self._bindings_ready or not self.app.app_focus:
            return
        active = self.screen.active_bindings
        signature = self._signature(active)
        if self._composed == signature:
            return
        specs = self._specs(active)
        have = list(self.children)
        have_keys = [w for w in have if _plain_key(w)]
        have_rest = [w for w in have if not _plain_key(w)]
        want = [] if specs is None else fit_specs(specs, self._width(), self.compact)
        want_keys = [s for s in want if not s.palette]
        want_rest = [s for s in want if s.palette]
        # Only the palette key may sit after the plain keys, and it must stay.
        if (
            specs is None
            or not all(isinstance(w, QuietKey) for w in have_rest)
            or len(have_rest) != len(want_rest)
            or have[: len(have_keys)] != have_keys
        ):
            self._composed = None
            self.call_next(self.recompose)
            return
        self._composed = signature
        for key, like in zip(have_keys, want_keys, strict=False):
            assert isinstance(key, FooterKey)
            relabel(key, like)
        for key, like in zip(have_rest, want_rest, strict=True):
            assert isinstance(key, FooterKey)
            relabel(key, like)
        spares = have_keys[len(want_keys) :]
        if spares and self.keep_spares:
            for key in spares:
                if key.display:
                    key.display = False
                    _now(key)
            _now(self)  # a key hidden lays out its footer too
        elif spares:
            self.remove_children(spares)
        elif len(want_keys) > len(have_keys):
            new = [spec.make() for spec in want_keys[len(have_keys) :]]
            for key in new:
                key.data_bind(compact=Footer.compact)
            if have_rest:
                self.mount_all(new, before=have_rest[0])
            else:
                self.mount_all(new)

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._composed_width and self._bindings_ready:
            self.call_after_refresh(self.recompose)

    def bindings_changed(self, screen: Screen[object]) -> None:
        self._bindings_ready = True  # what the stock handler records first
        if self._update_pending or not (self.is_attached and screen is self.screen):
            return
        self._update_pending = True
        # Right after the handler that changed the bindings (it may change them again),
        # on the pump running it: before the screen lays out what that handler changed.
        try:
            pump = active_message_pump.get()
        except LookupError:
            pump = self
        pump.call_next(self._update)


class LineFooter(Widget, can_focus=False):
    """The compact footer's keys drawn by one widget, cell for cell as ``KeyFooter`` draws
    them with one widget per key (nine on the review screen).

    Every widget on a screen costs each keypress a little, hidden or not (its messages,
    its place in each layout pass): on the review screen, where a key changes the card
    many times a minute, one widget instead of ten takes about 1.5 ms off each rating
    (benchmarks/screens.py, keypress). A key is clicked as a FooterKey is: the key is
    pressed, or the bell rings if it is disabled. Bindings in groups are shown one by one.
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
        specs = key_specs(self.app, screen.active_bindings) or []
        if specs != self._specs:
            self._specs = specs
            self.refresh()  # one line whatever it shows: no layout

    def on_resize(self) -> None:
        self.refresh()

    def _fitted(self) -> list[KeySpec]:
        return fit_specs(self._specs, self.size.width, compact=True)

    def render(self) -> Content:
        width = self.size.width
        parts: list[Content] = []
        spans: list[tuple[int, int, KeySpec]] = []
        x = 0
        fitted = self._fitted()
        keys = [spec for spec in fitted if not spec.palette]
        palette = [spec for spec in fitted if spec.palette]
        gap = Content(" ")  # the compact keys' right margin: the footer's background
        for spec in keys:
            label = self._key(spec)
            spans.append((x, x + label.cell_length, spec))
            parts += [label, gap]
            x += label.cell_length + 1
        # Docked right, the palette key keeps the compact keys' right margin too.
        right = [self._key(spec, border=True) for spec in palette]
        x_right = width - sum(c.cell_length + 1 for c in right)
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
