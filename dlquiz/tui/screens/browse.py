"""Browse: search the glossary and the concept cards, read one, manage its cards.

Type to filter (name or alias, case-insensitive; a misspelling falls back to
fuzzy matching), ↓ into the list, Enter to open an entry. At 100 columns or more
the entry opens beside the list and follows the highlight; narrower, it
replaces the list until Esc. With an entry open, x/f/b/r suspend, flag, bury or
reset all of its cards (a term has a recall and a name card).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Header, Input, OptionList, Static
from textual.widgets.option_list import Option

from dlquiz.cards import CardSpec, Kind, concept_card_id, term_card_id
from dlquiz.content import Content
from dlquiz.records import Marks
from dlquiz.tui.widgets.footer import KeyFooter
from dlquiz.tui.widgets.term_view import CardRow, TermView

if TYPE_CHECKING:
    from dlquiz.tui.app import DLQuizApp

FUZZY_CUTOFF = 75  # rapidfuzz WRatio score (0-100) below which a name is not offered
FUZZY_LIMIT = 12
TITLE_WIDTH = 70  # concept questions are cut to one line in the list


@dataclass(frozen=True)
class Entry:
    """Something to browse: a glossary term or a concept card."""

    key: str  # "term:<slug>" or "concept:<slug>"
    kind: str  # "term" or "concept"
    slug: str
    title: str  # the term's name, or the concept's question
    names: tuple[str, ...]  # what the filter matches against
    card_ids: tuple[str, ...]

    @property
    def short_title(self) -> str:
        if len(self.title) <= TITLE_WIDTH:
            return self.title
        return self.title[: TITLE_WIDTH - 1].rstrip() + "…"


def build_entries(content: Content, deck: dict[str, CardSpec]) -> list[Entry]:
    """Every term (alphabetically), then every concept."""
    terms = [
        Entry(
            f"term:{t.slug}",
            "term",
            t.slug,
            t.term,
            t.names,
            tuple(
                cid
                for cid in (term_card_id(t.slug, Kind.RECALL), term_card_id(t.slug, Kind.NAME))
                if cid in deck
            ),
        )
        for t in content.terms.values()
    ]
    concepts = [
        Entry(
            f"concept:{c.slug}",
            "concept",
            c.slug,
            c.question,
            (c.question, c.slug.replace("-", " ")),
            tuple(cid for cid in (concept_card_id(c.slug),) if cid in deck),
        )
        for c in content.concepts.values()
    ]
    terms.sort(key=lambda e: e.title.casefold())
    concepts.sort(key=lambda e: e.title.casefold())
    return terms + concepts


def search(entries: list[Entry], query: str) -> tuple[list[tuple[Entry, str | None]], bool]:
    """Entries matching ``query``, each with the alias that matched (if not the name).

    Case-insensitive substring first, best first (exact name, then prefix, then
    anywhere); terms before concepts. If nothing contains the query, the closest
    spellings by rapidfuzz are returned and the flag says so.
    """
    needle = query.strip().casefold()
    if not needle:
        return [(e, None) for e in entries], False
    ranked: list[tuple[tuple[int, int, str], Entry, str | None]] = []
    for entry in entries:
        best: tuple[int, str] | None = None
        for name in entry.names:
            folded = name.casefold()
            if needle not in folded:
                continue
            rank = 0 if folded == needle else 1 if folded.startswith(needle) else 2
            if best is None or rank < best[0]:
                best = (rank, name)
        if best is not None:
            alias = best[1] if entry.kind == "term" and best[1] != entry.title else None
            if alias is not None and needle in entry.title.casefold():
                alias = None  # the name itself matches: no need to show the alias
            kind_order = 0 if entry.kind == "term" else 1
            ranked.append(((kind_order, best[0], entry.title.casefold()), entry, alias))
    if ranked:
        ranked.sort(key=lambda item: item[0])
        return [(entry, alias) for _, entry, alias in ranked], False
    return _fuzzy(entries, needle), True


def _fuzzy(entries: list[Entry], needle: str) -> list[tuple[Entry, str | None]]:
    from rapidfuzz import fuzz, process, utils

    choices: list[str] = []
    owners: list[Entry] = []
    for entry in entries:
        # Concept questions are long sentences: match their slug's words instead.
        for name in entry.names if entry.kind == "term" else entry.names[1:]:
            choices.append(name)
            owners.append(entry)
    found = process.extract(
        needle,
        choices,
        scorer=fuzz.WRatio,
        processor=utils.default_process,
        limit=FUZZY_LIMIT * 3,
        score_cutoff=FUZZY_CUTOFF,
    )
    seen: set[str] = set()
    terms: list[tuple[Entry, str | None]] = []
    concepts: list[tuple[Entry, str | None]] = []
    for name, _score, index in found:  # best score first
        entry = owners[index]
        if entry.key in seen:
            continue
        seen.add(entry.key)
        if entry.kind == "term":
            terms.append((entry, name if name != entry.title else None))
        else:
            concepts.append((entry, None))
    return (terms + concepts)[:FUZZY_LIMIT]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question; No is focused, so Enter alone never destroys anything."""

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
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

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            yield Static(escape(self.question), id="confirm-text")
            with Horizontal(id="confirm-buttons"):
                yield Button("Yes", id="yes", variant="error")
                yield Button("No", id="no", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class BrowseList(OptionList):
    """The results; ↑ on the first one goes back to the search box."""

    def action_cursor_up(self) -> None:
        first = next((i for i, opt in enumerate(self.options) if not opt.disabled), None)
        if self.highlighted is None or self.highlighted == first:
            self.screen.query_one("#browse-search", Input).focus()
            return
        super().action_cursor_up()


class BrowseScreen(Screen[None]):
    """Every term and concept, searchable; open one to read it and manage its cards."""

    DEFAULT_CSS = """
    BrowseScreen #browse-body { height: 1fr; }
    BrowseScreen #browse-left { width: 1fr; height: 1fr; }
    BrowseScreen #browse-status { height: 1; padding: 0 1; color: $text-muted; }
    BrowseScreen #browse-list { height: 1fr; }
    BrowseScreen #browse-list > .option-list--option-disabled { color: $text-muted; }
    BrowseScreen #browse-detail { width: 1fr; }
    BrowseScreen.-wide #browse-left { width: 42%; max-width: 60; }
    BrowseScreen.-wide #browse-detail { border-left: solid $primary; }
    BrowseScreen.-narrow #browse-detail { display: none; }
    BrowseScreen.-narrow.-open #browse-detail { display: block; }
    BrowseScreen.-narrow.-open #browse-left { display: none; }
    """
    # Textual declares this an instance variable; its docs set it on the class.
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]] | None] = [  # type: ignore[misc]
        (0, "-narrow"),
        (100, "-wide"),
    ]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", key_display="esc"),
        Binding("slash", "search", "Search", key_display="/"),
        Binding("down", "to_list", "Results", show=False),
        Binding("up", "to_list", "Results", show=False),
        # Each pair shares a key; check_action shows the one that applies.
        Binding("x", "suspend(True)", "Suspend"),
        Binding("x", "suspend(False)", "Unsuspend"),
        Binding("f", "flag(True)", "Flag"),
        Binding("f", "flag(False)", "Unflag"),
        Binding("b", "bury(True)", "Bury"),
        Binding("b", "bury(False)", "Unbury"),
        Binding("r", "reset", "Reset"),
        Binding("i", "card_info", "Info"),
    ]

    current: reactive[str | None] = reactive(None, bindings=True)
    app: DLQuizApp

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[Entry] = []
        self.by_key: dict[str, Entry] = {}
        self.shown: dict[str, str | None] = {}  # key -> alias shown, for the listed entries

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="browse-body"):
            with Vertical(id="browse-left"):
                yield Input(placeholder="Search terms and concepts…", id="browse-search")
                yield Static(id="browse-status")
                yield BrowseList(id="browse-list")
            yield TermView(id="browse-detail")
        yield KeyFooter()

    def on_mount(self) -> None:
        ws = self.app.study
        self.entries = build_entries(ws.content, ws.deck)
        self.by_key = {e.key: e for e in self.entries}
        self._filter("")
        self.query_one(TermView).show_message(
            "[dim]Type to search; Enter opens a term or concept with its definition, "
            "links and schedule.[/]"
        )
        self.query_one("#browse-search", Input).focus()

    def on_screen_resume(self) -> None:
        # Marks may have changed elsewhere (e.g. a leech suspended during review).
        self._refresh_markers()
        self._show_current()

    @property
    def wide(self) -> bool:
        return self.has_class("-wide")

    @property
    def detail_open(self) -> bool:
        return self.has_class("-open")

    # ----- the list -----------------------------------------------------------------

    def _marks(self, card_id: str) -> Marks:
        return self.app.study.marks.get(card_id, Marks())

    def _prompt(self, entry: Entry, alias: str | None) -> str:
        marks = [self._marks(cid) for cid in entry.card_ids]
        label = escape(entry.short_title)
        if entry.kind == "concept":
            label = f"[$secondary]◆[/] {label}"
        if alias is not None:
            label += f" [dim]({escape(alias)})[/]"
        if any(m.suspended for m in marks):
            label += " [$error]⊘[/]"
        if any(m.flagged for m in marks):
            label += " [$warning]⚑[/]"
        if any(m.leech for m in marks):
            label += " [$error]leech[/]"
        return label

    def _filter(self, query: str) -> None:
        found, fuzzy = search(self.entries, query)
        options: list[Option] = []
        heading_done = False
        self.shown = {}
        for entry, alias in found:
            if entry.kind == "concept" and not heading_done:
                options.append(Option("[b]── Concepts ──[/]", disabled=True))
                heading_done = True
            options.append(Option(self._prompt(entry, alias), id=entry.key))
            self.shown[entry.key] = alias
        listing = self.query_one("#browse-list", BrowseList)
        listing.clear_options()
        listing.add_options(options)
        first = next((i for i, opt in enumerate(options) if not opt.disabled), None)
        listing.highlighted = first
        n_terms = sum(1 for e, _ in found if e.kind == "term")
        n_concepts = len(found) - n_terms
        status = f"{_plural(n_terms, 'term')} · {_plural(n_concepts, 'concept')}"
        if not found:
            status = f"Nothing matches “{escape(query.strip())}”"
        elif fuzzy:
            status = f"No exact match; closest spellings ({len(found)})"
        self.query_one("#browse-status", Static).update(status)

    def _refresh_markers(self) -> None:
        listing = self.query_one("#browse-list", BrowseList)
        for key, alias in self.shown.items():
            listing.replace_option_prompt(key, self._prompt(self.by_key[key], alias))

    @on(Input.Changed, "#browse-search")
    def _query_changed(self, event: Input.Changed) -> None:
        self._filter(event.value)

    @on(Input.Submitted, "#browse-search")
    def _query_submitted(self) -> None:
        option = self.query_one("#browse-list", BrowseList).highlighted_option
        if option is not None and option.id is not None:
            self.open_item(option.id)

    @on(OptionList.OptionSelected, "#browse-list")
    def _item_chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.open_item(event.option.id)

    @on(OptionList.OptionHighlighted, "#browse-list")
    def _item_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        # Side by side, an open detail follows the highlight as you move through the list.
        if (
            self.wide
            and self.current is not None
            and event.option.id is not None
            and event.option_list.has_focus
            and event.option.id != self.current
        ):
            self.current = event.option.id
            self._show_current()

    # ----- the detail ---------------------------------------------------------------

    def open_item(self, key: str) -> None:
        """Show ``key`` ("term:<slug>" / "concept:<slug>") in the detail pane."""
        if key not in self.by_key:
            return
        self.current = key
        self.add_class("-open")
        self._show_current()
        detail = self.query_one(TermView)
        detail.scroll_home(animate=False)
        if not self.wide:
            links = detail.links
            (links if links.option_count else detail).focus()
        elif isinstance(self.focused, Input):
            # The card keys (x/f/b/r) are letters: they work once the search box lets go.
            self.query_one("#browse-list", BrowseList).focus()
        self.refresh_bindings()

    def close_item(self) -> None:
        key = self.current
        self.current = None
        self.remove_class("-open")
        listing = self.query_one("#browse-list", BrowseList)
        if key in self.shown:
            listing.highlighted = listing.get_option_index(key)
        listing.focus()

    def _rows(self, entry: Entry) -> list[CardRow]:
        cards = self.app.study.cards
        labels = {Kind.RECALL: "Recall", Kind.NAME: "Name", Kind.CONCEPT: "Concept"}
        deck = self.app.study.deck
        return [
            CardRow(labels.get(deck[cid].kind, str(deck[cid].kind)), cid, cards.get(cid), m)
            for cid in entry.card_ids
            for m in (self._marks(cid),)
        ]

    def _show_current(self) -> None:
        if self.current is None:
            return
        entry = self.by_key[self.current]
        detail = self.query_one(TermView)
        app = self.app
        show = detail.show_term if entry.kind == "term" else detail.show_concept
        show(app.study.content, entry.slug, self._rows(entry), app.clock(), app.study.tz)

    @on(TermView.LinkSelected)
    def _link_chosen(self, event: TermView.LinkSelected) -> None:
        self.open_item(event.key)
        if self.wide and event.key in self.shown:
            listing = self.query_one("#browse-list", BrowseList)
            listing.highlighted = listing.get_option_index(event.key)

    # ----- keys ---------------------------------------------------------------------

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()  # card keys hide while the search box takes letters

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        typing = isinstance(self.focused, Input)
        if action == "to_list":
            return typing
        if action == "card_info":
            return self.current is not None and not typing
        if action not in ("suspend", "flag", "bury", "reset"):
            return True
        if self.current is None or typing:
            return False
        entry = self.by_key[self.current]
        marks = [self._marks(cid) for cid in entry.card_ids]
        if action == "suspend":
            return parameters[0] != all(m.suspended for m in marks)
        if action == "flag":
            return parameters[0] != all(m.flagged for m in marks)
        if action == "bury":
            return parameters[0] != all(self._buried(m) for m in marks)
        return True

    def _buried(self, marks: Marks) -> bool:
        return marks.buried_until is not None and marks.buried_until > self.app.clock().timestamp()

    def action_back(self) -> None:
        if self.detail_open and not self.wide:
            self.close_item()
        else:
            self.dismiss()

    def action_search(self) -> None:
        if self.detail_open and not self.wide:
            self.close_item()
        search_box = self.query_one("#browse-search", Input)
        search_box.focus()
        search_box.select_all()

    def action_to_list(self) -> None:
        listing = self.query_one("#browse-list", BrowseList)
        if listing.option_count:
            listing.focus()

    def _entry_name(self, entry: Entry) -> str:
        return entry.title if entry.kind == "term" else entry.short_title

    def _apply(self, kind: str, card_ids: list[str], **fields: object) -> bool:
        """Write one mark per card; stop at the first that the disk refuses."""
        ok = all(self.app.apply_mark(kind, cid, **fields) for cid in card_ids)
        self._refresh_markers()
        self._show_current()
        self.refresh_bindings()
        return ok

    def _current_entry(self) -> Entry | None:
        return self.by_key.get(self.current) if self.current is not None else None

    def action_card_info(self) -> None:
        """Every review and the memory state of the entry's cards."""
        entry = self._current_entry()
        if entry is not None:
            self.app.open_card_info(*entry.card_ids)

    def action_suspend(self, on: bool) -> None:
        entry = self._current_entry()
        if entry is None:
            return
        todo = [cid for cid in entry.card_ids if self._marks(cid).suspended != on]
        if self._apply("suspend", todo, on=on):
            if on:
                self.notify(f"Suspended “{self._entry_name(entry)}”: out of reviews until x again.")
            else:
                self.notify(f"“{self._entry_name(entry)}” is back in your reviews.")

    def action_flag(self, on: bool) -> None:
        entry = self._current_entry()
        if entry is None:
            return
        todo = [cid for cid in entry.card_ids if self._marks(cid).flagged != on]
        if self._apply("flag", todo, on=on):
            what = "Flagged" if on else "Unflagged"
            self.notify(f"{what} “{self._entry_name(entry)}”.")

    def action_bury(self, on: bool) -> None:
        entry = self._current_entry()
        if entry is None:
            return
        todo = [cid for cid in entry.card_ids if self._buried(self._marks(cid)) != on]
        # Without ``until`` the app buries until the next study day begins.
        fields: dict[str, object] = {} if on else {"until": None}
        done = self._apply("bury", todo, **fields)
        if done:
            name = self._entry_name(entry)
            self.notify(f"Buried “{name}” until tomorrow." if on else f"Unburied “{name}”.")

    def action_reset(self) -> None:
        entry = self._current_entry()
        if entry is None:
            return
        cards = self.app.study.cards

        def has_progress(cid: str) -> bool:
            m = self._marks(cid)
            return cid in cards or m.suspended or m.leech or m.buried_until is not None

        todo = [cid for cid in entry.card_ids if has_progress(cid)]
        name = self._entry_name(entry)
        if not todo:
            self.notify(f"“{name}” has no progress to reset.")
            return

        def answered(yes: bool | None) -> None:
            if yes and self._apply("reset", todo):
                self.notify(f"“{name}” starts again as new.")

        self.app.push_screen(
            ConfirmScreen(f"Reset progress of '{name}'? Its history stays in the log."),
            answered,
        )
