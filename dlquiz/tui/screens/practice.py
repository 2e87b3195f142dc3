"""Choosing what to practise (cram a topic, set up a quiz), and a quiz's results."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, ScrollableContainer, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Input, OptionList, SelectionList, Static
from textual.widgets.option_list import Option

from dlquiz import practice
from dlquiz.cards import CardSpec
from dlquiz.tui.markup import escape
from dlquiz.tui.reuse import KeepsStyles, StyledOnce, kept_screen
from dlquiz.tui.widgets.card_parts import TitleBar
from dlquiz.tui.widgets.footer import LineFooter

if TYPE_CHECKING:
    from dlquiz.practice import Miss, Practice
    from dlquiz.tui.app import DLQuizApp


_TOPICS: list[tuple[dict[str, CardSpec], int, dict[str, int]]] = []
_TOPICS_LOCK = threading.Lock()  # the app counts them ahead in a thread: one count


def deck_topics(deck: dict[str, CardSpec]) -> dict[str, int]:
    """``practice.topics`` of the session's deck, counted once (~90 ms at 100k cards):
    the deck does not change while the app runs."""
    with _TOPICS_LOCK:
        if not _TOPICS or _TOPICS[0][0] is not deck or _TOPICS[0][1] != len(deck):
            _TOPICS[:] = [(deck, len(deck), practice.topics(deck))]
        return _TOPICS[0][2]


def cram_screen(app: DLQuizApp) -> CramScreen:
    """The cram screen to push: the one shown before while the deck is the same (kept,
    back at the first topic), else a new one."""
    deck = app.study.deck
    size = len(deck)
    return kept_screen(
        app, "cram", CramScreen, CramScreen, lambda old: old.topics_of == (deck, size)
    )


def quiz_screen(app: DLQuizApp) -> QuizScreen:
    """The quiz set-up to push: the one shown before (kept, set back to its defaults)."""
    return kept_screen(app, "quiz", QuizScreen, QuizScreen, lambda old: True)


class CramScreen(KeepsStyles, Screen[None]):
    """Pick a tag or a question family; go through all its cards, schedule untouched."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", "Back")]
    app: DLQuizApp
    _reset = False  # shown again (kept by cram_screen): back to the first topic
    topics_of: tuple[object, int] = (None, 0)  # set as composed

    def compose(self) -> ComposeResult:
        deck = self.app.study.deck
        self.topics_of = (deck, len(deck))  # the deck the topics were counted in, its size
        yield TitleBar()
        with Vertical(classes="practice"):
            yield Static(
                "[b]Cram[/]: every card of one topic, in random order, until you know each. "
                "Nothing you answer here changes your schedule.",
                classes="practice-intro",
            )
            # Every option given at once: added one by one, each re-measured the list.
            yield OptionList(
                *(
                    Option(
                        f"{escape(topic.replace('skill:', 'questions: '))}  [dim]({n})[/]", id=topic
                    )
                    for topic, n in deck_topics(deck).items()
                ),
                id="topics",
            )
        yield LineFooter()

    def on_mount(self) -> None:
        topics = self.query_one("#topics", OptionList)
        topics.highlighted = 0
        topics.focus()

    def reopened(self) -> None:
        self._reset = True

    def on_screen_resume(self) -> None:
        if self._reset:
            self._reset = False
            topics = self.query_one("#topics", OptionList)
            topics.highlighted = 0
            topics.scroll_home(animate=False)
            topics.focus()

    @on(OptionList.OptionSelected, "#topics")
    def _start(self, event: OptionList.OptionSelected) -> None:
        assert event.option.id is not None
        app = self.app
        app.start_practice(practice.cram(app.study.deck, event.option.id, app.rng, app.clock()))

    def action_back(self) -> None:
        self.dismiss()


