"""Undoing any action of a session: the records that put a card back as it was. No I/O.

An answer is undone by an Undo record (as always); a mark by the opposite mark,
set to exactly what the card had before; a reset by an Undo record restoring the
card's state, then the marks the reset cleared. Each inverse is idempotent, so
writing it again after a failed save does no harm.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from dlquiz.history import mark_record, undo_record
from dlquiz.records import (
    DEFAULT_MARKS,
    Bury,
    Flag,
    Marks,
    Record,
    Review,
    Suspend,
    Undo,
    new_id,
    utc,
)
from dlquiz.scheduler import CardState


@dataclass(frozen=True)
class Action:
    """One undoable thing done in this session, and what the card was like before it."""

    record: Record  # the answer (Review) or the mark the user made
    marks: Marks = DEFAULT_MARKS  # the card's marks before it
    state: CardState | None = None  # the card's state before it (to undo a reset)

    @property
    def label(self) -> str:
        """What the user did, in a word: "answer", "bury", "unflag"…"""
        rec = self.record
        if isinstance(rec, Review):
            return "answer"
        if isinstance(rec, Suspend):
            return "suspend" if rec.on else "unsuspend"
        if isinstance(rec, Flag):
            return "flag" if rec.on else "unflag"
        return "bury" if isinstance(rec, Bury) else "reset"


def inverse(action: Action, now: datetime) -> list[Record]:
    """The records that put a card back as it was before ``action``."""
    rec, marks, card = action.record, action.marks, action.record.card
    if isinstance(rec, Review):
        return [undo_record(rec, now)]
    if isinstance(rec, Suspend):
        return [mark_record("suspend", card, now, on=marks.suspended, leech=marks.leech)]
    if isinstance(rec, Bury):
        return [mark_record("bury", card, now, until=marks.buried_until)]
    if isinstance(rec, Flag):
        return [mark_record("flag", card, now, on=marks.flagged)]
    # A reset: its state back (the Undo record carries it), then the marks it cleared.
    out: list[Record] = []
    if action.state is not None:
        out.append(
            Undo(
                id=new_id(),
                undoes=rec.id or new_id(),
                card=card,
                time=utc(now),
                restore=action.state,
            )
        )
    if marks.suspended:
        reason = "leech" if marks.leech else "user"
        out.append(mark_record("suspend", card, now, on=True, reason=reason))
    elif marks.leech:
        out.append(mark_record("suspend", card, now, on=False, leech=True))
    if marks.buried_until is not None:
        out.append(mark_record("bury", card, now, until=marks.buried_until))
    return out or [mark_record("flag", card, now, on=marks.flagged)]  # nothing to put back
