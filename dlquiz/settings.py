"""User settings, validated by pydantic; each field says what it does."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Settings(BaseModel):
    """Everything a user can change. Stored in ``settings.json`` beside the log."""

    model_config = ConfigDict(extra="ignore", validate_assignment=True)

    desired_retention: float = Field(
        0.9, ge=0.7, le=0.99, description="Chance of recall the scheduler aims for at each review."
    )
    new_per_day: int = Field(20, ge=0, le=1000, description="New cards introduced per study day.")
    max_reviews_per_day: int = Field(
        500, ge=1, le=100_000, description="Most reviews of already-seen cards per study day."
    )
    learning_steps_minutes: tuple[float, ...] = Field(
        (1.0, 10.0),
        description="Short steps (minutes) a new card goes through before its first day.",
    )
    relearning_steps_minutes: tuple[float, ...] = Field(
        (10.0,), description="Steps (minutes) after forgetting a card, before it graduates again."
    )
    day_starts_at_hour: int = Field(
        4,
        ge=0,
        le=23,
        description="Local hour at which a study day begins (late nights count as the day before).",
    )
    theme: Literal["dark", "light"] = Field("dark", description="Colour theme of the app.")
    fsrs_parameters: tuple[float, ...] | None = Field(
        None, description="Personal FSRS parameters from `dlquiz optimize`; None uses the defaults."
    )

    @field_validator("learning_steps_minutes", "relearning_steps_minutes")
    @classmethod
    def _steps_positive(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if any(step <= 0 or step > 24 * 60 for step in value):
            raise ValueError("each step must be more than 0 and at most 1440 minutes")
        return value

    @property
    def learning_steps(self) -> tuple[timedelta, ...]:
        return tuple(timedelta(minutes=m) for m in self.learning_steps_minutes)

    @property
    def relearning_steps(self) -> tuple[timedelta, ...]:
        return tuple(timedelta(minutes=m) for m in self.relearning_steps_minutes)
