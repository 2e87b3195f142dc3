"""The catalogue that Browse shows: entries, their search and their filters. No UI.

One entry per glossary term or concept card, with the cards it owns. The query
language follows Anki's: words match names and aliases (case-insensitive, best
first, fuzzy when nothing contains them), and ``is:new``, ``is:due``,
``is:flagged``, ``is:suspended``, ``is:buried``, ``is:leech``, ``tag:X`` and
``deck:NAME`` (``deck:built-in`` for the shipped content) filter.
"""

from __future__ import annotations

import bisect
import gc
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import NamedTuple, overload

from dlquiz import paths
from dlquiz.cards import CardSpec, Kind, concept_card_id, term_card_id
from dlquiz.content import Content
from dlquiz.records import Marks
from dlquiz.scheduler import CardState

FUZZY_CUTOFF = 75  # rapidfuzz WRatio score (0-100) below which a name is not offered
FUZZY_LIMIT = 12
TITLE_WIDTH = 70  # concept questions are cut to one line in the list
BUILT_IN = "built-in"
IS_FILTERS = ("new", "due", "flagged", "suspended", "buried", "leech")


class Entry(NamedTuple):
    """Something to browse: a glossary term or a concept card. A named tuple: made 50k
    at a time, it takes a third of a frozen dataclass's time (~40 vs ~110 ms)."""

    key: str  # "term:<slug>" or "concept:<slug>"
    kind: str  # "term" or "concept"
    slug: str
    title: str  # the term's name, or the concept's question
    names: tuple[str, ...]  # what the filter matches against
    card_ids: tuple[str, ...]
    tags: tuple[str, ...] = ()
    deck: str = BUILT_IN  # the user deck's file name (stem), or BUILT_IN

    @property
    def short_title(self) -> str:
        if len(self.title) <= TITLE_WIDTH:
            return self.title
        return self.title[: TITLE_WIDTH - 1].rstrip() + "…"


class _Decks:
    """Which deck each entry comes from, resolving each deck file once.

    Resolving a path per entry made Browse take seconds to open at 50k terms (they
    all come from a handful of files).
    """

    def __init__(self, content: Content) -> None:
        self.origin = content.origin
        self.builtin = paths.builtin_content_dir().resolve()
        self.by_file: dict[Path, str] = {}

    def __call__(self, slug: str) -> str:
        origin = self.origin.get(slug)
        if origin is None:
            return BUILT_IN
        deck = self.by_file.get(origin)
        if deck is None:
            try:
                origin.resolve().relative_to(self.builtin)
            except ValueError:
                deck = origin.stem
            else:
                deck = BUILT_IN
            self.by_file[origin] = deck
        return deck


def _term_ids(deck: Mapping[str, CardSpec]) -> Callable[[str], tuple[str, ...]]:
    """A term's cards in ``deck`` (recall, then name), by its slug.

    The ids are spliced from ``term_card_id``'s own pattern: calling it twice per term
    was a third of building the catalogue at 50k terms.
    """
    (r_head, r_tail), (n_head, n_tail) = (
        term_card_id("\0", kind).split("\0") for kind in (Kind.RECALL, Kind.NAME)
    )

    def ids(slug: str) -> tuple[str, ...]:
        recall, name = r_head + slug + r_tail, n_head + slug + n_tail
        if recall in deck and name in deck:
            return (recall, name)
        return tuple(cid for cid in (recall, name) if cid in deck)

    return ids


def build_entries(content: Content, deck: Mapping[str, CardSpec]) -> list[Entry]:
    """Every term (alphabetically), then every concept."""
    deck_of = _Decks(content)
    term_ids = _term_ids(deck)
    enabled = gc.isenabled()
    gc.disable()  # 50k entries at once: the collector's scans only slow it down
    try:
        terms = [
            Entry(
                f"term:{t.slug}",
                "term",
                t.slug,
                t.term,
                t.names,
                term_ids(t.slug),
                t.tags,
                deck_of(t.slug),
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
                c.tags,
                deck_of(c.slug),
            )
            for c in content.concepts.values()
        ]
    finally:
        if enabled:
            gc.enable()
    terms.sort(key=lambda e: e.title.casefold())
    concepts.sort(key=lambda e: e.title.casefold())
    return terms + concepts


@dataclass(frozen=True)
class Catalog:
    """The entries and their index by key; shared, so callers must not change them."""

    entries: list[Entry]
    by_key: dict[str, Entry]


# The last catalogue built, and what it was built from: the content and the deck do
# not change while the app runs, so reopening Browse reuses it (marks are not in it).
_last: tuple[Content, Mapping[str, CardSpec], int, Catalog] | None = None
# Held while building: the app builds it ahead in a thread, and a caller that comes
# meanwhile waits for that catalogue instead of building a second one.
_lock = threading.Lock()


def built_catalog(content: Content, deck: Mapping[str, CardSpec]) -> Catalog | None:
    """``catalog_for``'s catalogue if it is built already, else None (without building
    it, nor waiting for a thread building it)."""
    last = _last
    if last is not None and last[0] is content and last[1] is deck and last[2] == len(deck):
        return last[3]
    return None


