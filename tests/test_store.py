"""The state on disk: durable appends, atomic writes, recovery, the lock."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from dlquiz.history import review_record, undo_record
from dlquiz.scheduler import GOOD, Scheduler, shifted
from dlquiz.store import (
    AlreadyRunning,
    Store,
    StoreError,
    atomic_write,
)
from tests.conftest import LOG_NAME, STATE_NAME, T0, OwnedStore


def _review(store: Store, card: str, minutes: int = 0) -> dict[str, object]:
    """Answer ``card`` Good at T0 + minutes and record it like the app does."""
    at = T0 + timedelta(minutes=minutes)
    before = store.cards.get(card)
    outcome = Scheduler().outcomes(before, at)[GOOD]
    record = review_record(card, GOOD, at, before, shifted(outcome, at))
    store.append(record)
    store.cards[card] = shifted(outcome, at)
    return record


def _fill(home: Path, n: int) -> dict[str, object]:
    with OwnedStore(home) as store:
        for i in range(n):
            _review(store, f"term/t{i % 7}/recall", minutes=i)
        return dict(store.cards)


def test_reviews_survive_a_restart(home: Path) -> None:
    cards = _fill(home, 12)
    with OwnedStore(home) as again:
        assert again.cards == cards
        assert again.notices == []


def test_atomic_write_keeps_the_old_file_if_the_write_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "state.json"
    target.write_bytes(b"old")

    def boom(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        atomic_write(target, b"new")
    assert target.read_bytes() == b"old"
    assert list(tmp_path.iterdir()) == [target]  # no temp file left behind


def test_atomic_write_replaces(tmp_path: Path) -> None:
    target = tmp_path / "x.json"
    atomic_write(target, b"one")
    atomic_write(target, b"two")
    assert target.read_bytes() == b"two"


@pytest.mark.parametrize(
    "garbage",
    [
        b"",
        b"{not json",
        b'{"schema_version": 1}',
        b"[1, 2]",
        b'{"schema_version": 1, "log_size": 0, "cards": {"a": [1, 2]}}',
        b"\xff\xfe\x00",
    ],
)
def test_damaged_state_is_rebuilt_from_the_log(home: Path, garbage: bytes) -> None:
    cards = _fill(home, 20)
    (home / STATE_NAME).write_bytes(garbage)
    with OwnedStore(home) as store:
        assert store.cards == cards  # zero reviews lost
        assert any("damaged" in n and "rebuilt" in n for n in store.notices)
    kept = list(home.glob(f"{STATE_NAME}.damaged-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == garbage
    # and the rebuilt file is good again: no notice on the next start
    with OwnedStore(home) as store:
        assert store.notices == [] and store.cards == cards


def test_missing_state_is_rebuilt(home: Path) -> None:
    cards = _fill(home, 5)
    (home / STATE_NAME).unlink()
    with OwnedStore(home) as store:
        assert store.cards == cards
        assert any("missing" in n for n in store.notices)


def test_state_behind_the_log_catches_up(home: Path) -> None:
    """A crash after the append but before the state write loses nothing."""
    _fill(home, 3)
    stale = (home / STATE_NAME).read_bytes()
    cards = _fill(home, 6)  # more reviews; then pretend the state write never happened
    (home / STATE_NAME).write_bytes(stale)
    with OwnedStore(home) as store:
        assert store.cards == cards
        assert store.notices == []


def test_state_claiming_a_longer_log_is_rebuilt(home: Path) -> None:
    cards = _fill(home, 4)
    data = json.loads((home / STATE_NAME).read_text())
    data["sources"][LOG_NAME][0] += 10_000
    (home / STATE_NAME).write_text(json.dumps(data))
    with OwnedStore(home) as store:
        assert store.cards == cards
        assert store.notices


def test_half_written_last_line_is_tolerated_and_reported(home: Path) -> None:
    cards = _fill(home, 5)
    log = home / LOG_NAME
    with log.open("ab") as handle:
        handle.write(b'{"v":1,"type":"review","card":"term/x/rec')  # killed mid-write
    with OwnedStore(home) as store:
        assert store.cards == cards
        assert any("half-written" in n for n in store.notices)
        _review(store, "term/after/recall", minutes=100)  # the next append is clean
    kept = list(home.glob(f"{LOG_NAME}.partial-*"))
    assert kept and kept[0].read_bytes().startswith(b'{"v":1')
    (home / STATE_NAME).unlink()
    with OwnedStore(home) as store:
        assert "term/after/recall" in store.cards
        assert not any("damaged line" in n for n in store.notices)


def test_damaged_middle_line_is_skipped_and_reported(home: Path) -> None:
    _fill(home, 3)
    log = home / LOG_NAME
    lines = log.read_bytes().splitlines(keepends=True)
    lines.insert(1, b"this is not json\n")
    log.write_bytes(b"".join(lines))
    (home / STATE_NAME).unlink()
    with OwnedStore(home) as store:
        assert len(store.cards) == 3
        assert any("damaged line" in n and "2" in n for n in store.notices)


def test_undo_is_replayed(home: Path) -> None:
    with OwnedStore(home) as store:
        _review(store, "term/a/recall")
        first = dict(store.cards)
        rec = _review(store, "term/a/recall", minutes=5)
        store.append(undo_record(rec, T0 + timedelta(minutes=6)))
    (home / STATE_NAME).unlink()
    with OwnedStore(home) as store:
        assert store.cards == first


def test_undo_of_a_new_card_forgets_it(home: Path) -> None:
    with OwnedStore(home) as store:
        rec = _review(store, "term/a/recall")
        store.append(undo_record(rec, T0))
    (home / STATE_NAME).unlink()
    with OwnedStore(home) as store:
        assert store.cards == {}


def test_second_instance_is_refused(home: Path) -> None:
    with OwnedStore(home), pytest.raises(AlreadyRunning, match="already running"):
        OwnedStore(home).open()
    with OwnedStore(home):  # released on close
        pass


def test_second_process_exits_with_a_clear_message(home: Path) -> None:
    # In a terminal (a pseudo-terminal here): without one the app stops before the lock.
    keys, terminal = os.openpty()
    try:
        with OwnedStore(home):
            proc = subprocess.run(
                [sys.executable, "-m", "dlquiz", "--data-dir", str(home)],
                capture_output=True,
                text=True,
                timeout=60,
                stdin=terminal,
            )
    finally:
        os.close(keys)
        os.close(terminal)
    assert proc.returncode == 2
    assert "already running" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_state_from_a_newer_version_is_not_touched(home: Path) -> None:
    _fill(home, 2)
    path = home / STATE_NAME
    data = json.loads(path.read_text())
    data["schema_version"] = 99
    path.write_text(json.dumps(data))
    with pytest.raises(StoreError, match="newer dlquiz"):
        OwnedStore(home).open()
    assert json.loads(path.read_text())["schema_version"] == 99
    # the lock was released after the failure: a second try fails the same way
    with pytest.raises(StoreError, match="newer dlquiz"):
        OwnedStore(home).open()


def test_damaged_settings_fall_back_to_defaults(home: Path) -> None:
    home.mkdir(parents=True)
    (home / "settings.json").write_text('{"desired_retention": 7}')
    with OwnedStore(home) as store:
        assert store.settings.desired_retention == 0.9
        assert any("settings.json" in n for n in store.notices)
    assert list(home.glob("settings.json.damaged-*"))


def test_settings_round_trip(home: Path) -> None:
    with OwnedStore(home) as store:
        store.save_settings(store.settings.replace(new_per_day=7))
    with OwnedStore(home) as store:
        assert store.settings.new_per_day == 7


def test_async_state_save_is_written_by_close(home: Path) -> None:
    with OwnedStore(home) as store:
        _review(store, "term/a/recall")
        store.save_state_async()
        store.flush()
        assert store.writer_error is None
        saved = json.loads((home / STATE_NAME).read_text())
        assert "term/a/recall" in saved["cards"]
        assert saved["sources"][LOG_NAME][0] == (home / LOG_NAME).stat().st_size


def test_records_since_reads_only_the_recent_tail(home: Path) -> None:
    with OwnedStore(home) as store:
        for i in range(10):
            _review(store, f"term/t{i}/recall", minutes=60 * i)
        recent = store.records_since(T0 + timedelta(hours=7))
    assert [r.card for r in recent] == ["term/t7/recall", "term/t8/recall", "term/t9/recall"]


def test_unwritable_folder_gives_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot create"):
        OwnedStore(blocker / "data").open()


def test_marks_persist_and_are_rebuilt_from_the_log(home: Path) -> None:
    from dlquiz.history import Marks, mark_record

    with OwnedStore(home) as store:
        _review(store, "term/a/recall")
        for rec in (
            mark_record("flag", "term/a/recall", T0, on=True),
            mark_record("suspend", "term/b/recall", T0, on=True, reason="leech"),
        ):
            store.append(rec)  # the owner applies it
        expected = dict(store.marks)
    assert expected["term/a/recall"] == Marks(flagged=True)
    with OwnedStore(home) as store:
        assert store.marks == expected
    (home / STATE_NAME).unlink()
    with OwnedStore(home) as store:
        assert store.marks == expected


def test_read_only_open_works_beside_a_running_instance(home: Path) -> None:
    cards = _fill(home, 4)
    with OwnedStore(home), OwnedStore(home, read_only=True) as reader:  # the app holds the lock
        assert reader.cards == cards
        with pytest.raises(StoreError, match="read-only"):
            reader.append({"type": "review"})
    (home / STATE_NAME).write_text("garbage")
    with OwnedStore(home, read_only=True) as reader:
        assert reader.cards == cards
    assert (home / STATE_NAME).read_text() == "garbage"  # a reader never repairs or moves files


def test_out_of_range_fsrs_parameters_fall_back_to_defaults(home: Path) -> None:
    from dlquiz.study import Study

    home.mkdir(parents=True)
    (home / "settings.json").write_text(json.dumps({"fsrs_parameters": [99.0] * 21}))
    workspace = Study.open(home, with_skills=False)
    try:
        assert workspace.settings.fsrs_parameters is None
        assert any("FSRS parameters were refused" in n for n in workspace.notices)
    finally:
        workspace.close()
    assert json.loads((home / "settings.json").read_text())["fsrs_parameters"] == [99.0] * 21


def test_undo_in_the_logs_tail_after_a_saved_state(home: Path) -> None:
    """The review is covered by state.json, its undo only by the log: still undone."""
    with OwnedStore(home) as store:
        _review(store, "term/a/recall")
        first = dict(store.cards)
        rec = _review(store, "term/a/recall", minutes=5)
    with OwnedStore(home) as store:  # state.json now reflects both reviews
        store.append(undo_record(rec, T0 + timedelta(minutes=6)))
        state_before_crash = (home / STATE_NAME).read_bytes()
    (home / STATE_NAME).write_bytes(state_before_crash)  # as if killed before saving
    with OwnedStore(home) as store:
        assert store.cards == first


def test_a_failed_append_never_reaches_the_log(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dlquiz.store import ReviewLog

    (home / LOG_NAME).parent.mkdir(parents=True)
    log = ReviewLog(home / LOG_NAME)
    log.append({"n": 1})
    real_fsync = os.fsync

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError):
        log.append({"n": 2})
    monkeypatch.setattr(os, "fsync", real_fsync)
    log.append({"n": 3})
    log.close()
    lines = [json.loads(x) for x in (home / LOG_NAME).read_text().splitlines()]
    assert lines == [{"n": 1}, {"n": 3}]


def test_complete_last_record_missing_only_its_newline_is_kept(home: Path) -> None:
    _fill(home, 2)
    log = home / LOG_NAME
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join(lines)[:-1])  # drop the final newline only
    (home / STATE_NAME).unlink()
    with OwnedStore(home) as store:
        assert len(store.cards) == 2
        assert store.notices == [] or all("half-written" not in n for n in store.notices)
    assert log.read_bytes().endswith(b"\n")


def test_damaged_lines_are_reported_by_line_number(home: Path) -> None:
    _fill(home, 3)
    log = home / LOG_NAME
    lines = log.read_bytes().splitlines(keepends=True)
    lines[1] = b'{"type": "review", "card": "x"}\n'  # valid JSON, not a valid review
    lines.insert(2, b"garbage\n")
    log.write_bytes(b"".join(lines))
    (home / STATE_NAME).unlink()
    with OwnedStore(home) as store:
        assert any("lines 2, 3" in n for n in store.notices), store.notices


def test_a_folder_in_place_of_the_log_is_a_clear_error(home: Path) -> None:
    (home / LOG_NAME).mkdir(parents=True)
    with pytest.raises(StoreError, match="is not a regular file"):
        OwnedStore(home).open()


def test_stray_temp_files_of_a_killed_write_are_removed(home: Path) -> None:
    _fill(home, 1)
    stray = home / ".state.json.abc123.tmp"
    stray.write_text("half")
    with OwnedStore(home):
        pass
    assert not stray.exists()
    assert (home / STATE_NAME).exists()
