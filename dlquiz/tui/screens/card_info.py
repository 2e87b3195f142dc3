"""Card info (``i``): a card's every review and its memory state now, read from the log."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from dlquiz.cards import Kind
from dlquiz.scheduler import RATING_NAMES, REVIEW, format_interval
from dlquiz.tui.markup import escape
from dlquiz.tui.reuse import StyledOnce

if TYPE_CHECKING:
    from dlquiz.tui.app import DLQuizApp

STATE_NAMES = {1: "learning", REVIEW: "review", 3: "relearning"}


class CardInfoScreen(StyledOnce, ModalScreen[None]):
    """Anki's Card Info: history, stability, difficulty, retrievability, due.

    Several cards (a term's recall and name cards, from Browse) get a section each.
    """

    DEFAULT_CSS = """
    CardInfoScreen { align: center middle; }
    #info { width: 100%; max-width: 110; height: auto; max-height: 100%;
            border: round $accent; background: $surface; padding: 0 1; }
    .info-table { height: auto; max-height: 16; }
    .info-head { margin-top: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,i", "close", "Close", key_display="esc"),
    ]
    app: DLQuizApp

    def __init__(self, *card_ids: str) -> None:
        super().__init__()
        self.card_ids = card_ids

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="info"):
            for _ in self.card_ids:
                yield Static(classes="info-head")
                yield DataTable(classes="info-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        heads = self.query(".info-head").results(Static)
        tables = self.query(".info-table").results(DataTable)
        for card_id, head, table in zip(self.card_ids, heads, tables, strict=True):
            self._fill(card_id, head, table)

    def _fill(self, card_id: str, head: Static, table: DataTable[str | Text]) -> None:
        study, now = self.app.study, self.app.clock()
        history = study.card_history(card_id)
        empty = "" if history else "\n[dim]Never reviewed (or every review was undone).[/]"
        head.update(self._head(card_id, now) + empty)
        table.add_columns(*map(Text, ("Date", "Rating", "Interval", "Answer", "Took")))
        for review in reversed(history):  # newest first
            when = review.time.astimezone(study.tz).strftime("%Y-%m-%d %H:%M")
            rating = RATING_NAMES[review.rating]
            if review.auto is not None and review.auto != review.rating:
                rating += f" (auto {RATING_NAMES[review.auto]})"
            wait = timedelta(seconds=review.after.due - review.time.timestamp())
            interval = format_interval(wait)
            answer = (review.answer or "").replace("\n", " ")
            took = f"{review.duration_ms / 1000:.0f}s" if review.duration_ms is not None else "—"
            # Text, not str: a str cell is Rich markup ("[/]" typed as an answer raised a
            # MarkupError as the table was drawn, "[b]" went missing).
            table.add_row(when, rating, interval, Text(answer[:40] or "—"), took)
        table.display = bool(history)

    def _title(self, card_id: str) -> str:
        study = self.app.study
        spec = study.deck.get(card_id)
        if spec is None:
            return escape(card_id)
        if spec.kind in (Kind.RECALL, Kind.NAME) and spec.key in study.content.terms:
            side = "recall" if spec.kind is Kind.RECALL else "name it"
            return f"{escape(study.content.terms[spec.key].term)} · {side}"
        if spec.kind is Kind.CONCEPT and spec.key in study.content.concepts:
            return escape(study.content.concepts[spec.key].question)
        return f"{escape(spec.key)} · level {spec.level}"

    def _head(self, card_id: str, now: datetime) -> str:
        study = self.app.study
        lines = [f"[b]{self._title(card_id)}[/]", f"[dim]{escape(card_id)}[/]"]
        state = study.card_state(card_id)
        if state is None:
            lines.append("New: not studied yet.")
        else:
            due = datetime.fromtimestamp(state.due, study.tz)
            wait = due - now.astimezone(study.tz)
            when = f"in {format_interval(wait)}" if wait > timedelta(0) else "now"
            r = study.retrievability(card_id, now)
            stability = f"{state.stability:.1f} days" if state.stability is not None else "—"
            difficulty = f"{state.difficulty:.1f} / 10" if state.difficulty is not None else "—"
            lines += [
                f"Due [b]{due:%Y-%m-%d %H:%M}[/] ({when}) · {STATE_NAMES.get(state.state, '?')}",
                f"Stability {stability} · Difficulty {difficulty} · "
                f"Recall chance now {'—' if r is None else f'{r:.0%}'}",
                f"Reviews {state.reps} · Lapses {state.lapses}",
            ]
        marks = study.marks_of(card_id)
        said = [name for name in ("flagged", "suspended", "leech") if getattr(marks, name)]
        if marks.buried_until is not None and marks.buried_until > now.timestamp():
            said.append("buried")
        if said:
            lines.append("Marked: " + ", ".join(said))
        return "\n".join(lines)

    def action_close(self) -> None:
        self.dismiss()
