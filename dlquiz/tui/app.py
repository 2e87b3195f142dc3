"""The Textual application: screens over one open ``Workspace``.

Nothing here imports torch; the core does the work and this module shows it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from dlquiz import __version__
from dlquiz.history import Record
from dlquiz.session import Session
from dlquiz.workspace import Workspace


def _utcnow() -> datetime:
    return datetime.now(UTC)


class DLQuizApp(App[int]):
    """dlquiz: spaced repetition for deep learning."""

    CSS_PATH = "dlquiz.tcss"
    TITLE = "dlquiz"
    SUB_TITLE = f"v{__version__}"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, workspace: Workspace, clock: Callable[[], datetime] | None = None) -> None:
        super().__init__()
        self.workspace = workspace
        self.clock = clock or _utcnow
        self.session: Session = workspace.session(self.clock())
        self.theme = (
            "textual-light" if workspace.store.settings.theme == "light" else "textual-dark"
        )

    def on_mount(self) -> None:
        from dlquiz.tui.screens.home import HomeScreen

        self.push_screen(HomeScreen())
        for notice in self.workspace.notices:
            self.notify(notice, title="Your data", severity="warning", timeout=20)

    def record(self, record: Record) -> bool:
        """Write a record durably, then apply it. False (and a message) if the disk refused."""
        store = self.workspace.store
        try:
            store.append(record)
        except OSError as exc:
            self.notify(
                f"Could not save to {store.log.path}: {exc.strerror}. Nothing was recorded; "
                "free some space or fix permissions and answer again.",
                title="Not saved",
                severity="error",
                timeout=30,
            )
            return False
        self.session.apply(record)
        store.save_state_async()
        if store.writer_error is not None:
            self.notify(
                f"state.json could not be written ({store.writer_error}); your reviews are safe "
                "in the log and the state will be rebuilt from it.",
                severity="warning",
            )
        return True

    def action_help(self) -> None:
        from dlquiz.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        from dlquiz.tui.screens.review import ReviewScreen

        if isinstance(self.screen, ReviewScreen):
            self.screen.commit_pending()
        self.exit(0)

    def on_unmount(self) -> None:
        # Everything answered is already in the log; this writes the final state
        # and releases the lock.
        self.workspace.close()
