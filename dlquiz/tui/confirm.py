"""A modal that asks before unsaved edits are thrown away; returns True to discard."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmDiscard(ModalScreen[bool]):
    """Asked on Esc when the form has unsaved edits."""

    DEFAULT_CSS = """
    ConfirmDiscard {
        align: center middle;
    }
    #confirm {
        width: 50;
        height: auto;
        border: round $warning;
        background: $surface;
        padding: 1 2;
    }
    #confirm-buttons {
        height: auto;
        margin-top: 1;
        align-horizontal: center;
    }
    #confirm-buttons Button {
        margin: 0 1;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d,y", "answer(True)", "Discard"),
        Binding("escape,n", "answer(False)", "Keep editing"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            yield Static("You have unsaved changes. Discard them?")
            with Horizontal(id="confirm-buttons"):
                yield Button("Discard (d)", id="discard", variant="error")
                yield Button("Keep editing (Esc)", id="keep", variant="primary")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "discard")

    def action_answer(self, discard: bool) -> None:
        self.dismiss(discard)
