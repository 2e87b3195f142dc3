"""The fast statistics equal a from-scratch compute (one study_day per instant, as specified).

``compute`` finds study days once per clock hour and counts mastery per combination
of tags; here a plain reference, written straight from the definitions, recomputes
everything on random logs across time-zone changes, and the two must agree exactly.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from dlquiz import merge, stats_log
from dlquiz.cards import CardSpec, Kind
from dlquiz.devices import LOGS
from dlquiz.history import review_record, undo_record
from dlquiz.records import Record, Review, Undo, encode
from dlquiz.scheduler import AGAIN, REVIEW, CardState, Scheduler, shifted
from dlquiz.stats import (
    FORECAST_DAYS,
    HISTORY_DAYS,
    MASTERY_DAYS,
    RECENT_DAYS,
    Mastery,
    MistakeCount,
    Ratio,
    Stats,
    Totals,
    compute,
    log_records,
)
from dlquiz.today import study_day

ZONES: list[tzinfo] = [
    UTC,
    ZoneInfo("Europe/Berlin"),  # summer time, changed at 01:00 UTC
    ZoneInfo("Australia/Lord_Howe"),  # half an hour of summer time
    ZoneInfo("Asia/Kathmandu"),  # +05:45
    ZoneInfo("America/St_Johns"),  # -03:30 / -02:30
    timezone(timedelta(hours=-9, minutes=-7)),  # an odd fixed offset
]


def _reference(
    records: list[Record],
    cards: Mapping[str, CardState],
    deck: Mapping[str, CardSpec],
    now: datetime,
    tz: tzinfo,
    hour: int,
) -> Stats:
    """Every figure from its definition, one study_day call per instant."""
    today = study_day(now, tz, hour)
    undone = {r.undoes for r in records if isinstance(r, Undo)}
    seen: set[str] = set()
    reviews: list[Review] = []
    for r in records:
        if isinstance(r, Review) and r.id not in seen:
            seen.add(r.id)
            if r.id not in undone:
                reviews.append(r)
    day = {r.id: study_day(r.time, tz, hour) for r in reviews}
    per_day_all: dict[date, int] = defaultdict(int)
    for r in reviews:
        per_day_all[day[r.id]] += 1
    first = today - timedelta(days=HISTORY_DAYS)
    per_day = {
        (first + timedelta(days=i)).isoformat(): per_day_all.get(first + timedelta(days=i), 0)
        for i in range(HISTORY_DAYS + 1)
    }
    streak_days = set(per_day_all)
    current = 0
    d = today if today in streak_days else today - timedelta(days=1)
    while d in streak_days:
        current, d = current + 1, d - timedelta(days=1)
    longest = max(
        (
            next(n for n in range(1, 10_000) if s - timedelta(days=n) not in streak_days)
            for s in streak_days
        ),
        default=0,
    )
    firsts: dict[tuple[str, date], Review] = {}
    for r in reviews:
        firsts.setdefault((r.card, day[r.id]), r)
    tested = [r for r in firsts.values() if r.before is not None and r.before.state == REVIEW]
    since = today - timedelta(days=RECENT_DAYS - 1)
    recent = [r for r in tested if day[r.id] >= since]
    groups: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for cid, spec in deck.items():
        state = cards.get(cid)
        names = [("tag", t) for t in set(spec.tags)]
        names += [("family", spec.key)] if spec.kind == Kind.SKILL else []
        for g in names:
            groups[g][0] += bool(state and state.stability and state.stability >= MASTERY_DAYS)
            groups[g][1] += state is not None
            groups[g][2] += 1
    forecast = [0] * FORECAST_DAYS
    for cid, state in cards.items():
        if cid in deck:
            due = datetime.fromtimestamp(state.due, UTC)
            offset = (study_day(due, tz, hour) - today).days
            if offset < FORECAST_DAYS:
                forecast[max(0, offset)] += 1
    mistakes: dict[tuple[str, str], int] = defaultdict(int)
    for r in reviews:
        if r.mistake:
            parts = r.card.split("/")
            fam = parts[1] if len(parts) == 3 and parts[0] == "skill" else r.card
            mistakes[(fam, r.mistake)] += 1
    top = sorted(mistakes.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    return Stats(
        today=today,
        day_starts_at_hour=hour,
        per_day=per_day,
        forecast=tuple(forecast),
        retention=Ratio(sum(r.rating != AGAIN for r in tested), len(tested)),
        retention_recent=Ratio(sum(r.rating != AGAIN for r in recent), len(recent)),
        mastery_by_tag={k: Mastery(*groups[("tag", k)]) for g, k in sorted(groups) if g == "tag"},
        mastery_by_family={
            k: Mastery(*groups[("family", k)]) for g, k in sorted(groups) if g == "family"
        },
        current_streak=current,
        longest_streak=longest,
        totals=Totals(
            reviews=len(reviews),
            reviews_today=per_day_all.get(today, 0),
            cards_studied=sum(1 for cid in deck if cid in cards),
            cards_in_deck=len(deck),
            new_today=len({r.card for r in reviews if day[r.id] == today and r.before is None}),
        ),
        mistakes=tuple(MistakeCount(f, m, n) for (f, m), n in top),
    )


def _random_study(
    rng: random.Random, now: datetime
) -> tuple[list[Record], dict[str, CardState], dict[str, CardSpec]]:
    """A deck and a log over ~200 days, answers bunched around day starts and DST changes."""
    tags = ["cnn", "rnn", "optim", "vision", "math"]
    deck: dict[str, CardSpec] = {}
    for i in range(120):
        picked = tuple(rng.sample(tags, rng.randrange(0, 3)))
        if i % 4 == 0:
            cid = f"skill/fam{i % 7}/{i}"
            deck[cid] = CardSpec(cid, Kind.SKILL, f"fam{i % 7}", picked)
        else:
            cid = f"term/t{i}/recall"
            deck[cid] = CardSpec(cid, Kind.RECALL, f"t{i}", picked)
    ids = [*deck, "term/gone/recall"]  # a card no deck has any more
    scheduler = Scheduler()
    cards: dict[str, CardState] = {}
    records: list[Record] = []
    at = now - timedelta(days=200)
    while at < now:
        # Minutes apart, or hours, or a jump of days; some land on the hour exactly.
        at += rng.choice(
            [timedelta(seconds=rng.randrange(1, 600)), timedelta(hours=rng.randrange(1, 30))]
        )
        if rng.random() < 0.1:
            at = at.replace(minute=rng.choice([0, 15, 30, 45]), second=0, microsecond=0)
        at = min(at, now)
        card = rng.choice(ids)
        before = cards.get(card)
        rating = rng.choice([1, 2, 3, 3, 3, 4])
        after = shifted(scheduler.outcomes(before, at)[rating], at)
        extra = {"mistake": rng.choice(["kept-in", "off-by-one"])} if rating == 1 else None
        record = review_record(card, rating, at, before, after, extra=extra)
        records.append(record)
        cards[card] = after
        if rng.random() < 0.05:
            records.append(record)  # a line copied twice by a sync tool
        if rng.random() < 0.05:
            records.append(undo_record(record, at))
            if before is None:
                del cards[card]
            else:
                cards[card] = before
    return records, cards, deck


@pytest.mark.parametrize("seed", range(4))
def test_compute_equals_the_reference(seed: int) -> None:
    rng = random.Random(seed)
    now = datetime(2026, 4, 5, 3, 20, tzinfo=UTC) + timedelta(minutes=rng.randrange(0, 60 * 24))
    records, cards, deck = _random_study(rng, now)
    for tz in ZONES:
        hour = rng.randrange(0, 24)
        assert compute(records, cards, deck, now, tz, hour) == _reference(
            records, cards, deck, now, tz, hour
        ), (tz, hour)


@pytest.mark.parametrize("tz", ZONES, ids=str)
def test_study_days_equal_study_day_around_every_change(tz: tzinfo) -> None:
    rng = random.Random(str(tz))
    for hour in (0, 1, 2, 3, 4, 23):
        days = stats_log.StudyDays(tz, hour)
        start = datetime(2025, 1, 1, tzinfo=UTC).timestamp()
        instants = [start + rng.randrange(0, 400 * 86400) for _ in range(3000)]
        # Every minute of the days around this zone's offset changes in 2025.
        for month, day in ((3, 8), (3, 29), (4, 5), (10, 4), (10, 25), (11, 1)):
            base = datetime(2025, month, day, tzinfo=UTC).timestamp()
            instants += [base + m * 60 + rng.choice([0, 59.5]) for m in range(3 * 24 * 60)]
        for seconds in instants:
            moment = datetime.fromtimestamp(seconds, UTC)
            assert days.of(seconds) == study_day(moment, tz, hour), (moment, hour)


def _write_log(path: Path, records: list[Record]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(encode(r) for r in records))


@pytest.mark.parametrize("layout", ["one log", "one log out of order", "two logs"])
def test_log_records_give_the_figures_of_the_merged_history(tmp_path: Path, layout: str) -> None:
    rng = random.Random(layout)
    now = datetime(2026, 4, 5, 15, 0, tzinfo=UTC)
    records, cards, deck = _random_study(rng, now)
    home = tmp_path / "data"
    if layout == "one log":
        records.sort(key=lambda r: r.time)  # in time order, as the app writes it
        _write_log(home / LOGS / "dev-a.jsonl", records)
    elif layout == "one log out of order":  # a clock set back, or lines pasted late
        moved = records[: len(records) // 2]
        _write_log(home / LOGS / "dev-a.jsonl", records[len(records) // 2 :] + moved)
    else:  # another device's log (synced), some records in both
        _write_log(home / LOGS / "dev-a.jsonl", records[::2] + records[1:40:2])
        _write_log(home / LOGS / "dev-b.jsonl", records[1::2])
    merged = merge.history(home)
    assert len(merged) > 100
    found = log_records(home)
    if layout == "one log":
        assert len(found) == len(records)  # read as it is, repeats included
    for tz in ZONES[:3]:
        assert compute(found, cards, deck, now, tz, 4) == compute(merged, cards, deck, now, tz, 4)
