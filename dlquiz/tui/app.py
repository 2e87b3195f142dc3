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

from dlquiz import __version__
from dlquiz.cards import Kind
from dlquiz.history import Record
from dlquiz.questions.base import Question
from dlquiz.session import Session
from dlquiz.workspace import Workspace

if TYPE_CHECKING:
    from dlquiz.questions.worker import QuestionWorker


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
        self.theme = (
            "textual-light" if workspace.store.settings.theme == "light" else "textual-dark"
        )

    def on_mount(self) -> None:
        from dlquiz.tui.screens.home import HomeScreen

        self.push_screen(HomeScreen())
        for notice in self.workspace.notices:
            self.notify(notice, title="Your data", severity="warning", timeout=20)
        if self._generator is None and any(
            s.kind is Kind.SKILL for s in self.workspace.deck.values()
        ):
            self.call_after_refresh(self._start_worker)

    # ----- questions ----------------------------------------------------------------

    def _ensure_worker(self) -> QuestionWorker:
        """The torch worker process, started (again, if it died) on demand."""
        from dlquiz.questions.worker import QuestionWorker

        with self._worker_lock:
            if self._worker is None or not self._worker.alive:
                self._worker = QuestionWorker()
            return self._worker

    def _start_worker(self) -> None:
        self._ensure_worker()
        self._warm_worker()

    @work(thread=True, exit_on_error=False, group="torch")
    def _warm_worker(self) -> None:
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
        if self._worker is not None:
            self._worker.close()
