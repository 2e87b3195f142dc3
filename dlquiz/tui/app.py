"""The Textual application: screens over one open ``Study``.

Nothing here imports torch; the core does the work and this module shows it.
"""

from __future__ import annotations

import contextlib
import gc
import os
import random
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import import_module
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from textual import events, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.markup import MarkupError
from textual.screen import Screen

from dlquiz import __version__
from dlquiz.cards import Kind
from dlquiz.questions.base import Question
from dlquiz.settings import Settings
from dlquiz.study import Recorded, SaveError, Study
from dlquiz.tui.commands import DLQuizCommands
from dlquiz.tui.themes import theme_name

if TYPE_CHECKING:
    from asyncio import AbstractEventLoop

    from textual.app import AutopilotCallbackType
    from textual.notifications import SeverityLevel

    from dlquiz.practice import Practice
    from dlquiz.questions.worker import QuestionWorker
    from dlquiz.session import Summary
    from dlquiz.tui.reuse import Preparer
    from dlquiz.tui.shown import Shown


ScreenT = TypeVar("ScreenT", bound=Screen[Any])

# "0": no screen is prepared ahead (the test suite's default: most app tests live a few
# seconds, and a prepared screen is work no test asked for; tests/test_prewarm* turn it on).
ENV_PREPARE = "DLQUIZ_PREPARE_SCREENS"


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _defined(module: str, name: str) -> Any:
    """``module.name`` if that module is imported and has defined it by now, else None:
    without importing it. A module a thread is importing (``_warm_screen_data``) is in
    ``sys.modules`` before its body has run, without the names it defines yet."""
    return getattr(sys.modules.get(module), name, None)


