"""Every record that dlquiz reads from disk, defined once, typed and validated.

The review log (``reviews.jsonl``) holds one record per line; ``state.json`` holds
the derived card states. Both are untrusted input: a value of the wrong type, out
of range, not finite, or an unknown enum value makes the whole record invalid, so
it is reported as a damaged line (kept on disk, skipped in memory) and can never
crash a screen or a command later. Decoding is msgspec's: validated while parsed,
at about ``json.loads`` speed.

Nothing here does I/O.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, Any, Final, Literal, TypeAlias

import msgspec
from msgspec import Meta, Struct

from dlquiz.scheduler import LEARNING, RELEARNING, CardState, check_schedulable

RECORD_VERSION: Final = 1
# A log line longer than this is damaged, not a record (the largest real one, a
# computed question with its typed answer, is well under 4 KiB).
MAX_LINE_BYTES: Final = 64 * 1024

Id = Annotated[str, Meta(min_length=1, max_length=64)]
CardId = Annotated[str, Meta(min_length=1, max_length=300)]
Rating = Annotated[int, Meta(ge=1, le=4)]
Timestamp = Annotated[float, Meta(ge=0, le=1e11)]  # POSIX seconds, up to year 5138
Count = Annotated[int, Meta(ge=0, le=10**9)]
Text = Annotated[str, Meta(max_length=4000)]
UtcTime = Annotated[datetime, Meta(tz=True)]


def new_id() -> str:
    return uuid.uuid4().hex


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


class SkillAsked(Struct, frozen=True, forbid_unknown_fields=False):
    """The computed question that was asked, so the same numbers can be drawn again."""

    family: Annotated[str, Meta(max_length=100)]
    level: Annotated[int, Meta(ge=0, le=100)]
    seed: Annotated[int, Meta(ge=0, le=2**63 - 1)]
    params: dict[str, Any] = {}


# A record's time lies where the card states' timestamps may (1970 to year 5138): a
# hand-edited year 1 or 9999 is a damaged line, not an overflow in every study-day sum.
EARLIEST = datetime.fromtimestamp(0, UTC)
LATEST = datetime.fromtimestamp(1e11, UTC)


class _Base(Struct, frozen=True, kw_only=True, tag_field="type", omit_defaults=True):
    v: Annotated[int, Meta(ge=1, le=1000)] = RECORD_VERSION
    card: CardId
    time: UtcTime

    def __post_init__(self) -> None:
        # Raised while decoding, msgspec reports it as a ValidationError (a damaged line).
        if not EARLIEST <= self.time <= LATEST:
            raise ValueError(f"time {self.time.isoformat()} is out of range")


class Review(_Base, tag="review", frozen=True):
    """An answer: the card's state before and after, so replay is exact."""

    id: Id
    rating: Rating
    before: CardState | None
    after: CardState
    duration_ms: Annotated[int, Meta(ge=0, le=10**9)] | None = None
    auto: Rating | None = None  # the auto-grade suggested, when there was one
    answer: Text | None = None  # what the user typed
    skill: SkillAsked | None = None
    wrong_tries: Count | None = None
    mistake: Annotated[str, Meta(max_length=100)] | None = None  # a named misconception
    hints: Annotated[int, Meta(ge=0, le=10)] | None = None

    def __post_init__(self) -> None:
        # A state FSRS cannot review would crash every start at this card, so the line
        # is damaged (and such a record is never built to be written). Written out, not
        # calls: this runs for every record read, and three calls a record cost ~40 ms
        # per 100k records (a first statistics tally reads them all).
        if not EARLIEST <= self.time <= LATEST:
            _Base.__post_init__(self)  # raises, saying why
        after, before = self.after, self.before
        if after[0] != LEARNING and (
            after[2] is None or after[3] is None or (after[1] is None and after[0] == RELEARNING)
        ):
            check_schedulable(after)  # raises, saying why
        if (
            before is not None
            and before[0] != LEARNING
            and (
                before[2] is None
                or before[3] is None
                or (before[1] is None and before[0] == RELEARNING)
            )
        ):
            check_schedulable(before)


class Undo(_Base, tag="undo", frozen=True):
    """Cancels a review; carries the state to go back to (replay never needs the review)."""

    id: Id
    undoes: Id
    restore: CardState | None

    def __post_init__(self) -> None:
        _Base.__post_init__(self)
        if self.restore is not None:
            check_schedulable(self.restore)


