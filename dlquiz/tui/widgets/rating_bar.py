"""Four rating buttons, each showing the interval it would schedule."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button

from dlquiz.scheduler import AGAIN, EASY, GOOD, HARD, RATING_NAMES, Outcome

_VARIANTS = {AGAIN: "error", HARD: "warning", GOOD: "success", EASY: "primary"}


class RatingBar(Horizontal):
    """Again / Hard / Good / Easy with previews; posts ``RatingBar.Rated``.

    One line high whatever it shows; the review screen hides it with ``visible`` (its row
    stays, so the card keeps its size when the ratings come and go).
    """

    DEFAULT_CSS = """
    RatingBar { height: 1; width: 100%; align-horizontal: center; }
    RatingBar Button { width: 1fr; max-width: 19; min-width: 12; margin: 0 1; }
    RatingBar Button.suggested { text-style: bold reverse; }
    """

    class Rated(Message):
        def __init__(self, rating: int) -> None:
            super().__init__()
            self.rating = rating

    def compose(self) -> ComposeResult:
        for rating in (AGAIN, HARD, GOOD, EASY):
            yield Button(
                f"{rating} {RATING_NAMES[rating]}",
                id=f"rate-{rating}",
                variant=_VARIANTS[rating],  # type: ignore[arg-type]  # str for a Literal
                compact=True,
            )

    def show(self, outcomes: dict[int, Outcome], suggested: int | None = None) -> None:
        """Label each button with its interval; mark the auto-grade if any."""
        for rating, outcome in outcomes.items():
            button = self.query_one(f"#rate-{rating}", Button)
            button.label = f"{rating} {RATING_NAMES[rating]} · {outcome.label}"
            button.set_class(rating == suggested, "suggested")

    def show_labels(self, labels: dict[int, str], suggested: int | None = None) -> None:
        """Plain labels instead of intervals (practice modes do not schedule)."""
        for rating, label in labels.items():
            button = self.query_one(f"#rate-{rating}", Button)
            button.label = f"{rating} {label}"
            button.set_class(rating == suggested, "suggested")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id and event.button.id.startswith("rate-"):
            self.post_message(self.Rated(int(event.button.id.removeprefix("rate-"))))
