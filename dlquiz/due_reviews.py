"""What is due, kept up to date record by record instead of walked on every card shown.

Counting due cards by walking a heap costs what is due: in a big deck with a high review
limit (28k due) that was ~80 ms on every card shown, for the progress line. ``Session``
keeps the sets instead: built by one walk, then each record it follows updates only the
cards that record can change (its own card and, for reviews, that card's siblings, which
an answer hides for the day). Wider changes (settings, custom study, a new day, a bury
running out) rebuild them on the next count.

``DueReviews``   review cards due by the end of the study day (a fixed time per day)
``DueLearning``  learning cards due by a time that moves on with the clock
``Queues``       the session's two heaps of (due, card) and what reads them
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from dlquiz.cards import CardSpec
from dlquiz.order import Siblings
from dlquiz.records import Marks
from dlquiz.scheduler import REVIEW, CardState


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


class Queues:
    """The heaps of ``dlquiz.session.Session`` and the walks over them (its state is set
    there): learning and review cards as (due, card), stale entries dropped when met."""

    cards: Mapping[str, CardState]
    marks: Mapping[str, Marks]
    _learning: list[tuple[float, str]]
    _review: list[tuple[float, str]]
    _recent: deque[str]
    _now_ts: float
    _wake: float | None
    _due: DueReviews
    _due_learning: DueLearning

    @property
    def day_end(self) -> datetime:
        raise NotImplementedError

    def _available(self, card_id: str, siblings: bool = False) -> bool:
        raise NotImplementedError

    def _push(self, card_id: str, state: CardState) -> None:
        heap = self._review if state.state == REVIEW else self._learning
        heapq.heappush(heap, (state.due, card_id))

    def _valid(self, entry: tuple[float, str], review: bool) -> bool:
        state = self.cards.get(entry[1])
        return state is not None and state.due == entry[0] and (state.state == REVIEW) == review

    def _top(self, heap: list[tuple[float, str]], review: bool) -> tuple[float, str] | None:
        """The earliest valid entry not skipped in this session."""
        held: list[tuple[float, str]] = []
        try:
            while heap:
                entry = heap[0]
                if not self._valid(entry, review):
                    heapq.heappop(heap)  # stale: the card was reviewed since this was pushed
                elif not self._available(entry[1], siblings=review):
                    held.append(heapq.heappop(heap))
                else:
                    return entry
            return None
        finally:
            for entry in held:
                heapq.heappush(heap, entry)

    def _first_learning(self, ts: float) -> tuple[str | None, str | None]:
        """The earliest learning card due by ``ts`` that can be shown, and the earliest
        not answered among the last few (``_recent``); None where there is none.

        Takes entries off the top of the heap only as far as it must (the cards held
        back go back in): the cost follows the few cards skipped, not what is due.
        """
        heap = self._learning
        held: list[tuple[float, str]] = []
        first: str | None = None
        try:
            while heap and heap[0][0] <= ts:
                entry = heap[0]
                if not self._valid(entry, False):
                    heapq.heappop(heap)  # stale: the card was answered since
                    continue
                if self._available(entry[1]):
                    if first is None:
                        first = entry[1]
                    if entry[1] not in self._recent:
                        return first, entry[1]
                held.append(heapq.heappop(heap))
            return first, None
        finally:
            for entry in held:
                heapq.heappush(heap, entry)

    def _counted(self, card_id: str) -> bool:
        """A review card that counts as due today (what ``_due_in`` finds in the heap)."""
        state = self.cards.get(card_id)
        return (
            state is not None
            and state.state == REVIEW
            and state.due <= self.day_end.timestamp()
            and self._available(card_id, siblings=True)
        )

    def _showable_learning(self, card_id: str) -> float | None:
        """When a learning card is due, if it can be shown (what ``_due_in`` counts)."""
        state = self.cards.get(card_id)
        if state is None or state.state == REVIEW or not self._available(card_id):
            return None
        return state.due

    def _learning_entries(self) -> list[tuple[float, str]]:
        """(due, card) of every learning card that can be shown: ``DueLearning`` builds
        from these (once a day, or after a wide change)."""
        self._wake = self._next_wake()
        return [
            entry
            for entry in self._learning
            if self._valid(entry, False) and self._available(entry[1])
        ]

    def _next_wake(self) -> float | None:
        """The earliest bury still running that ends before the day does."""
        end = self.day_end.timestamp()
        ends = [
            m.buried_until
            for m in self.marks.values()
            if m.buried_until is not None and self._now_ts < m.buried_until < end
        ]
        return min(ends, default=None)

    def _check_wake(self) -> None:
        """A bury ended without a record: whatever it hid is counted again."""
        if self._wake is not None and self._now_ts >= self._wake:
            self._wake = None
            self._due.reset()
            self._due_learning.reset()

    def _due_in(
        self, heap: list[tuple[float, str]], until: float, review: bool, cap: int
    ) -> set[str]:
        """Distinct cards of ``heap`` due by ``until`` that can be shown, up to ``cap`` of them.

        Walks only the part of the heap due by then (a parent is never due after its
        children), so the cost follows what is due today, not the deck's size.
        """
        seen: set[str] = set()  # after an undo, one card can sit in a heap twice
        stack = [0] if heap else []
        while stack and len(seen) < cap:
            i = stack.pop()
            entry = heap[i]
            if entry[0] > until:
                continue
            card = entry[1]
            if (
                card not in seen
                and self._valid(entry, review)
                and self._available(card, siblings=review)
            ):
                seen.add(card)
            stack.extend(j for j in (2 * i + 1, 2 * i + 2) if j < len(heap))
        return seen

    def _due_reviews(self) -> set[str]:
        """Every review card due today that can be shown (``DueReviews`` builds from it)."""
        self._wake = self._next_wake()
        end = self.day_end.timestamp()
        return self._due_in(self._review, end, True, len(self._review))
