"""The review screen's session keys: undo, marks, card info, learn ahead, the summary.

A mixin of ``ReviewScreen`` (kept apart so the screen stays readable). Its methods
only need what ``_Review`` lists; everything they change goes through ``app.study``.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from textual.content import Content

from dlquiz.cards import CardSpec, Kind
from dlquiz.order import custom_cards
from dlquiz.practice import Practice
from dlquiz.scheduler import AGAIN, format_interval
from dlquiz.study import SaveError, Study
from dlquiz.tui.markup import escape

if TYPE_CHECKING:
    from dlquiz.tui.app import DLQuizApp
    from dlquiz.tui.shown import Shown


class _Review(Protocol):
    @property
    def app(self) -> DLQuizApp: ...

    current: Shown | None
    practice: Practice | None
    _asked: dict[str, Shown]
    _undone: tuple[str, int] | None
    _answered_seeds: dict[str, int]

    @property
    def mode(self) -> str: ...

    def next_card(self, spec: CardSpec | None = None) -> None: ...

    def dismiss(self, result: None = None) -> object: ...

    def commit_pending(self) -> None: ...

    def _mark_current(self, kind: str, message: str, **fields: object) -> bool: ...

    def _refresh_marks(self) -> None: ...


def cram(title: str, specs: list[CardSpec], now: datetime) -> Practice:
    """Practice outside the schedule: each card until known (Again brings it back)."""
    return Practice(title, deque(specs), requeue_again=True, started_at=now)


def marks_note(study: Study, card_id: str, now: datetime) -> str:
    """How the user has marked a card, said beside its kind (markup; "" if unmarked)."""
    marks = study.marks_of(card_id)
    notes = [
        ("flagged", "⚑ Flagged", "$warning"),
        ("suspended", "Suspended", "$error"),
        ("leech", "Leech", "$error"),
    ]
    out = [f"[b {color}]{text}[/]" for name, text, color in notes if getattr(marks, name)]
    if marks.buried_until is not None and marks.buried_until > now.timestamp():
        out.append("[b $warning]Buried[/]")
    return "  " + " · ".join(out) if out else ""


def card_label(study: Study, spec: CardSpec) -> str:
    """The kind of card (markup), and NEW on a card not yet reviewed."""
    tag = "  [b $accent]NEW[/]" if study.cards.get(spec.id) is None else ""
    if spec.kind is Kind.SKILL:
        from dlquiz.questions import families

        fam = families()[spec.key]
        return f"Compute · {escape(fam.title)} · level {spec.level}{tag}"
    names = {
        Kind.RECALL: "Recall the definition",
        Kind.NAME: "Which term is this?",
        Kind.CONCEPT: "Concept",
    }
    return names[spec.kind] + tag


def progress_line(study: Study, now: datetime) -> Content:
    """Due left · new left · done in this session. Assembled, not markup: parsing this
    line's markup took ~0.12 ms of every rating key."""
    counts = study.counts(now)
    done = str(len(study.session.answered))
    if study.session.focused:
        left = (str(counts.due), "b $warning")
        return Content.assemble("Custom study · left ", left, " · done ", (done, "b $success"))
    return Content.assemble(
        "Due ",
        (str(counts.due), "b $warning"),
        " · New ",
        (str(counts.new), "b $accent"),
        " · Done ",
        (done, "b $success"),
    )


def done_texts(study: Study, now: datetime) -> tuple[str, str, str]:
    """Title, message and key hint once nothing is left (ends a custom study)."""
    custom = study.session.focused
    study.end_focus()
    title = "Custom study done" if custom else "All done for now"
    nxt = study.next_learning_due()
    if nxt is None:
        msg = "Nothing more is due today. Come back tomorrow: that is how it sticks."
        return title, msg, "Enter: session summary"
    msg = (
        "Nothing more is due right now. The next card you are learning is due in "
        f"{format_interval(nxt - now)}. Press a to learn it now (ahead of time), or come "
        "back then."
    )
    return title, msg, "a: learn ahead · Enter: session summary"


