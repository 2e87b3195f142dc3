"""A study session: the queue. Which card comes next, and the records answers make.

No I/O, no UI, and no writes to card state: ``answer``, ``undo`` and ``mark``
return log records; the owner (``dlquiz.study.Study``) appends each durably,
applies it to the card states it owns, and only then calls ``apply`` here so the
queue follows. The session reads the states through read-only mappings.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from dlquiz import skillgraph
from dlquiz.cards import CardSpec, Kind
from dlquiz.due_reviews import DueLearning, DueReviews, Queues
from dlquiz.history import review_record
from dlquiz.order import new_card_order, sibling_key
from dlquiz.records import (
    DEFAULT_MARKS,
    Bury,
    Implicit,
    Marks,
    Record,
    Reset,
    Review,
    Suspend,
    Undo,
)
from dlquiz.scheduler import AGAIN, REVIEW, CardState, Outcome, Scheduler, shifted
from dlquiz.session_undo import SessionUndo
from dlquiz.settings import Settings

# Re-exported: callers import the day's helpers from here too.
from dlquiz.today import Today as Today
from dlquiz.today import day_start as day_start
from dlquiz.today import study_day as study_day
from dlquiz.undo import Action

# A learning card due within this window may be shown early when nothing else is left.
LEARN_AHEAD = timedelta(minutes=20)


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


# A card answered among the last RECENT answers waits while any other card can be shown:
# a failed card comes back after others, not three times in a row.
RECENT = 2


@dataclass(frozen=True)
class Summary:
    """The session so far, for the end-of-session screen."""

    cards: int  # answers recorded in this session (undone ones do not count)
    seconds: float  # time spent answering them
    graded: int  # answers that were auto-graded
    right: int  # of those, how many were graded right
    misses: tuple[Review, ...]  # answers rated Again, the last one per card
    # card -> the rating of its last answer, for missed cards answered right after
    later: Mapping[str, int] = field(default_factory=dict)

    @property
    def accuracy(self) -> float | None:
        return self.right / self.graded if self.graded else None


class Session(Queues, SessionUndo):
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
        self._new_order = self._ordered_new()
        self._new_pos = 0
        self._since_new = 0
        self._again_first: str | None = None  # an undone card comes straight back
        self._skipped: set[str] = set()
        self._spacing: int | None = None  # reviews between two new cards, once computed
        self._now_ts = now.timestamp()
        self._excluded = _out_of_rotation(deck, settings)
        # Skill graph (dlquiz.skillgraph): the days each skill was passed, and the
        # prerequisite a failed skill brings forward.
        hour = settings.day_starts_at_hour
        history = self.today.reviews if skill_history is None else skill_history
        self.passes = skillgraph.pass_days(history, tz, hour)
        self._forward: str | None = None
        self._recent: deque[str] = deque(maxlen=RECENT)
        self._hold_skills = False  # while picking around a question process still loading
        self._due = DueReviews(deck)  # due review cards, for counts (see due_reviews)
        self._due_learning = DueLearning()  # due learning cards, for counts
        self._wake: float | None = None  # when a bury runs out during the day (a recount)
        self._siblings: dict[str, set[str]] | None = None  # sibling key -> cards seen today
        self._extra_new = 0  # "study N more new" for today
        self._focus: list[str] | None = None  # custom study: only these cards, in order
        self._focus_set: frozenset[str] = frozenset()
        self._focus_done: set[str] = set()
        # Undo: every action of the session, newest last.
        self._actions: list[Action] = []
        self._before: dict[str, tuple[Marks, CardState | None]] = {}  # mark id -> before
        self._undoing: tuple[str, Action] | None = None  # inverse record id -> its action
        self._undo_rest: tuple[str, list[Record]] | None = None  # more inverse records
        self._leech_made: dict[str, str] = {}  # leech suspend id -> the review that made it
        self._leech_reviews: set[str] = set()  # reviews of this session that made a leech
        self.started_at = now
        self.answered: list[Review] = []  # this session's answers, undone ones removed

    # ----- the day ------------------------------------------------------------------

    def _roll_day(self, now: datetime) -> None:
        self._now_ts = now.timestamp()
        start = day_start(now, self.tz, self.settings.day_starts_at_hour)
        if start != self._day_start:
            self._day_start = start
            self.today = Today()
            self._spacing = None
            self._siblings = None
            self._extra_new = 0
            self._due_learning.reset()

    @property
    def day_end(self) -> datetime:
        return self._day_start + timedelta(days=1)

    # ----- queues -------------------------------------------------------------------

    def _ordered_new(self) -> list[str]:
        cards = self.cards
        unseen = (spec for spec in self.deck.values() if spec.id not in cards)
        return new_card_order(unseen, self.settings.new_card_order)

    def _available(self, card_id: str, siblings: bool = False) -> bool:
        """In rotation, not suspended, not buried, not skipped in this session.

        With ``siblings``: not hidden because a sibling was answered today. Learning
        cards are never hidden so (their short steps would be broken), only reviews
        and new cards.
        """
        if card_id in self._skipped or card_id in self._excluded:
            return False
        if self._hold_skills and self._is_skill(card_id):
            return False
        if self._focus is not None and card_id not in self._focus_set:
            return False
        mark = self.marks.get(card_id)
        if mark is not None:
            if mark.suspended:
                return False
            if mark.buried_until is not None and mark.buried_until > self._now_ts:
                return False
        return not (siblings and self._sibling_hidden(card_id))

    def _sibling_hidden(self, card_id: str) -> bool:
        # Derived from today's answers (the log), not written as Bury records: it
        # survives restarts, ends with the day, and undoing the answer undoes it.
        if not self.settings.bury_siblings or self._focus is not None:
            return False
        if self._siblings is None:
            self._siblings = {}
            for review in self.today.reviews:
                other = self.deck.get(review.card)
                other_key = sibling_key(other) if other is not None else None
                if other_key is not None:
                    self._siblings.setdefault(other_key, set()).add(review.card)
        if not self._siblings:  # the common case at the start of a day: nothing to look up
            return False
        spec = self.deck.get(card_id)
        key = sibling_key(spec) if spec is not None else None
        seen = self._siblings.get(key) if key is not None else None
        return seen is not None and bool(seen - {card_id})

    def use_settings(self, settings: Settings, scheduler: Scheduler) -> None:
        """New settings from now on, keeping the session (undo, skips, today)."""
        reorder = settings.new_card_order != self.settings.new_card_order
        self.settings = settings
        self.scheduler = scheduler
        self._excluded = _out_of_rotation(self.deck, settings)
        self._spacing = None
        self._due.reset()
        self._due_learning.reset()
        if reorder:
            self._new_order, self._new_pos = self._ordered_new(), 0

    def skip(self, card_id: str) -> None:
        """Leave ``card_id`` out for the rest of this session, unanswered (e.g. it failed)."""
        self._skipped.add(card_id)
        self._due.update(card_id, self._counted)
        self._due_learning.update(card_id, self._showable_learning)

    @property
    def new_limit(self) -> int:
        return self.settings.new_per_day + self._extra_new

    def more_new(self, n: int) -> None:
        """Raise today's new-card limit by ``n`` (for this session and day only)."""
        self._extra_new += max(0, n)
        self._spacing = None

    def _next_new(self) -> str | None:
        if self.today.new >= self.new_limit:
            return None
        while self._new_pos < len(self._new_order):
            card_id = self._new_order[self._new_pos]
            if card_id in self.cards:  # studied since the session began
                self._new_pos += 1
                continue
            if self._unlocked(card_id) and self._available(card_id, siblings=True):
                return card_id
            # Locked cards stay in place for a later day; look further on.
            for later in self._new_order[self._new_pos + 1 :]:
                if (
                    later not in self.cards
                    and self._unlocked(later)
                    and self._available(later, siblings=True)
                ):
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

    def next_card(self, now: datetime, skills_ready: bool = True) -> CardSpec | None:
        """The card to show now, or None when the day's work is done.

        ``skills_ready`` False (torch still loading in the question process): any other
        card comes first, so nobody waits on torch unless only computed cards are left.
        """
        if skills_ready:
            return self._pick(now)
        again, forward = self._again_first, self._forward
        self._hold_skills = True
        try:
            card = self._pick(now)
        finally:
            self._hold_skills = False
        if card is None:
            return self._pick(now)
        # A held-back skill that was due to come straight back keeps its turn.
        if again is not None and card.id != again and self._is_skill(again):
            self._again_first = again
        if forward is not None and card.id != forward and self._is_skill(forward):
            self._forward = forward
        return card

    def _is_skill(self, card_id: str) -> bool:
        spec = self.deck.get(card_id)
        return spec is not None and spec.kind is Kind.SKILL

    def _pick(self, now: datetime) -> CardSpec | None:
        self._roll_day(now)
        if self._again_first is not None:
            card_id, self._again_first = self._again_first, None
            state = self.cards.get(card_id)
            if self._available(card_id) and (
                state is None or state.due <= self.day_end.timestamp()
            ):
                return self.deck[card_id]
        if self._forward is not None:  # a failed skill's weakest prerequisite, once
            card_id, self._forward = self._forward, None
            if card_id in self.cards and self._available(card_id):
                return self.deck[card_id]
        first, fresh = self._first_learning(now.timestamp())
        if fresh is not None:
            return self.deck[fresh]
        other = self._next_focused() if self._focus is not None else self._review_or_new(now)
        if other is not None:
            return self.deck[other]
        if first is not None:  # nothing else waits: the failed card may come back now
            return self.deck[first]
        ahead = self._top(self._learning, review=False)
        if ahead is not None and ahead[0] <= (now + LEARN_AHEAD).timestamp():
            return self.deck[ahead[1]]
        return None

    def _review_or_new(self, now: datetime) -> str | None:
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
                new_left = max(1, self.new_limit - self.today.new)
                self._spacing = max(1, math.ceil(due_left / new_left))
            return new if self._since_new >= self._spacing else review[1]
        if review is not None:
            return review[1]
        return new

    def learn_ahead(self, now: datetime) -> CardSpec | None:
        """The next learning card even if it is not due yet (the user asked to go on)."""
        self._roll_day(now)
        top = self._top(self._learning, review=False)
        return None if top is None else self.deck[top[1]]

    def next_learning_due(self) -> datetime | None:
        """When the next learning card comes due (to say "come back in 8 min")."""
        top = self._top(self._learning, review=False)
        return datetime.fromtimestamp(top[0], UTC) if top else None

    def counts(self, now: datetime) -> Counts:
        """Cards left for today; costs what is due today, not the deck's size."""
        self._roll_day(now)
        self._check_wake()
        end = self.day_end.timestamp()
        soon = (now + LEARN_AHEAD).timestamp()
        if self._hold_skills:  # a passing state (torch loading): not worth keeping
            due_learning = len(self._due_in(self._learning, soon, False, len(self._learning)))
        else:
            due_learning = self._due_learning.count(
                soon, self._learning_entries, self._showable_learning
            )
        if self._focus is not None:
            left = sum(1 for c in self._focus if c not in self._focus_done and self._available(c))
            return Counts(due=left + due_learning, new=0, reviewed_today=self.today.reviewed)
        if self._hold_skills:  # a passing state (torch loading): not worth keeping
            reviews = len(self._due_in(self._review, end, True, self._reviews_left()))
        else:
            due_set = self._due.get(end, self._due_reviews)
            reviews = min(len(due_set), self._reviews_left())
        due = reviews + due_learning
        wanted = max(0, self.new_limit - self.today.new)
        new = 0
        for cid in itertools.islice(self._new_order, self._new_pos, None):
            if new >= wanted:
                break  # enough for today: the rest of the deck is not looked at
            if cid in self.cards or not self._unlocked(cid):
                continue
            if self._available(cid, siblings=True):
                new += 1
        return Counts(due=due, new=new, reviewed_today=self.today.reviewed)

    # ----- custom study -------------------------------------------------------------

    def focus(self, card_ids: Iterable[str]) -> int:
        """Study only ``card_ids`` (due or not), recorded as usual; returns how many."""
        self._focus = [cid for cid in dict.fromkeys(card_ids) if cid in self.deck]
        self._focus_set = frozenset(self._focus)
        self._focus_done = set()
        self._due.reset()  # which cards can be shown changed
        self._due_learning.reset()
        return len(self._focus)

    def end_focus(self) -> None:
        self._focus = None
        self._due.reset()
        self._due_learning.reset()

    @property
    def focused(self) -> bool:
        return self._focus is not None

    def _next_focused(self) -> str | None:
        assert self._focus is not None
        for card_id in self._focus:
            if card_id not in self._focus_done and self._available(card_id):
                state = self.cards.get(card_id)
                if state is None or state.state == REVIEW:  # learning ones come when due
                    return card_id
        return None

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

    def summary(self, now: datetime) -> Summary:
        graded = [r for r in self.answered if r.auto is not None]
        misses: dict[str, Review] = {}
        later: dict[str, int] = {}
        for review in self.answered:
            if review.rating == AGAIN or review.auto == AGAIN:
                misses.pop(review.card, None)
                misses[review.card] = review
                later.pop(review.card, None)
            elif review.card in misses:
                later[review.card] = review.rating
        seconds = sum((r.duration_ms or 0) for r in self.answered) / 1000
        return Summary(
            cards=len(self.answered),
            seconds=seconds,
            graded=len(graded),
            right=sum(1 for r in graded if r.auto != AGAIN),
            misses=tuple(misses.values()),
            later=later,
        )

    def missed_today(self) -> list[str]:
        """Cards answered Again (or auto-graded wrong) today, oldest miss first."""
        return list(
            dict.fromkeys(
                r.card for r in self.today.reviews if r.rating == AGAIN or r.auto == AGAIN
            )
        )

    def apply(self, record: Record) -> None:
        """Follow a record that has been written to the log and applied to the state."""
        undone: Action | None = None
        if self._undoing is not None and record.id == self._undoing[0]:
            undone = self._undoing[1]
            self._undoing = None
            if not self._actions or self._actions[-1] is not undone:
                raise ValueError("undo must cancel the session's last action")
            self._actions.pop()
        elif isinstance(record, Undo):
            raise ValueError("undo must cancel the session's last action")
        if isinstance(record, Suspend) and record.id in self._leech_made:
            self._leech_reviews.add(self._leech_made.pop(record.id))
        card_id = record.card
        if isinstance(record, Review | Undo):
            self.today.add(record)
            self._note_sibling(record)
        if isinstance(record, Review | Undo | Implicit):
            state = self.cards.get(card_id)
            if state is not None:
                self._push(card_id, state)
        skillgraph.note_pass(self.passes, record, self.tz, self.settings.day_starts_at_hour)
        if isinstance(record, Review):
            self._actions.append(Action(record, state=record.before))
            self.answered.append(record)
            self._recent.append(card_id)
            self._since_new = 0 if record.before is None else self._since_new + 1
            self._forward = skillgraph.weakest_prerequisite(
                record,
                self.cards,
                lambda state: self.scheduler.retrievability(state, record.time),
                self._available,
            )
            if self._focus is not None:
                self._focus_done.add(card_id)
        elif undone is not None:
            self._undone(undone)
            self._forward = None
        elif record.id is not None and record.id in self._before:
            marks, state = self._before.pop(record.id)
            self._actions.append(Action(record, marks, state))
        if isinstance(record, Reset) and undone is None and card_id in self.deck:
            self._new_order.append(card_id)  # new again: introduced like any new card
        until = record.until if isinstance(record, Bury) else None
        if until is not None and self._now_ts < until < self.day_end.timestamp():
            self._wake = until if self._wake is None else min(self._wake, until)
        self._due.update(card_id, self._counted)
        self._due_learning.update(card_id, self._showable_learning)

    def _note_sibling(self, record: Review | Undo) -> None:
        """Keep the cards answered today by sibling key (an undo: rebuilt when asked)."""
        if self._siblings is None:
            return
        spec = self.deck.get(record.card)
        key = sibling_key(spec) if spec is not None else None
        if isinstance(record, Undo):
            self._siblings = None
        elif key is not None:
            self._siblings.setdefault(key, set()).add(record.card)

    def _undone(self, action: Action) -> None:
        rec = action.record
        if isinstance(rec, Review):
            self.answered = [r for r in self.answered if r.id != rec.id]
            self._focus_done.discard(rec.card)
        if isinstance(rec, Review | Bury) or (isinstance(rec, Suspend) and rec.on):
            self._again_first = rec.card  # the card it took away comes straight back

    def bury_until(self, now: datetime) -> float:
        """Burying hides a card until the next study day begins."""
        self._roll_day(now)
        return self.day_end.timestamp()
