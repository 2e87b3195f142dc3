"""One glossary term or concept card in full: its text, its links and its cards' schedule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from dlquiz.content import Content
from dlquiz.records import Marks
from dlquiz.scheduler import LEARNING, RELEARNING, REVIEW, CardState
from dlquiz.tui.markup import escape

STATE_NAMES = {LEARNING: "learning", REVIEW: "review", RELEARNING: "relearning"}


@dataclass(frozen=True)
class CardRow:
    """One schedulable card of the item shown, as the store knows it now."""

    label: str  # "Recall", "Name", "Concept"
    card_id: str
    state: CardState | None  # None: never studied (new)
    marks: Marks


def _buried(marks: Marks, now: datetime) -> bool:
    return marks.buried_until is not None and marks.buried_until > now.timestamp()


def marks_symbols(marks: Marks, now: datetime) -> str:
    """A card's marks, compact enough for a table cell: "⊘ ⚑ leech buried"."""
    parts = [
        symbol
        for symbol, on in (
            ("⊘", marks.suspended),
            ("⚑", marks.flagged),
            ("leech", marks.leech),
            ("buried", _buried(marks, now)),
        )
        if on
    ]
    return " ".join(parts)


def marks_legend(rows: list[CardRow], now: datetime, tz: tzinfo) -> str:
    """The marks present on any of ``rows``, in words: "⊘ suspended · ⚑ flagged"."""
    parts: list[str] = []
    if any(r.marks.suspended for r in rows):
        parts.append("⊘ suspended (left out of reviews)")
    if any(r.marks.flagged for r in rows):
        parts.append("⚑ flagged")
    if any(r.marks.leech for r in rows):
        parts.append("leech (forgotten again and again: worth rewording)")
    buried = [r.marks.buried_until for r in rows if _buried(r.marks, now)]
    if buried:
        until = datetime.fromtimestamp(max(b for b in buried if b is not None), UTC)
        parts.append(f"buried until {until.astimezone(tz):%a %H:%M}")
    return " · ".join(parts)


def schedule_table(rows: list[CardRow], now: datetime, tz: tzinfo) -> Table:
    """State, local due date, stability, reps, lapses and marks of each card."""
    table = Table(box=None, pad_edge=False, header_style="bold", expand=False)
    for name, justify in (
        ("Card", "left"),
        ("State", "left"),
        ("Due", "left"),
        ("Stability", "right"),
        ("Reps", "right"),
        ("Lapses", "right"),
    ):
        table.add_column(Text(name), justify=justify, no_wrap=True)  # type: ignore[arg-type]  # str for a Literal
    table.add_column(Text("Marks"))  # the only column that may wrap in a narrow pane
    for row in rows:
        st = row.state
        if st is None:
            cells = ["new", "—", "—", "0", "0"]
        else:
            due = st.due_at.astimezone(tz)
            stability = f"{st.stability:.1f} d" if st.stability is not None else "—"
            cells = [
                STATE_NAMES.get(st.state, str(st.state)),
                f"{due:%Y-%m-%d %H:%M}",
                stability,
                str(st.reps),
                str(st.lapses),
            ]
        table.add_row(row.label, *cells, marks_symbols(row.marks, now) or "—")
    return table


def schedule(rows: list[CardRow], now: datetime, tz: tzinfo) -> Group:
    """The table, then what its marks mean."""
    legend = marks_legend(rows, now, tz)
    if not legend:
        return Group(schedule_table(rows, now, tz))
    return Group(schedule_table(rows, now, tz), Text(""), Text(legend, style="dim"))