class DLQuizApp(App[int]):
    """dlquiz: spaced repetition for deep learning."""

    CSS_PATH = "dlquiz.tcss"
    TITLE = "dlquiz"
    SUB_TITLE = f"v{__version__}"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
        # Terminal users expect Ctrl+C to quit; every answer is already in the log.
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
    ]
    COMMAND_PALETTE_BINDING = "ctrl+p"
    # Screens without their own breakpoints get -narrow below 70 columns (see dlquiz.tcss).
    # Textual declares this an instance variable; its docs set it on the class.
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]] | None] = [  # type: ignore[misc]
        (0, "-narrow"),
        (70, "-normal"),
    ]
    COMMANDS = App.COMMANDS | {DLQuizCommands}

    def __init__(
        self,
        study: Study,
        clock: Callable[[], datetime] | None = None,
        rng: random.Random | None = None,
        generator: Callable[[str, int, int], Question] | None = None,
    ) -> None:
        """``clock``, ``rng`` and ``generator`` are injectable for tests.

        By default questions are generated in a torch worker process, started
        once the first frame is up, so torch never delays or freezes the UI.
        """
        super().__init__()
        self.study = study
        self.clock = clock or _utcnow
        self.rng = rng or random.Random()
        self._generator = generator
        self._worker: QuestionWorker | None = None
        self._worker_ready = threading.Event()
        self._worker_lock = threading.Lock()
        self._start_theme(theme_name(study.settings.theme, self.available_themes))
        self.prepare_screens = os.environ.get(ENV_PREPARE) != "0"
        self.preparer: Preparer | None = None
        self._last_input = time.monotonic()
        self._warm_started = False
        self._warmed = threading.Event()  # the screens' data is computed (_warm_screen_data)

    def _start_theme(self, theme: str) -> None:
        """Start in ``theme``. Set as Textual's theme watcher sets one, but with the CSS
        variables in place before any stylesheet is parsed: the watcher's refresh would
        parse every stylesheet twice more at start (a reparse for the new variables,
        then again with the cache it emptied), ~8 ms of the first card."""
        if theme == self.theme:
            return
        self.set_reactive(App.theme, theme)
        dark = self.current_theme.dark
        classes = {name: False for name in self.classes if name.startswith("-theme-")}
        classes.update({f"-theme-{theme}": True, "-dark-mode": dark, "-light-mode": not dark})
        self.update_classes(classes, update=False)
        self._refresh_truecolor_filter(self.ansi_theme)
        self.stylesheet.set_variables(self.get_css_variables())

    def run(
        self,
        *,
        headless: bool = False,
        inline: bool = False,
        inline_no_clear: bool = False,
        mouse: bool = True,
        size: tuple[int, int] | None = None,
        auto_pilot: AutopilotCallbackType | None = None,
        loop: AbstractEventLoop | None = None,
    ) -> int | None:
        # Everything made so far (modules, content, deck, card states) lives as long as
        # the app. Frozen, the collector never scans it again: the full collection that
        # building the first screens set off cost ~30 ms of the first card.
        gc.freeze()
        return super().run(
            headless=headless,
            inline=inline,
            inline_no_clear=inline_no_clear,
            mouse=mouse,
            size=size,
            auto_pilot=auto_pilot,
            loop=loop,
        )

    def on_mount(self) -> None:
        from dlquiz.tui.screens.home import HomeScreen

        # One theme system: whatever sets the theme (the palette's Theme, Settings) is kept.
        self.theme_changed_signal.subscribe(self, self._remember_theme)

        self.push_screen(self._sized(HomeScreen()))
        for notice in self.study.notices:
            self.notify(notice, title="Your data", severity="warning", timeout=20, markup=False)
        self.call_after_refresh(self._warm_relations)
        if self.prepare_screens:
            self.call_after_refresh(self._start_preparing)
        # The torch process starts only if some question family is in rotation, and a
        # moment after start: starting it (its module, a fork, a reader thread) cost the
        # first card ~30 ms when Enter was pressed at once, and the session serves other
        # cards while torch loads anyway. A question asked sooner starts it on demand.
        excluded = set(self.study.settings.excluded_skills)
        if self._generator is None and any(
            s.kind is Kind.SKILL and s.key not in excluded for s in self.study.deck.values()
        ):
            self.set_timer(self.WORKER_DELAY_S, self._warm_worker)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """A toast. dlquiz's own messages are plain text (``markup=False``): they hold file
        names, paths and deck text, where a "[" is not markup. Any other message whose
        markup does not parse is shown as written: drawn later, a MarkupError closed the
        app."""
        if markup:
            try:
                Content.from_markup(message)
            except MarkupError:
                markup = False
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def _sized(self, screen: ScreenT) -> ScreenT:
        """``screen`` with its breakpoint classes (``-narrow``...), before it is composed.

        Textual sets them at the screen's first resize, once its widgets are mounted
        and styled, so every widget of every new screen was styled twice (~5 ms each
        for the home and review screens). At that resize the classes now match.
        """
        width, height = self.size
        classes: dict[str, bool] = {}
        for extent, own, default in (
            (width, screen.HORIZONTAL_BREAKPOINTS, self.HORIZONTAL_BREAKPOINTS),
            (height, screen.VERTICAL_BREAKPOINTS, self.VERTICAL_BREAKPOINTS),
        ):
            points = (default if own is None else own) or []
            classes.update((name, False) for _, name in points)
            for edge, name in sorted(points, reverse=True):  # as Screen._on_resize picks
                if extent >= edge:
                    classes[name] = True
                    break
        if classes:
            screen.update_classes(classes, animate=False)
        return screen

    @work(thread=True, exit_on_error=False, group="warm")
    def _warm_relations(self) -> None:
        """Index synonyms and broader terms off the UI thread (name cards need them; a
        large user deck takes most of a second)."""
        self.study.content.relations()

    @work(thread=True, exit_on_error=False, group="warm-screens")
    def _warm_screen_data(self) -> None:
        """What the screens opened from home compute from the deck, and their code, off
        the UI thread: at 100k cards, the tags (Settings), the catalogue (Browse) and the
        topics (Cram) took 0.1-0.3 s each on the UI thread at a first open. Started once
        the user has left the app alone a moment on home: not while the first card is
        drawn, nor while another screen computes (it would compete for the GIL: the
        statistics at 100k reviews filled in ~0.1 s later)."""
        try:
            import dlquiz.tui.screens.browse
            import dlquiz.tui.screens.help
            import dlquiz.tui.screens.settings  # noqa: F401
            from dlquiz.cards import deck_tags
            from dlquiz.catalog import catalog_for
            from dlquiz.questions import families
            from dlquiz.tui.screens.practice import deck_topics
            from dlquiz.tui.screens.skill_map import deck_skills

            study = self.study
            families()
            deck_tags(study.deck)
            catalog_for(study.content, study.deck)
            deck_topics(study.deck)
            deck_skills(study.deck)
            # Kept for as long as the app runs (~100k objects at 100k cards): frozen as
            # at start (see run), full collections do not scan them again and again.
            gc.freeze()
        finally:
            self._warmed.set()

    # ----- screens prepared ahead ---------------------------------------------------

    WORKER_DELAY_S: ClassVar[float] = 0.3  # the torch process starts this long after start
    PREPARE_IDLE_S: float = 1.0  # no key or mouse for this long, on home
    WARM_IDLE_S: ClassVar[float] = 0.3  # the screens' data, once no key for this long
    PREPARE_TICK_S: ClassVar[float] = 0.02  # the next step, after one
    PREPARE_WAIT_S: ClassVar[float] = 0.1  # the next look, while not idle

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent):
            self._last_input = time.monotonic()  # the user is active: no step now
        await super().on_event(event)

    def _start_preparing(self) -> None:
        """Build the screens opened from home while the user reads it (see ``Preparer``).

        Only on the home screen, after a second without a key or a click: the screens
        prepared are the ones home's keys open, a review is never held up by a step, and
        a user who has not pressed a key for a second on home is reading, not typing.
        The costliest screens come first.
        """
        from dlquiz.tui.reuse import Preparer

        self._last_input = time.monotonic()
        self.preparer = Preparer(self, self._screen_makers(), self._idle_for_prepare)

        self.set_timer(self.WARM_IDLE_S, self._prepare_tick)  # not while the first card is drawn

    def _prepare_tick(self) -> None:
        """One step if the app is idle; then the next tick: soon after a step, else a
        little later (no busy ticking while the user studies); none once all is done."""
        preparer = self.preparer
        if preparer is None or preparer.done:
            return
        stepped = False
        if not self._warm_started:
            if self._on_home() and time.monotonic() - self._last_input >= self.WARM_IDLE_S:
                self._warm_started = True
                self._warm_screen_data()
        else:
            stepped = preparer.tick()
        self.set_timer(self.PREPARE_TICK_S if stepped else self.PREPARE_WAIT_S, self._prepare_tick)

    def _on_home(self) -> bool:
        from dlquiz.tui.screens.home import HomeScreen

        stack = self.screen_stack  # empty while the app closes
        return bool(stack) and isinstance(stack[-1], HomeScreen)

    def _idle_for_prepare(self) -> bool:
        return (
            self._warmed.is_set()
            and self._on_home()
            and time.monotonic() - self._last_input >= self.PREPARE_IDLE_S
        )

    # Prepared in this order: help first (what a new user opens first; at 100k cards the
    # rest took ~1.8 s before it), then the costliest; the statistics last (they also
    # compute their figures in a thread, ~1 s of CPU at 100k reviews, then shown at once
    # if nothing was reviewed since): the name each is kept under, its module and function.
    PREPARED: ClassVar[tuple[tuple[str, str], ...]] = (
        ("help", "help.help_screen"),
        ("settings", "settings.settings_screen"),
        ("browse", "browse.browse_screen"),
        ("cram", "practice.cram_screen"),
        ("quiz", "practice.quiz_screen"),
        ("skill_map", "skill_map.skill_map_screen"),
        ("stats", "stats.stats_screen"),
    )

    def _screen_makers(self) -> list[tuple[str, Callable[[], Screen[Any]]]]:
        def maker(where: str) -> Callable[[], Screen[Any]]:
            module, function = where.split(".")

            def make() -> Screen[Any]:
                factory = getattr(import_module(f"dlquiz.tui.screens.{module}"), function)
                return self._sized(factory(self))

            return make

        return [(name, maker(where)) for name, where in self.PREPARED]

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

    def report(self, result: Recorded | SaveError) -> bool:
        """Tell the user what a write did; True when it was saved."""
        if isinstance(result, SaveError):
            self.notify(str(result), title="Not saved", severity="error", timeout=30, markup=False)
            return False
        if result.leech_made:
            from dlquiz.study import LEECH_MESSAGE

            self.notify(LEECH_MESSAGE, title="Leech", severity="warning", timeout=15, markup=False)
        if result.warning:
            self.notify(result.warning, severity="warning", markup=False)
        return True

    def apply_mark(self, kind: str, card_id: str, **fields: object) -> bool:
        """Suspend/unsuspend (on=bool), bury, flag (on=bool) or reset a card, durably."""
        try:
            result = self.study.mark(kind, card_id, self.clock(), **fields)
        except SaveError as exc:
            return self.report(exc)
        return self.report(result)

    def apply_settings(self, settings: Settings) -> bool:
        """Save validated settings and use them from now on."""
        try:
            self.study.change_settings(settings)
        except SaveError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return False
        self.theme = theme_name(settings.theme, self.available_themes)
        return True

    def _remember_theme(self, theme: object) -> None:
        name = self.theme
        settings = self.study.settings
        if theme_name(settings.theme, self.available_themes) == name or self.study.read_only:
            return
        try:
            self.study.change_settings(settings.replace(theme=name))
        except SaveError as exc:
            self.notify(str(exc), severity="error", markup=False)

    # ----- navigation (used by the home screen's keys and the command palette) ------

    def _leaving(self, then: Callable[[], object]) -> None:
        """Before leaving the current screens: save an answer on screen, and ask about
        unsaved settings. ``then`` runs unless the user chooses to stay."""
        # A screen class not defined yet has no screen on the stack: looked up, not
        # imported (the settings screen's code would cost the first card ~8 ms).
        review_cls = _defined("dlquiz.tui.screens.review", "ReviewScreen")
        settings_cls = _defined("dlquiz.tui.screens.settings", "SettingsScreen")
        for screen in self.screen_stack:  # not only the top: Help may be over a review
            if review_cls is not None and isinstance(screen, review_cls):
                screen.commit_pending()
        settings = (
            None
            if settings_cls is None
            else next((s for s in self.screen_stack if isinstance(s, settings_cls)), None)
        )
        if settings is not None and settings.edited:
            from dlquiz.tui.confirm import ConfirmDiscard

            def answered(discard: bool | None) -> None:
                if discard:
                    then()

            self.push_screen(ConfirmDiscard(), answered)
            return
        then()

    def _open(self, screen: Screen[Any]) -> None:
        """Open a top-level screen from wherever we are."""
        from dlquiz.tui.screens.home import HomeScreen

        def go() -> None:
            while len(self.screen_stack) > 2 and not isinstance(self.screen, HomeScreen):
                self.pop_screen()
            self.push_screen(self._sized(screen))

        self._leaving(go)

    def preload_review(self) -> None:
        """Import the review screen's code ahead of the first Enter."""
        import dlquiz.tui.screens.review  # noqa: F401

    def start_practice(self, plan: Practice) -> None:
        """Replace the practice set-up screen with a review of ``plan`` (cram or quiz)."""
        from dlquiz.tui.screens.review import ReviewScreen

        self.switch_screen(self._sized(ReviewScreen(plan)))

    def open_summary(
        self,
        summary: Summary,
        asked: dict[str, Shown],
        then: Callable[[tuple[str, ...] | None], None],
    ) -> None:
        """The end-of-session summary; ``then`` gets the user's choice (None: home)."""
        from dlquiz.tui.screens.summary import SummaryScreen

        self.push_screen(self._sized(SummaryScreen(summary, asked)), then)

    def open_card_info(self, *card_ids: str) -> None:
        """Cards' history and memory state (a section each), over the current screen."""
        from dlquiz.tui.screens.card_info import CardInfoScreen

        self.push_screen(self._sized(CardInfoScreen(*card_ids)))

    def finish_quiz(self, plan: Practice) -> None:
        """Show a finished (or stopped) quiz's score and misses in place of its review."""
        from dlquiz.tui.screens.practice import QuizResults

        if not isinstance(self.screen, QuizResults):
            self.switch_screen(self._sized(QuizResults(plan)))

    def confirm_stop_quiz(self, plan: Practice) -> None:
        """Esc in a quiz: ask; if so, keep an answer on screen, stop, show the score so far."""
        from dlquiz.tui.confirm import ConfirmStopQuiz

        def answered(stop: bool | None) -> None:
            if stop and not plan.finished:

                def finish() -> None:
                    plan.stop(self.clock())
                    self.finish_quiz(plan)

                self._leaving(finish)

        self.push_screen(ConfirmStopQuiz(), answered)

    def action_study(self) -> None:
        from dlquiz.tui.screens.review import ReviewScreen

        self._open(ReviewScreen())

    def action_browse(self) -> None:
        from dlquiz.tui.screens.browse import browse_screen

        self._open(browse_screen(self))

    def action_cram(self) -> None:
        from dlquiz.tui.screens.practice import cram_screen

        self._open(cram_screen(self))

    def action_quiz(self) -> None:
        from dlquiz.tui.screens.practice import quiz_screen

        self._open(quiz_screen(self))

    def action_stats(self) -> None:
        from dlquiz.tui.screens.stats import stats_screen

        self._open(stats_screen(self))

    def action_skill_map(self) -> None:
        from dlquiz.tui.screens.skill_map import skill_map_screen

        self._open(skill_map_screen(self))

    def action_settings(self) -> None:
        from dlquiz.tui.screens.settings import settings_screen

        self._open(settings_screen(self))

    def action_toggle_theme(self) -> None:
        theme = "textual-dark" if self.current_theme.dark is False else "textual-light"
        if self.apply_settings(self.study.settings.replace(theme=theme)):
            self.notify(f"Theme: {theme}.", timeout=3, markup=False)

    def action_help(self) -> None:
        from dlquiz.tui.screens.help import HelpScreen, help_screen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(self._sized(help_screen(self)))

    async def action_quit(self) -> None:
        self._leaving(lambda: self.exit(0))

    def on_unmount(self) -> None:
        # A statistics tally not saved yet (the stats screen's), while the lock is held;
        # none if the statistics were never computed. It is only a cache: whatever goes
        # wrong, the next run counts again, and the app still closes cleanly.
        save_kept = _defined("dlquiz.stats_log", "save_kept")
        if save_kept is not None and not self.study.read_only:
            with contextlib.suppress(Exception):
                save_kept()
        # Everything answered is already in the log; this writes the final state
        # and releases the lock.
        try:
            self.study.close()
        finally:
            if self._worker is not None:
                self._worker.close()