def practice_answered(practice: Practice, cur: Shown, rating: int) -> None:
    """Count a cram or quiz answer (a graded one with what was asked and given)."""
    if cur.suggested is None:  # self-graded
        practice.answered(rating)
        return
    question = cur.question
    prompt = question.prompt if question else cur.front
    expected = question.expected.display() if question else cur.choices[cur.correct or 0]
    title = ""
    if question is not None:
        from dlquiz.questions import families

        title = f"{families()[question.family].title} · level {question.level}"
    practice.answered(
        rating,
        correct=cur.suggested != AGAIN,
        prompt=prompt,
        given=cur.typed or "",
        expected=expected,
        title=title,
        code=question.code if question else "",
        explanation=question.explanation if question else "",
    )


class SessionKeys:
    """Undo, flag/unflag, card info, learn ahead and the summary, for ``ReviewScreen``."""

    def action_flag(self: _Review) -> None:
        if self._mark_current("flag", "Flagged.", on=True):
            self._refresh_marks()

    def action_unflag(self: _Review) -> None:
        if self._mark_current("flag", "Flag removed.", on=False):
            self._refresh_marks()

    def action_card_info(self: _Review) -> None:
        if self.current is not None:
            self.app.open_card_info(self.current.spec.id)

    def action_learn_ahead(self: _Review) -> None:
        if self.mode != "done" or self.practice is not None:
            return
        spec = self.app.study.learn_ahead(self.app.clock())
        if spec is not None:
            self.next_card(spec)

    def action_undo_typing(self: _Review) -> None:
        SessionKeys.action_undo(self)

    def action_undo(self: _Review) -> None:
        """Undo the session's last action; the card it concerned comes back if it left."""
        app = self.app
        if self.practice is not None:
            return
        if self.mode == "feedback":
            self.commit_pending()  # the answer on screen is the last one: record it, undo it
        label = app.study.undo_label
        if label is None:
            return
        try:
            result = app.study.undo(app.clock())
        except SaveError as exc:
            app.report(exc)
            return
        if result is None or not app.report(result):
            return
        app.notify(f"Undone: {label}.", timeout=3, markup=False)
        cur = self.current
        on_screen = cur is not None and cur.spec.id == result.record.card
        if label in ("answer", "bury", "suspend") or (
            on_screen and label in ("unsuspend", "reset")
        ):
            # The card on screen (unanswered) goes back to the queue, and the card
            # the action took away comes first: a computed question with the numbers
            # it had, not fresh ones (the one the user undid, not another).
            card = result.record.card
            shown = self._asked.get(card)  # a bury or suspend: as it was on screen
            seed = self._answered_seeds.get(card) if label == "answer" else shown and shown.seed
            if seed is not None:
                self._undone = (card, seed)
            self.current = None
            self.next_card()
        else:
            self._refresh_marks()

    def _show_summary(self: _Review) -> None:
        now = self.app.clock()

        def chosen(choice: tuple[str, ...] | None) -> None:
            SessionKeys._summary_done(self, choice)

        self.app.open_summary(self.app.study.summary(now), dict(self._asked), chosen)

    def _summary_done(self: _Review, choice: tuple[str, ...] | None) -> None:
        """What the user chose on the summary: go home, or study on."""
        study, now = self.app.study, self.app.clock()
        if choice is None:
            self.dismiss()
        elif choice[0] == "more":
            study.more_new(int(choice[1]))
            self.next_card()
        elif choice[0] == "misses":
            specs = [study.deck[c] for c in study.missed_today() if c in study.deck]
            self.app.start_practice(cram("Today's misses", specs, now))
        elif choice[0] == "custom":
            specs = custom_cards(study.deck, choice[1])
            if choice[2] == "schedule":
                study.focus([s.id for s in specs])
                self.next_card()
            else:
                self.app.start_practice(cram(f"Cram: {choice[1]}", specs, now))
