"""Study statistics derived from the review log: the numbers behind ``dlquiz stats``.

Pure: no I/O, no UI, no clock. The caller hands in the log records, the card
states, the deck, the current time and the timezone, so the same figures come
out in the TUI, the CLI and the tests.

Conventions shared by every figure:

* an undone review (named by an ``undo`` record) never counts, and record types
  this module does not know are ignored;
* a *study day* begins at ``day_starts_at_hour`` local time (as in
  ``dlquiz.session.day_start``), so a review at 2 am counts for the day before;
* review counts, streaks and retention use the whole log (history is history),
  while the forecast, mastery and card totals look only at cards in the deck,
  because those are the cards a session will actually show.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from dlquiz import stats_log
from dlquiz.cards import CardSpec, Kind
from dlquiz.records import Record, Review, Undo
from dlquiz.scheduler import CardState
from dlquiz.session import study_day
from dlquiz.stats_log import StudyDays, in_time_order, mistake_family, no_gc

HISTORY_DAYS = 26 * 7  # about six months: exactly what a 26-week heatmap can show
FORECAST_DAYS = 30
RECENT_DAYS = 30  # window of the "last 30 days" retention
MASTERY_DAYS = 21.0  # stability (days) from which a card counts as mastered

SHADES = " ░▒▓█"
SPARKS = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class Ratio:
    """``passed`` out of ``total``; ``share`` is None when there is nothing to divide."""

    passed: int
    total: int

    @property
    def share(self) -> float | None:
        return self.passed / self.total if self.total else None

    def to_json(self) -> dict[str, Any]:
        return {"passed": self.passed, "total": self.total, "share": self.share}


@dataclass(frozen=True)
class Mastery:
    """Of ``total`` cards in a group, ``studied`` have a state, ``mastered`` are stable."""

    mastered: int
    studied: int
    total: int

    @property
    def share(self) -> float | None:
        """Mastered among the studied cards (None before any has been studied)."""
        return self.mastered / self.studied if self.studied else None

    def to_json(self) -> dict[str, Any]:
        return {
            "mastered": self.mastered,
            "studied": self.studied,
            "total": self.total,
            "share": self.share,
        }


@dataclass(frozen=True)
class Totals:
    reviews: int  # all time, undone ones excluded
    reviews_today: int
    cards_studied: int  # deck cards that have a state
    cards_in_deck: int
    new_today: int  # distinct cards first studied today

    def to_json(self) -> dict[str, int]:
        return {
            "reviews": self.reviews,
            "reviews_today": self.reviews_today,
            "cards_studied": self.cards_studied,
            "cards_in_deck": self.cards_in_deck,
            "new_today": self.new_today,
        }


@dataclass(frozen=True)
class MistakeCount:
    """How often one named misconception of a question family was made."""

    family: str
    mistake: str  # the misconception's id, as logged with the review
    count: int

    @property
    def name(self) -> str:
        """Readable from the id alone (``kept-in-channels`` -> ``kept in channels``)."""
        return self.mistake.replace("-", " ").replace("_", " ")

    def to_json(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "mistake": self.mistake,
            "name": self.name,
            "count": self.count,
        }


@dataclass(frozen=True)
class Stats:
    today: date  # the current study day
    day_starts_at_hour: int
    per_day: dict[str, int]  # ISO date -> reviews, every day of the last HISTORY_DAYS + today
    forecast: tuple[int, ...]  # cards due on today + i (overdue ones on day 0)
    retention: Ratio  # true retention, all time
    retention_recent: Ratio  # the same over the last RECENT_DAYS study days (today included)
    mastery_by_tag: dict[str, Mastery]
    mastery_by_family: dict[str, Mastery]  # skill cards, grouped by generator family
    current_streak: int
    longest_streak: int
    totals: Totals
    mistakes: tuple[MistakeCount, ...] = ()  # the most frequent named mistakes, most first

    def forecast_by_date(self) -> dict[str, int]:
        return {
            (self.today + timedelta(days=i)).isoformat(): n for i, n in enumerate(self.forecast)
        }

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data (dicts, lists, numbers, strings, None)."""
        return {
            "today": self.today.isoformat(),
            "day_starts_at_hour": self.day_starts_at_hour,
            "totals": self.totals.to_json(),
            "streak": {"current": self.current_streak, "longest": self.longest_streak},
            "retention": {
                "all_time": self.retention.to_json(),
                f"last_{RECENT_DAYS}_days": self.retention_recent.to_json(),
            },
            "mastery": {
                "threshold_days": MASTERY_DAYS,
                "by_tag": {k: m.to_json() for k, m in self.mastery_by_tag.items()},
                "by_family": {k: m.to_json() for k, m in self.mastery_by_family.items()},
            },
            "due_forecast": self.forecast_by_date(),
            "reviews_per_day": dict(self.per_day),
            "frequent_mistakes": [m.to_json() for m in self.mistakes],
        }


