"""Choosing what to practise: cram a topic, or set up a timed quiz."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Header, Input, OptionList, SelectionList, Static
from textual.widgets.option_list import Option

from dlquiz import practice
from dlquiz.cards import CardSpec
from dlquiz.tui.widgets.footer import KeyFooter

if TYPE_CHECKING:
    from dlquiz.tui.app import DLQuizApp


_TOPICS: list[tuple[dict[str, CardSpec], int, dict[str, int]]] = []


def deck_topics(deck: dict[str, CardSpec]) -> dict[str, int]:
    """``practice.topics`` of the session's deck, counted once (~90 ms at 100k cards):
    the deck does not change while the app runs."""
    if not _TOPICS or _TOPICS[0][0] is not deck or _TOPICS[0][1] != len(deck):
        _TOPICS[:] = [(deck, len(deck), practice.topics(deck))]
    return _TOPICS[0][2]


class CramScreen(Screen[None]):
    """Pick a tag or a question family; go through all its cards, schedule untouched."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "back", "Back")]
    app: DLQuizApp

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(classes="practice"):
            yield Static(
                "[b]Cram[/]: every card of one topic, in random order, until you know each. "
                "Nothing you answer here changes your schedule.",
                classes="practice-intro",
            )
            yield OptionList(id="topics")
        yield KeyFooter()

    def on_mount(self) -> None:
        topics = self.query_one("#topics", OptionList)
        for topic, count in deck_topics(self.app.study.deck).items():
            label = topic.replace("skill:", "questions: ")
            topics.add_option(Option(f"{escape(label)}  [dim]({count})[/]", id=topic))
        topics.highlighted = 0
        topics.focus()

    @on(OptionList.OptionSelected, "#topics")
    def _start(self, event: OptionList.OptionSelected) -> None:
        assert event.option.id is not None
        app = self.app
        app.start_practice(practice.cram(app.study.deck, event.option.id, app.rng, app.clock()))

    def action_back(self) -> None:
        self.dismiss()


class QuizScreen(Screen[None]):
    """Choose question families and a length; then a timed quiz with a score at the end."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("ctrl+s", "start", "Start", priority=True),
    ]
    app: DLQuizApp

    def compose(self) -> ComposeResult:
        from dlquiz.questions import families

        yield Header()
        with Vertical(classes="practice"):
            yield Static(
                "[b]Timed quiz[/]: fresh computed questions from the families you tick "
                "(space toggles). Your score and misses are shown at the end; your schedule "
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
                yield Button("Start (ctrl+s)", id="start", variant="primary")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#families", SelectionList).focus()

    @on(Button.Pressed, "#start")
    def _pressed(self) -> None:
        self.action_start()

    @on(Input.Submitted, "#count")
    def _submitted(self) -> None:
        self.action_start()

    def action_start(self) -> None:
        chosen = list(self.query_one("#families", SelectionList).selected)
        text = self.query_one("#count", Input).value.strip()
        n = int(text) if text.isdigit() else 0
        if not 1 <= n <= 200:
            self.notify("Choose between 1 and 200 questions.", severity="warning")
            return
        app = self.app
        try:
            plan = practice.quiz(app.study.deck, chosen, n, app.rng, app.clock())
        except ValueError as exc:
            self.notify(str(exc).capitalize() + ".", severity="warning")
            return
        app.start_practice(plan)

    def action_back(self) -> None:
        self.dismiss()
