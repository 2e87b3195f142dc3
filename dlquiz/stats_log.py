"""The review log's side of the statistics: one pass that tallies the reviews, and the
same pass carried on over what has been appended to the log since (the stats screen).

Pure but for ``home_tally``, which reads the log. What counts is defined in
``dlquiz.stats``: every review once (a duplicated line counts once), undone ones out,
a study day beginning at the day-start hour local time, true retention from each
card's first look of a study day.

Carried on means: the tally of a log and of what was appended to it equals the tally
of the whole, as long as the log only grew, stays in time order (the order the stats
are counted in), and nothing appended undoes a review already counted. Otherwise, or
on another study day, in another time zone, or with several logs, it starts again.
"""

from __future__ import annotations

import gc
import operator
import threading
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from itertools import islice
from pathlib import Path

from dlquiz.records import Record, Review, Undo
from dlquiz.scheduler import AGAIN, REVIEW


class StudyDays:
    """``study_day`` of many instants, with one time-zone conversion per clock hour.

    An hour whose first and last second fall on the same study day, at the same UTC
    offset, lies wholly in that day (no offset change inside it: offsets change months
    apart). Other hours (a day starts in them) are resolved per minute, as a study
    day depends only on the minute (offsets are whole minutes).
    """

    def __init__(self, tz: tzinfo, hour: int) -> None:
        self.tz, self.shift = tz, timedelta(hours=hour)
        self.hours: dict[int, date | None] = {}
        self.minutes: dict[int, date] = {}

    def _local(self, seconds: int) -> tuple[date, timedelta | None]:
        local = datetime.fromtimestamp(seconds, self.tz)
        return (local - self.shift).date(), local.utcoffset()

    def of(self, seconds: float) -> date:
        """The study day of the POSIX time ``seconds``."""
        hour = int(seconds // 3600)
        if hour not in self.hours:
            first, last = self._local(hour * 3600), self._local(hour * 3600 + 3599)
            self.hours[hour] = first[0] if first == last else None
        day = self.hours[hour]
        if day is not None:
            return day
        minute = int(seconds // 60)
        found = self.minutes.get(minute)
        if found is None:
            found = self.minutes[minute] = self._local(minute * 60)[0]
        return found


def mistake_family(card_id: str) -> str:
    parts = card_id.split("/")
    return parts[1] if len(parts) == 3 and parts[0] == "skill" else card_id


@contextmanager
def no_gc() -> Iterator[None]:
    """No cyclic garbage collection meanwhile (for building many objects at once)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def in_time_order(records: Sequence[Record]) -> bool:
    times = [record.time for record in records]
    return all(map(operator.le, times, islice(times, 1, None)))


@dataclass(frozen=True)
class Tallied:
    """The figures of a tally, copied out (a kept tally carries on changing)."""

    reviews: int  # all time, undone ones excluded
    per_day: dict[date, int]  # study day -> reviews (days without any left out)
    new_today: int  # distinct cards first studied today
    passed: int  # true retention: first looks of a study day at cards in Review state
    total: int
    recent_passed: int  # the same from ``since`` on
    recent_total: int
    mistakes: dict[tuple[str, str], int]  # (family, mistake) -> times made


class Tally:
    """The effective reviews, tallied for the study day ``today`` in ``tz`` (days start
    at ``hour``); ``since`` begins the recent retention window.

    True retention counts each card's first review of a study day, if it was in Review
    state: only that first look tests memory after a gap of at least a day; later
    same-day repeats (and learning steps) would flatter the figure.
    """

    def __init__(self, tz: tzinfo, hour: int, today: date, since: date) -> None:
        self.key = (tz, hour, today, since)
        self.today, self.since = today, since
        self.undone: set[str] = set()  # every review an undo names, seen yet or not
        self.seen: set[str] = set()  # every review id met (each counts once)
        self.looked: set[tuple[str, date]] = set()  # (card, day) already tested
        self.per_day: dict[date, int] = defaultdict(int)
        self.new_today: set[str] = set()
        self.mistakes: dict[tuple[str, str], int] = defaultdict(int)
        self.reviews = self.passed = self.total = self.recent_passed = self.recent_total = 0
        self._days = StudyDays(tz, hour)

    def add(self, records: Sequence[Record]) -> None:
        """Tally ``records``, after those already tallied (the undos among them must be
        in ``undone`` already: an undo cancels a review wherever it stands)."""
        # One loop, the names it uses held locally, and the study day of the previous
        # review's hour kept at hand (the log is in time order): 100k reviews ~0.1 s.
        undone, seen, looked = self.undone, self.seen, self.looked
        per_day, new_today, mistakes = self.per_day, self.new_today, self.mistakes
        today, since = self.today, self.since
        by_hour, day_of = self._days.hours.get, self._days.of
        last_hour, last_day = -1, today
        reviews, passed, total = self.reviews, self.passed, self.total
        recent_passed, recent_total = self.recent_passed, self.recent_total
        for record in records:
            if type(record) is not Review:
                continue
            rid = record.id
            if rid in seen:
                continue
            seen.add(rid)
            if rid in undone:
                continue
            reviews += 1
            seconds = record.time.timestamp()
            at_hour = int(seconds // 3600)
            if at_hour == last_hour:
                day = last_day
            else:
                found = by_hour(at_hour)
                if found is None:
                    day = day_of(seconds)  # an hour a study day starts in: asked per minute
                    found = by_hour(at_hour)
                else:
                    day = found
                # Only an hour wholly in one day is kept (``found`` None: one per minute).
                last_hour, last_day = (at_hour, found) if found is not None else (-1, today)
            per_day[day] += 1
            card, before = record.card, record.before
            if before is None:
                if day == today:
                    new_today.add(card)
                looked.add((card, day))
            else:
                key = (card, day)
                if key not in looked:
                    looked.add(key)
                    if before.state == REVIEW:
                        ok = record.rating != AGAIN
                        total += 1
                        passed += ok
                        if day >= since:
                            recent_total += 1
                            recent_passed += ok
            if record.mistake:
                mistakes[(mistake_family(card), record.mistake)] += 1
        self.reviews, self.passed, self.total = reviews, passed, total
        self.recent_passed, self.recent_total = recent_passed, recent_total

    def carry_on(self, records: Sequence[Record]) -> bool:
        """Tally ``records`` appended to the log; False (and nothing tallied) if one of
        them undoes a review already counted: then only a tally from scratch is right."""
        named = {r.undoes for r in records if type(r) is Undo}
        if any(rid in self.seen and rid not in self.undone for rid in named):
            return False
        self.undone |= named
        self.add(records)
        return True

    def figures(self) -> Tallied:
        return Tallied(
            reviews=self.reviews,
            per_day=dict(self.per_day),
            new_today=len(self.new_today),
            passed=self.passed,
            total=self.total,
            recent_passed=self.recent_passed,
            recent_total=self.recent_total,
            mistakes=dict(self.mistakes),
        )


def tally(records: Sequence[Record], tz: tzinfo, hour: int, today: date, since: date) -> Tally:
    """``records`` tallied from scratch, in their order."""
    out = Tally(tz, hour, today, since)
    with no_gc():  # sets of 100k ids: the collector's scans would cost half again
        out.undone = {r.undoes for r in records if type(r) is Undo}
        out.add(records)
    return out


# ----- the tally of a data folder's log, kept and carried on ------------------------------


@dataclass
class _Kept:
    home: Path
    log: Path
    end: int  # the log's bytes tallied, and the ones just before that end (a fingerprint)
    tail: str
    last: datetime | None  # the time of the last record tallied
    tally: Tally


_kept: _Kept | None = None
_kept_lock = threading.Lock()


def home_tally(home: Path, tz: tzinfo, hour: int, today: date, since: date) -> Tallied:
    """What ``tally(log_records(home), ...)`` gives, carried on from the last call's
    tally when only records were appended to the one log since (see the module's doc)."""
    from dlquiz import devices, merge

    global _kept
    with _kept_lock:  # taken out: two threads never carry the same tally on
        kept, _kept = _kept, None
    sources = list(devices.log_sources(home).values())
    if len(sources) != 1:
        return tally(merge.history(home), tz, hour, today, since).figures()
    log = sources[0]
    if (
        kept is not None
        and (kept.home, kept.log, kept.tally.key) == (home, log, (tz, hour, today, since))
        and merge.tail_of(log, kept.end) == kept.tail
    ):
        with no_gc():
            scan = merge.read_log(log, kept.end)
        new = scan.records
        ordered = not new or (
            (kept.last is None or kept.last <= new[0].time) and in_time_order(new)
        )
        if ordered and kept.tally.carry_on(new):
            kept.end, kept.tail = scan.end, scan.tail
            kept.last = new[-1].time if new else kept.last
            return _keep(kept)
    # 100k records at once, and gone again before the collector is back (it would
    # otherwise go through every one of them, to find nothing: they hold no cycles).
    with no_gc():
        scan = merge.read_log(log)
        end, tail, records = scan.end, scan.tail, scan.records
        del scan
        last = records[-1].time if records else None
        made = tally(records, tz, hour, today, since) if in_time_order(records) else None
        del records
    if made is None:  # not in time order: then the merged order (as ``log_records``)
        return tally(merge.history(home), tz, hour, today, since).figures()
    return _keep(_Kept(home, log, end, tail, last, made))


def _keep(kept: _Kept) -> Tallied:
    global _kept
    figures = kept.tally.figures()
    with _kept_lock:
        _kept = kept
    return figures


def forget() -> None:
    """Drop the kept tally (its sets of ids: ~20 MB for 100k reviews)."""
    global _kept
    with _kept_lock:
        _kept = None
