"""The stats tally saved in the data folder (``dlquiz.stats_saved``): a new run reads only
what was appended since, and a saved file that is missing, damaged, hostile or made
for something else only means a tally from scratch, never an error or wrong figures.

The equivalence with a tally from scratch, whatever happens to the log and to the
saved file, is checked by the property test in test_stats_speed_tally.py.
"""

from __future__ import annotations

import hashlib
import os
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from dlquiz import stats_log, stats_saved
from dlquiz.devices import LOGS
from dlquiz.history import review_record
from dlquiz.records import encode
from dlquiz.scheduler import CardState, Scheduler, shifted
from dlquiz.stats import log_records

T0 = datetime(2026, 3, 20, 6, 0, tzinfo=UTC)
CARDS = [f"term/t{i}/recall" for i in range(4)]


class _Folder:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.log = home / LOGS / "dev-a.jsonl"
        self.log.parent.mkdir(parents=True)
        self.log.touch()
        self.states: dict[str, CardState] = {}
        self.now = T0
        self.rng = random.Random(1)

    def answer(self, n: int = 1, step: timedelta = timedelta(hours=7)) -> None:
        with self.log.open("ab") as handle:
            for _ in range(n):
                self.now += step
                card = self.rng.choice(CARDS)
                before = self.states.get(card)
                rating = self.rng.choice([1, 3, 4])
                after = shifted(Scheduler().outcomes(before, self.now)[rating], self.now)
                self.states[card] = after
                handle.write(encode(review_record(card, rating, self.now, before, after)))

    def figures(self, tz: object = UTC, hour: int = 4) -> stats_log.Tallied:
        today = (self.now - timedelta(hours=hour)).date()
        since = today - timedelta(days=29)
        return stats_log.home_tally(self.home, tz, hour, today, since, "dev-a")  # type: ignore[arg-type]

    def checked(self, log_reads: list[int], tz: object = UTC, hour: int = 4) -> list[int]:
        """The figures, checked against a tally from scratch; where the log was read."""
        before = len(log_reads)
        found = self.figures(tz, hour)
        starts = log_reads[before:]
        assert found == self.fresh(tz, hour)
        return starts

    def fresh(self, tz: object = UTC, hour: int = 4) -> stats_log.Tallied:
        today = (self.now - timedelta(hours=hour)).date()
        made = stats_log.tally(log_records(self.home), tz, hour)  # type: ignore[arg-type]
        return made.figures(today, today - timedelta(days=29))

    @property
    def saved(self) -> Path:
        return stats_saved.saved_path(self.home, "dev-a")


@pytest.fixture
def folder(tmp_path: Path) -> _Folder:
    stats_log.forget()
    made = _Folder(tmp_path / "data")
    made.answer(40)
    yield made
    stats_log.forget()


def test_a_new_run_reads_only_what_was_appended(folder: _Folder, log_reads: list[int]) -> None:
    assert folder.checked(log_reads) == [0]
    assert folder.saved.is_file()
    tallied = folder.log.stat().st_size
    stats_log.forget()  # a new run
    folder.answer(3)
    assert folder.checked(log_reads) == [tallied]


def test_the_next_study_day_carries_on(folder: _Folder, log_reads: list[int]) -> None:
    assert folder.checked(log_reads) == [0]
    for _ in range(3):
        stats_log.forget()
        tallied = folder.log.stat().st_size
        folder.answer(2, step=timedelta(days=1))
        assert folder.checked(log_reads) == [tallied]


@pytest.mark.parametrize(
    ("tz", "hour"), [(ZoneInfo("Asia/Kathmandu"), 4), (UTC, 0)], ids=["zone", "hour"]
)
def test_a_tally_saved_for_another_zone_or_hour_is_not_used(
    folder: _Folder, log_reads: list[int], tz: object, hour: int
) -> None:
    folder.figures()
    stats_log.forget()
    assert folder.checked(log_reads, tz, hour) == [0]


def _digest(body: bytes) -> bytes:
    return hashlib.sha256(body).hexdigest().encode() + b"\n" + body


def _hostile(folder: _Folder, kind: str) -> None:
    saved = folder.saved
    body = saved.read_bytes().partition(b"\n")[2]
    saved.unlink()
    if kind == "symlink":
        elsewhere = folder.home / "elsewhere.json"
        elsewhere.write_bytes(_digest(body))
        saved.symlink_to(elsewhere)
    elif kind == "fifo":
        os.mkfifo(saved)
    elif kind == "folder":
        saved.mkdir()
    elif kind == "huge":
        with saved.open("wb") as handle:
            handle.truncate(folder.log.stat().st_size + stats_saved.SLACK_BYTES + 1)
    elif kind == "wrong types":
        saved.write_bytes(_digest(body.replace(b'"reviews":', b'"reviews":"many","x":')))
    elif kind == "inconsistent":  # checksum right, figures that cannot be
        saved.write_bytes(_digest(body.replace(b'"reviews":40', b'"reviews":41')))
    elif kind == "bit flip":
        at = len(body) // 2
        saved.write_bytes(_digest(body)[: at + 65] + b"\x01" + _digest(body)[at + 66 :])
    elif kind == "empty":
        saved.write_bytes(b"")