class Implicit(_Base, tag="implicit", frozen=True):
    """A fractional review a prerequisite gets when a skill that uses it is passed.

    ``source`` is the passing review's id and ``weight`` the fraction credited (see
    ``dlquiz.skillgraph``). Like a review it carries the state before and after, so replay
    never recomputes anything. With ``undoes`` set it takes back an earlier credit (its
    source's pass was undone): ``after`` is then the state before that credit.
    """

    id: Id
    source: Id
    weight: Annotated[float, Meta(ge=0, le=1)]
    before: CardState
    after: CardState
    undoes: Id | None = None

    def __post_init__(self) -> None:
        _Base.__post_init__(self)
        check_schedulable(self.before)
        check_schedulable(self.after)


class Suspend(_Base, tag="suspend", frozen=True):
    on: bool
    id: Id | None = None
    reason: Literal["leech", "user"] | None = None
    leech: bool | None = None  # an unsuspend may also clear the leech mark


class Bury(_Base, tag="bury", frozen=True):
    until: Timestamp | None
    id: Id | None = None


class Flag(_Base, tag="flag", frozen=True):
    on: bool
    id: Id | None = None


class Reset(_Base, tag="reset", frozen=True):
    """The card starts again as new; its history stays in the log."""

    id: Id | None = None


Mark: TypeAlias = Suspend | Bury | Flag | Reset
Record: TypeAlias = Review | Undo | Implicit | Suspend | Bury | Flag | Reset
MARK_TYPES: Final = frozenset({"suspend", "bury", "flag", "reset"})
KNOWN_TYPES: Final = MARK_TYPES | {"review", "undo", "implicit"}

_decoder = msgspec.json.Decoder(Record)
_encoder = msgspec.json.Encoder()


class _Head(Struct, forbid_unknown_fields=False):
    type: str = ""


_head = msgspec.json.Decoder(_Head)


class Unknown:
    """A well-formed record of a type a newer dlquiz wrote: kept, ignored."""

    __slots__ = ()


UNKNOWN: Final = Unknown()


def decode(line: bytes) -> Record | Unknown | None:
    """One log line as a validated record; ``UNKNOWN`` for a newer type; None if damaged."""
    if len(line) > MAX_LINE_BYTES:
        return None
    try:
        return _decoder.decode(line)
    except (msgspec.DecodeError, RecursionError):
        pass
    # Not one of ours: a record type from a newer version is fine, anything else damaged.
    try:
        head = _head.decode(line)
    except (msgspec.DecodeError, RecursionError):
        return None
    return UNKNOWN if head.type and head.type not in KNOWN_TYPES else None


def encode(record: Record) -> bytes:
    """One log line (with its newline)."""
    return _encoder.encode(record) + b"\n"


def to_dict(record: Record) -> dict[str, Any]:
    """Plain JSON-compatible values (for exports and ``--json`` output)."""
    data: dict[str, Any] = msgspec.to_builtins(record)
    return data


def undone_ids(records: Iterable[Record]) -> set[str]:
    """Ids of the reviews that an undo record cancels (they never count anywhere)."""
    return {r.undoes for r in records if isinstance(r, Undo)}


# ----- state.json -------------------------------------------------------------------------


class Marks(Struct, frozen=True, array_like=True):
    """What the user (or the leech rule) has said about a card, beside its schedule."""

    suspended: bool = False
    buried_until: Timestamp | None = None
    flagged: bool = False
    leech: bool = False

    @property
    def is_default(self) -> bool:
        return self == DEFAULT_MARKS


DEFAULT_MARKS: Final = Marks()
SCHEMA_VERSION: Final = 1


class StateHead(Struct, forbid_unknown_fields=False):
    schema_version: int


class StateFile(Struct, kw_only=True, forbid_unknown_fields=False):
    """``state.json``: every card's state and marks, and the log size they reflect."""

    schema_version: Annotated[int, Meta(ge=1)]
    log_size: Annotated[int, Meta(ge=0, le=2**62)]
    cards: dict[CardId, CardState]
    marks: dict[CardId, Marks] = {}
    saved_at: str = ""
    card_fields: list[str] = []
    mark_fields: list[str] = []


state_head_decoder: Final = msgspec.json.Decoder(StateHead)
state_decoder: Final = msgspec.json.Decoder(StateFile)


def encode_state(cards: dict[str, CardState], marks: dict[str, Marks], log_size: int) -> bytes:
    payload = StateFile(
        schema_version=SCHEMA_VERSION,
        log_size=log_size,
        saved_at=datetime.now(UTC).isoformat(timespec="seconds"),
        card_fields=list(CardState._fields),
        cards=cards,
        mark_fields=list(Marks.__struct_fields__),
        marks=marks,
    )
    return _encoder.encode(payload)


DecodeError = msgspec.DecodeError  # what a caller catches for a damaged file
