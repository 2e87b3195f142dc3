"""Card info (``i``): a card's every review and its memory state now, read from the log."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, ClassVar

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from dlquiz.cards import Kind
from dlquiz.scheduler import RATING_NAMES, REVIEW, format_interval

if TYPE_CHECKING:
    from dlquiz.tui.app import DLQuizApp

STATE_NAMES = {1: "learning", REVIEW: "review", 3: "relearning"}


class CardInfoScreen(ModalScreen[None]):
    """Anki's Card Info: history, stability, difficulty, retrievability, due."""

    DEFAULT_CSS = """
    CardInfoScreen { align: center middle; }
    #info { width: 100%; max-width: 110; height: auto; max-height: 100%;
            border: round $accent; background: $surface; padding: 0 1; }
    #info-table { height: auto; max-height: 16; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,i", "close", "Close", key_display="esc"),
    ]
    app: DLQuizApp

    def __init__(self, card_id: str) -> None:
        super().__init__()
        self.card_id = card_id

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="info"):
            yield Static(id="info-head")
            yield DataTable(id="info-table", cursor_type="row", zebra_stripes=True)
            yield Static(id="info-empty")

    def on_mount(self) -> None:
        study, now = self.app.study, self.app.clock()
        self.query_one("#info-head", Static).update(self._head(now))
        table = self.query_one("#info-table", DataTable)
        table.add_columns("Date", "Rating", "Interval", "Answer", "Took")
        history = study.card_history(self.card_id)
        for review in reversed(history):  # newest first
            when = review.time.astimezone(study.tz).strftime("%Y-%m-%d %H:%M")
            rating = RATING_NAMES[review.rating]
            if review.auto is not None and review.auto != review.rating:
                rating += f" (auto {RATING_NAMES[review.auto]})"
            wait = timedelta(seconds=review.after.due - review.time.timestamp())
            interval = format_interval(wait)
            answer = (review.answer or "").replace("\n", " ")
            took = f"{review.duration_ms / 1000:.0f}s" if review.duration_ms is not None else "—"
            table.add_row(when, rating, interval, answer[:40] or "—", took)
        table.display = bool(history)
        self.query_one("#info-empty", Static).update(
            "" if history else "[dim]Never reviewed (or every review was undone).[/]"
        )

    def _title(self) -> str:
        study = self.app.study
        spec = study.deck.get(self.card_id)
        if spec is None:
            return escape(self.card_id)
        if spec.kind in (Kind.RECALL, Kind.NAME) and spec.key in study.content.terms:
            side = "recall" if spec.kind is Kind.RECALL else "name it"
            return f"{escape(study.content.terms[spec.key].term)} · {side}"
        if spec.kind is Kind.CONCEPT and spec.key in study.content.concepts:
            return escape(study.content.concepts[spec.key].question)
        return f"{escape(spec.key)} · level {spec.level}"

    def _head(self, now: datetime) -> str:
        study = self.app.study
        lines = [f"[b]{self._title()}[/]", f"[dim]{escape(self.card_id)}[/]"]
        state = study.card_state(self.card_id)
        if state is None:
            lines.append("New: not studied yet.")
        else:
            due = datetime.fromtimestamp(state.due, study.tz)
            wait = due - now.astimezone(study.tz)
            when = f"in {format_interval(wait)}" if wait > timedelta(0) else "now"
            r = study.retrievability(self.card_id, now)
            stability = f"{state.stability:.1f} days" if state.stability is not None else "—"
            difficulty = f"{state.difficulty:.1f} / 10" if state.difficulty is not None else "—"
            lines += [
                f"Due [b]{due:%Y-%m-%d %H:%M}[/] ({when}) · {STATE_NAMES.get(state.state, '?')}",
                f"Stability {stability} · Difficulty {difficulty} · "
                f"Recall chance now {'—' if r is None else f'{r:.0%}'}",
                f"Reviews {state.reps} · Lapses {state.lapses}",
            ]
        marks = study.marks_of(self.card_id)
        said = [name for name in ("flagged", "suspended", "leech") if getattr(marks, name)]
        if marks.buried_until is not None and marks.buried_until > now.timestamp():
            said.append("buried")
        if said:
            lines.append("Marked: " + ", ".join(said))
        return "\n".join(lines)

    def action_close(self) -> None:
        self.dismiss()
