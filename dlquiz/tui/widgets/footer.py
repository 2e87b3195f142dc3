"""Textual's Footer, recomposed at most once per refresh, and never wider than the screen.

The stock Footer rebuilds all its keys on every bindings change, and showing a
card changes bindings several times in one go (screen, focus, mode): ten
rebuilds per card here, about half of the time to the first card on screen.

It also lays out every key even when they do not fit: the last ones then run
under the command-palette key docked at the right ("Setting▏^p paletteQ" at 60
columns). This one keeps the keys that fit, in order (the screen's own keys
come first, the app's Help and Quit last), and recomposes when the width changes.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


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


class KeyFooter(Footer):
    """A Footer that coalesces bursts of bindings changes into one recompose,
    and shows only the keys that fit.

    Compact, so that every key of a busy screen fits in 80 columns.
    """

    _recompose_pending = False
    _composed_width = 0
    _composed: tuple[object, ...] | None = None

    def __init__(self) -> None:
        super().__init__(compact=True)

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

    def compose(self) -> ComposeResult:
        width = self.screen.size.width or self.app.size.width
        self._composed_width = width
        self._composed = self._signature() if self._bindings_ready else None
        keys = fit_keys(list(super().compose()), width, self.compact)
        if self.compact:
            # The class each key's ``compact`` watcher would add after mounting: set here,
            # before mounting, the watcher finds it and skips a style update per key.
            for key in keys:
                if isinstance(key, FooterKey):
                    key.add_class("-compact", update=False)
        yield from keys

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._composed_width and self._bindings_ready:
            self.call_after_refresh(self.recompose)

    def bindings_changed(self, screen: Screen[object]) -> None:
        if self._recompose_pending:
            self._bindings_ready = True  # what the stock handler records first
            return
        self._recompose_pending = True
        self.call_after_refresh(self._settle)
        super().bindings_changed(screen)

    def _settle(self) -> None:
        self._recompose_pending = False
