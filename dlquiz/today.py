"""The study day: when it begins in local time, and what has been done in it.

A day starts at ``Settings.day_starts_at_hour`` local time, so a review at 2 am
counts for the day before. ``Today`` is derived from the log, never stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo

from dlquiz.records import Record, Review, Undo


def day_start(now: datetime, tz: tzinfo, hour: int) -> datetime:
    """Start (UTC) of the study day containing ``now``; days begin at ``hour`` local time."""
    local = now.astimezone(tz)
    start = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if local < start:
        start -= timedelta(days=1)
    return start.astimezone(UTC)


def study_day(moment: datetime, tz: tzinfo, day_starts_at_hour: int = 4) -> date:
    """The study day ``moment`` belongs to (the date on which its ``day_start`` falls).

    Shifting the local wall-clock time back by the start hour and taking the date
    gives the same day as ``day_start``, without building datetimes.
    """
    return (moment.astimezone(tz) - timedelta(hours=day_starts_at_hour)).date()


@dataclass
class Today:
    """What has been done in the current study day (derived from the log)."""

    reviews: list[Review] = field(default_factory=list)  # effective review records
    new_ids: set[str] = field(default_factory=set)
    old_reviewed: int = 0  # reviews of cards seen before (kept as they come: asked per card)

    @classmethod
    def from_records(cls, records: Iterable[Record]) -> Today:
        today = cls()
        for record in records:
            today.add(record)
        return today

    def add(self, record: Record) -> None:
        if isinstance(record, Review):
            self.reviews.append(record)
            if record.before is None:
                self.new_ids.add(record.card)
            else:
                self.old_reviewed += 1
        elif isinstance(record, Undo):
            for i in range(len(self.reviews) - 1, -1, -1):
                if self.reviews[i].id == record.undoes:
                    undone = self.reviews.pop(i)
                    if undone.before is None:
                        self.new_ids.discard(undone.card)
                    else:
                        self.old_reviewed -= 1
                    break

    @property
    def reviewed(self) -> int:
        return len(self.reviews)

    @property
    def new(self) -> int:
        return len(self.new_ids)