@pytest.mark.parametrize(
    "kind",
    ["symlink", "fifo", "folder", "huge", "wrong types", "inconsistent", "bit flip", "empty"],
)
def test_a_damaged_or_hostile_saved_tally_means_a_tally_from_scratch(
    folder: _Folder, log_reads: list[int], kind: str
) -> None:
    folder.figures()
    stats_log.forget()
    _hostile(folder, kind)
    folder.answer(2)
    assert folder.checked(log_reads) == [0], "the saved tally was used"


def test_a_tally_that_cannot_be_saved_is_still_shown(tmp_path: Path) -> None:
    stats_log.forget()
    folder = _Folder(tmp_path / "data")
    folder.answer(10)
    (folder.home / "cache").write_text("a file where the cache folder goes")
    assert folder.figures() == folder.fresh()
    stats_log.forget()
    assert folder.figures() == folder.fresh()
    stats_log.forget()


def test_a_folder_with_several_logs_carries_on_too(folder: _Folder, log_reads: list[int]) -> None:
    """A pre-device ``reviews.jsonl`` beside this device's log (a folder from the first
    release), or another device's log: each is read from where it was tallied."""
    legacy = folder.home / "reviews.jsonl"
    folder.log.rename(legacy)
    folder.log.touch()
    assert folder.checked(log_reads) == [0, 0]
    for _ in range(2):
        stats_log.forget()
        ends = sorted(path.stat().st_size for path in (legacy, folder.log))
        folder.answer(3)  # appended to this device's log only
        assert sorted(folder.checked(log_reads)) == ends


def test_another_devices_earlier_answers_mean_a_tally_from_scratch(
    folder: _Folder, log_reads: list[int]
) -> None:
    """Synced late, another device's answers come before the last one tallied: in the
    merged order they are not appended, so the tally starts again."""
    other = folder.log.with_name("dev-b.jsonl")
    other.touch()  # the other device's log, empty when the tally is made
    assert folder.checked(log_reads) == [0, 0]
    earlier = _Folder.__new__(_Folder)
    earlier.home, earlier.log, earlier.states = folder.home, other, {}
    earlier.now, earlier.rng = T0 + timedelta(hours=1), random.Random(2)
    earlier.answer(2)
    assert folder.checked(log_reads)[-2:] == [0, 0]
    later = _Folder.__new__(_Folder)
    later.home, later.log, later.states = folder.home, other, {}
    later.now, later.rng = folder.now + timedelta(hours=1), random.Random(3)
    stats_log.forget()
    tallied = sorted(path.stat().st_size for path in (folder.log, other))
    later.answer(2)  # after everything tallied: carried on
    assert sorted(folder.checked(log_reads)) == tallied


def test_a_save_left_for_later_is_made_by_save_kept(folder: _Folder, log_reads: list[int]) -> None:
    today = (folder.now - timedelta(hours=4)).date()
    since = today - timedelta(days=29)
    found = stats_log.home_tally(folder.home, UTC, 4, today, since, "dev-a", save_later=True)
    assert found == folder.fresh()
    assert not folder.saved.exists()  # the figures did not wait for the file
    # Asked again with nothing new: the save is still owed, and made once.
    again = stats_log.home_tally(folder.home, UTC, 4, today, since, "dev-a", save_later=True)
    assert again == found
    stats_log.save_kept()
    assert folder.saved.is_file()
    written = folder.saved.stat().st_ino  # each save replaces the file (a new inode)
    stats_log.save_kept()  # nothing owed any more: not written again
    assert folder.saved.stat().st_ino == written
    # The next run carries the saved tally on.
    stats_log.forget()
    tallied = folder.log.stat().st_size
    folder.answer(2)
    assert folder.checked(log_reads) == [tallied]


def test_forgetting_the_tally_forgets_its_owed_save(folder: _Folder) -> None:
    today = (folder.now - timedelta(hours=4)).date()
    stats_log.home_tally(folder.home, UTC, 4, today, today, "dev-a", save_later=True)
    stats_log.forget()
    stats_log.save_kept()
    assert not folder.saved.exists()


def test_the_records_of_a_tally_are_let_go_with_its_save(
    folder: _Folder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Letting 100k records go takes ~40 ms: a tally made for a screen (its save left for
    later) holds them until ``save_kept``, which the screen calls once they are shown."""
    monkeypatch.setattr(stats_log, "FREEZE_FROM", 10)  # a log this large counts as large
    monkeypatch.setattr(stats_log.gc, "freeze", lambda: None)  # nothing of the run frozen
    today = (folder.now - timedelta(hours=4)).date()
    since = today - timedelta(days=29)
    stats_log.home_tally(folder.home, UTC, 4, today, since, "dev-a", save_later=True)
    assert stats_log._spent is not None and len(stats_log._spent) == 40
    stats_log.save_kept()
    assert stats_log._spent is None and folder.saved.is_file()
    # Saved at once (the CLI, home's figures made ahead): let go at once too.
    stats_log.forget()
    folder.saved.unlink()
    stats_log.home_tally(folder.home, UTC, 4, today, since, "dev-a")
    assert stats_log._spent is None and folder.saved.is_file()
    # A log under the size where it matters: nothing held.
    monkeypatch.setattr(stats_log, "FREEZE_FROM", 1000)
    stats_log.forget()
    folder.saved.unlink()
    stats_log.home_tally(folder.home, UTC, 4, today, since, "dev-a", save_later=True)
    assert stats_log._spent is None
