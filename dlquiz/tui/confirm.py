"""Yes/no questions as modal dialogs; each returns True for yes.

One dialog, worded per use: discarding unsaved settings, stopping a quiz,
resetting a card's progress. The "no" button has the focus, so Enter alone never
destroys anything.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from dlquiz.tui.markup import escape
from dlquiz.tui.reuse import StyledOnce


class Confirm(StyledOnce, ModalScreen[bool]):
    """Ask ``question``; dismissed with True (yes) or False (no, Esc)."""

    DEFAULT_CSS = """
    Confirm { align: center middle; }
    #confirm { width: 60; max-width: 90%; height: auto; border: round $warning;
               background: $surface; padding: 1 2; }
    #confirm-text { width: 100%; margin-bottom: 1; }
    #confirm-buttons { width: 100%; height: auto; align-horizontal: right; }
    #confirm-buttons Button { margin-left: 2; min-width: 8; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]
    QUESTION: ClassVar[str] = ""
    YES: ClassVar[tuple[str, str]] = ("yes", "Yes")  # (button id, label)
    NO: ClassVar[tuple[str, str]] = ("no", "No")
    YES_VARIANT: ClassVar[Literal["error", "warning"]] = "error"

    def __init__(self, question: str | None = None) -> None:
        super().__init__()
        self.question = question or self.QUESTION

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            yield Static(escape(self.question), id="confirm-text")
            with Horizontal(id="confirm-buttons"):
                yield Button(self.YES[1], id=self.YES[0], variant=self.YES_VARIANT)
                yield Button(self.NO[1], id=self.NO[0], variant="primary")

    def on_mount(self) -> None:
        self.query_one(f"#{self.NO[0]}", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == self.YES[0])

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class ConfirmDiscard(Confirm):
    """Asked on Esc when the settings form has unsaved edits."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d,y", "answer(True)", "Discard"),
        Binding("escape,n", "answer(False)", "Keep editing"),
    ]
    QUESTION = "You have unsaved changes. Discard them?"
    YES = ("discard", "Discard (d)")
    NO = ("keep", "Keep editing (Esc)")


class ConfirmStopQuiz(Confirm):
    """Asked on Esc in a quiz: end it now (the score so far is shown) or go on."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,s", "answer(True)", "Stop"),
        Binding("escape,n", "answer(False)", "Go on"),
    ]
    QUESTION = "Stop the quiz here? You will see your score so far and your misses."
    YES = ("stop", "Stop (y)")
    NO = ("go-on", "Go on (Esc)")
    YES_VARIANT = "warning"
