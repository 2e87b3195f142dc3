"""A study session: the queue. Which card comes next, and the records answers make.

No I/O, no UI, and no writes to card state: ``answer``, ``undo`` and ``mark``
return log records; the owner (``dlquiz.study.Study``) appends each durably,
applies it to the card states it owns, and only then calls ``apply`` here so the
queue follows. The session reads the states through read-only mappings.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from dlquiz import skillgraph
from dlquiz.cards import CardSpec, Kind
from dlquiz.history import LEECH_LAPSES, mark_record, review_record, undo_record
from dlquiz.records import DEFAULT_MARKS, Implicit, Marks, Record, Reset, Review, Suspend, Undo
from dlquiz.scheduler import REVIEW, CardState, Outcome, Scheduler, shifted
from dlquiz.settings import Settings

# A learning card due within this window may be shown early when nothing else is left.
LEARN_AHEAD = timedelta(minutes=20)


def day_start(now: datetime, tz: tzinfo, hour: int) -> datetime:
    """Start (UTC) of the study day containing ``now``; days begin at ``hour`` local time."""
    local = now.astimezone(tz)
    start = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if local < start:
        start -= timedelta(days=1)
    return start.astimezone(UTC)


def study_day(moment: datetime, tz: tzinfo, day_starts_at_hour: int = 4) -> date:
    """The study day ``moment`` belongs to (the date on which its ``day_start`` falls).

    Shifting the local wall-clock time back by the start hour and taking the date
    gives the same day as ``day_start``, without building datetimes.
    """
    return (moment.astimezone(tz) - timedelta(hours=day_starts_at_hour)).date()


@dataclass
class Today:
    """What has been done in the current study day (derived from the log)."""

    reviews: list[Review] = field(default_factory=list)  # effective review records
    new_ids: set[str] = field(default_factory=set)

    @classmethod
    def from_records(cls, records: Iterable[Record]) -> Today:
        today = cls()
        for record in records:
            today.add(record)
        return today

    def add(self, record: Record) -> None:
        if isinstance(record, Review):
            self.reviews.append(record)
            if record.before is None:
                self.new_ids.add(record.card)
        elif isinstance(record, Undo):
            for i in range(len(self.reviews) - 1, -1, -1):
                if self.reviews[i].id == record.undoes:
                    undone = self.reviews.pop(i)
                    if undone.before is None:
                        self.new_ids.discard(undone.card)
                    break

    @property
    def reviewed(self) -> int:
        return len(self.reviews)

    @property
    def new(self) -> int:
        return len(self.new_ids)

    @property
    def old_reviewed(self) -> int:
        return sum(1 for r in self.reviews if r.before is not None)


def _out_of_rotation(deck: dict[str, CardSpec], settings: Settings) -> frozenset[str]:
    tags = set(settings.excluded_tags)
    skills = set(settings.excluded_skills)
    if not tags and not skills:
        return frozenset()
    return frozenset(
        cid
        for cid, spec in deck.items()
        # Tags rotate content cards; question families rotate by family id (their
        # topic tag shares names such as "architecture" with content tags).
        if (spec.kind is Kind.SKILL and spec.key in skills)
        or (spec.kind is not Kind.SKILL and tags.intersection(spec.tags))
    )


@dataclass(frozen=True)
class Counts:
    due: int
    new: int
    reviewed_today: int


class Session:
    """Chooses cards and turns answers into log records."""

    def __init__(
        self,
        deck: dict[str, CardSpec],
        cards: Mapping[str, CardState],
        scheduler: Scheduler,
        settings: Settings,
        now: datetime,
        tz: tzinfo = UTC,
        today_records: Iterable[Record] = (),
        marks: Mapping[str, Marks] | None = None,
        skill_history: Iterable[Record] | None = None,
    ) -> None:
        """``skill_history``: every record of a skill card in the log (for unlocking)."""
        self.deck = deck
        self.cards = cards  # read-only views of the owner's state
        self.marks: Mapping[str, Marks] = {} if marks is None else marks
        self.scheduler = scheduler
        self.settings = settings
        self.tz = tz
        self._day_start = day_start(now, tz, settings.day_starts_at_hour)
        self.today = Today.from_records(r for r in today_records if r.time >= self._day_start)
        self._learning: list[tuple[float, str]] = []
        self._review: list[tuple[float, str]] = []
        for card_id, state in cards.items():
            if card_id in deck:
                self._push(card_id, state)
        heapq.heapify(self._learning)
        heapq.heapify(self._review)
        self._new_order = [cid for cid in deck if cid not in cards]
        self._new_pos = 0
        self._since_new = 0
        self._undo_stack: list[Review] = []
        self._again_first: str | None = None  # an undone card comes straight back
        self._skipped: set[str] = set()
        self._leech_reviews: set[str] = set()  # reviews of this session that made a leech
        self._spacing: int | None = None  # reviews between two new cards, once computed
        self._now_ts = now.timestamp()
        self._excluded = _out_of_rotation(deck, settings)
        # Skill graph (dlquiz.skillgraph): the days each skill was passed, and the
        # prerequisite a failed skill brings forward.
        hour = settings.day_starts_at_hour
        history = self.today.reviews if skill_history is None else skill_history
        self.passes = skillgraph.pass_days(history, tz, hour)
        self._forward: str | None = None

    # ----- the day ------------------------------------------------------------------

    def _roll_day(self, now: datetime) -> None:
        self._now_ts = now.timestamp()
        start = day_start(now, self.tz, self.settings.day_starts_at_hour)
        if start != self._day_start:
            self._day_start = start
            self.today = Today()
            self._spacing = None

    @property
    def day_end(self) -> datetime:
        return self._day_start + timedelta(days=1)

    # ----- queues -------------------------------------------------------------------

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
                elif not self._available(entry[1]):
                    held.append(heapq.heappop(heap))
                else:
                    return entry
            return None
        finally:
            for entry in held:
                heapq.heappush(heap, entry)

    def _available(self, card_id: str) -> bool:
        """In rotation, not suspended, not buried, not skipped in this session."""
        if card_id in self._skipped or card_id in self._excluded:
            return False
        mark = self.marks.get(card_id)
        if mark is None:
            return True
        if mark.suspended:
            return False
        return mark.buried_until is None or mark.buried_until <= self._now_ts

    def use_settings(self, settings: Settings, scheduler: Scheduler) -> None:
        """New settings from now on, keeping the session (undo, skips, today)."""
        self.settings = settings
        self.scheduler = scheduler
        self._excluded = _out_of_rotation(self.deck, settings)
        self._spacing = None

    def skip(self, card_id: str) -> None:
        """Leave ``card_id`` out for the rest of this session, unanswered (e.g. it failed)."""
        self._skipped.add(card_id)

    def _next_new(self) -> str | None:
        if self.today.new >= self.settings.new_per_day:
            return None
        while self._new_pos < len(self._new_order):
            card_id = self._new_order[self._new_pos]
            if card_id in self.cards:  # studied since the session began
                self._new_pos += 1
                continue
            if self._unlocked(card_id) and self._available(card_id):
                return card_id
            # Locked cards stay in place for a later day; look further on.
            for later in self._new_order[self._new_pos + 1 :]:
                if later not in self.cards and self._unlocked(later) and self._available(later):
                    return later
            return None
        return None

    def _unlocked(self, card_id: str) -> bool:
        if self.deck[card_id].kind is Kind.SKILL:
            return skillgraph.unlocked(card_id, self.learned, self._blocks)
        req = self.deck[card_id].requires
        return req is None or (req in self.cards and req not in self.today.new_ids)

    def learned(self, card_id: str) -> bool:
        """A skill passed on enough different days (and not first met today)."""
        days = self.settings.unlock_after_days
        return skillgraph.learned(card_id, self.passes, days) and card_id not in self.today.new_ids

    def skill_status(self, card_id: str) -> skillgraph.Status:
        """locked / new / learning / known (the skill map shows it)."""
        return skillgraph.status(card_id, self.cards, self.learned, self._unlocked)

    def _blocks(self, card_id: str) -> bool:
        """A prerequisite the learner can study (so it must be learned first)."""
        suspended = self.marks.get(card_id, DEFAULT_MARKS).suspended
        return card_id in self.deck and card_id not in self._excluded and not suspended

    def _reviews_left(self) -> int:
        return max(0, self.settings.max_reviews_per_day - self.today.old_reviewed)

    def next_card(self, now: datetime) -> CardSpec | None:
        """The card to show now, or None when the day's work is done."""
        self._roll_day(now)
        if self._again_first is not None:
            card_id, self._again_first = self._again_first, None
            if self._available(card_id):
                return self.deck[card_id]
        if self._forward is not None:  # a failed skill's weakest prerequisite, once
            card_id, self._forward = self._forward, None
            if card_id in self.cards and self._available(card_id):
                return self.deck[card_id]
        ts = now.timestamp()
        learning = self._top(self._learning, review=False)
        if learning is not None and learning[0] <= ts:
            return self.deck[learning[1]]
        review = self._top(self._review, review=True)
        if review is not None and (
            review[0] > self.day_end.timestamp() or not self._reviews_left()
        ):
            review = None
        new = self._next_new()
        if review is not None and new is not None:
            # Spread new cards evenly through the reviews that are due. Worked out
            # once per session and day: counting is O(cards), this runs per card.
            if self._spacing is None:
                due_left = self.counts(now).due
                new_left = max(1, self.settings.new_per_day - self.today.new)
                self._spacing = max(1, math.ceil(due_left / new_left))
            if self._since_new >= self._spacing:
                return self.deck[new]
            return self.deck[review[1]]
        if review is not None:
            return self.deck[review[1]]
        if new is not None:
            return self.deck[new]
        if learning is not None and learning[0] <= (now + LEARN_AHEAD).timestamp():
            return self.deck[learning[1]]
        return None

    def next_learning_due(self) -> datetime | None:
        """When the next learning card comes due (to say "come back in 8 min")."""
        top = self._top(self._learning, review=False)
        return datetime.fromtimestamp(top[0], UTC) if top else None

    def counts(self, now: datetime) -> Counts:
        self._roll_day(now)
        end = self.day_end.timestamp()
        soon = (now + LEARN_AHEAD).timestamp()
        # Sets: after an undo the same (due, card) entry can sit in a heap twice.
        due_review = len(
            {
                card
                for due, card in self._review
                if due <= end and self._valid((due, card), True) and self._available(card)
            }
        )
        due_learning = len(
            {
                card
                for due, card in self._learning
                if due <= soon and self._valid((due, card), False) and self._available(card)
            }
        )
        due = min(due_review, self._reviews_left()) + due_learning
        remaining_new = sum(
            1
            for cid in self._new_order[self._new_pos :]
            if cid not in self.cards and self._available(cid) and self._unlocked(cid)
        )
        new = min(max(0, self.settings.new_per_day - self.today.new), remaining_new)
        return Counts(due=due, new=new, reviewed_today=self.today.reviewed)

    # ----- answers ------------------------------------------------------------------

    def outcomes(self, card_id: str, now: datetime) -> dict[int, Outcome]:
        """The four possible results of answering now: shown on the rating buttons."""
        return self.scheduler.outcomes(self.cards.get(card_id), now)

    def answer(
        self,
        card_id: str,
        outcome: Outcome,
        answered_at: datetime,
        duration_ms: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> Review:
        """The log record for answering ``card_id`` with ``outcome`` (not yet applied)."""
        before = self.cards.get(card_id)
        after = shifted(outcome, answered_at)
        return review_record(
            card_id, outcome.rating, answered_at, before, after, duration_ms, extra
        )

    def undo(self, now: datetime) -> Undo | None:
        """The undo record for this session's last answer, or None if there is none."""
        if not self._undo_stack:
            return None
        return undo_record(self._undo_stack[-1], now)

    def apply(self, record: Record) -> None:
        """Follow a record that has been written to the log and applied to the state."""
        if isinstance(record, Undo):
            review = self._undo_stack.pop()
            if review.id != record.undoes:
                raise ValueError("undo must cancel the session's last answer")
        elif isinstance(record, Suspend) and record.reason == "leech" and self._undo_stack:
            self._leech_reviews.add(self._undo_stack[-1].id)
        card_id = record.card
        if isinstance(record, Review | Undo):
            self.today.add(record)
        if isinstance(record, Review | Undo | Implicit):
            state = self.cards.get(card_id)
            if state is not None:
                self._push(card_id, state)
        skillgraph.note_pass(self.passes, record, self.tz, self.settings.day_starts_at_hour)
        if isinstance(record, Review):
            self._undo_stack.append(record)
            self._since_new = 0 if record.before is None else self._since_new + 1
            self._forward = skillgraph.weakest_prerequisite(
                record,
                self.cards,
                lambda state: self.scheduler.retrievability(state, record.time),
                self._available,
            )
        elif isinstance(record, Undo):
            self._again_first = card_id
            self._forward = None
        elif isinstance(record, Reset) and card_id in self.deck:
            self._new_order.append(card_id)  # new again: introduced like any new card

    def mark(self, kind: str, card_id: str, now: datetime, **fields: object) -> Record:
        """A suspend/bury/flag/reset record for ``card_id`` (not yet applied)."""
        return mark_record(kind, card_id, now, **fields)

    def bury_until(self, now: datetime) -> float:
        """Burying hides a card until the next study day begins."""
        self._roll_day(now)
        return self.day_end.timestamp()

    def follow_up(self, record: Record, now: datetime) -> Record | None:
        """The record the log needs after ``record``: making a leech, or unmaking one."""
        if isinstance(record, Review):
            return self.leech_check(record, now)
        if isinstance(record, Undo):
            return self.leech_undone(record, now)
        return None

    def leech_undone(self, undo: Undo, now: datetime) -> Record | None:
        """After undoing the review that made a card a leech: the record that unmakes it."""
        if undo.undoes not in self._leech_reviews:
            return None
        self._leech_reviews.discard(undo.undoes)
        return mark_record("suspend", undo.card, now, on=False, leech=False)

    def leech_check(self, review: Review, now: datetime) -> Record | None:
        """A suspend record if this review made the card a leech (told once)."""
        if (
            review.after.lapses >= LEECH_LAPSES
            and not self.marks.get(review.card, DEFAULT_MARKS).leech
        ):
            return mark_record("suspend", review.card, now, on=True, reason="leech")
        return None

    @property
    def can_undo(self) -> bool:
        return bool(self._undo_stack)