def _effective(records: Iterable[Record]) -> Iterator[Review]:
    """The reviews in log order, each once (a line duplicated by a copy or a sync tool
    counts once), the undone ones left out."""
    records = records if isinstance(records, list) else list(records)
    undone = {r.undoes for r in records if isinstance(r, Undo)}
    seen: set[str] = set()
    for record in records:
        if isinstance(record, Review) and record.id not in seen:
            seen.add(record.id)
            if record.id not in undone:
                yield record


def _streaks(days: set[date], today: date) -> tuple[int, int]:
    """(current, longest) runs of consecutive study days with a review.

    The current streak still stands if today has no review yet: it then ends yesterday.
    """
    current = 0
    day = today if today in days else today - timedelta(days=1)
    while day in days:
        current += 1
        day -= timedelta(days=1)
    longest = run = 0
    previous: date | None = None
    for day in sorted(days):
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        longest = max(longest, run)
        previous = day
    return current, longest


class _DeckGroups:
    """A deck's cards by what they are grouped under (their tags, their skill family):
    built once per deck (a deck is never changed once built), then a pass over the
    studied cards alone gives mastery, the forecast and the cards studied."""

    def __init__(self, deck: Mapping[str, CardSpec]) -> None:
        self.deck, self.size = deck, len(deck)
        keys: dict[tuple[tuple[str, ...], str | None], int] = {}
        number, skill = keys.setdefault, Kind.SKILL
        # card id -> the index of its (tags, family) among ``keys``, numbered as first met
        self.combo: dict[str, int] = {
            card_id: number((spec.tags, spec.key if spec.kind is skill else None), len(keys))
            for card_id, spec in deck.items()
        }
        self.keys = list(keys)
        counted = Counter(self.combo.values())
        self.totals = [counted[index] for index in range(len(keys))]


_GROUPS: list[_DeckGroups] = []  # the last deck's (its strong reference keeps its id unique)


def _deck_groups(deck: Mapping[str, CardSpec]) -> _DeckGroups:
    held = _GROUPS[0] if _GROUPS else None
    if held is not None and held.deck is deck and held.size == len(deck):
        return held
    groups = _DeckGroups(deck)
    _GROUPS[:] = [groups]
    return groups


@dataclass
class _CardFigures:
    mastery_by_tag: dict[str, Mastery]
    mastery_by_family: dict[str, Mastery]
    forecast: tuple[int, ...]
    studied: int


