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
from typing import Any, NamedTuple

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
        # The state to go back to, so replaying this record never depends on
        # having seen the review it cancels (e.g. replaying only the log's tail).
        "restore": review.get("before"),
    }


MARK_TYPES = frozenset({"suspend", "bury", "flag", "reset"})
LEECH_LAPSES = 8  # lapses after which a card is a leech: tagged and suspended


class Marks(NamedTuple):
    """What the user (or the leech rule) has said about a card, beside its schedule."""

    suspended: bool = False
    buried_until: float | None = None  # POSIX seconds
    flagged: bool = False
    leech: bool = False

    def to_json(self) -> list[object]:
        return list(self)

    @classmethod
    def from_json(cls, raw: list[object]) -> Marks:
        if not isinstance(raw, list) or len(raw) != len(cls._fields):
            raise ValueError(f"marks must be a list of {len(cls._fields)} values")
        return cls._make(raw)  # type: ignore[arg-type]

    @property
    def is_default(self) -> bool:
        return self == Marks()


def mark_record(kind: str, card_id: str, at: datetime, **fields: Any) -> Record:
    """suspend (on, reason?), bury (until: POSIX seconds), flag (on), reset."""
    if kind not in MARK_TYPES:
        raise ValueError(f"unknown mark {kind!r}")
    return {"v": RECORD_VERSION, "type": kind, "card": card_id, "time": _iso(at), **fields}


def apply_mark(cards: dict[str, CardState], marks: dict[str, Marks], record: Record) -> None:
    """Apply a suspend/bury/flag/reset record."""
    card_id = record["card"]
    if not isinstance(card_id, str):
        raise TypeError("card id must be a string")
    current = marks.get(card_id, Marks())
    kind = record["type"]
    if kind == "suspend":
        on = bool(record["on"])
        if on:
            leech = current.leech or record.get("reason") == "leech"
        else:  # an unsuspend may also clear the leech mark (e.g. undoing what made it)
            leech = bool(record.get("leech", current.leech))
        new = current._replace(suspended=on, leech=leech)
    elif kind == "bury":
        until = record["until"]
        new = current._replace(buried_until=float(until) if until is not None else None)
    elif kind == "flag":
        new = current._replace(flagged=bool(record["on"]))
    else:  # reset: the card starts again as new; its history stays in the log
        cards.pop(card_id, None)
        new = current._replace(suspended=False, buried_until=None, leech=False)
    if new.is_default:
        marks.pop(card_id, None)
    else:
        marks[card_id] = new


def undone_ids(records: Iterable[Record]) -> set[str]:
    """Ids of the reviews that an undo record cancels (they never count anywhere)."""
    return {r["undoes"] for r in records if r.get("type") == "undo" and "undoes" in r}


def apply_record(cards: dict[str, CardState], marks: dict[str, Marks], record: Record) -> None:
    """How one log record changes card states and marks: the only place that says so.

    Raises ValueError/KeyError/TypeError for a malformed record. Record types from
    newer versions are ignored, not fatal.
    """
    kind = record.get("type")
    if kind in MARK_TYPES:
        apply_mark(cards, marks, record)
        return
    if kind not in ("review", "undo"):
        return
    card_id = record["card"]
    if not isinstance(card_id, str):
        raise TypeError("card id must be a string")
    state = record["after"] if kind == "review" else record["restore"]
    if state is None:  # undoing a card's first review: it is new again
        cards.pop(card_id, None)
    else:
        cards[card_id] = CardState.from_json(state)
