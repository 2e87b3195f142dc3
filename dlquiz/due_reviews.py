"""The review cards due today that can be shown, kept up to date record by record.

Counting them by walking the review heap costs what is due today: in a big deck with a
high review limit (28k due) that was ~80 ms on every card shown, for the progress line.
``Session`` keeps the set instead: built by one walk, then each record it follows
updates only the cards that record can change (its own card and that card's siblings,
which an answer hides for the day). Wider changes (settings, custom study, a new day)
rebuild it on the next count.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from dlquiz.cards import CardSpec
from dlquiz.order import sibling_key


class DueReviews:
    """The set of due, showable review cards for one study day (``None``: to rebuild)."""

    def __init__(self, deck: Mapping[str, CardSpec]) -> None:
        self._deck = deck
        self._siblings: dict[str, list[str]] | None = None  # sibling key -> its cards
        self._cards: set[str] | None = None
        self._day_end: float | None = None

    def reset(self) -> None:
        self._cards = None

    def get(self, day_end: float, build: Callable[[], set[str]]) -> set[str]:
        """The set for the day ending at ``day_end``, built by ``build()`` when needed."""
        if self._cards is None or self._day_end != day_end:
            self._cards, self._day_end = build(), day_end
        return self._cards

    def update(self, card_id: str, counted: Callable[[str], bool]) -> None:
        """After a record for ``card_id``: ask ``counted`` again for it and its siblings."""
        if self._cards is None:
            return
        for card in self._related(card_id):
            if counted(card):
                self._cards.add(card)
            else:
                self._cards.discard(card)

    def _related(self, card_id: str) -> list[str]:
        spec = self._deck.get(card_id)
        key = sibling_key(spec) if spec is not None else None
        if key is None:
            return [card_id]
        if self._siblings is None:
            self._siblings = {}
            for other in self._deck.values():
                other_key = sibling_key(other)
                if other_key is not None:
                    self._siblings.setdefault(other_key, []).append(other.id)
        return [card_id, *(c for c in self._siblings.get(key, ()) if c != card_id)]
