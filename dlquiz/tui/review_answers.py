"""The review screen's skill questions: a generated question arriving (or failing), a
typed answer graded (one more try after a first miss), hints, giving up, the proof.

A mixin of ``ReviewScreen``, kept apart so the screen stays readable. Textual registers
``@on`` handlers only on the screen class itself, so the screen keeps those two lines
and calls ``grade_typed`` and ``hint_key`` here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

from textual.widgets import Input, Static

from dlquiz.questions.base import Question
from dlquiz.scheduler import RATING_NAMES, auto_rating
from dlquiz.tui import shown as shown_mod
from dlquiz.tui.markup import escape
from dlquiz.tui.shown import Shown

if TYPE_CHECKING:
    from rich.syntax import Syntax
    from textual.widget import Widget

    from dlquiz.tui.app import DLQuizApp

    _W = TypeVar("_W", bound=Widget)


def highlighted(code: str) -> Syntax:
    # rich.syntax pulls in pygments (~10 ms): only when a question shows code.
    from rich.syntax import Syntax

    return Syntax(code, "python", theme="ansi_dark", word_wrap=False)  # never breaks indentation


@dataclass
class SkillHelp:
    """Per skill card: hints shown, the first named mistake, the last typed answer."""

    card: Shown | None
    hints: int = 0
    mistake: str | None = None
    typed: str | None = None


class _Screen(Protocol):
    """What these methods use of ``ReviewScreen``."""

    @property
    def app(self) -> DLQuizApp: ...

    current: Shown | None
    mode: str
    _skill_help: SkillHelp
    _retry: bool
    _parts: dict[str, Widget]

    def query_one(self, selector: str, expect_type: type[_W]) -> _W: ...

    def part(self, part_id: str) -> Widget: ...

    def set_focus(self, widget: Widget | None) -> None: ...

    def _hint(self, text: str) -> None: ...

    def _head(self, kind: str, front: str) -> None: ...

    def _label(self) -> str: ...

    def _show_question(self) -> None: ...

    def _reveal_back(self, feedback: str | None = None) -> None: ...

    def _help(self, cur: Shown) -> SkillHelp: ...

    def _graded(self, right: bool, message: str, close: bool = False) -> None: ...


class SkillAnswers:
    """What the review screen does with skill questions (methods of ``ReviewScreen``)."""

    def _help(self: _Screen, cur: Shown) -> SkillHelp:
        """Hints shown and the first named mistake, for the skill card on screen."""
        if self._skill_help.card is not cur:
            self._skill_help = SkillHelp(cur)
        return self._skill_help

    def _extra(self: _Screen, cur: Shown) -> dict[str, object] | None:
        """What the log keeps besides the rating: the auto-grade and the question asked."""
        extra: dict[str, object] = {}
        if cur.suggested is not None:
            extra["auto"] = cur.suggested
        if cur.typed is not None:
            extra["answer"] = cur.typed[:500]
        if cur.question is not None:
            extra["skill"] = {
                "family": cur.question.family,
                "level": cur.question.level,
                "seed": cur.question.seed,
                "params": cur.question.params,
            }
            extra["wrong_tries"] = cur.attempts
            help_ = self._help(cur)
            typed = cur.typed if cur.typed is not None else help_.typed
            if typed is not None:  # the log's `answer`: what the user typed
                extra["answer"] = typed[:500]
            extra["mistake"] = help_.mistake
            extra["hints"] = help_.hints
        return extra or None

    def _question_ready(self: _Screen, card_id: str, question: Question) -> None:
        cur = self.current
        if cur is None or cur.spec.id != card_id or self.mode != "loading":
            return  # stale: the user moved on (undo, home) while it was generated
        shown_mod.with_question(cur, question, self.app.clock())
        self._show_question()

    def _generation_failed(self: _Screen, card_id: str, error: Exception) -> None:
        cur = self.current
        if cur is None or cur.spec.id != card_id:
            return
        text = str(error).strip()
        last = text.splitlines()[-1] if text else "unknown error"
        # The worker process failing (hung, stopped, died) is worth another try: it has
        # been restarted. A generator that raised would raise again: skip the card.
        self._retry = bool(getattr(error, "retryable", False))
        then = (
            "Nothing was recorded. Enter tries again with a fresh question process."
            if self._retry
            else "It is skipped for this session; nothing was recorded. Please report it."
        )
        self._head(
            self._label(),
            f"[b $error]This question could not be generated.[/]\n\n{escape(last)}\n\n{then}",
        )
        self._hint("Enter: try again." if self._retry else "Enter: next card.")
        self.mode = "failed"

    def grade_typed(self: _Screen, event: Input.Submitted) -> None:
        """An answer typed into the box and submitted: graded, or one more try."""
        from dlquiz.answers import grade

        cur = self.current
        if self.mode != "question" or cur is None or cur.question is None:
            return
        verdict = grade(cur.question, event.value)
        if verdict.unreadable:
            self._hint(verdict.message)  # a hint and another try, never a wrong mark
            return
        help_ = self._help(cur)
        help_.typed = event.value
        if verdict.mistake is not None and help_.mistake is None:
            help_.mistake = verdict.mistake.id
        if not verdict.correct and cur.attempts == 0:
            cur.attempts += 1
            slip = f" {verdict.mistake.feedback}" if verdict.mistake else ""
            self._hint(
                f"Not quite: {verdict.message.split(';')[0]}.{slip} One more try (Ctrl+R: answer)."
            )
            event.input.action_select_all()
            return
        cur.typed = event.value
        # A near miss (rounded intermediates) passes as Hard, like a right answer after help.
        self._graded(verdict.correct, verdict.message, close=verdict.close)

    def hint_key(self: _Screen, event: Input.Changed) -> None:
        """h typed into the empty answer box shows the next hint: the rule, then the rule with
        this question's numbers (the Input takes printable keys, so this is not a binding; no
        numeric or shape answer starts with h)."""
        cur = self.current
        q = cur.question if cur is not None and self.mode == "question" else None
        if event.value != "h" or q is None or q.expected.kind == "text" or cur is None:
            return
        help_ = self._help(cur)
        if help_.hints < len(q.hints):
            help_.hints += 1
            event.input.value = ""
            lines = [f"[b]Hint {i + 1}[/]  {escape(h)}" for i, h in enumerate(q.hints)]
            back = self.part("card-back")
            assert isinstance(back, Static)
            back.update("\n".join(lines[: help_.hints]))
            back.display = True
            more = " · h: second hint" if help_.hints < len(q.hints) else ""
            self._hint(f"A right answer now counts as Hard{more}.")

    def _graded(self: _Screen, right: bool, message: str, close: bool = False) -> None:
        cur = self.current
        assert cur is not None
        helped = cur.attempts > 0 or close or self._help(cur).hints > 0
        cur.suggested = auto_rating(right, needed_help=helped)
        typed = self._parts.get("typed")  # not mounted before the first typed card
        if typed is not None:
            typed.disabled = True
        self.set_focus(None)
        color = "$success" if right else "$error"
        mark = "✓" if right else "✗"
        self._reveal_back(f"[b {color}]{mark}[/] {escape(message)}\n\n")
        name = RATING_NAMES[cur.suggested]
        proof = " · p: prove it" if cur.question is not None else ""
        self._hint(f"Graded {name} · Enter: next · 1–4: grade it yourself{proof}")
        self.mode = "feedback"

    def action_give_up(self: _Screen) -> None:
        cur = self.current
        if self.mode != "question" or cur is None or not cur.is_typed:
            return
        typed = self.query_one("#typed", Input).value.strip()
        cur.typed = typed or None
        cur.attempts += 1
        # After a wrong try the box still holds that answer: it was an answer, not none.
        self._graded(
            False, f"Not right: you answered {typed}." if typed else "Shown without an answer."
        )

    def action_proof(self: _Screen) -> None:
        cur = self.current
        if cur is None or cur.question is None:
            return
        proof = self.part("card-proof")
        assert isinstance(proof, Static)
        proof.display = not proof.display
        if proof.display:
            proof.update(highlighted(cur.question.proof))
            proof.scroll_visible()
