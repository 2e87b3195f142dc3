"""User settings: a frozen dataclass whose constraints pydantic enforces.

pydantic is imported only when a change is validated or settings are saved, never
at start-up: it would add ~100 ms to every start. A settings file as dlquiz writes
it is checked by ``_read_exact`` against the same constraints, without pydantic;
anything else (a hand-edited or unusual file) goes to pydantic, which has the last
word. Each field's docstring says what it does (the settings screen shows them).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

if TYPE_CHECKING:
    from annotated_types import Interval, Len
    from pydantic import TypeAdapter

    Step = Annotated[float, Interval(gt=0, le=24 * 60)]

# The annotations below stay strings until ``_adapter`` defines ``Interval``, ``Len``
# and ``Step`` in this module (importing annotated_types costs every start ~7 ms).


@dataclass(frozen=True)
class Settings:
    """Everything a user can change. Stored in ``settings.json`` beside the log."""

    # Keys written by a newer dlquiz are ignored, not an error.
    __pydantic_config__: ClassVar[dict[str, str]] = {"extra": "ignore"}

    desired_retention: Annotated[float, Interval(ge=0.7, le=0.99)] = 0.9
    """Chance of recall the scheduler aims for at each review (0.70–0.99)."""

    new_per_day: Annotated[int, Interval(ge=0, le=1000)] = 20
    """New cards introduced per study day."""

    max_reviews_per_day: Annotated[int, Interval(ge=1, le=100_000)] = 500
    """Most reviews of already-seen cards per study day."""

    learning_steps_minutes: Annotated[tuple[Step, ...], Len(0, 10)] = (1.0, 10.0)
    """Short steps (minutes) a new card goes through before its first full day."""

    relearning_steps_minutes: Annotated[tuple[Step, ...], Len(0, 10)] = (10.0,)
    """Steps (minutes) after forgetting a card, before it graduates again."""

    day_starts_at_hour: Annotated[int, Interval(ge=0, le=23)] = 4
    """Local hour at which a study day begins (late nights count as the day before)."""

    theme: Annotated[str, Len(1, 64)] = "textual-dark"
    """Colour theme of the app (any of Textual's; the command palette's Theme choice is kept)."""

    excluded_tags: tuple[str, ...] = ()
    """Content tags left out of rotation (their cards are not shown, nor counted as due)."""

    excluded_skills: tuple[str, ...] = ()
    """Question families (ids, see `dlquiz ask --list`) left out of rotation."""

    unlock_after_days: Annotated[int, Interval(ge=1, le=10)] = 2
    """Days on which a skill must be passed before the skills that build on it are introduced."""

    new_card_order: Literal["interleaved", "deck", "random"] = "interleaved"
    """Order of new cards: taken in turn from each deck and topic, deck by deck, or random."""

    bury_siblings: bool = True
    """Answering a card hides its siblings until tomorrow (recall and name of one term;
    the levels of one question family)."""

    fsrs_parameters: tuple[float, ...] | None = None
    """Personal FSRS parameters from `dlquiz optimize`; None uses the defaults."""

    @property
    def learning_steps(self) -> tuple[timedelta, ...]:
        return tuple(timedelta(minutes=m) for m in self.learning_steps_minutes)

    @property
    def relearning_steps(self) -> tuple[timedelta, ...]:
        return tuple(timedelta(minutes=m) for m in self.relearning_steps_minutes)

    def replace(self, **changes: Any) -> Settings:
        """A validated copy with ``changes`` applied (pydantic ValidationError if invalid)."""
        return validate({**dataclasses.asdict(self), **changes})

    def to_json(self) -> bytes:
        return _adapter().dump_json(self, indent=2)


_ADAPTER: list[TypeAdapter[Settings]] = []


def _adapter() -> TypeAdapter[Settings]:
    if not _ADAPTER:
        from annotated_types import Interval, Len
        from pydantic import TypeAdapter

        # Where pydantic resolves the fields' string annotations.
        names = globals()
        names.update(Interval=Interval, Len=Len, Step=Annotated[float, Interval(gt=0, le=24 * 60)])
        _ADAPTER.append(TypeAdapter(Settings))
    return _ADAPTER[0]


def validate(data: dict[str, Any]) -> Settings:
    return _adapter().validate_python(data)


def from_json(raw: bytes) -> Settings:
    """Parse and validate a settings file (pydantic ValidationError if invalid)."""
    exact = _read_exact(raw)
    return exact if exact is not None else _adapter().validate_json(raw)


# ----- the start-up reader ---------------------------------------------------------------
# Each field's check, the same constraints as the annotations above, for values of exactly
# the JSON type dlquiz writes. A value of another type (2.0 for an int, "0.9" for a float)
# is not judged here but by pydantic, which may accept and convert it.


def _number(value: object) -> bool:
    """A JSON number that is a finite float (an int too large for one is not)."""
    if type(value) is int:
        return -(2**53) <= value <= 2**53  # exactly a float: what pydantic turns it into
    return type(value) is float and math.isfinite(value)


def _in(low: float, high: float, kind: type = float) -> Any:
    if kind is int:
        return lambda v: type(v) is int and low <= v <= high
    return lambda v: _number(v) and low <= v <= high


def _steps(value: object) -> bool:
    return (
        type(value) is list
        and len(value) <= 10
        and all(_number(v) and 0 < v <= 24 * 60 for v in value)
    )


def _strings(value: object) -> bool:
    return type(value) is list and all(type(v) is str for v in value)


_CHECKS: dict[str, Any] = {
    "desired_retention": _in(0.7, 0.99),
    "new_per_day": _in(0, 1000, int),
    "max_reviews_per_day": _in(1, 100_000, int),
    "learning_steps_minutes": _steps,
    "relearning_steps_minutes": _steps,
    "day_starts_at_hour": _in(0, 23, int),
    "theme": lambda v: type(v) is str and 1 <= len(v) <= 64,
    "excluded_tags": _strings,
    "excluded_skills": _strings,
    "unlock_after_days": _in(1, 10, int),
    "new_card_order": lambda v: v in ("interleaved", "deck", "random"),
    "bury_siblings": lambda v: type(v) is bool,
    "fsrs_parameters": lambda v: v is None or (type(v) is list and all(_number(x) for x in v)),
}
_STRINGS = ("excluded_tags", "excluded_skills")


def _field_names() -> set[str]:
    return {f.name for f in dataclasses.fields(Settings)}


def _read_exact(raw: bytes) -> Settings | None:
    """The settings in ``raw`` if every value is of its field's JSON type and within its
    constraints (what pydantic would return for it, without importing pydantic); None
    for anything else, left to pydantic."""
    import msgspec

    try:
        data = msgspec.json.decode(raw)
    except (msgspec.DecodeError, RecursionError):
        return None
    if type(data) is not dict:
        return None
    values: dict[str, Any] = {}
    for name, value in data.items():
        check = _CHECKS.get(name)
        if check is None:
            if name in _field_names():
                return None  # a field without a check here: pydantic's to judge
            continue  # a key of a newer dlquiz: ignored, as pydantic does
        if not check(value):
            return None
        if name in _STRINGS:
            value = tuple(value)
        elif type(value) is list:
            value = tuple(float(v) for v in value)  # floats, as pydantic makes them
        elif name == "desired_retention":
            value = float(value)
        values[name] = value
    return Settings(**values)
