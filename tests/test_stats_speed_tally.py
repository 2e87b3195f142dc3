"""The stats screen's tally, kept and carried on over what is appended to the log.

``stats_log.home_tally`` keeps the last tally of a data folder's log and, next time,
tallies only the records appended since. Whatever happens to the log in between
(answers, undos of new or old answers, copied lines, a clock set back, damaged lines,
a log rewritten, another device's log, the next study day, a restart that reads the
tally saved on disk, a saved tally lost or damaged), its figures must equal the tally
of the whole log made from scratch.
"""

from __future__ import annotations

import random
import tempfile
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dlquiz import stats_log
from dlquiz.devices import LOGS
from dlquiz.history import review_record, undo_record
from dlquiz.records import Review, encode
from dlquiz.scheduler import CardState, Scheduler, shifted
from dlquiz.stats import RECENT_DAYS, compute, compute_home, log_records
from dlquiz.today import study_day

T0 = datetime(2026, 3, 20, 6, 0, tzinfo=UTC)
CARDS = [f"term/t{i}/recall" for i in range(5)] + ["skill/conv/1"]
OPS = [
    "answer",
    "answer",
    "answer",
    "undo new",
    "undo old",
    "undo unknown",
    "copy line",
    "clock back",
    "damaged line",
    "rewrite",
    "other device",
    "next day",
    "restart",
    "restart",
    "saved lost",
    "saved damaged",
]


class _Log:
    """A data folder whose log the test writes as the app would (and as it would not)."""

    def __init__(self, home: Path, rng: random.Random) -> None:
        self.home, self.rng = home, rng
        self.path = home / LOGS / "dev-a.jsonl"
        self.path.parent.mkdir(parents=True)
        self.path.touch()
        self.now = T0
        self.states: dict[str, CardState] = {}
        self.reviews: list[Review] = []
        self.scheduler = Scheduler()

    def write(self, line: bytes, path: Path | None = None) -> None:
        with (path or self.path).open("ab") as handle:
            handle.write(line)

    def answer(self, at: datetime) -> Review:
        card = self.rng.choice(CARDS)
        before = self.states.get(card)
        rating = self.rng.choice([1, 3, 3, 4])
        after = shifted(self.scheduler.outcomes(before, at)[rating], at)
        extra = {"mistake": "kept-in"} if rating == 1 and card.startswith("skill") else None
        review = review_record(card, rating, at, before, after, extra=extra)
        self.states[card] = after
        self.reviews.append(review)
        return review

    def apply(self, op: str) -> None:
        rng = self.rng
        if op == "answer":
            for _ in range(rng.randrange(1, 6)):
                self.now += rng.choice(
                    [timedelta(seconds=0), timedelta(minutes=7), timedelta(hours=9)]
                )
                self.write(encode(self.answer(self.now)))
        elif op in ("undo new", "undo old") and self.reviews:
            target = self.reviews[-1] if op == "undo new" else rng.choice(self.reviews)
            self.write(encode(undo_record(target, self.now)))
        elif op == "undo unknown":
            ghost = review_record(CARDS[0], 3, self.now, None, self.answer(self.now).after)
            self.reviews.pop()
            self.write(encode(undo_record(ghost, self.now)))
        elif op == "copy line" and self.reviews:
            self.write(encode(rng.choice(self.reviews)))
        elif op == "clock back":
            self.write(encode(self.answer(self.now - timedelta(hours=30))))
        elif op == "damaged line":
            self.write(b'{"type":"review","id":7}\n\n')
        elif op == "rewrite":  # e.g. restored from a backup: the same size or less
            data = self.path.read_bytes()
            self.path.write_bytes(data[: len(data) // 2].replace(b'"rating":3', b'"rating":4'))
        elif op == "other device":
            other = self.home / LOGS / "dev-b.jsonl"
            if other.exists():
                other.unlink()
            else:
                self.write(encode(self.answer(self.now - timedelta(minutes=3))), other)
        elif op == "next day":
            self.now += timedelta(days=1)
        elif op == "restart":  # a new run: the tally saved on disk, if any, is read
            stats_log.forget()
        elif op in ("saved lost", "saved damaged"):
            stats_log.forget()
            for saved in (self.home / "cache").glob("stats-*.json"):
                if op == "saved lost":
                    saved.unlink()
                else:
                    data = saved.read_bytes()
                    cut = rng.randrange(len(data))
                    saved.write_bytes(data[:cut] + bytes([data[cut] ^ 0x15]) + data[cut + 1 :])


def _window(now: datetime, tz: tzinfo, hour: int) -> tuple[date, date]:
    today = study_day(now, tz, hour)
    return today, today - timedelta(days=RECENT_DAYS - 1)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ops=st.lists(st.sampled_from(OPS), min_size=1, max_size=30),
    seed=st.integers(0, 2**16),
    zone=st.sampled_from([UTC, ZoneInfo("Europe/Berlin"), ZoneInfo("Asia/Kathmandu")]),
    hour=st.sampled_from([0, 4, 23]),
)
# A log cut after a record but before its newline: the next answer joins that line.
@example(ops=["rewrite", "answer"], seed=23665, zone=UTC, hour=0)
def test_the_kept_tally_equals_a_tally_from_scratch(
    ops: list[str], seed: int, zone: tzinfo, hour: int
) -> None:
    stats_log.forget()
    with tempfile.TemporaryDirectory() as tmp:
        log = _Log(Path(tmp) / "data", random.Random(seed))
        for op in ["answer", *ops]:
            log.apply(op)
            today, since = _window(log.now, zone, hour)
            kept = stats_log.home_tally(log.home, zone, hour, today, since, "dev-a")
            fresh = stats_log.tally(log_records(log.home), zone, hour)
            assert kept == fresh.figures(today, since), op
    stats_log.forget()


def test_appended_answers_are_read_alone(log_reads: list[int], tmp_path: Path) -> None:
    """The carrying on is what happens (not a tally from scratch each time)."""
    stats_log.forget()
    log = _Log(tmp_path / "data", random.Random(3))
    starts = log_reads
    today, since = _window(T0, UTC, 4)
    for _ in range(4):
        log.apply("answer")
        stats_log.home_tally(log.home, UTC, 4, today, since, "dev-a")
    assert starts[0] == 0 and all(start > 0 for start in starts[1:]), starts
    log.apply("undo old" if len(log.reviews) > 1 else "answer")
    log.write(encode(undo_record(log.reviews[0], log.now)))  # a review counted long ago
    stats_log.home_tally(log.home, UTC, 4, today, since, "dev-a")
    assert starts[-1] == 0  # only a tally from scratch takes it back
    stats_log.forget()


def test_compute_home_equals_compute_of_the_log(tmp_path: Path) -> None:
    stats_log.forget()
    log = _Log(tmp_path / "data", random.Random(5))
    for op in ["answer"] * 6 + ["undo new", "answer", "next day", "answer"]:
        log.apply(op)
        for _ in range(2):  # from scratch, then carried on (nothing new)
            found = compute_home(log.home, log.states, {}, log.now, UTC, 4)
            assert found == compute(log_records(log.home), log.states, {}, log.now, UTC, 4)
    stats_log.forget()
