"""Undo and leeches for a study session: the records that cancel an action.

``Session`` inherits these; ``Session.apply`` keeps the bookkeeping they read
(the actions taken, the marks before each mark, the leeches made) up to date.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from dlquiz.history import LEECH_LAPSES, mark_record
from dlquiz.records import DEFAULT_MARKS, Marks, Record, Review, Undo
from dlquiz.scheduler import CardState
from dlquiz.undo import Action, inverse


class SessionUndo:
    """The undo and leech part of ``dlquiz.session.Session`` (its state is set there)."""

    cards: Mapping[str, CardState]
    marks: Mapping[str, Marks]
    _actions: list[Action]
    _before: dict[str, tuple[Marks, CardState | None]]
    _undoing: tuple[str, Action] | None
    _undo_rest: tuple[str, list[Record]] | None
    _leech_made: dict[str, str]
    _leech_reviews: set[str]

    # ----- undo ---------------------------------------------------------------------

    @property
    def can_undo(self) -> bool:
        return bool(self._actions)

    @property
    def undo_label(self) -> str | None:
        """What ``u`` would undo ("answer", "bury", "flag"…), None if nothing."""
        return self._actions[-1].label if self._actions else None

    def undo(self, now: datetime) -> Record | None:
        """The record that undoes this session's last action, or None if there is none.

        An answer is undone by an Undo record; a mark by the opposite mark (the
        card's marks before it); a reset by an Undo record restoring its state,
        followed (``follow_ups``) by the marks the reset cleared.
        """
        if not self._actions:
            return None
        action = self._actions[-1]
        records = inverse(action, now)
        first = records[0]
        assert first.id is not None
        self._undoing = (first.id, action)
        self._undo_rest = (first.id, records[1:]) if len(records) > 1 else None
        return first

    def mark(self, kind: str, card_id: str, now: datetime, **fields: object) -> Record:
        """A suspend/bury/flag/reset record for ``card_id`` (not yet applied)."""
        record = mark_record(kind, card_id, now, **fields)
        assert record.id is not None
        # Remembered so the mark can be undone to exactly what was there before.
        self._before[record.id] = (
            self.marks.get(card_id, DEFAULT_MARKS),
            self.cards.get(card_id),
        )
        return record

    def follow_ups(self, record: Record, now: datetime) -> list[Record]:
        """Records the log needs after ``record``: the rest of an undo, making or
        unmaking a leech."""
        out: list[Record] = []
        if self._undo_rest is not None and self._undo_rest[0] == record.id:
            out.extend(self._undo_rest[1])
            self._undo_rest = None
        extra: Record | None = None
        if isinstance(record, Review):
            extra = self.leech_check(record, now)
        elif isinstance(record, Undo):
            extra = self.leech_undone(record, now)
        if extra is not None:
            out.append(extra)
        return out

    def leech_undone(self, undo: Undo, now: datetime) -> Record | None:
        """After undoing the review that made a card a leech: the record that unmakes it."""
        if undo.undoes not in self._leech_reviews:
            return None
        self._leech_reviews.discard(undo.undoes)
        return mark_record("suspend", undo.card, now, on=False, leech=False)

    def leech_check(self, review: Review, now: datetime) -> Record | None:
        """A suspend record if this review made the card a leech (told once).

        Only a lapse can: a card with enough lapses but no leech mark (a log from
        before leeches, or another device's) is not suspended when it is recalled.
        """
        lapses_before = review.before.lapses if review.before is not None else 0
        if (
            review.after.lapses >= LEECH_LAPSES
            and review.after.lapses > lapses_before
            and not self.marks.get(review.card, DEFAULT_MARKS).leech
        ):
            record = mark_record("suspend", review.card, now, on=True, reason="leech")
            assert record.id is not None
            self._leech_made[record.id] = review.id
            return record
        return None
