"""Review-log records and how they change card state.

The log (``reviews.jsonl``) is the source of truth. A review record carries the
card's state before and after the answer, so replaying the log reproduces the
state exactly, whatever settings or FSRS fuzz were in force at the time; an
undo record points at the review it cancels. Nothing here does I/O.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from dlquiz.scheduler import CardState

RECORD_VERSION = 1
Record = dict[str, Any]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def review_record(
    card_id: str,
    rating: int,
    at: datetime,
    before: CardState | None,
    after: CardState,
    duration_ms: int | None = None,
    extra: dict[str, Any] | None = None,
    new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
) -> Record:
    """A review as written to the log. ``extra`` holds e.g. a skill's seed and params."""
    record: Record = {
        "v": RECORD_VERSION,
        "type": "review",
        "id": new_id(),
        "card": card_id,
        "rating": rating,
        "time": _iso(at),
        "duration_ms": duration_ms,
        "before": before.to_json() if before is not None else None,
        "after": after.to_json(),
    }
    if extra:
        record.update(extra)
    return record


def undo_record(
    review: Record, at: datetime, new_id: Callable[[], str] = lambda: uuid.uuid4().hex
) -> Record:
    return {
        "v": RECORD_VERSION,
        "type": "undo",
        "id": new_id(),
        "undoes": review["id"],
        "card": review["card"],
        "time": _iso(at),
    }


class Replayer:
    """Applies records to a card-state dict, remembering what undo needs."""

    def __init__(self, cards: dict[str, CardState]) -> None:
        self.cards = cards
        self._before: dict[str, tuple[str, list[Any] | None]] = {}

    def apply(self, record: Record) -> None:
        """Apply one record; raises ValueError/KeyError/TypeError if it is malformed."""
        kind = record.get("type")
        if kind == "review":
            card_id = record["card"]
            if not isinstance(card_id, str):
                raise TypeError("card id must be a string")
            after = CardState.from_json(record["after"])
            before = record.get("before")
            self._before[record["id"]] = (card_id, before)
            self.cards[card_id] = after
        elif kind == "undo":
            target = self._before.pop(record["undoes"], None)
            if target is None:
                return  # undo of a review we never saw (e.g. a skipped damaged line)
            card_id, before = target
            if before is None:
                self.cards.pop(card_id, None)
            else:
                self.cards[card_id] = CardState.from_json(before)
        # Unknown record types from newer versions are ignored, not fatal.

    def apply_all(self, records: Iterable[Record]) -> None:
        for record in records:
            self.apply(record)
