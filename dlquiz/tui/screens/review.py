"""The review loop: show a card, take an answer, record it, move on.

Modes (``mode`` reactive; the footer shows only the keys that apply):

question  the card's front. Self-graded cards: space reveals. Choice cards:
          1–4 (or arrows + enter) pick an answer.
revealed  the back is shown; 1–4 rate, with each rating's next interval.
feedback  a choice card was answered and auto-graded; its explanation stays
          up. Enter/space accepts the grade, 1–4 overrides it.
done      nothing is due; say when to come back.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Header, OptionList, Static
from textual.widgets.option_list import Option

from dlquiz.cards import CardSpec, Kind, name_choices
from dlquiz.scheduler import AGAIN, GOOD, Outcome, auto_rating, format_interval
from dlquiz.tui.widgets.rating_bar import RatingBar

if TYPE_CHECKING:
    from dlquiz.tui.app import DLQuizApp

LETTERS = "abcd"


@dataclass
class Shown:
    """The card on screen and what answering it would do."""

    spec: CardSpec
    shown_at: datetime
    outcomes: dict[int, Outcome]
    choices: list[str]
    correct: int | None  # index of the right choice, for choice cards
    front: str
    back: str
    suggested: int | None = None  # auto-grade after a choice is made


class ReviewScreen(Screen[None]):
    """One card at a time until the day's work is done."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "reveal", "Show answer"),
        Binding("space,enter", "accept", "Next", priority=True),
        *[
            Binding(str(n), f"choose({n})", f"Pick {LETTERS[n - 1]}", show=False)
            for n in range(1, 5)
        ],
        *[Binding(str(n), f"rate({n})", f"Rate {n}", show=False) for n in range(1, 5)],
        Binding("u", "undo", "Undo"),
        Binding("escape", "home", "Home"),
    ]

    mode: reactive[str] = reactive("question", bindings=True)
    app: DLQuizApp  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.current: Shown | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="progress")
        with VerticalScroll(id="card"):
            yield Static(id="card-kind")
            yield Static(id="card-front")
            yield OptionList(id="choices")
            yield Static(id="card-back")
        with Vertical(id="actions"):
            yield Static(id="hint")
            yield RatingBar(id="ratings")
        yield Footer()

    def on_mount(self) -> None:
        self.next_card()

    # ----- bindings -----------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        mode = self.mode
        choice_card = self.current is not None and self.current.correct is not None
        if action == "reveal":
            return mode == "question" and not choice_card
        if action == "accept":
            return mode in ("feedback", "done")
        if action == "choose":
            return mode == "question" and choice_card
        if action == "rate":
            return mode in ("revealed", "feedback")
        if action == "undo":
            return mode in ("question", "done") and self.app.session.can_undo
        return True

    # ----- showing cards ------------------------------------------------------------

    def next_card(self) -> None:
        app = self.app
        now = app.clock()
        spec = app.session.next_card(now)
        self._update_progress()
        if spec is None:
            self.current = None
            self._show_done(now)
            return
        self.current = self._build(spec, now)
        self._show_question()

    def _build(self, spec: CardSpec, now: datetime) -> Shown:
        app = self.app
        content = app.workspace.content
        outcomes = app.session.outcomes(spec.id, now)
        state = app.workspace.store.cards.get(spec.id)
        # Fresh arrangement of choices at each review, repeatable for tests.
        seed = zlib.crc32(spec.id.encode()) + (state.reps if state else 0)
        if spec.kind in (Kind.RECALL, Kind.NAME):
            term = content.terms[spec.key]
            also = f"\n[dim]also: {', '.join(term.aliases)}[/]" if term.aliases else ""
            formula = f"\n\n[b]Formula[/]  {term.formula}" if term.formula else ""
            related = [content.terms[s].term for s in term.related if s in content.terms]
            see = f"\n\n[dim]Related: {', '.join(related)}[/]" if related else ""
            if spec.kind is Kind.RECALL:
                front = f"[b]{term.term}[/]{also}"
                back = f"{term.definition}{formula}{see}"
                return Shown(spec, now, outcomes, [], None, front, back)
            picks, correct = name_choices(content, spec.key, seed)
            back = f"[b]{term.term}[/]{also}\n\n{term.definition}{formula}{see}"
            return Shown(
                spec, now, outcomes, [t.term for t in picks], correct, term.definition, back
            )
        if spec.kind is Kind.CONCEPT:
            concept = content.concepts[spec.key]
            back = f"[b]{concept.answer}[/]\n\n{concept.explanation}"
            if concept.choices:
                import random

                order = list(concept.choices)
                random.Random(seed).shuffle(order)
                return Shown(
                    spec, now, outcomes, order, order.index(concept.answer), concept.question, back
                )
            return Shown(spec, now, outcomes, [], None, concept.question, back)
        raise ValueError(f"cannot show a {spec.kind} card yet")

    def _label(self) -> str:
        assert self.current is not None
        kind = self.current.spec.kind
        new = self.app.workspace.store.cards.get(self.current.spec.id) is None
        tag = "  [b $accent]NEW[/]" if new else ""
        return {
            Kind.RECALL: "Recall the definition",
            Kind.NAME: "Which term is this?",
            Kind.CONCEPT: "Concept",
            Kind.SKILL: "Compute",
        }[kind] + tag

    def _show_question(self) -> None:
        assert self.current is not None
        cur = self.current
        self.query_one("#card-kind", Static).update(self._label())
        self.query_one("#card-front", Static).update(cur.front)
        back = self.query_one("#card-back", Static)
        back.update("")
        back.display = False
        choices = self.query_one("#choices", OptionList)
        choices.clear_options()
        choices.display = bool(cur.choices)
        if cur.choices:
            choices.add_options(
                Option(f"{n}) {text}", id=str(n)) for n, text in enumerate(cur.choices, start=1)
            )
            choices.highlighted = 0
            choices.disabled = False
            choices.focus()
            self._hint("Pick with 1–4, or ↑↓ and Enter.")
        else:
            self._hint("Think of the answer, then press Space.")
        self.query_one(RatingBar).display = False
        self.mode = "question"

    def _reveal_back(self, prefix: str = "") -> None:
        assert self.current is not None
        back = self.query_one("#card-back", Static)
        back.update(prefix + self.current.back)
        back.display = True
        bar = self.query_one(RatingBar)
        bar.show(self.current.outcomes, self.current.suggested)
        bar.display = True

    def _show_done(self, now: datetime) -> None:
        self.query_one("#card-kind", Static).update("All done")
        nxt = self.app.session.next_learning_due()
        if nxt is not None:
            wait = format_interval(nxt - now)
            msg = f"Nothing more is due right now. Cards you are learning come back in {wait}."
        else:
            msg = "Nothing more is due today. Come back tomorrow: that is how it sticks."
        self.query_one("#card-front", Static).update(msg)
        self.query_one("#card-back", Static).display = False
        self.query_one("#choices", OptionList).display = False
        self.query_one(RatingBar).display = False
        self._hint("Enter: back home.")
        self.mode = "done"

    def _hint(self, text: str) -> None:
        self.query_one("#hint", Static).update(f"[dim]{text}[/]")

    def _update_progress(self) -> None:
        counts = self.app.session.counts(self.app.clock())
        self.query_one("#progress", Static).update(
            f"Due [b $warning]{counts.due}[/]   New [b $accent]{counts.new}[/]   "
            f"Done today [b $success]{counts.reviewed_today}[/]"
        )

    # ----- actions ------------------------------------------------------------------

    def action_reveal(self) -> None:
        if self.mode != "question" or self.current is None:
            return
        self._reveal_back()
        self._hint("How well did you recall it? 1 Again · 2 Hard · 3 Good · 4 Easy")
        self.mode = "revealed"

    def action_choose(self, number: int) -> None:
        cur = self.current
        if self.mode != "question" or cur is None or cur.correct is None:
            return
        if not 1 <= number <= len(cur.choices):
            return
        picked = number - 1
        right = picked == cur.correct
        cur.suggested = auto_rating(right)
        choices = self.query_one("#choices", OptionList)
        choices.highlighted = picked
        choices.disabled = True
        if right:
            verdict = "[b $success]✓ Correct[/]\n\n"
        else:
            verdict = (
                f"[b $error]✗ Not quite.[/] You picked {LETTERS[picked]}) {cur.choices[picked]}; "
                f"the answer is {LETTERS[cur.correct]}) {cur.choices[cur.correct]}.\n\n"
            )
        self._reveal_back(verdict)
        graded = "Good" if cur.suggested == GOOD else "Again"
        self._hint(f"Graded {graded}. Enter/Space to go on, or 1–4 to grade it yourself.")
        self.mode = "feedback"

    @on(OptionList.OptionSelected, "#choices")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.action_choose(int(event.option.id))

    def action_rate(self, rating: int) -> None:
        if self.mode not in ("revealed", "feedback") or self.current is None:
            return
        self._commit(rating)

    @on(RatingBar.Rated)
    def _rated(self, event: RatingBar.Rated) -> None:
        self.action_rate(event.rating)

    def action_accept(self) -> None:
        if self.mode == "done":
            self.action_home()
        elif self.mode == "feedback" and self.current is not None:
            self._commit(self.current.suggested or AGAIN)

    def commit_pending(self) -> None:
        """Record an auto-graded answer still on screen (the user is leaving)."""
        if self.mode == "feedback" and self.current is not None:
            self._commit(self.current.suggested or AGAIN, advance=False)

    def _commit(self, rating: int, advance: bool = True) -> None:
        cur = self.current
        assert cur is not None
        app = self.app
        now = app.clock()
        duration = int((now - cur.shown_at).total_seconds() * 1000)
        extra = {"auto": cur.suggested} if cur.suggested is not None else None
        record = app.session.answer(cur.spec.id, cur.outcomes[rating], now, duration, extra)
        if not app.record(record):
            return
        self.current = None
        if advance:
            self.next_card()

    def action_undo(self) -> None:
        app = self.app
        record = app.session.undo(app.clock())
        if record is None:
            return
        if app.record(record):
            app.notify("Last answer undone.", timeout=3)
            self.next_card()

    def action_home(self) -> None:
        self.commit_pending()
        self.dismiss()
