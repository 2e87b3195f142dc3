"""Study modes outside the schedule: cram a tag or skill, or take a timed quiz.

Nothing here touches the review log or card states: practice never changes
when a card is due. No I/O, no UI; time and randomness are passed in.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from dlquiz.cards import CardSpec, Kind
from dlquiz.scheduler import AGAIN


@dataclass(frozen=True)
class Miss:
    """A quiz question answered wrongly (or given up on), for the end-of-quiz list."""

    card_id: str
    prompt: str
    given: str
    expected: str


@dataclass
class Practice:
    """A queue of cards to go through once (a quiz) or until each is known (cram)."""

    title: str
    queue: deque[CardSpec]
    requeue_again: bool  # cram: a card rated Again comes back at the end
    started_at: datetime
    finished_at: datetime | None = None
    asked: int = 0
    right: int = 0
    misses: list[Miss] = field(default_factory=list)
    graded: int = 0  # auto-graded answers (quiz score is right / graded)

    @property
    def is_quiz(self) -> bool:
        return not self.requeue_again

    def next_card(self, now: datetime) -> CardSpec | None:
        if not self.queue:
            if self.finished_at is None:
                self.finished_at = now
            return None
        return self.queue[0]

    def answered(
        self,
        rating: int,
        correct: bool | None = None,
        prompt: str = "",
        given: str = "",
        expected: str = "",
    ) -> None:
        """Record the answer to the card at the head of the queue."""
        spec = self.queue.popleft()
        self.asked += 1
        if correct is not None:
            self.graded += 1
            self.right += int(correct)
            if not correct:
                self.misses.append(Miss(spec.id, prompt, given, expected))
        if self.requeue_again and rating == AGAIN:
            self.queue.append(spec)

    @property
    def remaining(self) -> int:
        return len(self.queue)

    def elapsed(self, now: datetime) -> float:
        return ((self.finished_at or now) - self.started_at).total_seconds()


def topics(deck: dict[str, CardSpec]) -> dict[str, int]:
    """Every tag and skill family one can cram, with how many cards each has."""
    counts: dict[str, int] = {}
    for spec in deck.values():
        keys = [*spec.tags, f"skill:{spec.key}"] if spec.kind is Kind.SKILL else spec.tags
        for key in keys:
            counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


def cram(deck: dict[str, CardSpec], topic: str, rng: random.Random, now: datetime) -> Practice:
    """Every card of a tag (``"cnn"``) or a skill family (``"skill:conv2d-shape"``), shuffled."""
    if topic.startswith("skill:"):
        family = topic.removeprefix("skill:")
        specs = [s for s in deck.values() if s.kind is Kind.SKILL and s.key == family]
    else:
        specs = [s for s in deck.values() if topic in s.tags]
    if not specs:
        raise ValueError(f"no cards for {topic!r}")
    rng.shuffle(specs)
    return Practice(f"Cram: {topic}", deque(specs), requeue_again=True, started_at=now)


def quiz(
    deck: dict[str, CardSpec], families: list[str], n: int, rng: random.Random, now: datetime
) -> Practice:
    """``n`` generated questions drawn from ``families`` (any level), each with fresh numbers."""
    pool = [s for s in deck.values() if s.kind is Kind.SKILL and s.key in set(families)]
    if not pool:
        raise ValueError("choose at least one question family")
    if n < 1:
        raise ValueError("a quiz needs at least one question")
    picks = [rng.choice(pool) for _ in range(n)]
    return Practice(f"Quiz: {n} questions", deque(picks), requeue_again=False, started_at=now)
