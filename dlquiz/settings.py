"""User settings: a frozen dataclass whose constraints pydantic enforces.

pydantic is imported only when a settings file is read or a change is
validated, never for the defaults: it would add ~100 ms to every start.
Each field's docstring says what it does (the settings screen shows them).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from annotated_types import Interval, Len

if TYPE_CHECKING:
    from pydantic import TypeAdapter

Step = Annotated[float, Interval(gt=0, le=24 * 60)]


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

    theme: Literal["dark", "light"] = "dark"
    """Colour theme of the app."""

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
        from pydantic import TypeAdapter

        _ADAPTER.append(TypeAdapter(Settings))
    return _ADAPTER[0]


def validate(data: dict[str, Any]) -> Settings:
    return _adapter().validate_python(data)


def from_json(raw: bytes) -> Settings:
    """Parse and validate a settings file (pydantic ValidationError if invalid)."""
    return _adapter().validate_json(raw)
