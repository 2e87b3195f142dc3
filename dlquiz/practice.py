"""Study modes outside the schedule: cram a tag or skill, or take a timed quiz.

Nothing here touches the review log or card states: practice never changes
when a card is due. No I/O, no UI; time and randomness are passed in.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from dlquiz.cards import CardSpec, Kind
from dlquiz.scheduler import AGAIN

# A quiz limited by time alone draws this many questions: more than anyone answers.
UNLIMITED_QUESTIONS = 500


@dataclass(frozen=True)
class Miss:
    """A quiz question answered wrongly (or given up on), for the end-of-quiz list:
    everything needed to read it again in full."""

    card_id: str
    prompt: str
    given: str
    expected: str
    title: str = ""  # e.g. "Conv2d output shape · level 2"
    code: str = ""
    explanation: str = ""


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
    time_limit: timedelta | None = None  # a quiz ends when it runs out
    stopped_early: bool = False  # the user ended it before the last question
    begun: bool = False  # the first question has been shown

    def begin(self, now: datetime) -> None:
        """The first question is on screen: the clock starts now, not while it was
        generated (the first one may wait for PyTorch to load)."""
        if not self.begun and self.asked == 0:
            self.started_at = now
        self.begun = True

    @property
    def is_quiz(self) -> bool:
        return not self.requeue_again

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    def time_left(self, now: datetime) -> timedelta | None:
        """Time before a timed quiz ends (never negative); None without a limit."""
        if self.time_limit is None:
            return None
        return max(timedelta(0), self.started_at + self.time_limit - (self.finished_at or now))

    def timed_out(self, now: datetime) -> bool:
        left = self.time_left(now)
        return left is not None and left <= timedelta(0)

    def stop(self, now: datetime, early: bool = True) -> None:
        """End now: the questions not answered are not counted."""
        if self.finished_at is None:
            end = None if self.time_limit is None else self.started_at + self.time_limit
            self.finished_at = now if end is None else min(now, end)
            self.stopped_early = early and bool(self.queue)
        self.queue.clear()

    def clock_text(self, now: datetime) -> str:
        """For the progress line: time left in a timed quiz (4:05), else time so far."""
        left = self.time_left(now)
        if left is not None:
            return f"Time left {_mmss(left.total_seconds())}"
        return f"Time {_mmss(self.elapsed(now))}"

    def next_card(self, now: datetime) -> CardSpec | None:
        if self.timed_out(now):
            self.stop(now, early=False)
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
        *,
        title: str = "",
        code: str = "",
        explanation: str = "",
    ) -> None:
        """Record the answer to the card at the head of the queue."""
        spec = self.queue.popleft()
        self.asked += 1
        if correct is not None:
            self.graded += 1
            self.right += int(correct)
            if not correct:
                miss = Miss(spec.id, prompt, given, expected, title, code, explanation)
                self.misses.append(miss)
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
    deck: dict[str, CardSpec],
    families: list[str],
    n: int | None,
    rng: random.Random,
    now: datetime,
    minutes: int | None = None,
) -> Practice:
    """Generated questions drawn from ``families`` (any level), each with fresh numbers:
    ``n`` of them, or as many as ``minutes`` allow, or whichever ends first."""
    pool = [s for s in deck.values() if s.kind is Kind.SKILL and s.key in set(families)]
    if not pool:
        raise ValueError("choose at least one question family")
    if n is None and minutes is None:
        raise ValueError("a quiz needs a number of questions or of minutes")
    if n is not None and n < 1:
        raise ValueError("a quiz needs at least one question")
    if minutes is not None and minutes < 1:
        raise ValueError("a timed quiz needs at least one minute")
    picks = [rng.choice(pool) for _ in range(n or UNLIMITED_QUESTIONS)]
    parts = [f"{n} questions"] if n is not None else []
    parts += [f"{minutes} min"] if minutes is not None else []
    return Practice(
        f"Quiz: {' or '.join(parts)}",
        deque(picks),
        requeue_again=False,
        started_at=now,
        time_limit=timedelta(minutes=minutes) if minutes is not None else None,
    )


def cram_misses(quiz_plan: Practice, deck: dict[str, CardSpec], now: datetime) -> Practice:
    """A cram of a quiz's missed cards (each once, with fresh numbers), until each is known."""
    ids = list(dict.fromkeys(m.card_id for m in quiz_plan.misses))
    specs = [deck[i] for i in ids if i in deck]
    if not specs:
        raise ValueError("no missed questions to cram")
    return Practice("Cram: quiz misses", deque(specs), requeue_again=True, started_at=now)


def _mmss(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}:{secs:02d}"
