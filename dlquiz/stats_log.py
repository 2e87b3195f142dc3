"""The review log's side of the statistics: one pass that tallies the reviews, and the
same pass carried on over what has been appended to the log since (the stats screen).

Pure but for ``home_tally``, which reads the log. What counts is defined in
``dlquiz.stats``: every review once (a duplicated line counts once), undone ones out,
a study day beginning at the day-start hour local time, true retention from each
card's first look of a study day.

Carried on means: the tally of the logs and of what was appended to them equals the
tally of the whole, as long as each log only grew, what was appended comes after what
was tallied in the merged order (time order: the order the stats are counted in), and
nothing appended undoes a review already counted. Otherwise, in another time zone, or
with another day-start hour, it starts again. The tally is kept in memory and saved
in the data folder (``stats_saved``): the next run carries it on too, and the
statistics of a long history take the time of what was appended since.
"""

from __future__ import annotations

import gc
import operator
import threading
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from itertools import islice, pairwise
from pathlib import Path

from dlquiz.records import Record, Review, Undo
from dlquiz.scheduler import AGAIN, REVIEW

_NEVER = datetime.min.replace(tzinfo=UTC)  # an empty hour: [_NEVER, _NEVER)
_HOUR = timedelta(hours=1)
_LAST_HOUR = int(datetime(9999, 12, 31, 23, tzinfo=UTC).timestamp()) // 3600  # it has no end


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
    """The effective reviews, tallied by study day in ``tz`` (days start at ``hour``).

    True retention counts each card's first review of a study day, if it was in Review
    state: only that first look tests memory after a gap of at least a day; later
    same-day repeats (and learning steps) would flatter the figure.

    Nothing here depends on which day is today: the figures of any day (``figures``)
    come from the counts per day, so a tally carries on from one study day to the next.
    """

    def __init__(self, tz: tzinfo, hour: int) -> None:
        self.key = (tz, hour)
        self.undone: set[str] = set()  # every review an undo names, seen yet or not
        self.seen: set[str] = set()  # every review id met (each counts once)
        # Per study day (sets, not (card, day) pairs: no tuple to build and hash per
        # review, and a day's cards are at hand to save): cards already tested that
        # day, and cards first studied that day.
        self.looked: dict[date, set[str]] = {}
        self.new: dict[date, set[str]] = {}
        self.per_day: dict[date, int] = defaultdict(int)
        self.new_per_day: dict[date, int] = defaultdict(int)  # distinct cards
        self.looks: dict[date, list[int]] = {}  # day -> [passed, total] first looks
        self.mistakes: dict[tuple[str, str], int] = defaultdict(int)
        self.reviews = 0
        self.days = StudyDays(tz, hour)

    @property
    def last_day(self) -> date | None:
        """The latest study day with a review tallied."""
        return max(self.per_day, default=None)

    def add(self, records: Sequence[Record]) -> None:
        """Tally ``records``, after those already tallied (the undos among them must be
        in ``undone`` already: an undo cancels a review wherever it stands)."""
        # One loop, the names it uses held locally, and what depends on the study day
        # (its sets, its count) looked up again only when a review falls outside the
        # clock hour of the one before, if that hour lay wholly in one study day (the log
        # is in time order; in an hour a day starts in, every review asks): 100k ~0.1 s.
        undone, seen, looked, new = self.undone, self.seen, self.looked, self.new
        per_day, new_per_day, looks, mistakes = (
            self.per_day,
            self.new_per_day,
            self.looks,
            self.mistakes,
        )
        by_hour, day_of = self.days.hours.get, self.days.of
        # [start, end): the previous review's hour, if wholly in one study day (else empty)
        start = end = _NEVER
        day = date.min  # the study day of the previous review (none while count is 0)
        count = 0  # its reviews not yet added to per_day
        looked_then: set[str] = set()
        new_then: set[str] = set()
        reviews = self.reviews
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
            moment = record.time
            if not start <= moment < end:
                seconds = moment.timestamp()
                at_hour = int(seconds // 3600)
                found = by_hour(at_hour)
                now_day = found if found is not None else day_of(seconds)
                # Asked again: day_of has just filed an hour not seen before. Only an
                # hour wholly in one study day is kept as [start, end).
                if by_hour(at_hour) is not None and at_hour < _LAST_HOUR:
                    start = datetime.fromtimestamp(at_hour * 3600, UTC)
                    end = start + _HOUR
                else:
                    start = end = _NEVER
                if now_day != day or not count:
                    if count:
                        per_day[day] += count
                    day, count = now_day, 0
                    looked_then = looked.setdefault(day, set())
                    new_then = new.setdefault(day, set())
            count += 1
            card, before = record.card, record.before
            if before is None:
                if card not in new_then:
                    new_then.add(card)
                    new_per_day[day] += 1
                looked_then.add(card)
            elif card not in looked_then:
                looked_then.add(card)
                if before.state == REVIEW:
                    row = looks.get(day)
                    if row is None:
                        row = looks[day] = [0, 0]
                    row[0] += record.rating != AGAIN
                    row[1] += 1
            if record.mistake:
                mistakes[(mistake_family(card), record.mistake)] += 1
        if count:
            per_day[day] += count
        self.reviews = reviews

    def carry_on(self, records: Sequence[Record]) -> bool:
        """Tally ``records`` appended to the log; False (and nothing tallied) if one of
        them undoes a review already counted, or falls on a study day before the last
        one tallied: then only a tally from scratch is right (a tally read back from
        disk knows the cards looked at on its last day only: ``stats_saved``)."""
        named = {r.undoes for r in records if type(r) is Undo}
        if any(rid in self.seen and rid not in self.undone for rid in named):
            return False
        floor = self.last_day
        if floor is not None and any(
            self.days.of(r.time.timestamp()) < floor for r in records if type(r) is Review
        ):
            return False
        self.undone |= named
        self.add(records)
        return True

    def figures(self, today: date, since: date) -> Tallied:
        """The figures as of the study day ``today``, recent retention from ``since``."""
        looks = self.looks.items()
        return Tallied(
            reviews=self.reviews,
            per_day=dict(self.per_day),
            new_today=self.new_per_day.get(today, 0),
            passed=sum(row[0] for _, row in looks),
            total=sum(row[1] for _, row in looks),
            recent_passed=sum(row[0] for day, row in looks if day >= since),
            recent_total=sum(row[1] for day, row in looks if day >= since),
            mistakes=dict(self.mistakes),
        )


def tally(records: Sequence[Record], tz: tzinfo, hour: int) -> Tally:
    """``records`` tallied from scratch, in their order."""
    out = Tally(tz, hour)
    with no_gc():  # sets of 100k ids: the collector's scans would cost half again
        out.undone = {r.undoes for r in records if type(r) is Undo}
        out.add(records)
    return out


# ----- the tally of a data folder's log, kept and carried on ------------------------------


@dataclass
class LogEnd:
    path: Path
    end: int  # the log's bytes tallied, and the ones just before that end (a fingerprint)
    tail: str


@dataclass
class Kept:
    """A tally of a data folder's logs, with where each one stopped: what carrying the
    tally on needs."""

    home: Path
    logs: dict[str, LogEnd]  # log name (``devices.log_sources``) -> where it stopped
    last: datetime | None  # the time of the last record tallied
    tally: Tally


# Reviews from which a tally made from scratch is frozen (see home_tally).
FREEZE_FROM = 20_000

_kept: Kept | None = None
_unsaved: str | None = None  # the device ``_kept`` is still to be saved for (``save_kept``)
_spent: list[Record] | None = None  # the records a tally was made from, let go by save_kept
_kept_lock = threading.Lock()


def home_tally(
    home: Path,
    tz: tzinfo,
    hour: int,
    today: date,
    since: date,
    device: str | None = None,
    save_later: bool = False,
) -> Tallied:
    """What ``tally(log_records(home), ...)`` gives, carried on from the last call's
    tally, or from the one ``device`` saved in its last run, when records were only
    appended to the logs since (see the module's doc). With ``device``, the tally is
    saved for its next run: now, or with ``save_later`` at the next ``save_kept`` (a
    screen waiting for the figures does not wait for the file too)."""
    from dlquiz import devices, stats_saved

    global _kept, _unsaved, _spent
    with _kept_lock:  # taken out: two threads never carry the same tally on
        kept, _kept, unsaved, _unsaved = _kept, None, _unsaved, None
    sources = devices.log_sources(home)
    if kept is None or (kept.home, kept.tally.key) != (home, (tz, hour)):
        kept, unsaved = (stats_saved.load(home, device, tz, hour) if device else None), None
    if kept is not None:
        tallied = [end.end for end in kept.logs.values()]
        if _carried_on(kept, sources):
            grew = tallied != [end.end for end in kept.logs.values()]
            return _keep(kept, today, since, device if grew else unsaved, save_later)
    # 100k records at once, and gone again before the collector is back (it would
    # otherwise go through every one of them, to find nothing: they hold no cycles).
    with no_gc():
        ends, records = _read_all(sources)
        last = records[-1].time if records else None
        made = tally(records, tz, hour)
        if save_later and made.reviews >= FREEZE_FROM:
            # Letting 100k records go takes ~40 ms: not while a screen waits for the
            # figures, but with the save, once they are shown (save_kept). Frozen with
            # the tally below meanwhile, the collector does not go through them.
            with _kept_lock:
                older, _spent = _spent, records
            del older  # outside the lock
        del records
        if made.reviews >= FREEZE_FROM:
            # The tally is kept as long as the app runs (sets of every review id and
            # card): frozen, as the app's start-up objects are, the collections that
            # building and showing the figures set off do not go through it (~0.1 s at
            # 100k reviews). Not for a small one: what is frozen is never collected.
            gc.freeze()
    return _keep(Kept(home, ends, last, made), today, since, device, save_later)


def _read_all(sources: dict[str, Path]) -> tuple[dict[str, LogEnd], list[Record]]:
    """Every log read whole, and their records in merged order (``merge.history``)."""
    from dlquiz import merge

    ends: dict[str, LogEnd] = {}
    batches: list[tuple[str, list[Record]]] = []
    for name, path in sources.items():
        scan = merge.read_log(path)
        ends[name] = LogEnd(path, scan.end, scan.tail)
        batches.append((name, scan.records))
    return ends, _in_merged_order(batches)


def _in_merged_order(batches: list[tuple[str, list[Record]]]) -> list[Record]:
    """``merge.merged(batches)``, but for copies of a record (a tally counts each review
    once anyway); without its sort when the logs follow one another in time (one log,
    or a pre-device log and this device's), each in time order."""
    from dlquiz import merge

    runs = sorted((recs for _, recs in batches if recs), key=lambda recs: recs[0].time)
    if all(map(in_time_order, runs)) and all(
        before[-1].time < after[0].time for before, after in pairwise(runs)
    ):
        return runs[0] if len(runs) == 1 else [r for recs in runs for r in recs]
    return merge.merged(batches)


def _carried_on(kept: Kept, sources: dict[str, Path]) -> bool:
    """Carry ``kept`` on over what was appended to each log; False (``kept`` unusable)
    if a log was replaced, rewritten or added, or what was appended does not come
    after what was tallied in the merged order."""
    from dlquiz import merge

    if {name: end.path for name, end in kept.logs.items()} != sources:
        return False
    if any(merge.tail_of(end.path, end.end) != end.tail for end in kept.logs.values()):
        return False
    # A last record without its newline: what is appended next may join its line (and
    # damage both), which a read from its end would not see.
    if any(end.end and not end.tail.endswith("0a") for end in kept.logs.values()):
        return False
    with no_gc():
        scans = {name: merge.read_log(end.path, end.end) for name, end in kept.logs.items()}
    batches = [(name, scan.records) for name, scan in scans.items() if scan.records]
    if len(kept.logs) == 1:  # one log: its own order is the merged order, ties included
        new = batches[0][1] if batches else []
        if not in_time_order(new):
            return False
        if new and kept.last is not None and new[0].time < kept.last:
            return False
    else:  # a record at the same time as the last one tallied may sort before it
        new = merge.merged(batches)
        if new and kept.last is not None and new[0].time <= kept.last:
            return False
    if not kept.tally.carry_on(new):
        return False
    for name, scan in scans.items():
        kept.logs[name] = LogEnd(kept.logs[name].path, scan.end, scan.tail)
    kept.last = new[-1].time if new else kept.last
    return True


def _keep(
    kept: Kept, today: date, since: date, save_for: str | None, later: bool = False
) -> Tallied:
    """The figures of ``kept``, kept for the next call (and saved for ``save_for``'s next
    run: now, or ``later`` by ``save_kept``)."""
    from dlquiz import stats_saved

    global _kept, _unsaved
    figures = kept.tally.figures(today, since)
    if save_for and not later:
        stats_saved.save(kept, save_for)
    with _kept_lock:
        _kept, _unsaved = kept, (save_for if later else None)
    return figures


def save_kept() -> None:
    """Save the kept tally if its save was left for later (``home_tally``): ~40 ms and
    an fsync at 100k reviews, done once the figures are on screen, or at exit. The
    records a tally was then made from are let go too (~40 ms more)."""
    from dlquiz import stats_saved

    global _kept, _unsaved, _spent
    with _kept_lock:  # taken out meanwhile, as by home_tally
        spent, _spent = _spent, None
        kept, device = _kept, _unsaved
        if kept is not None and device is not None:
            _kept, _unsaved = None, None
    if kept is not None and device is not None:
        try:
            stats_saved.save(kept, device)
        finally:
            with _kept_lock:
                if _kept is None:  # no newer tally kept meanwhile
                    _kept = kept
    del spent  # here, outside the lock, in the caller's thread


def forget() -> None:
    """Drop the kept tally (its sets of ids: ~20 MB for 100k reviews); a saved one
    stays on disk."""
    global _kept, _unsaved, _spent
    with _kept_lock:
        spent, _kept, _unsaved, _spent = _spent, None, None, None
    del spent  # outside the lock
