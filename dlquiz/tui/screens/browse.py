"""Browse: search the glossary and the concept cards, read one, manage its cards.

Type to filter (name or alias, case-insensitive; a misspelling falls back to
fuzzy matching), ↓ into the list, Enter to open an entry. Filters go with the
words, as in Anki: ``is:new``, ``is:due``, ``is:flagged``, ``is:suspended``,
``is:buried``, ``is:leech``, ``tag:cnn``, ``deck:NAME`` (``deck:built-in`` for the
shipped content). At 100 columns or more the entry opens beside the list and
follows the highlight; narrower, it replaces the list until Esc. Following a
Related link remembers where you came from: Esc goes back. With an entry open,
x/f/b/r suspend, flag, bury or reset all of its cards (a term has a recall and a
name card).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from dlquiz.cards import Kind
from dlquiz.catalog import (
    IS_FILTERS,
    Catalog,
    Entry,
    Found,
    built_catalog,
    catalog_for,
    count_terms,
    matches,
    parse_query,
    search,
)
from dlquiz.records import Marks
from dlquiz.tui.confirm import Confirm
from dlquiz.tui.markup import escape
from dlquiz.tui.reuse import KeepsStyles, kept_screen
from dlquiz.tui.widgets.card_parts import TitleBar
from dlquiz.tui.widgets.footer import LineFooter
from dlquiz.tui.widgets.term_view import CardRow, TermView

if TYPE_CHECKING:
    from collections.abc import Mapping

    from dlquiz.cards import CardSpec
    from dlquiz.content import Content
    from dlquiz.tui.app import DLQuizApp


SCREEN_NAME = "browse"  # the name the kept screen is installed under
PAGE = 100  # entries put in the list at a time: measuring each one is what costs
MORE_ID = "browse:more"  # the line after a page; reaching it lists the next page


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


class BrowseList(OptionList):
    """The results; ↑ on the first one goes back to the search box."""

    def action_cursor_up(self) -> None:
        first = next((i for i, opt in enumerate(self.options) if not opt.disabled), None)
        if self.highlighted is None or self.highlighted == first:
            self.screen.query_one("#browse-search", Input).focus()
            return
        super().action_cursor_up()


def browse_screen(app: DLQuizApp) -> BrowseScreen:
    """The browse screen to push: the one shown before while its catalogue is the
    current one (kept, started over), else a new one."""
    study = app.study
    catalog = built_catalog(study.content, study.deck)  # built once per deck
    return kept_screen(
        app,
        SCREEN_NAME,
        BrowseScreen,
        BrowseScreen,
        lambda old: catalog is not None and old.catalog is catalog,
    )


class BrowseScreen(KeepsStyles, Screen[None]):
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
        # The entry pages from any focus (links included), as the list does side by side.
        Binding("pagedown", "page_detail(1)", "Scroll", show=False, priority=True),
        Binding("pageup", "page_detail(-1)", "Scroll", show=False, priority=True),
        Binding("i", "card_info", "Info"),
    ]

    current: reactive[str | None] = reactive(None, bindings=True)
    app: DLQuizApp

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[Entry] = []
        self.by_key: dict[str, Entry] = {}
        self.shown: dict[str, str | None] = {}  # key -> alias shown, for the listed entries
        self.prompts: dict[str, str] = {}  # key -> its prompt in the list, to redraw only changes
        self.found: Found = []  # every match, listed or not yet
        self._heading_done = False
        self.history: list[str] = []  # entries left through a Related link, for Esc
        self._reset = False  # shown again (kept by browse_screen): start over
        self.catalog: Catalog | None = None  # what the entries come from
        self._listing = False  # its catalogue is being built (_build_catalog)

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with Horizontal(id="browse-body"):
            with Vertical(id="browse-left"):
                yield Input(
                    placeholder="Search… (is:new is:due is:flagged tag:cnn deck:NAME)",
                    id="browse-search",
                    select_on_focus=False,  # a letter typed in the list adds to the query
                )
                yield Static(id="browse-status")
                yield BrowseList(id="browse-list")
            yield TermView(id="browse-detail")
        yield LineFooter()

    def on_mount(self) -> None:
        ws = self.app.study
        catalog = built_catalog(ws.content, ws.deck)
        if catalog is not None:
            self._take(catalog)
        else:  # built in a thread once the screen is drawn (on_screen_resume)
            self.query_one("#browse-status", Static).update("Listing the terms and concepts…")
        self._intro()
        self.query_one("#browse-search", Input).focus()

    @work(thread=True, exit_on_error=False, group="catalog", description="catalogue")
    def _build_catalog(
        self, app: DLQuizApp, content: Content, deck: Mapping[str, CardSpec]
    ) -> None:
        catalog = catalog_for(content, deck)  # waits for the app's thread if it builds it
        app.call_from_thread(self._take, catalog)

    def _take(self, catalog: Catalog) -> None:
        """List ``catalog``'s entries (for what was typed meanwhile, if anything)."""
        if self.is_attached:
            self.catalog = catalog
            self.entries, self.by_key = catalog.entries, catalog.by_key
            self._filter(self.query_one("#browse-search", Input).value)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "catalog" and event.state == WorkerState.ERROR:
            self._listing = False  # tried again when the screen is next shown
            error = event.worker.error
            self.query_one("#browse-status", Static).update(
                f"[$error]Could not list the terms and concepts: {escape(str(error))}[/]"
            )

    def _intro(self) -> None:
        self.query_one(TermView).show_message(
            "[dim]Type to search; Enter opens a term or concept with its definition, "
            "links and schedule.[/]"
        )

    def reopened(self) -> None:
        self._reset = True

    def on_screen_resume(self) -> None:
        if self.catalog is None and not self._listing:
            # ~0.5 s of CPU at 100k cards, in a thread that would take the GIL from the
            # screen's first frame: started once that frame is drawn.
            self._listing = True
            study = self.app.study
            self.call_after_refresh(self._build_catalog, self.app, study.content, study.deck)
        if self._reset:  # kept by browse_screen: back to how a new one opens
            self._reset = False
            self._start_over()
        # Marks may have changed elsewhere (e.g. a leech suspended during review).
        self._refresh_markers()
        self._show_current()

    def _start_over(self) -> None:
        """No query, no entry open, the first page listed, the search box focused."""
        self.current = None
        self.history.clear()
        self.remove_class("-open")
        search = self.query_one("#browse-search", Input)
        listing = self.query_one("#browse-list", BrowseList)
        if search.value or len(self.shown) > PAGE:
            with search.prevent(Input.Changed):
                search.value = ""
            self._filter("")
        else:  # the list is the first page already
            listing.highlighted = next(
                (i for i, opt in enumerate(listing.options) if not opt.disabled), None
            )
        listing.scroll_home(animate=False)
        self._intro()
        search.focus()

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
        if self.catalog is None:
            return  # still listing: filtered once the catalogue is in (_take)
        parsed = parse_query(query)
        entries = self.entries
        if parsed.filtered:
            study = self.app.study
            now = self.app.clock()
            entries = [e for e in entries if matches(e, parsed, study.cards, study.marks, now)]
        found, fuzzy = search(entries, parsed.text)
        self.found = found
        self.shown = {}
        self.prompts = {}
        self._heading_done = False
        listing = self.query_one("#browse-list", BrowseList)
        listing.clear_options()
        self._list_more(listing)
        first = next((i for i, opt in enumerate(listing.options) if not opt.disabled), None)
        listing.highlighted = first
        n_terms = count_terms(found)
        n_concepts = len(found) - n_terms
        status = f"{_plural(n_terms, 'term')} · {_plural(n_concepts, 'concept')}"
        if parsed.unknown:
            status = (
                f"Unknown filter {escape(parsed.unknown[0])}: use is:{'|'.join(IS_FILTERS)}, "
                "tag:NAME or deck:NAME"
            )
        elif not found:
            status = f"Nothing matches “{escape(query.strip())}”"
        elif fuzzy:
            status = f"No exact match; closest spellings ({len(found)})"
        self.query_one("#browse-status", Static).update(status)

    def _list_more(self, listing: BrowseList) -> None:
        """Put the next page of matches in the list, and a line saying how many remain."""
        listed = listing.options
        if listed and listed[-1].id == MORE_ID:
            listing.remove_option(MORE_ID)
        start = len(self.shown)
        options: list[Option] = []
        for entry, alias in self.found[start : start + PAGE]:
            if entry.kind == "concept" and not self._heading_done:
                options.append(Option("[b]── Concepts ──[/]", disabled=True))
                self._heading_done = True
            prompt = self._prompt(entry, alias)
            options.append(Option(prompt, id=entry.key))
            self.shown[entry.key] = alias
            self.prompts[entry.key] = prompt
        left = len(self.found) - len(self.shown)
        if left:
            options.append(
                Option(f"[dim]… {left:,} more: type to narrow, ↓ to list them[/]", id=MORE_ID)
            )
        listing.add_options(options)

    def _refresh_markers(self) -> None:
        """Redraw the prompts whose markers changed (a redraw re-measures the whole list)."""
        listing = self.query_one("#browse-list", BrowseList)
        for key, alias in self.shown.items():
            prompt = self._prompt(self.by_key[key], alias)
            if prompt != self.prompts[key]:
                self.prompts[key] = prompt
                listing.replace_option_prompt(key, prompt)

    @on(Input.Changed, "#browse-search")
    def _query_changed(self, event: Input.Changed) -> None:
        self._filter(event.value)

    @on(Input.Submitted, "#browse-search")
    def _query_submitted(self) -> None:
        option = self.query_one("#browse-list", BrowseList).highlighted_option
        if option is not None and option.id is not None:
            self.history.clear()
            self.open_item(option.id)

    @on(OptionList.OptionSelected, "#browse-list")
    def _item_chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id == MORE_ID:
            self._next_page(event.option)
        elif event.option.id is not None:
            self.history.clear()
            self.open_item(event.option.id)

    @on(OptionList.OptionHighlighted, "#browse-list")
    def _item_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id == MORE_ID:  # moved past the last listed entry: list more
            self._next_page(event.option)
            return
        # Side by side, an open detail follows the highlight as you move through the list.
        if (
            self.wide
            and self.current is not None
            and event.option.id is not None
            and event.option_list.has_focus
            and event.option.id != self.current
        ):
            self.history.clear()  # moving through the list is not following links
            self.current = event.option.id
            self._show_current()

    def _next_page(self, more: Option) -> None:
        """List the page after the ``more`` line; the highlight lands on its first entry.

        A click on the line both highlights and selects it: only the first of the two
        messages finds the line still in the list.
        """
        listing = self.query_one("#browse-list", BrowseList)
        listed = listing.options
        if not listed or listed[-1] is not more:
            return
        index = len(listed) - 1
        self._list_more(listing)
        if index < listing.option_count:
            listing.highlighted = index

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
        self.history.clear()
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
        if self.current is not None and self.current != event.key:
            self.history.append(self.current)
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
        if action == "page_detail":
            # Narrow, an open entry fills the screen; wide, only when focus is in it.
            if self.current is None:
                return False
            if not self.wide:
                return self.detail_open
            focused = self.focused
            return focused is not None and self.query_one(TermView) in focused.ancestors_with_self
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
        if self.history and self.current is not None:
            self._go_back()
        elif self.detail_open and not self.wide:
            self.close_item()
        else:
            self.dismiss()

    def _go_back(self) -> None:
        """Back to the entry whose Related link brought us here, its link highlighted."""
        came_from = self.current
        self.open_item(self.history.pop())
        links = self.query_one(TermView).links
        for index, option in enumerate(links.options):
            if option.id == came_from:
                links.highlighted = index
                break
        if self.wide and self.current in self.shown:
            listing = self.query_one("#browse-list", BrowseList)
            listing.highlighted = listing.get_option_index(self.current)

    def action_page_detail(self, direction: int) -> None:
        detail = self.query_one(TermView)
        if direction > 0:
            detail.scroll_page_down(animate=False)
        else:
            detail.scroll_page_up(animate=False)

    CARD_KEYS = ("x", "f", "b", "r", "i")

    def _types(self, key: str, char: str | None) -> bool:
        """True when ``key``, pressed out of the search box, goes into it."""
        if isinstance(self.focused, Input):
            return False  # the box takes its own keys
        if key == "backspace":
            return True  # edits the query from the list too
        if not char or not char.isprintable() or char == "/":  # "/" is Search
            return False
        return not (char in self.CARD_KEYS and self.current is not None)

    def check_consume_key(self, key: str, character: str | None) -> bool:
        # The footer leaves out the keys this screen types (q, ?): they never reach the app.
        return self._types(key, character)

    def on_key(self, event: events.Key) -> None:
        """Typing always filters: a letter typed outside the search box goes into it.

        The card keys (x/f/b/r/i) keep their meaning while an entry is open, and ``/``
        is Search; anything else printable lands in the search box.
        """
        if not self._types(event.key, event.character):
            return
        event.stop()
        event.prevent_default()
        if self.detail_open and not self.wide:
            self.close_item()
        box = self.query_one("#browse-search", Input)
        box.focus()
        char = event.character or ""
        box.value = box.value[:-1] if event.key == "backspace" else box.value + char
        box.cursor_position = len(box.value)

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
                self.notify(
                    f"Suspended “{self._entry_name(entry)}”: out of reviews until x again.",
                    markup=False,
                )
            else:
                self.notify(f"“{self._entry_name(entry)}” is back in your reviews.", markup=False)

    def action_flag(self, on: bool) -> None:
        entry = self._current_entry()
        if entry is None:
            return
        todo = [cid for cid in entry.card_ids if self._marks(cid).flagged != on]
        if self._apply("flag", todo, on=on):
            what = "Flagged" if on else "Unflagged"
            self.notify(f"{what} “{self._entry_name(entry)}”.", markup=False)

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
            self.notify(
                f"Buried “{name}” until tomorrow." if on else f"Unburied “{name}”.", markup=False
            )

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
            self.notify(f"“{name}” has no progress to reset.", markup=False)
            return

        def answered(yes: bool | None) -> None:
            if yes and self._apply("reset", todo):
                self.notify(f"“{name}” starts again as new.", markup=False)

        self.app.push_screen(
            Confirm(f"Reset progress of '{name}'? Its history stays in the log."),
            answered,
        )