def catalog_for(content: Content, deck: Mapping[str, CardSpec]) -> Catalog:
    """``build_entries`` and its index, memoised for the last (content, deck) pair seen.

    The pair is recognised by identity (and the deck's size, should it be filled in
    place): a study keeps both for as long as the app runs.
    """
    global _last
    with _lock:
        built = built_catalog(content, deck)
        if built is not None:
            return built
        entries = build_entries(content, deck)
        catalog = Catalog(entries, {e.key: e for e in entries})
        _last = (content, deck, len(deck), catalog)
        return catalog


@dataclass(frozen=True)
class Query:
    """A search: the words to match, and Anki-style filters (all must hold)."""

    text: str = ""
    marks: frozenset[str] = frozenset()  # is:new, is:due, …
    tags: tuple[str, ...] = ()
    decks: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()  # filters we do not know, to say so

    @property
    def filtered(self) -> bool:
        return bool(self.marks or self.tags or self.decks)


def parse_query(query: str) -> Query:
    """``"is:due tag:cnn relu"`` -> words "relu", filters is:due and tag:cnn."""
    words: list[str] = []
    marks: set[str] = set()
    tags: list[str] = []
    decks: list[str] = []
    unknown: list[str] = []
    for token in query.split():
        prefix, sep, value = token.partition(":")
        prefix, value = prefix.casefold(), value.casefold()
        if not sep or prefix not in ("is", "tag", "deck"):
            words.append(token)
        elif prefix == "is" and value in IS_FILTERS:
            marks.add(value)
        elif prefix == "tag" and value:
            tags.append(value)
        elif prefix == "deck" and value:
            decks.append(value)
        elif value:  # "is:" alone is still being typed: not unknown yet
            unknown.append(token)
    return Query(" ".join(words), frozenset(marks), tuple(tags), tuple(decks), tuple(unknown))


def _same_deck(name: str, wanted: str) -> bool:
    def fold(text: str) -> str:
        return text.casefold().replace("-", "").replace("_", "")

    return fold(name) == fold(wanted)


def matches(
    entry: Entry,
    query: Query,
    cards: Mapping[str, CardState],
    marks: Mapping[str, Marks],
    now: datetime,
) -> bool:
    """Whether ``entry`` passes every filter of ``query`` (the words are matched apart).

    A mark filter holds when any of the entry's cards has it (a term has two cards).
    """
    if query.tags and not all(tag in (t.casefold() for t in entry.tags) for tag in query.tags):
        return False
    if query.decks and not any(_same_deck(entry.deck, d) for d in query.decks):
        return False
    if not query.marks:
        return True
    stamp = now.timestamp()

    def has(mark: str, cid: str) -> bool:
        state = cards.get(cid)
        m = marks.get(cid) or Marks()
        buried = m.buried_until is not None and m.buried_until > stamp
        if mark == "new":
            return state is None
        if mark == "due":
            return state is not None and state.due <= stamp and not m.suspended and not buried
        if mark == "buried":
            return buried
        return bool(getattr(m, mark))  # flagged, suspended, leech

    return all(any(has(mark, cid) for cid in entry.card_ids) for mark in query.marks)


Found = Sequence[tuple[Entry, str | None]]


class _Unranked(Sequence[tuple[Entry, str | None]]):
    """Every entry, none through an alias: a view, not a list of 50k new pairs."""

    def __init__(self, entries: Sequence[Entry]) -> None:
        self._entries = entries

    def __len__(self) -> int:
        return len(self._entries)

    @overload
    def __getitem__(self, index: int) -> tuple[Entry, str | None]: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[tuple[Entry, str | None]]: ...
    def __getitem__(
        self, index: int | slice
    ) -> tuple[Entry, str | None] | Sequence[tuple[Entry, str | None]]:
        if isinstance(index, slice):
            return [(e, None) for e in self._entries[index]]
        return (self._entries[index], None)


def count_terms(found: Found) -> int:
    """How many of ``found`` are terms (they all come before the concepts)."""
    return bisect.bisect_left(found, True, key=lambda item: item[0].kind != "term")


def search(entries: Sequence[Entry], query: str) -> tuple[Found, bool]:
    """Entries matching ``query``, each with the alias that matched (if not the name).

    Case-insensitive substring first, best first (exact name, then prefix, then
    anywhere); terms before concepts, and equals in the order of ``entries`` (the
    catalogue's is alphabetical). If nothing contains the query, the closest
    spellings by rapidfuzz are returned and the flag says so.
    """
    needle = query.strip().casefold()
    if not needle:
        return _Unranked(entries), False
    enabled = gc.isenabled()
    gc.disable()  # 50k matches at once: the collector's scans cost more than the search
    try:
        ranked = _ranked(entries, needle)
        if ranked:
            return ranked, False
        return _fuzzy(entries, needle), True
    finally:
        if enabled:
            gc.enable()


def _ranked(entries: Sequence[Entry], needle: str) -> list[tuple[Entry, str | None]]:
    ranked: list[tuple[tuple[int, int, int], Entry, str | None]] = []
    for index, entry in enumerate(entries):
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
            ranked.append(((kind_order, best[0], index), entry, alias))
    ranked.sort(key=lambda item: item[0])
    return [(entry, alias) for _, entry, alias in ranked]


def _fuzzy(entries: Sequence[Entry], needle: str) -> list[tuple[Entry, str | None]]:
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
