"""Textual's Footer, recomposed at most once per refresh.

The stock Footer rebuilds all its keys on every bindings change, and showing a
card changes bindings several times in one go (screen, focus, mode): ten
rebuilds per card here, about half of the time to the first card on screen.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class KeyFooter(Footer):
    """A Footer that coalesces bursts of bindings changes into one recompose.

    Compact, so that every key of a busy screen fits in 80 columns.
    """

    _recompose_pending = False

    def __init__(self) -> None:
        super().__init__(compact=True)

    def bindings_changed(self, screen: Screen[object]) -> None:
        if self._recompose_pending:
            self._bindings_ready = True  # what the stock handler records first
            return
        self._recompose_pending = True
        self.call_after_refresh(self._settle)
        super().bindings_changed(screen)

    def _settle(self) -> None:
        self._recompose_pending = False
