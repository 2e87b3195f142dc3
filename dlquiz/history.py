"""How log records change card state: the only place that says so. No I/O.

The log (``reviews.jsonl``) is the source of truth. A review record carries the
card's state before and after the answer, so replaying the log reproduces the
state exactly, whatever settings or FSRS fuzz were in force at the time; an
undo record carries the state it goes back to, and so does an implicit
credit (``dlquiz.skillgraph``) and its withdrawal. Records are the typed ones of
``dlquiz.records``, validated when read.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import msgspec

from dlquiz.records import (
    DEFAULT_MARKS,
    Bury,
    Flag,
    Implicit,
    Marks,
    Record,
    Reset,
    Review,
    SkillAsked,
    Suspend,
    Undo,
    new_id,
    utc,
)
from dlquiz.scheduler import CardState

LEECH_LAPSES = 8  # lapses after which a card is a leech: tagged and suspended


def review_record(
    card_id: str,
    rating: int,
    at: datetime,
    before: CardState | None,
    after: CardState,
    duration_ms: int | None = None,
    extra: dict[str, Any] | None = None,
    new_id: Callable[[], str] = new_id,
) -> Review:
    """A review as written to the log; ``extra``: auto, answer, skill, wrong_tries, mistake…"""
    fields = dict(extra or {})
    skill = fields.pop("skill", None)
    if isinstance(skill, dict):
        skill = SkillAsked(**skill)
    if isinstance(fields.get("answer"), str):
        fields["answer"] = fields["answer"][:4000]
    return Review(
        id=new_id(),
        card=card_id,
        rating=rating,
        time=utc(at),
        duration_ms=duration_ms,
        before=before,
        after=after,
        skill=skill,
        **fields,
    )


def undo_record(review: Review, at: datetime, new_id: Callable[[], str] = new_id) -> Undo:
    # The state to go back to, so replaying this record never depends on having
    # seen the review it cancels (e.g. replaying only the log's tail).
    return Undo(
        id=new_id(), undoes=review.id, card=review.card, time=utc(at), restore=review.before
    )


def mark_record(kind: str, card_id: str, at: datetime, **fields: Any) -> Record:
    """suspend (on, reason?, leech?), bury (until: POSIX seconds), flag (on), reset."""
    types: dict[str, type[Suspend | Bury | Flag | Reset]] = {
        "suspend": Suspend,
        "bury": Bury,
        "flag": Flag,
        "reset": Reset,
    }
    if kind not in types:
        raise ValueError(f"unknown mark {kind!r}")
    return types[kind](id=new_id(), card=card_id, time=utc(at), **fields)


def _replace(marks: Marks, **changes: Any) -> Marks:
    return msgspec.structs.replace(marks, **changes)


def apply_record(cards: dict[str, CardState], marks: dict[str, Marks], record: Record) -> None:
    """Apply one (validated) record to the card states and marks."""
    card_id = record.card
    if isinstance(record, Review | Implicit):  # an implicit credit (or its withdrawal)
        cards[card_id] = record.after
        return
    if isinstance(record, Undo):
        if record.restore is None:  # undoing a card's first review: it is new again
            cards.pop(card_id, None)
        else:
            cards[card_id] = record.restore
        return
    current = marks.get(card_id, DEFAULT_MARKS)
    if isinstance(record, Suspend):
        if record.on:
            leech = current.leech or record.reason == "leech"
        else:  # an unsuspend may also clear the leech mark (e.g. undoing what made it)
            leech = current.leech if record.leech is None else record.leech
        new = _replace(current, suspended=record.on, leech=leech)
    elif isinstance(record, Bury):
        new = _replace(current, buried_until=record.until)
    elif isinstance(record, Flag):
        new = _replace(current, flagged=record.on)
    else:  # Reset
        cards.pop(card_id, None)
        new = _replace(current, suspended=False, buried_until=None, leech=False)
    if new.is_default:
        marks.pop(card_id, None)
    else:
        marks[card_id] = new
