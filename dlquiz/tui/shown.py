"""What the review screen shows for a card: built from content, no widgets.

Kept apart from the screen so the screen only deals with keys and layout.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from dlquiz.cards import CardSpec, Kind, name_choices
from dlquiz.content import Content
from dlquiz.questions.base import Question
from dlquiz.scheduler import Outcome
from dlquiz.tui.markup import escape


class Outcomes(Mapping[int, Outcome]):
    """The outcomes of each rating, computed when first looked up: a card's ratings show
    on reveal, so showing the card (the rating key's path to the next one) skips the
    scheduler's four runs (~0.3 ms)."""

    def __init__(self, compute: Callable[[], dict[int, Outcome]]) -> None:
        self._compute: Callable[[], dict[int, Outcome]] | None = compute
        self._outcomes: dict[int, Outcome] = {}

    def _all(self) -> dict[int, Outcome]:
        if self._compute is not None:
            self._outcomes, self._compute = self._compute(), None
        return self._outcomes

    def __getitem__(self, rating: int) -> Outcome:
        return self._all()[rating]

    def __iter__(self) -> Iterator[int]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


@dataclass
class Shown:
    """The card on screen and what answering it would do."""

    spec: CardSpec
    shown_at: datetime
    outcomes: Mapping[int, Outcome]
    front: str  # Rich markup
    back: str = ""  # Rich markup, shown after the answer
    choices: list[str] = field(default_factory=list)
    correct: int | None = None  # index of the right choice, for choice cards
    suggested: int | None = None  # auto-grade once answered
    question: Question | None = None  # skill cards, once generated
    seed: int | None = None  # skill cards: the numbers drawn for this review
    attempts: int = 0  # wrong typed answers so far
    typed: str | None = None  # the typed answer that was graded

    @property
    def is_choice(self) -> bool:
        return self.correct is not None

    @property
    def is_typed(self) -> bool:
        return self.question is not None and not self.is_choice


def _term_parts(content: Content, slug: str) -> tuple[str, str, str]:
    term = content.terms[slug]
    also = f"\n[dim]also: {escape(', '.join(term.aliases))}[/]" if term.aliases else ""
    # The notes (the longer part) follow the short definition the card asked for.
    notes = f"\n\n[dim]{escape(term.notes)}[/]" if term.notes else ""
    formula = notes + (f"\n\n[b]Formula[/]  {escape(term.formula)}" if term.formula else "")
    related = [content.terms[s].term for s in term.related if s in content.terms]
    see = f"\n\n[dim]Related: {escape(', '.join(related))}[/]" if related else ""
    return also, formula, see


def build(
    spec: CardSpec, content: Content, outcomes: Mapping[int, Outcome], now: datetime, reps: int
) -> Shown:
    """The front and back of a content card, or a placeholder for a skill card."""
    # A fresh arrangement of choices at each review, repeatable for tests.
    seed = zlib.crc32(spec.id.encode()) + reps
    if spec.kind is Kind.RECALL:
        term = content.terms[spec.key]
        also, formula, see = _term_parts(content, spec.key)
        front = f"[b]{escape(term.term)}[/]{also}"
        back = f"{escape(term.definition)}{formula}{see}"
        return Shown(spec, now, outcomes, front, back)
    if spec.kind is Kind.NAME:
        term = content.terms[spec.key]
        also, formula, see = _term_parts(content, spec.key)
        picks, correct = name_choices(content, spec.key, seed)
        back = f"[b]{escape(term.term)}[/]{also}\n\n{escape(term.definition)}{formula}{see}"
        return Shown(
            spec,
            now,
            outcomes,
            escape(term.definition),
            back,
            [t.term for t in picks],
            correct,
        )
    if spec.kind is Kind.CONCEPT:
        concept = content.concepts[spec.key]
        back = f"[b]{escape(concept.answer)}[/]\n\n{escape(concept.explanation)}"
        if concept.choices:
            order = list(concept.choices)
            random.Random(seed).shuffle(order)
            return Shown(
                spec,
                now,
                outcomes,
                escape(concept.question),
                back,
                order,
                order.index(concept.answer),
            )
        return Shown(spec, now, outcomes, escape(concept.question), back)
    return Shown(spec, now, outcomes, "[dim]Drawing fresh numbers…[/]")


def with_question(shown: Shown, question: Question, now: datetime) -> None:
    """Fill a skill card in once its question has been generated."""
    shown.question = question
    shown.shown_at = now  # time the answer from when the question is readable
    shown.front = escape(question.prompt)
    if question.expected.kind == "choice":
        shown.choices = list(question.expected.choices)
        shown.correct = int(question.expected.value)
    shown.back = (
        f"[b]Answer: {escape(question.expected.display())}[/]\n\n{escape(question.explanation)}"
    )
