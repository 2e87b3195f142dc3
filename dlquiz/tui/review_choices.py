"""The review screen's choice cards: an option picked (a digit or letter, Up, Down and
Enter, a click) and graded at once, with the slip a computed question's option names.

A mixin of ``ReviewScreen``, kept apart so the screen stays readable (its ``@on``
handler for a click stays on the screen: see ``review_answers``). The options are drawn
by the card's head, or under code by a ``ChoiceList`` (``dlquiz.tui.widgets.choice_list``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from dlquiz.tui.widgets.card_parts import CardHead
from dlquiz.tui.widgets.choice_list import ChoiceList, Choices

if TYPE_CHECKING:
    from textual.widget import Widget

    from dlquiz.tui.review_answers import SkillHelp
    from dlquiz.tui.shown import Shown

LETTERS = "abcdefgh"  # the options' labels, and the keys that pick them


class _Screen(Protocol):
    """What these methods use of ``ReviewScreen``."""

    current: Shown | None
    mode: str

    def part(self, part_id: str) -> Widget: ...

    def _card_head(self) -> CardHead: ...

    def _help(self, cur: Shown) -> SkillHelp: ...

    def _graded(self, right: bool, message: str, close: bool = False) -> None: ...

    def action_choose(self, number: int) -> None: ...

    def _choices(self) -> tuple[Choices, CardHead | ChoiceList]: ...

    def _choice_list(self) -> ChoiceList: ...


class ChoiceKeys:
    """What the review screen does with a choice card's options (methods of
    ``ReviewScreen``)."""

    def action_choose(self: _Screen, number: int) -> None:
        cur = self.current
        if self.mode != "question" or cur is None or cur.correct is None:
            return
        if not 1 <= number <= len(cur.choices):
            return
        picked = number - 1
        cur.typed = cur.choices[picked]
        choices, view = self._choices()
        choices.pick(picked)
        view.redraw_choices()
        if picked == cur.correct:
            self._graded(True, "Correct.")
        else:
            # A computed "pick one" question names the slip that leads to this option.
            slip = next(
                (m for m in (cur.question.mistakes if cur.question else ()) if m.value == picked),
                None,
            )
            if slip is not None:
                self._help(cur).mistake = slip.id
            self._graded(
                False,
                f"Not quite. You picked {LETTERS[picked]}) {cur.choices[picked]}; "
                f"the answer is {LETTERS[cur.correct]}) {cur.choices[cur.correct]}."
                + (f" {slip.feedback}" if slip is not None else ""),
            )

    def action_move_choice(self: _Screen, step: int) -> None:
        choices, view = self._choices()
        if choices.move(step):
            view.redraw_choices()

    def action_pick_choice(self: _Screen) -> None:
        self.action_choose(self._choices()[0].highlighted + 1)

    def _choices(self: _Screen) -> tuple[Choices, CardHead | ChoiceList]:
        """The card's options, and what draws them: its head, or (under code) a
        ChoiceList."""
        head = self._card_head()
        if head.choices is not None:
            return head.choices, head
        choice_list = self._choice_list()
        return choice_list.choices, choice_list

    def _choice_list(self: _Screen) -> ChoiceList:
        choices = self.part("choices")
        assert isinstance(choices, ChoiceList)
        return choices
