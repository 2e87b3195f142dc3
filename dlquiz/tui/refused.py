"""A browser tab's message when dlquiz cannot start there (e.g. the folder is in use).

In a terminal the message on stderr is enough; a tab started by ``dlquiz serve``
shows nothing of stderr, so it gets a one-screen app with the same words.
"""

from __future__ import annotations

import os
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Middle
from textual.widgets import Static


def in_browser() -> bool:
    """True when this process is a tab started by textual-serve."""
    return "web_driver" in os.environ.get("TEXTUAL_DRIVER", "")


class Refused(App[None]):
    TITLE = "dlquiz"
    CSS = "#message { width: 70; padding: 1 2; border: round $error; }"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("q,escape,enter", "quit", "Close")]

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        with Middle(), Center():
            yield Static(
                f"dlquiz could not start.\n\n{self.message}\n\n"
                "Is dlquiz open in another browser tab or a terminal? Close it there, "
                "then reload this page. Enter ends this tab's session.",
                id="message",
                markup=False,
            )


def show_in_browser(message: str) -> None:
    """Show ``message`` in the browser tab; a no-op in a terminal."""
    if in_browser():
        Refused(message).run()