def _card_figures(
    cards: Mapping[str, CardState],
    deck: Mapping[str, CardSpec],
    today: date,
    tz: tzinfo,
    hour: int,
) -> _CardFigures:
    """Mastery per tag (every card's tags, skill cards' topics included) and per skill
    family, the due forecast and the deck cards studied: one pass over the card states."""
    groups = _deck_groups(deck)
    combo_of = groups.combo.get
    studied = [0] * len(groups.keys)
    mastered = [0] * len(groups.keys)
    buckets = [0] * FORECAST_DAYS
    days = StudyDays(tz, hour)
    by_hour, day_of = days.hours.get, days.of
    # Due times surely before today, or surely after the forecast (a study day is
    # within 14 + 24 hours of its UTC date): only those between need their study day.
    midnight = datetime(today.year, today.month, today.day, tzinfo=UTC).timestamp()
    overdue_before = midnight - 2 * 86400
    later_from = midnight + (FORECAST_DAYS + 2) * 86400
    for card_id, state in cards.items():
        index = combo_of(card_id)
        if index is None:
            continue  # a card no deck has now
        studied[index] += 1
        stability = state.stability
        if stability is not None and stability >= MASTERY_DAYS:
            mastered[index] += 1
        due = state.due
        if due >= later_from:
            continue
        if due < overdue_before:
            buckets[0] += 1  # overdue cards are due today
            continue
        offset = ((by_hour(int(due // 3600)) or day_of(due)) - today).days
        if offset < FORECAST_DAYS:
            buckets[max(0, offset)] += 1
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for (tags, family), done, seen, total in zip(
        groups.keys, mastered, studied, groups.totals, strict=True
    ):
        named = [("tag", tag) for tag in dict.fromkeys(tags)]
        if family is not None:
            named.append(("family", family))
        for group in named:
            row = counts[group]
            row[0] += done
            row[1] += seen
            row[2] += total
    by_tag = {name: Mastery(*counts[(k, name)]) for k, name in sorted(counts) if k == "tag"}
    by_family = {name: Mastery(*counts[(k, name)]) for k, name in sorted(counts) if k == "family"}
    return _CardFigures(by_tag, by_family, tuple(buckets), sum(studied))


def _ranked_mistakes(counts: Mapping[tuple[str, str], int], limit: int) -> tuple[MistakeCount, ...]:
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return tuple(MistakeCount(fam, mistake, n) for (fam, mistake), n in ranked[:limit])


def frequent_mistakes(records: Iterable[Record], limit: int = 5) -> tuple[MistakeCount, ...]:
    """The ``limit`` named mistakes made most often (undone reviews left out), most first;
    ties in family then mistake order."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for review in _effective(records):
        if review.mistake:
            counts[(mistake_family(review.card), review.mistake)] += 1
    return _ranked_mistakes(counts, limit)


def log_records(home: Path) -> list[Record]:
    """The records ``compute`` needs: ``merge.history(home)``, without its sort and
    de-duplication when there is one log, already in time order (the usual case).

    Then the file order is the merged order; a record the log repeats is left in,
    as ``compute`` counts each review once anyway (and an undo is an undo).
    """
    from dlquiz import devices, merge

    sources = list(devices.log_sources(home).values())
    if len(sources) == 1:
        with no_gc():  # as merge.history: 100k records at once
            found = merge.read_log(sources[0]).records
        if in_time_order(found):
            return found
    return merge.history(home)


def compute(
    records: Iterable[Record],
    cards: Mapping[str, CardState],
    deck: Mapping[str, CardSpec],
    now: datetime,
    tz: tzinfo,
    day_starts_at_hour: int = 4,
) -> Stats:
    """Every statistic, from the log ``records`` and the current card states."""
    hour, today, since = _day(now, tz, day_starts_at_hour)
    records = records if isinstance(records, list) else list(records)
    tallied = stats_log.tally(records, tz, hour).figures(today, since)
    return _assemble(tallied, cards, deck, today, tz, hour)


def compute_home(
    home: Path,
    cards: Mapping[str, CardState],
    deck: Mapping[str, CardSpec],
    now: datetime,
    tz: tzinfo,
    day_starts_at_hour: int = 4,
    device: str | None = None,
    save_later: bool = False,
) -> Stats:
    """``compute(log_records(home), ...)``: the logs' tally carried on from the last
    call, or from the one ``device`` saved in its last run, over what was appended
    since, when it can be (``stats_log.home_tally``: it saves the tally for ``device``, now
    or, with ``save_later``, at ``stats_log.save_kept``)."""
    hour, today, since = _day(now, tz, day_starts_at_hour)
    tallied = stats_log.home_tally(home, tz, hour, today, since, device, save_later)
    return _assemble(tallied, cards, deck, today, tz, hour)


def _day(now: datetime, tz: tzinfo, hour: int) -> tuple[int, date, date]:
    """(the day-start hour, the study day of ``now``, the first day of the recent window)"""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    today = study_day(now, tz, hour)
    return hour, today, today - timedelta(days=RECENT_DAYS - 1)


def _assemble(
    tally: stats_log.Tallied,
    cards: Mapping[str, CardState],
    deck: Mapping[str, CardSpec],
    today: date,
    tz: tzinfo,
    hour: int,
) -> Stats:
    per_day_all = tally.per_day
    first = today - timedelta(days=HISTORY_DAYS)
    per_day = {
        (first + timedelta(days=i)).isoformat(): per_day_all.get(first + timedelta(days=i), 0)
        for i in range(HISTORY_DAYS + 1)
    }
    current, longest = _streaks(set(per_day_all), today)
    figures = _card_figures(cards, deck, today, tz, hour)
    totals = Totals(
        reviews=tally.reviews,
        reviews_today=per_day_all.get(today, 0),
        cards_studied=figures.studied,
        cards_in_deck=len(deck),
        new_today=tally.new_today,
    )
    return Stats(
        today=today,
        day_starts_at_hour=hour,
        per_day=per_day,
        forecast=figures.forecast,
        retention=Ratio(tally.passed, tally.total),
        retention_recent=Ratio(tally.recent_passed, tally.recent_total),
        mistakes=_ranked_mistakes(tally.mistakes, 5),
        mastery_by_tag=figures.mastery_by_tag,
        mastery_by_family=figures.mastery_by_family,
        current_streak=current,
        longest_streak=longest,
        totals=totals,
    )


# ----- drawing helpers (text only, shared by the TUI and the CLI) ----------------------


def heatmap_rows(
    per_day: Mapping[str, int], today: date, weeks: int = 26
) -> list[list[int | None]]:
    """7 rows (Mon..Sun) × ``weeks`` columns of review counts; None for days after today.

    The last column is the week (Monday to Sunday) containing ``today``.
    """
    start = heatmap_start(today, weeks)
    rows: list[list[int | None]] = []
    for weekday in range(7):
        row: list[int | None] = []
        for week in range(weeks):
            day = start + timedelta(days=7 * week + weekday)
            row.append(None if day > today else per_day.get(day.isoformat(), 0))
        rows.append(row)
    return rows


def heatmap_start(today: date, weeks: int = 26) -> date:
    """The Monday shown in the heatmap's first column."""
    return today - timedelta(days=today.weekday(), weeks=weeks - 1)


def shade(count: int | None, peak: int) -> str:
    """One of SHADES: blank for nothing (or the future), then four steps up to ``peak``."""
    if not count or peak <= 0:
        return SHADES[0]
    level = math.ceil((len(SHADES) - 1) * min(count, peak) / peak)
    return SHADES[max(1, level)]


def render_heatmap(
    per_day: Mapping[str, int], today: date, weeks: int = 26, cell_width: int = 2
) -> str:
    """The heatmap as lines of text: month names on top, weekday names on the left."""
    rows = heatmap_rows(per_day, today, weeks)
    peak = max((c for row in rows for c in row if c), default=0)
    start = heatmap_start(today, weeks)
    label_width = 4
    months = [" "] * (weeks * cell_width + 3)
    previous_month = None
    for week in range(weeks):
        monday = start + timedelta(weeks=week)
        if monday.month != previous_month:
            name = monday.strftime("%b")
            at = week * cell_width
            # Skip a label that would run into the one before it.
            if all(c == " " for c in months[max(0, at - 1) : at + len(name)]):
                months[at : at + len(name)] = name
            previous_month = monday.month
    lines = [" " * label_width + "".join(months).rstrip()]
    names = ["Mon", "", "Wed", "", "Fri", "", "Sun"]
    for name, row in zip(names, rows, strict=True):
        cells = "".join(shade(c, peak) * cell_width for c in row)
        lines.append(f"{name:<{label_width}}{cells}".rstrip())
    lines.append(f"{'':<{label_width}}less {SHADES[1:]} more (peak {peak}/day)")
    return "\n".join(lines)


def sparkline(values: Iterable[int]) -> str:
    """One character per value, scaled to the largest (zero is the lowest bar)."""
    values = list(values)
    peak = max(values, default=0)
    if peak <= 0:
        return SPARKS[0] * len(values)
    top = len(SPARKS) - 1
    return "".join(SPARKS[math.ceil(top * v / peak)] if v > 0 else SPARKS[0] for v in values)
