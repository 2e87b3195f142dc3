"""Screens kept between openings: built once per app, shown again instead of rebuilt.

Textual removes a popped screen with all its widgets unless the screen is
installed in the app. A screen that costs much to build (a form of ~120 widgets,
the statistics' charts and tables) is installed under a name and pushed again
the next time; ``fits`` says whether the kept one can still be used (e.g. the
choices it offers are the current ones), else a new one replaces it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from textual import events
from textual.app import App
from textual.screen import Screen

S = TypeVar("S", bound=Screen[Any])


def kept_screen(
    app: App[Any], name: str, kind: type[S], make: Callable[[], S], fits: Callable[[S], bool]
) -> S:
    """The screen installed as ``name`` if it is a ``kind`` that ``fits``, else ``make()``,
    installed for next time. ``reopened()`` is called on a kept screen before it is shown."""
    if app.is_screen_installed(name):
        old = app.get_screen(name)
        if old in app.screen_stack:  # shown already (not via the app's keys): a new one
            return make()
        if isinstance(old, kind) and fits(old):
            reopened = getattr(old, "reopened", None)
            if callable(reopened):
                reopened()
            return old
        app.uninstall_screen(name)
        if old.is_attached:
            app.call_later(old.remove)  # its widgets go with it
    screen = make()
    app.install_screen(screen, name)
    return screen


class KeepsStyles:
    """For a kept screen: not restyled when shown again with the app's CSS unchanged.

    Textual restyles every widget of a screen it shows again; for a kept screen
    their styles still hold unless the app's CSS (the theme) changed since it was
    last shown. Call ``keep_styles`` first thing in ``on_screen_resume``.
    """

    _styled_for: int | None = None  # the app's CSS version when last shown

    def keep_styles(self, event: events.ScreenResume) -> None:
        app = getattr(self, "app", None)
        version = getattr(app, "_css_update_count", None)  # Textual's own counter
        if version is not None and version == self._styled_for:
            event.refresh_styles = False
        self._styled_for = version