class QuizScreen(KeepsStyles, Screen[None]):
    """Choose question families and a length; then a timed quiz with a score at the end."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("ctrl+s", "start", "Start", priority=True),
    ]
    app: DLQuizApp

    def compose(self) -> ComposeResult:
        from dlquiz.questions import families

        yield TitleBar()
        with Vertical(classes="practice"):
            yield Static(
                "[b]Quiz[/]: fresh computed questions from the families you tick "
                "(space toggles), for a number of questions or of minutes (or both: whichever "
                "ends first). Your score and misses are shown at the end; your schedule "
                "is unchanged.",
                classes="practice-intro",
            )
            fams = sorted(families().values(), key=lambda f: (f.topic, f.id))
            yield SelectionList[str](
                *[(f"{f.title} [dim]({f.topic})[/]", f.id, True) for f in fams], id="families"
            )
            with Horizontal(id="quiz-bar"):
                yield Static("Questions:", classes="label")
                yield Input("10", id="count", type="integer", max_length=3)
                yield Static("Minutes:", classes="label")
                yield Input("", id="minutes", type="integer", max_length=3, placeholder="—")
                yield Button("Start (ctrl+s)", id="start", variant="primary")
        yield LineFooter()

    _reset = False  # shown again (kept by quiz_screen): back to the defaults

    def on_mount(self) -> None:
        self.query_one("#families", SelectionList).focus()

    def reopened(self) -> None:
        self._reset = True

    def on_screen_resume(self) -> None:
        if not self._reset:
            return
        self._reset = False
        families = self.query_one("#families", SelectionList)
        if len(families.selected) != families.option_count:
            families.select_all()  # every family ticked, as composed
        families.highlighted = 0
        families.scroll_home(animate=False)
        for selector, text in (("#count", "10"), ("#minutes", "")):
            box = self.query_one(selector, Input)
            if box.value != text:
                box.value = text
        families.focus()

    @on(Button.Pressed, "#start")
    def _pressed(self) -> None:
        self.action_start()

    @on(Input.Submitted, "#count, #minutes")
    def _submitted(self) -> None:
        self.action_start()

    def _number(self, selector: str, most: int, what: str) -> int | None:
        """The whole number in a field; None when empty; -1 (and said) when out of range."""
        text = self.query_one(selector, Input).value.strip()
        if not text:
            return None
        n = int(text) if text.isdigit() else 0
        if not 1 <= n <= most:
            self.notify(
                f"Choose between 1 and {most} {what}, or leave it empty.",
                severity="warning",
                markup=False,
            )
            return -1
        return n

    def action_start(self) -> None:
        chosen = list(self.query_one("#families", SelectionList).selected)
        n = self._number("#count", 200, "questions")
        minutes = self._number("#minutes", 120, "minutes")
        if n == -1 or minutes == -1:
            return
        if n is None and minutes is None:
            self.notify(
                "Give a number of questions, of minutes, or both.", severity="warning", markup=False
            )
            return
        app = self.app
        try:
            plan = practice.quiz(app.study.deck, chosen, n, app.rng, app.clock(), minutes)
        except ValueError as exc:
            self.notify(str(exc).capitalize() + ".", severity="warning", markup=False)
            return
        app.start_practice(plan)

    def action_back(self) -> None:
        self.dismiss()


class QuizResults(StyledOnce, Screen[None]):
    """A finished (or stopped) quiz: the score, then each miss in full."""

    DEFAULT_CSS = """
    #quiz-results {
        padding: 1 2;
    }
    #quiz-results .miss-title {
        margin-top: 1;
        text-style: bold;
        color: $accent;
    }
    #quiz-results .miss-code {
        height: auto;
        overflow-x: auto;
        overflow-y: hidden;
        margin: 1 0;
    }
    #quiz-results .miss-code Static {
        width: auto;
    }
    #quiz-results .miss-explanation {
        color: $text-muted;
        margin-top: 1;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "cram", "Cram the misses"),
        Binding("enter,escape", "home", "Home", key_display="⏎"),
    ]
    app: DLQuizApp

    def __init__(self, plan: Practice) -> None:
        super().__init__()
        self.plan = plan

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with VerticalScroll(id="quiz-results"):
            yield Static(self._summary(), id="quiz-score")
            for number, miss in enumerate(self.plan.misses, 1):
                yield from self._miss(number, miss)
        yield LineFooter()

    def on_mount(self) -> None:
        self.query_one("#quiz-results").focus()  # arrows and PgDn scroll at once

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cram":
            return bool(self.plan.misses)
        return True

    def _summary(self) -> str:
        plan = self.plan
        minutes, seconds = divmod(round(plan.elapsed(plan.finished_at or self.app.clock())), 60)
        lines = [
            f"[b]{escape(plan.title)}[/]",
            f"[b]Score: {plan.right} / {plan.graded}[/] in {minutes}:{seconds:02d}",
        ]
        if plan.stopped_early:
            lines.append("Stopped early: the questions not reached are not counted.")
        elif plan.time_limit is not None and plan.timed_out(plan.finished_at or self.app.clock()):
            lines.append("Time is up: the question on screen was not counted.")
        if plan.misses:
            lines.append(
                f"\n[b]Missed ({len(plan.misses)})[/]: c crams them (fresh numbers, "
                "schedule unchanged)."
            )
        elif plan.graded:
            lines.append("\nNo misses. Well done.")
        return "\n".join(lines)

    def _miss(self, number: int, miss: Miss) -> ComposeResult:
        yield Static(f"{number}. {escape(miss.title or 'Question')}", classes="miss-title")
        yield Static(escape(miss.prompt))
        if miss.code:
            from rich.syntax import Syntax

            with ScrollableContainer(classes="miss-code"):
                yield Static(Syntax(miss.code, "python", theme="ansi_dark", word_wrap=False))
        yield Static(
            f"You: {escape(miss.given or '—')}\nAnswer: [b]{escape(miss.expected)}[/]",
            classes="miss-answers",
        )
        if miss.explanation:
            yield Static(escape(miss.explanation), classes="miss-explanation")

    def action_cram(self) -> None:
        app = self.app
        try:
            plan = practice.cram_misses(self.plan, app.study.deck, app.clock())
        except ValueError as exc:
            self.notify(str(exc).capitalize() + ".", severity="warning", markup=False)
            return
        app.start_practice(plan)

    def action_home(self) -> None:
        self.dismiss()