class TermView(VerticalScroll):
    """The detail pane: a term (or concept), links to related entries, and the schedule.

    Links are options; choosing one posts ``TermView.LinkSelected`` with the
    linked entry's key ("term:<slug>" or "concept:<slug>").
    """

    DEFAULT_CSS = """
    TermView { height: 1fr; padding: 0 1; }
    TermView #term-body { margin-bottom: 1; }
    TermView .term-heading { text-style: bold; color: $accent; }
    TermView #term-links { height: auto; max-height: 10; margin-bottom: 1; }
    TermView #term-schedule { margin-bottom: 1; }
    """

    class LinkSelected(Message):
        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    def compose(self) -> ComposeResult:
        yield Static(id="term-body")
        yield Static("See also", id="term-links-title", classes="term-heading")
        yield OptionList(id="term-links")
        yield Static("Schedule", id="term-schedule-title", classes="term-heading")
        yield Static(id="term-schedule")

    @property
    def links(self) -> OptionList:
        return self.query_one("#term-links", OptionList)

    def show_message(self, text: str) -> None:
        """No entry open: a hint instead."""
        self.query_one("#term-body", Static).update(text)
        self._set_links([])
        for selector in ("#term-schedule-title", "#term-schedule"):
            self.query_one(selector).display = False

    def show_term(
        self, content: Content, slug: str, rows: list[CardRow], now: datetime, tz: tzinfo
    ) -> None:
        term = content.terms[slug]
        lines = [f"[b $accent]{escape(term.term)}[/]"]
        if term.aliases:
            lines.append(f"[dim]Also called:[/] {escape(', '.join(term.aliases))}")
        lines += ["", escape(term.definition)]
        if term.notes:  # the longer part, after the short definition a card asks for
            lines += ["", f"[dim]{escape(term.notes)}[/]"]
        if term.formula:
            lines += ["", f"[b]Formula[/]  {escape(term.formula)}"]
        if term.tags:
            lines += ["", f"[dim]Tags:[/] {escape(', '.join(term.tags))}"]
        self.query_one("#term-body", Static).update("\n".join(lines))
        links: list[tuple[str, str]] = []
        relations = content.relations()
        synonyms = relations.synonyms(slug)

        def by_name(slugs: set[str]) -> list[str]:
            return sorted(slugs, key=lambda s: content.terms[s].term.casefold())

        for other in by_name(synonyms):
            links.append((f"term:{other}", f"≡ Same as: {content.terms[other].term}"))
        # Only direct kinds: a long chain of them would crowd the pane.
        wider = {s for s in term.broader if s in content.terms}
        narrower = {s for s in relations.narrower(slug) if slug in content.terms[s].broader}

        def label(other: str) -> str:
            name = content.terms[other].term
            if other in wider:
                return f"↑ Kind of: {name}"
            return f"↓ Kind: {name}" if other in narrower else f"→ Related: {name}"

        # Related entries keep the author's order; kinds not among them follow.
        for other in term.related:
            if other in content.terms and other not in synonyms and other != slug:
                links.append((f"term:{other}", label(other)))
            elif other in content.concepts:
                question = content.concepts[other].question
                links.append((f"concept:{other}", f"◆ Concept: {question}"))
        for other in by_name((wider | narrower) - set(term.related)):
            links.append((f"term:{other}", label(other)))
        for concept in content.concepts.values():
            if slug in concept.related and concept.slug not in term.related:
                links.append((f"concept:{concept.slug}", f"◆ Concept: {concept.question}"))
        self._set_links(links)
        self._set_schedule(rows, now, tz)

    def show_concept(
        self, content: Content, slug: str, rows: list[CardRow], now: datetime, tz: tzinfo
    ) -> None:
        concept = content.concepts[slug]
        lines = ["[dim]Concept[/]", f"[b $accent]{escape(concept.question)}[/]", ""]
        lines.append(f"[b]Answer[/]  {escape(concept.answer)}")
        if concept.choices:
            lines += ["", "[b]Choices[/]"]
            lines += [
                f"  {'✓' if choice == concept.answer else '·'} {escape(choice)}"
                for choice in concept.choices
            ]
        lines += ["", escape(concept.explanation)]
        if concept.tags:
            lines += ["", f"[dim]Tags:[/] {escape(', '.join(concept.tags))}"]
        self.query_one("#term-body", Static).update("\n".join(lines))
        links: list[tuple[str, str]] = []
        for other in concept.related:
            if other in content.terms:
                links.append((f"term:{other}", f"→ Related: {content.terms[other].term}"))
            elif other in content.concepts:
                question = content.concepts[other].question
                links.append((f"concept:{other}", f"◆ Concept: {question}"))
        self._set_links(links)
        self._set_schedule(rows, now, tz)

    def _set_links(self, links: list[tuple[str, str]]) -> None:
        options = self.links
        options.clear_options()
        options.add_options(Option(escape(label), id=key) for key, label in links)
        if links:
            options.highlighted = 0
        options.display = bool(links)
        self.query_one("#term-links-title").display = bool(links)

    def _set_schedule(self, rows: list[CardRow], now: datetime, tz: tzinfo) -> None:
        for selector in ("#term-schedule-title", "#term-schedule"):
            self.query_one(selector).display = True
        self.query_one("#term-schedule", Static).update(schedule(rows, now, tz))

    @on(OptionList.OptionSelected, "#term-links")
    def _link_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(self.LinkSelected(event.option.id))
