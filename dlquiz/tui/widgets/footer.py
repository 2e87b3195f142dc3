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

from rich.cells import cell_len
from textual import events
from textual._context import active_message_pump
from textual.app import ComposeResult
from textual.binding import Binding
from textual.geometry import Size
from textual.screen import Screen
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


def key_width(key: FooterKey, compact: bool = True) -> int:
    """Cells a key takes in the footer, its margin included (the stock CSS's numbers)."""
    label = cell_len(key.key_display)
    if key.description:
        label += cell_len(key.description) + (1 if compact else 3)
    if key.has_class("-command-palette"):
        return label + 1 + (0 if compact else 1)  # the bar before it; its right padding
    return label + (1 if compact else 0)  # margin-right in compact mode


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


def _now(widget: Widget) -> None:
    """Tell the screen of a change now rather than at the widget's next idle: after
    the screen's next layout, that would be a layout pass of its own."""
    widget._check_refresh()


def _plain_key(widget: Widget) -> bool:
    """A key that can take another key's place by relabelling (not grouped, not the palette)."""
    return (
        type(widget) is QuietKey
        and not widget.has_class("-grouped")
        and not widget.has_class("-command-palette")
    )


def relabel(key: FooterKey, like: FooterKey) -> None:
    """Make the mounted ``key`` show and do what ``like`` (unmounted) would."""
    key.key, key.action = like.key, like.action
    if (key.key_display, key.description) != (like.key_display, like.description):
        key.key_display, key.description = like.key_display, like.description
        key.refresh(layout=True)  # its width follows its text
    if key._disabled != like._disabled:
        key._disabled = like._disabled
        key.set_class(like._disabled, "-disabled")
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

    def _signature(self) -> tuple[object, ...]:
        """Everything the keys shown depend on: the screen's bindings and the width."""
        palette = self.app.COMMAND_PALETTE_BINDING
        return (
            self.screen.size.width or self.app.size.width,
            *(
                (b.key, b.key_display, b.description, b.action, b.group, enabled, tooltip)
                for (_, b, enabled, tooltip) in self.screen.active_bindings.values()
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

    def _keys(self) -> list[Widget]:
        """What the stock Footer composes, as ``QuietKey`` widgets (the stock widgets
        where bindings are grouped: then keys are not relabelled but recomposed)."""
        if not self._bindings_ready:
            return []
        firsts: dict[str, tuple[Binding, bool, str]] = {}
        for _, binding, enabled, tooltip in self.screen.active_bindings.values():
            if binding.show:
                firsts.setdefault(binding.action, (binding, enabled, tooltip))
        groups = [binding.group for binding, _, _ in firsts.values()]
        if any(a is not None and a == b for a, b in pairwise(groups)):
            return list(super().compose())
        self.styles.grid_size_columns = len(firsts)  # as the stock compose does
        keys: list[Widget] = [
            QuietKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                disabled=not enabled,
                tooltip=tooltip,
            ).data_bind(compact=Footer.compact)
            for binding, enabled, tooltip in firsts.values()
        ]
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            found = self.screen.active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
            if found is not None:
                _, binding, enabled, _tooltip = found
                keys.append(
                    QuietKey(
                        binding.key,
                        self.app.get_key_display(binding),
                        binding.description,
                        binding.action,
                        classes="-command-palette",
                        disabled=not enabled,
                        tooltip=binding.tooltip or binding.description,
                    )
                )
        return keys

    def _wanted(self) -> list[Widget]:
        """The keys to show now (new, unmounted widgets), those that fit the width."""
        width = self.screen.size.width or self.app.size.width
        self._composed_width = width
        self._composed = self._signature() if self._bindings_ready else None
        keys = fit_keys(self._keys(), width, self.compact)
        if self.compact:
            # The class each key's ``compact`` watcher would add after mounting: set here,
            # before mounting, the watcher finds it and skips a style update per key.
            for key in keys:
                if isinstance(key, FooterKey):
                    key.add_class("-compact", update=False)
        return keys

    def compose(self) -> ComposeResult:
        yield from self._wanted()

    def _update(self) -> None:
        """Show the keys that apply now: relabel the keys mounted, add or remove the
        difference; recompose only when groups or the palette key come or go."""
        self._update_pending = False
        with self._context():  # run on another pump: keys bind to this footer's data
            self._update_keys()

    def _update_keys(self) -> None:
        if not self.is_attached or not self._bindings_ready or not self.app.app_focus:
            return
        if self._composed == self._signature():
            return
        have = list(self.children)
        want = self._wanted()
        have_keys = [w for w in have if _plain_key(w)]
        want_keys = [w for w in want if _plain_key(w)]
        have_rest = [w for w in have if not _plain_key(w)]
        want_rest = [w for w in want if not _plain_key(w)]
        # Only the palette key may sit after the plain keys, and it must stay.
        palette_only = all(
            isinstance(w, FooterKey) and w.has_class("-command-palette")
            for w in (*have_rest, *want_rest)
        )
        if (
            not palette_only
            or len(have_rest) != len(want_rest)
            or have[: len(have_keys)] != (have_keys)
        ):
            self._composed = None
            self.call_next(self.recompose)
            return
        for key, like in zip(have_keys, want_keys, strict=False):
            assert isinstance(key, FooterKey) and isinstance(like, FooterKey)
            relabel(key, like)
        for key, like in zip(have_rest, want_rest, strict=True):
            assert isinstance(key, FooterKey) and isinstance(like, FooterKey)
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
            before = have_rest[0] if have_rest else None
            if before is None:
                self.mount_all(want_keys[len(have_keys) :])
            else:
                self.mount_all(want_keys[len(have_keys) :], before=before)

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
