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


def _css_version(screen: object) -> int | None:
    return getattr(getattr(screen, "app", None), "_css_update_count", None)  # Textual's own


class StyledOnce:
    """For a screen: not restyled as a whole when first shown.

    Textual restyles every widget of a screen it shows (``ScreenResume``). A new screen's
    widgets were styled as they were mounted, moments before, with the same CSS: for the
    home and review screens that second pass was ~15 % of the app's start. Later showings
    are restyled as Textual does (a kept screen: see ``KeepsStyles``).
    """

    # Textual calls these besides the screen's own handlers (one per class of the MRO).
    _mounted_for: int | None = None
    _resumed_once = False

    def _on_mount(self, event: events.Mount) -> None:
        self._mounted_for = _css_version(self)

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        if not self._resumed_once:
            self._resumed_once = True
            version = _css_version(self)
            if version is not None and version == self._mounted_for:
                event.refresh_styles = False


class KeepsStyles(StyledOnce):
    """For a kept screen: not restyled when shown again with the app's CSS unchanged.

    Textual restyles every widget of a screen it shows again; for a kept screen
    their styles still hold unless the app's CSS (the theme) changed since it was
    last shown.
    """

    _styled_for: int | None = None  # the app's CSS version when last shown

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        version = _css_version(self)
        if version is not None and version == self._styled_for:
            event.refresh_styles = False
        self._styled_for = version
