"""What is due, kept up to date record by record instead of walked on every card shown.

Counting due cards by walking a heap costs what is due: in a big deck with a high review
limit (28k due) that was ~80 ms on every card shown, for the progress line. ``Session``
keeps the sets instead: built by one walk, then each record it follows updates only the
cards that record can change (its own card and, for reviews, that card's siblings, which
an answer hides for the day). Wider changes (settings, custom study, a new day, a bury
running out) rebuild them on the next count.

``DueReviews``   review cards due by the end of the study day (a fixed time per day)
``DueLearning``  learning cards due by a time that moves on with the clock
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Mapping

from dlquiz.cards import CardSpec
from dlquiz.order import Siblings


class DueReviews:
    """The set of due, showable review cards for one study day (``None``: to rebuild)."""

    def __init__(self, deck: Mapping[str, CardSpec]) -> None:
        self._siblings = Siblings(deck)
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
        for card in self._siblings.of(card_id):
            if counted(card):
                self._cards.add(card)
            else:
                self._cards.discard(card)


class DueLearning:
    """How many showable learning cards are due by a time that only moves forward.

    ``due`` holds the cards due by the last time asked; ``_later`` is a heap of the
    others, (due, card), taken into ``due`` as time reaches them. An entry whose card
    has changed since it was pushed is stale: ``showable`` says so and it is dropped.
    """

    def __init__(self) -> None:
        self._due: set[str] | None = None
        self._later: list[tuple[float, str]] = []
        self._until = float("-inf")

    def reset(self) -> None:
        self._due = None
        self._later = []

    def count(
        self,
        until: float,
        entries: Callable[[], Iterable[tuple[float, str]]],
        showable: Callable[[str], float | None],
    ) -> int:
        """Cards due by ``until``. ``entries()``: (due, card) of every showable learning
        card (to build from); ``showable(card)``: its due time if it can be shown, or None.
        """
        if self._due is None or until < self._until:  # built, or the clock went back
            self._due = set()
            self._later = list(entries())
            heapq.heapify(self._later)
            self._until = float("-inf")
        later = self._later
        while later and later[0][0] <= until:
            due, card = heapq.heappop(later)
            if showable(card) == due:
                self._due.add(card)
        self._until = until
        return len(self._due)

    def update(self, card_id: str, showable: Callable[[str], float | None]) -> None:
        """After a record for ``card_id`` (or a change to whether it can be shown)."""
        if self._due is None:
            return
        self._due.discard(card_id)
        due = showable(card_id)
        if due is None:
            return
        if due <= self._until:
            self._due.add(card_id)
        else:
            heapq.heappush(self._later, (due, card_id))
