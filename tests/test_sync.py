"""Several devices, one data folder: own files only, merged state, conflicts, migration."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from dlquiz import devices, merge, records
from dlquiz.history import review_record
from dlquiz.scheduler import AGAIN, GOOD, REVIEW, CardState
from dlquiz.settings import Settings
from dlquiz.store import AlreadyRunning, Store, StoreError
from dlquiz.study import Study
from tests.conftest import T0

CARDS = ["term/activation-function/recall", "term/activation-function/name"]


@contextmanager
def opened(home: Path, device: str, now: datetime = T0, **kw: bool) -> Iterator[Study]:
    old = os.environ.get(devices.ENV_DEVICE_ID)
    os.environ[devices.ENV_DEVICE_ID] = device
    try:
        with Study.open(home, with_skills=False, now=now, **kw) as study:
            yield study
    finally:
        if old is not None:
            os.environ[devices.ENV_DEVICE_ID] = old


def study_at(home: Path, device: str, minutes: list[int], rating: int = GOOD) -> None:
    with opened(home, device) as study:
        for m in minutes:
            at = T0 + timedelta(minutes=m)
            card = CARDS[m % 2]
            study.answer(card, study.outcomes(card, at)[rating], at, 900)


def copy_logs(src: Path, dst: Path) -> None:
    """What a sync tool does: every log appears on the other side."""
    (dst / "logs").mkdir(parents=True, exist_ok=True)
    for log in (src / "logs").glob("*.jsonl"):
        shutil.copy2(log, dst / "logs" / log.name)


def view(home: Path, device: str) -> tuple[dict[str, CardState], dict[str, object], list[str]]:
    with opened(home, device) as study:
        return dict(study.cards), dict(study.marks), [merge.record_id(r) for r in study.log()]


def test_each_device_writes_only_its_own_files(home: Path) -> None:
    study_at(home, "dev-a", [0, 1])
    a_files = {p: p.read_bytes() for p in home.rglob("*dev-a*") if p.is_file()}
    assert {p.relative_to(home).as_posix() for p in a_files} >= {
        "logs/dev-a.jsonl",
        "state/dev-a.json",
    }
    study_at(home, "dev-b", [2, 3])  # the same cards, in the same folder
    assert {p: p.read_bytes() for p in a_files} == a_files  # not one byte of A's changed
    assert view(home, "dev-a") == view(home, "dev-b")


def test_two_devices_that_studied_offline_agree_once_both_logs_arrived(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    study_at(a, "dev-a", [0, 2, 4, 30])
    study_at(b, "dev-b", [1, 3, 5, 20], rating=AGAIN)  # same cards, offline, interleaved times
    copy_logs(a, b)
    copy_logs(b, a)
    seen_a, seen_b = view(a, "dev-a"), view(b, "dev-b")
    assert seen_a == seen_b
    # and both equal a device that never saw either state file
    fresh = tmp_path / "c"
    copy_logs(a, fresh)
    assert view(fresh, "dev-c") == seen_a
    cards, _, ids = seen_a
    assert len(ids) == len(set(ids)) == 8
    # the card's state is the one after its latest review in time (A's at minute 30)
    with opened(a, "dev-a") as study:
        latest = [r for r in study.log() if isinstance(r, records.Review) and r.card == CARDS[0]]
        assert cards[CARDS[0]] == latest[-1].after
        assert latest[-1].time == T0 + timedelta(minutes=30)


def _saved(home: Path, device: str) -> merge.DeviceState:
    return merge.state_decoder.decode((home / "state" / f"{device}.json").read_bytes())


def test_newer_records_are_applied_and_older_ones_replay_only_their_cards(
    tmp_path: Path,
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    study_at(a, "dev-a", [0, 1, 2])
    study_at(b, "dev-b", [10, 11])  # later than everything A has
    copy_logs(b, a)
    step = merge.catch_up(a, _saved(a, "dev-a"))
    assert step.replayed == 0 and not step.rebuilt  # only applied, nothing replayed
    full = merge.rebuild(a)
    assert (step.cards, step.marks, step.last) == (full.cards, full.marks, full.last)

    c = tmp_path / "c"
    study_at(c, "dev-c", [5])  # CARDS[1] at minute 5: between A's and B's
    study_at(b, "dev-b", [12])
    copy_logs(b, c)
    copy_logs(a, c)
    step = merge.catch_up(c, _saved(c, "dev-c"))
    # Only CARDS[1] had a record (C's, minute 5) later than one that arrived (A's, minute
    # 1); every record of CARDS[0] that arrived is newer than what C had applied.
    assert step.replayed == 1 and not step.rebuilt
    full = merge.rebuild(c)
    assert (step.cards, step.marks, step.last) == (full.cards, full.marks, full.last)


def test_a_log_replaced_in_place_means_a_full_rebuild(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    study_at(a, "dev-a", [0])
    study_at(b, "dev-b", [1, 2])
    copy_logs(b, a)
    view(a, "dev-a")
    log = a / "logs" / "dev-b.jsonl"
    first, second = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(second + first)  # same size, other bytes: not the log A merged
    with opened(a, "dev-a") as study:
        assert any("dev-b.jsonl was replaced" in n for n in study.notices)
        assert len(list(study.log())) == 3
    assert merge.rebuild(a).cards == merge.catch_up(a, _saved(a, "dev-a")).cards


def test_a_shorter_log_keeps_the_schedules_the_state_knows(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    study_at(a, "dev-a", [0])
    study_at(b, "dev-b", [1, 2, 3])
    copy_logs(b, a)
    known = view(a, "dev-a")[0]
    log = a / "logs" / "dev-b.jsonl"
    log.write_bytes(log.read_bytes().splitlines(keepends=True)[0])  # an older copy came back
    with opened(a, "dev-a") as study:
        assert any("dev-b.jsonl is shorter than" in n for n in study.notices)
        assert dict(study.cards) == known  # nothing the state knew is thrown away
    assert list((a / "state").glob("dev-a.json.before-short-log-*"))
    with opened(a, "dev-a") as study:  # said once; the log's remains are reflected
        assert study.notices == [] and dict(study.cards) == known
    copy_logs(b, a)  # the full log comes back: nothing applied twice, all equal again
    copy_logs(a, b)
    assert view(a, "dev-a") == view(b, "dev-b")


def test_a_live_answer_behind_another_devices_clock_is_replayed_at_the_next_open(
    tmp_path: Path,
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    study_at(b, "dev-b", [60])  # B's clock is an hour ahead
    copy_logs(b, a)
    study_at(a, "dev-a", [0, 2])  # A answers the same card, at times before B's record
    assert CARDS[0] in _saved(a, "dev-a").dirty
    copy_logs(a, b)
    seen = view(a, "dev-a")
    assert seen == view(b, "dev-b")
    assert seen[0] == merge.rebuild(b).cards
    assert _saved(a, "dev-a").dirty == []


CONFLICT_NAMES = [
    "dev-b.sync-conflict-20260302-120000-ABCDEFG.jsonl",  # Syncthing
    "dev-b (conflicted copy).jsonl",  # Dropbox
    "dev-b (Sam's conflicted copy 2026-03-02).jsonl",  # Dropbox, named
    "dev-b_conflict-20260302-120000.jsonl",  # Nextcloud / ownCloud
    "dev-b (conflicted copy 2026-03-02 120000).jsonl",  # Nextcloud, newer clients
]


@pytest.mark.parametrize("name", CONFLICT_NAMES)
def test_a_conflict_copy_is_merged_once_and_set_aside(tmp_path: Path, name: str) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    study_at(a, "dev-a", [0])
    study_at(b, "dev-b", [1, 2])
    copy_logs(b, a)
    # The copy holds B's two records and one more that no log has.
    extra = review_record(
        CARDS[0],
        GOOD,
        T0 + timedelta(minutes=3),
        None,
        CardState(REVIEW, None, 9.0, 5.0, T0.timestamp() + 9 * 86400, T0.timestamp(), 1, 0),
    )
    copy = a / "logs" / name
    copy.write_bytes((a / "logs" / "dev-b.jsonl").read_bytes() + records.encode(extra))
    in_flight = a / "logs" / ".syncthing.dev-b.jsonl.tmp"  # a sync tool's own temp file
    in_flight.write_bytes(b"half")
    with opened(a, "dev-a") as study:
        assert any("conflict cop" in n and "1 record(s)" in n for n in study.notices)
        ids = [merge.record_id(r) for r in study.log()]
        assert len(ids) == len(set(ids)) == 4  # A's one, B's two, the extra one: once each
        assert study.cards[CARDS[0]] == extra.after
    assert not copy.exists() and in_flight.exists()
    assert [p.name for p in (a / "conflicts").iterdir()] == [f"logs__{name}"]
    with opened(a, "dev-a") as study:  # nothing more to say, nothing doubled
        assert study.notices == []
        assert len(list(study.log())) == 4
    # B gets A's log (which now holds the extra record) and agrees
    copy_logs(a, b)
    assert view(a, "dev-a") == view(b, "dev-b")


def test_conflict_copies_of_other_files_are_only_set_aside(home: Path) -> None:
    study_at(home, "dev-a", [0])
    (home / "state.sync-conflict-20260302-120000-ABCDEFG.json").write_text("{}")
    (home / "settings" / "dev-a (conflicted copy).json").write_text("{}")
    with opened(home, "dev-a") as study:
        assert any("2 conflict copies" in n for n in study.notices)
    assert len(list((home / "conflicts").iterdir())) == 2


def test_a_single_device_folder_migrates_and_an_older_dlquiz_refuses_it(tmp_path: Path) -> None:
    home = tmp_path / "old"
    home.mkdir()
    state = CardState(REVIEW, None, 12.5, 5.2, T0.timestamp() + 86400, T0.timestamp(), 3, 0)
    history = [
        review_record(CARDS[i % 2], GOOD, T0 + timedelta(minutes=i), None, state) for i in range(5)
    ]
    legacy = b"".join(records.encode(r) for r in history)
    (home / "reviews.jsonl").write_bytes(legacy)
    (home / "state.json").write_bytes(records.encode_state({}, {}, len(legacy)))
    (home / "settings.json").write_bytes(Settings(new_per_day=7).to_json())

    with opened(home, "dev-a") as study:
        assert len(list(study.log())) == 5 and study.notices == []
        assert study.settings.new_per_day == 7  # the old settings carry over
        at = T0 + timedelta(hours=1)
        study.answer(CARDS[0], study.outcomes(CARDS[0], at)[GOOD], at, 900)
    assert (home / "reviews.jsonl").read_bytes() == legacy  # never rewritten
    assert len((home / "logs" / "dev-a.jsonl").read_bytes().splitlines()) == 1
    # The marker: what an older dlquiz (schema 1) reads first and refuses.
    marker = records.state_head_decoder.decode((home / "state.json").read_bytes())
    assert marker.schema_version == devices.LAYOUT_VERSION > records.SCHEMA_VERSION
    # Another device with a synced copy sees the same six reviews and states.
    other = tmp_path / "other"
    shutil.copytree(home, other, ignore=shutil.ignore_patterns("state", "locks"))
    assert view(other, "dev-b") == view(home, "dev-a")


def test_a_newer_layout_is_refused_before_anything_is_written(home: Path) -> None:
    home.mkdir()
    (home / "state.json").write_text(json.dumps({"schema_version": 3}))
    for read_only in (False, True):
        with pytest.raises(StoreError, match="newer dlquiz"):
            Store(home, read_only=read_only, device="dev-a").open()
    assert sorted(p.name for p in home.iterdir()) == ["state.json"]


def test_the_lock_is_per_device(home: Path) -> None:
    with Store(home, device="dev-a"):
        with Store(home, device="dev-b"):  # another device never waits
            pass
        with pytest.raises(AlreadyRunning):
            Store(home, device="dev-a").open()


def test_settings_are_per_device_and_a_new_device_starts_from_them(home: Path) -> None:
    with opened(home, "dev-a") as study:
        study.change_settings(Settings(new_per_day=3))
    assert not (home / "settings.json").exists()
    with opened(home, "dev-b") as study:
        assert study.settings.new_per_day == 3  # the newest settings in the folder
        study.change_settings(Settings(new_per_day=9))
    with opened(home, "dev-a") as study:
        assert study.settings.new_per_day == 3  # A's own file, untouched by B


def test_a_read_only_reader_merges_without_writing(home: Path) -> None:
    study_at(home, "dev-a", [0])
    study_at(home, "dev-b", [1])
    before = sorted((p, p.stat().st_mtime_ns) for p in home.rglob("*") if p.is_file())
    with opened(home, "dev-c", read_only=True) as study:
        assert len(list(study.log())) == 2 and set(study.cards) == set(CARDS)
    assert sorted((p, p.stat().st_mtime_ns) for p in home.rglob("*") if p.is_file()) == before


def test_the_device_id_lives_outside_the_folder_and_is_made_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(devices.ENV_DEVICE_ID)
    path = tmp_path / "config" / "device-id"
    first = devices.device_id(path)
    assert devices.valid_id(first) and devices.device_id(path) == first
    path.write_text("Not An Id!\n")
    with pytest.raises(devices.DeviceError, match="delete it"):
        devices.device_id(path)
    monkeypatch.setenv(devices.ENV_DEVICE_ID, "../escape")
    with pytest.raises(StoreError, match="not a device id"):
        Store(tmp_path / "data")


@pytest.mark.parametrize(
    ("name", "conflict"),
    [
        ("a.sync-conflict-20260101-000000-XYZ.jsonl", True),
        ("a (conflicted copy).jsonl", True),
        ("a_conflict-20260101-000000.jsonl", True),
        ("a.Conflict.jsonl", True),
        ("a.jsonl", False),
        (".syncthing.a.sync-conflict-1.jsonl.tmp", False),
        ("~a (conflicted copy).jsonl", False),
        ("a_conflict.jsonl.part", False),
    ],
)
def test_conflict_names(name: str, conflict: bool) -> None:
    assert devices.is_conflict_copy(name) is conflict


def test_a_half_line_in_the_legacy_log_is_reported_and_left_alone(home: Path) -> None:
    home.mkdir()
    state = CardState(REVIEW, None, 12.5, 5.2, T0.timestamp() + 86400, T0.timestamp(), 3, 0)
    legacy = records.encode(review_record(CARDS[0], GOOD, T0, None, state)) + b'{"v":1,"ty'
    (home / "reviews.jsonl").write_bytes(legacy)
    with opened(home, "dev-a") as study:
        assert any("reviews.jsonl has a half-written last line" in n for n in study.notices)
        assert study.cards[CARDS[0]] == state
    assert (home / "reviews.jsonl").read_bytes() == legacy


def test_todays_counts_and_the_status_include_every_device(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dlquiz.commands import sync

    study_at(home, "dev-a", [0, 1, 2])
    with opened(home, "dev-b", now=T0 + timedelta(minutes=5)) as study:
        assert study.counts(T0 + timedelta(minutes=5)).reviewed_today == 3
    assert sync.run(home, None) == 0
    out = capsys.readouterr().out
    assert "logs/dev-a.jsonl: 3 record(s)" in out and "This device: this-device" in out


def test_the_status_says_why_a_log_was_not_read_in_full(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dlquiz.commands import sync
    from dlquiz.review_log import MAX_LOG_BYTES

    study_at(home, "dev-a", [0, 1, 2])
    big = home / "logs" / "dev-big.jsonl"
    with big.open("wb") as handle:
        handle.truncate(MAX_LOG_BYTES + 1)  # sparse: no disk used
    crs = home / "logs" / "dev-cr.jsonl"
    crs.write_bytes((home / "logs" / "dev-a.jsonl").read_bytes().replace(b"\n", b"\r"))
    damaged = home / "logs" / "dev-bad.jsonl"
    damaged.write_bytes((home / "logs" / "dev-a.jsonl").read_bytes() + b"{not a record}\n")
    assert sync.run(home, None) == 0
    out = capsys.readouterr().out
    assert "logs/dev-big.jsonl: 0 record(s)" in out and "it was not read" in out
    assert "logs/dev-cr.jsonl: 3 record(s)" in out and "carriage returns" in out
    assert "logs/dev-bad.jsonl: 3 record(s)" in out and "1 damaged line(s) skipped" in out


def test_dlquiz_starting_twice_at_once_on_a_new_machine_agrees_on_one_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.delenv(devices.ENV_DEVICE_ID)
    path = tmp_path / "config" / "device-id"
    with ThreadPoolExecutor(8) as pool:
        ids = set(pool.map(lambda _: devices.device_id(path), range(32)))
    assert len(ids) == 1 and path.read_text().strip() in ids
    assert [p.name for p in path.parent.iterdir()] == ["device-id"]  # no temp file left
