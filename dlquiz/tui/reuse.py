"""Screens kept between openings: built once per app, shown again instead of rebuilt.

Textual removes a popped screen with all its widgets unless the screen is
installed in the app. A screen that costs much to build (a form of ~120 widgets,
the statistics' charts and tables) is installed under a name and pushed again
the next time; ``fits`` says whether the kept one can still be used (e.g. the
choices it offers are the current ones), else a new one replaces it.

``Preparer`` builds kept screens before they are first asked for, in the app's idle
time: composed, mounted, laid out and rendered unseen, so that a first opening costs
what a reopening does.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from textual import events
from textual.app import App
from textual.geometry import Size
from textual.screen import Screen

S = TypeVar("S", bound=Screen[Any])

# Ticks a prepared screen may take to be mounted, laid out (three passes settle each
# screen here) and rendered; it is shown as it is after that.
LAYOUT_TICKS = 10


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
        # A field focused while the screen was hidden (kept, or prepared unseen) kept
        # blinking: shown, its cursor could be off for half a second. Shown at once, as
        # on a new screen (Input's own restart, as when it takes the focus).
        restart = getattr(getattr(self, "focused", None), "_restart_blink", None)
        if callable(restart):
            restart()


# ----- screens prepared ahead ---------------------------------------------------------


def mount_hidden(app: App[Any], screen: Screen[Any]) -> None:
    """Compose and mount ``screen`` without showing it (it stays off every screen stack).

    Textual has no public call for this: ``App.push_screen`` mounts a screen it is given
    this way (``App._get_screen``: registered in the app, its widgets composed and
    mounted by their own message pumps) before it puts it on the stack. A screen pushed
    later is found running and only shown. tests/test_prewarm.py fails if this changes.
    """
    app._get_screen(screen)


def lay_out_hidden(screen: Screen[Any], size: Size) -> None:
    """One layout pass of a mounted screen that is not shown.

    Textual lays a screen out only while it is on top (``Screen._on_timer_update``), so
    a prepared screen would get its first layout passes when first shown: three passes
    of a 120-widget form (new widgets, then their new sizes) were most of opening
    Settings. ``Screen._refresh_layout`` is what that timer calls; it draws nothing for
    a screen that is not current. Sizes that change in a pass ask for another
    (``_layout_required``, set by the Layout messages handled meanwhile).
    tests/test_prewarm.py fails if these private names change.
    """
    screen._layout_required = False
    screen._refresh_layout(size)


def render_hidden(screen: Screen[Any]) -> None:
    """Render a laid-out screen that is not shown, and drop the result.

    What it keeps is every widget's rendered lines (Textual caches them until the widget
    changes): its first showing then only puts cached lines together, as a reopening does
    (Settings: 25 ms instead of 45). ``Screen._compositor`` is Textual's private compositor;
    ``render_update`` is what it calls to paint the screen on top. Nothing reaches the
    terminal: the update is not given to the driver. tests/test_prewarm.py fails if this
    no longer spares the first showing its renders.
    """
    screen._compositor.render_update(full=True)


def _filling(screen: Screen[Any]) -> bool:
    """Whether a screen is still filling itself in (the statistics' thread, the settings
    form's later sections): its ``computing`` flag, where it has one."""
    return bool(getattr(screen, "computing", False))


@dataclass
class _Pending:
    """The screen being laid out and rendered, and how far it has got."""

    screen: Screen[Any]
    deadline: float  # after this, its own work is not waited for
    ticks_left: int = LAYOUT_TICKS
    rendered: bool = False  # since its last layout pass


class Preparer:
    """Builds kept screens ahead, in the app's idle time: one step per tick.

    A step is one callback on the UI thread (make and mount one screen, or lay it out
    once, or render it), so a key pressed meanwhile waits at most one step. ``idle()``
    says when a step may run; each entry of ``makers`` is the name the screen is kept
    under and a function returning the screen to keep, installed under that name. A
    screen that fills itself in (``computing``) is laid out and rendered again once it
    has, for up to ``WAIT_S``.
    """

    WAIT_S = 20.0

    def __init__(
        self,
        app: App[Any],
        makers: Sequence[tuple[str, Callable[[], Screen[Any]]]],
        idle: Callable[[], bool],
    ) -> None:
        self.app = app
        self.makers = list(makers)
        self.idle = idle
        self.prepared: list[Screen[Any]] = []
        self._pending: _Pending | None = None
        self.step_ms: list[float] = []  # what each step took (for the tests and benchmarks)
        self.done = False  # every screen prepared (or found built)

    def tick(self) -> bool:
        """Run the next step if the app is idle; True if one ran."""
        if self.done or not self.idle():
            return False
        start = time.perf_counter()
        self._step()
        self.step_ms.append((time.perf_counter() - start) * 1000)
        return True

    def _step(self) -> None:
        app = self.app
        pending = self._pending
        if pending is not None:
            screen = pending.screen
            pending.ticks_left -= 1
            if screen in app.screen_stack or pending.ticks_left < 0:
                self._pending = None  # shown meanwhile (Textual does the rest), or given up
            elif not screen.is_mounted:  # still being composed and mounted: next tick
                pending.rendered = False
            elif screen._layout_required or screen.size != app.size:
                lay_out_hidden(screen, app.size)
                pending.rendered = False
            elif not pending.rendered:  # laid out: nothing changed size in the last pass
                render_hidden(screen)
                pending.rendered = True
            elif _filling(screen) and time.monotonic() < pending.deadline:
                pending.ticks_left += 1  # its own work goes on: what it adds is laid out then
            else:  # and rendering it asked for no new layout: ready
                self._pending = None
            return
        while self.makers:
            name, make = self.makers.pop(0)
            if app.is_screen_installed(name):
                continue  # built already (shown, or kept from before)
            screen = make()
            if not screen.is_running:
                mount_hidden(app, screen)
            self.prepared.append(screen)
            self._pending = _Pending(screen, time.monotonic() + self.WAIT_S)
            return
        # The kept screens live as long as the app: frozen, as what was made before the
        # first frame was (DLQuizApp.run), full collections do not scan them again.
        gc.freeze()
        self.done = True
