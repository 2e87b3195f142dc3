"""The Textual application: screens over one open ``Workspace``.

Nothing here imports torch; the core does the work and this module shows it.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from dlquiz import __version__
from dlquiz.cards import Kind
from dlquiz.history import Record
from dlquiz.questions.base import Question
from dlquiz.session import Session
from dlquiz.settings import Settings
from dlquiz.tui.commands import DLQuizCommands
from dlquiz.workspace import Workspace

if TYPE_CHECKING:
    from dlquiz.questions.worker import QuestionWorker


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _textual_theme(settings: Settings) -> str:
    return "textual-light" if settings.theme == "light" else "textual-dark"


class DLQuizApp(App[int]):
    """dlquiz: spaced repetition for deep learning."""

    CSS_PATH = "dlquiz.tcss"
    TITLE = "dlquiz"
    SUB_TITLE = f"v{__version__}"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
    ]
    COMMAND_PALETTE_BINDING = "ctrl+p"
    COMMANDS = App.COMMANDS | {DLQuizCommands}

    def __init__(
        self,
        workspace: Workspace,
        clock: Callable[[], datetime] | None = None,
        rng: random.Random | None = None,
        generator: Callable[[str, int, int], Question] | None = None,
    ) -> None:
        """``clock``, ``rng`` and ``generator`` are injectable for tests.

        By default questions are generated in a torch worker process, started
        once the first frame is up, so torch never delays or freezes the UI.
        """
        super().__init__()
        self.workspace = workspace
        self.clock = clock or _utcnow
        self.rng = rng or random.Random()
        self.session: Session = workspace.session(self.clock())
        self._generator = generator
        self._worker: QuestionWorker | None = None
        self._worker_ready = threading.Event()
        self._worker_lock = threading.Lock()
        self._last_writer_error: str | None = None
        self.theme = _textual_theme(workspace.store.settings)

    def on_mount(self) -> None:
        from dlquiz.tui.screens.home import HomeScreen

        self.push_screen(HomeScreen())
        for notice in self.workspace.notices:
            self.notify(notice, title="Your data", severity="warning", timeout=20)
        if self._generator is None and any(
            s.kind is Kind.SKILL for s in self.workspace.deck.values()
        ):
            self.call_after_refresh(self._warm_worker)

    # ----- questions ----------------------------------------------------------------

    def _ensure_worker(self) -> QuestionWorker:
        """The torch worker process, started (again, if it died) on demand."""
        from dlquiz.questions.worker import QuestionWorker

        with self._worker_lock:
            if self._worker is None or not self._worker.alive:
                self._worker = QuestionWorker()
            return self._worker

    @work(thread=True, exit_on_error=False, group="torch")
    def _warm_worker(self) -> None:
        """Start the torch process and wait, off the UI thread, until it is ready."""
        try:
            self._ensure_worker().wait_ready()
        finally:
            self._worker_ready.set()

    @property
    def questions_ready(self) -> bool:
        return self._generator is not None or self._worker_ready.is_set()

    def generate_question(self, family: str, level: int, seed: int) -> Question:
        """Generate a question; blocks, so call it from a thread worker."""
        if self._generator is not None:
            return self._generator(family, level, seed)
        return self._ensure_worker().generate(family, level, seed)

    def record(self, record: Record) -> bool:
        """Write a record durably, then apply it. False (and a message) if the disk refused."""
        store = self.workspace.store
        try:
            store.append(record, apply=lambda: self.session.apply(record))
        except OSError as exc:
            self.notify(
                f"Could not save to {store.log.path}: {exc.strerror}. Nothing was recorded; "
                "free some space or fix permissions and answer again.",
                title="Not saved",
                severity="error",
                timeout=30,
            )
            return False
        follow_up = self.session.follow_up(record, self.clock())
        if follow_up is not None:
            try:
                store.append(follow_up, apply=lambda: self.session.apply(follow_up))
            except OSError:
                pass  # the next review (or undo) of this card tries again
            else:
                if follow_up.get("on"):
                    self.notify(
                        "You have forgotten this card 8 times, so it is now suspended as a "
                        "leech. Rewrite it in your own words, or unsuspend it from Browse.",
                        title="Leech",
                        severity="warning",
                        timeout=15,
                    )
        store.save_state_async()
        error = store.writer_error
        if error is not None and str(error) != self._last_writer_error:
            self._last_writer_error = str(error)  # say it once, not at every answer
            self.notify(
                f"state.json could not be written ({error}); your reviews are safe "
                "in the log and the state will be rebuilt from it.",
                severity="warning",
            )
        return True

    def apply_mark(self, kind: str, card_id: str, **fields: object) -> bool:
        """Suspend/unsuspend (on=bool), bury, flag (on=bool) or reset a card, durably."""
        now = self.clock()
        if kind == "bury" and "until" not in fields:
            fields["until"] = self.session.bury_until(now)
        return self.record(self.session.mark(kind, card_id, now, **fields))

    def apply_settings(self, settings: Settings) -> bool:
        """Save validated settings and use them from now on."""
        from dlquiz.workspace import make_scheduler

        try:
            scheduler = make_scheduler(settings)  # refuses bad FSRS parameters: check first
        except ValueError as exc:
            self.notify(f"Settings not saved: {exc}", severity="error")
            return False
        try:
            self.workspace.store.save_settings(settings)
        except OSError as exc:
            self.notify(f"Settings not saved: {exc.strerror}", severity="error")
            return False
        self.workspace.scheduler = scheduler
        self.session.use_settings(settings, scheduler)  # keeps undo and today's counts
        self.theme = _textual_theme(settings)
        return True

    # ----- navigation (used by the home screen's keys and the command palette) ------

    def _leaving(self, then: Callable[[], object]) -> None:
        """Before leaving the current screens: save an answer on screen, and ask about
        unsaved settings. ``then`` runs unless the user chooses to stay."""
        from dlquiz.tui.screens.review import ReviewScreen
        from dlquiz.tui.screens.settings import SettingsScreen

        for screen in self.screen_stack:  # not only the top: Help may be over a review
            if isinstance(screen, ReviewScreen):
                screen.commit_pending()
        settings = next((s for s in self.screen_stack if isinstance(s, SettingsScreen)), None)
        if settings is not None and settings.edited:
            from dlquiz.tui.screens.settings import ConfirmDiscard

            self.push_screen(ConfirmDiscard(), lambda discard: then() if discard else None)
            return
        then()

    def _open(self, screen: Screen[object]) -> None:
        """Open a top-level screen from wherever we are."""
        from dlquiz.tui.screens.home import HomeScreen

        def go() -> None:
            while len(self.screen_stack) > 2 and not isinstance(self.screen, HomeScreen):
                self.pop_screen()
            self.push_screen(screen)

        self._leaving(go)

    def action_study(self) -> None:
        from dlquiz.tui.screens.review import ReviewScreen

        self._open(ReviewScreen())

    def action_browse(self) -> None:
        from dlquiz.tui.screens.browse import BrowseScreen

        self._open(BrowseScreen())

    def action_cram(self) -> None:
        from dlquiz.tui.screens.practice import CramScreen

        self._open(CramScreen())

    def action_quiz(self) -> None:
        from dlquiz.tui.screens.practice import QuizScreen

        self._open(QuizScreen())

    def action_stats(self) -> None:
        from dlquiz.tui.screens.stats import StatsScreen

        self._open(StatsScreen())

    def action_settings(self) -> None:
        from dlquiz.tui.screens.settings import SettingsScreen

        self._open(SettingsScreen())

    def action_toggle_theme(self) -> None:
        settings = self.workspace.store.settings
        theme = "light" if settings.theme == "dark" else "dark"
        if self.apply_settings(settings.replace(theme=theme)):
            self.notify(f"Theme: {theme}.", timeout=3)

    def action_help(self) -> None:
        from dlquiz.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        self._leaving(lambda: self.exit(0))

    def on_unmount(self) -> None:
        # Everything answered is already in the log; this writes the final state
        # and releases the lock.
        self.workspace.close()
        if self._worker is not None:
            self._worker.close()
