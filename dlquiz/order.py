"""The order new cards come in, and which cards are siblings. No I/O.

``interleaved`` (the default) takes cards in turn from each deck (the built-in
content is one deck, each user deck file another), and inside a deck in turn
from each topic, so a deck imported today shares the next session's new cards
with everything else instead of waiting behind hundreds of built-in cards.
``deck`` goes deck by deck in file order; ``random`` is a fixed shuffle (the
same from one session to the next, so today's new cards do not change on restart).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping, Sequence
from itertools import chain, zip_longest

from dlquiz.cards import CardSpec, Kind, term_card_id

ORDERS = ("interleaved", "deck", "random")


def sibling_key(spec: CardSpec) -> str | None:
    """Cards with the same key are siblings: one answered today hides the others.

    The recall and name cards of a term are siblings (the definition just read
    gives the name away), and so are the levels of one question family.
    """
    if spec.kind in (Kind.RECALL, Kind.NAME):
        return f"term:{spec.key}"
    if spec.kind is Kind.SKILL:
        return f"skill:{spec.key}"
    return None


class Siblings:
    """The siblings of a card, looked up per card: no pass over the whole deck per term.

    A term's two cards are found by their ids (``cards.term_card_id``, which is how
    ``build_deck`` names them). Other cards (a question family's levels, or a term card
    named otherwise) are looked up in an index of the deck, built the first time one is
    asked about.
    """

    def __init__(self, deck: Mapping[str, CardSpec]) -> None:
        self._deck = deck
        self._index: dict[str, list[str]] | None = None  # sibling key -> its cards

    def of(self, card_id: str) -> list[str]:
        """``card_id`` and every card with its sibling key (just itself if it has none)."""
        spec = self._deck.get(card_id)
        key = sibling_key(spec) if spec is not None else None
        if spec is None or key is None:
            return [card_id]
        if spec.kind in (Kind.RECALL, Kind.NAME):
            ids = [term_card_id(spec.key, Kind.RECALL), term_card_id(spec.key, Kind.NAME)]
            if card_id in ids:
                return [card_id, *(c for c in ids if c != card_id and c in self._deck)]
        if self._index is None:
            self._index = {}
            for other in self._deck.values():
                other_key = sibling_key(other)
                if other_key is not None:
                    self._index.setdefault(other_key, []).append(other.id)
        return [card_id, *(c for c in self._index.get(key, ()) if c != card_id)]


_GAP = object()


def _round_robin(groups: Sequence[Sequence[str]]) -> list[str]:
    if len(groups) == 1:
        return list(groups[0])
    # zip_longest and chain run in C: this is called on up to 100k cards at start-up.
    merged = chain.from_iterable(zip_longest(*groups, fillvalue=_GAP))
    return [card for card in merged if card is not _GAP]  # type: ignore[misc]  # _GAP filtered


def new_card_order(specs: Iterable[CardSpec], order: str) -> list[str]:
    """Card ids in the order they are introduced (``specs`` in the deck's build order)."""
    if order == "random":
        return sorted((s.id for s in specs), key=lambda cid: zlib.crc32(cid.encode()))
    if order == "deck":
        by_deck: dict[str, list[str]] = {}
        for spec in specs:
            by_deck.setdefault(spec.deck, []).append(spec.id)
        return [cid for name in sorted(by_deck) for cid in by_deck[name]]
    # One pass: deck -> topic -> ids, each in order of first appearance.
    decks: dict[str, dict[str, list[str]]] = {}
    for spec in specs:
        topics = decks.get(spec.deck)
        if topics is None:
            topics = decks[spec.deck] = {}
        topic = spec.tags[0] if spec.tags else ""
        ids = topics.get(topic)
        if ids is None:
            ids = topics[topic] = []
        ids.append(spec.id)
    # Built-in ("") first, then user decks by name.
    return _round_robin([_round_robin(list(decks[name].values())) for name in sorted(decks)])


def study_choices(deck: dict[str, CardSpec]) -> dict[str, int]:
    """What custom study can pick: tags, ``skill:<family>`` and ``deck:<name>``, with counts."""
    counts: dict[str, int] = {}
    for spec in deck.values():
        keys = [*spec.tags, f"skill:{spec.key}"] if spec.kind is Kind.SKILL else list(spec.tags)
        if spec.deck:
            keys.append(f"deck:{spec.deck}")
        for key in keys:
            counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


def custom_cards(deck: dict[str, CardSpec], key: str) -> list[CardSpec]:
    """The cards of a tag (``cnn``), a question family (``skill:conv2d-shape``) or a user
    deck (``deck:my-notes``), in the deck's order."""
    if key.startswith("skill:"):
        family = key.removeprefix("skill:")
        return [s for s in deck.values() if s.kind is Kind.SKILL and s.key == family]
    if key.startswith("deck:"):
        name = key.removeprefix("deck:")
        return [s for s in deck.values() if s.deck == name]
    return [s for s in deck.values() if key in s.tags]
