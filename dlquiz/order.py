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
from collections.abc import Iterable, Sequence
from itertools import zip_longest

from dlquiz.cards import CardSpec, Kind

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


def _round_robin(groups: Iterable[Sequence[CardSpec]]) -> list[CardSpec]:
    out: list[CardSpec] = []
    for row in zip_longest(*groups):
        out.extend(spec for spec in row if spec is not None)
    return out


def _grouped(specs: Iterable[CardSpec], key: str) -> list[list[CardSpec]]:
    """Groups in order of first appearance; cards keep their order inside a group."""
    groups: dict[str, list[CardSpec]] = {}
    for spec in specs:
        name = spec.deck if key == "deck" else (spec.tags[0] if spec.tags else "")
        groups.setdefault(name, []).append(spec)
    if key == "deck":  # built-in first, then user decks by name
        return [groups[name] for name in sorted(groups)]
    return list(groups.values())


def new_card_order(specs: Iterable[CardSpec], order: str) -> list[str]:
    """Card ids in the order they are introduced (``specs`` in the deck's build order)."""
    specs = list(specs)
    if order == "random":
        return [s.id for s in sorted(specs, key=lambda s: zlib.crc32(s.id.encode()))]
    decks = _grouped(specs, "deck")
    if order == "deck":
        return [s.id for deck in decks for s in deck]
    return [s.id for s in _round_robin(_round_robin(_grouped(d, "topic")) for d in decks)]


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
