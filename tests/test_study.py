"""The one writer of the study state: every branch of the write path, without the UI."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from dlquiz import records, store
from dlquiz.records import Bury, Flag, Reset, Review, Suspend, Undo
from dlquiz.scheduler import AGAIN, GOOD, REVIEW, CardState
from dlquiz.settings import Settings
from dlquiz.store import LOG_NAME
from dlquiz.study import SaveError, Study
from tests.conftest import T0

CARD = "term/relu/recall"


@pytest.fixture
def study(home: Path) -> Study:
    opened = Study.open(home, with_skills=False, now=T0)
    yield opened  # type: ignore[misc]
    opened.close()


def _log_lines(home: Path) -> list[records.Record]:
    data = (home / LOG_NAME).read_bytes() if (home / LOG_NAME).exists() else b""
    out = []
    for line in data.splitlines():
        rec = records.decode(line)
        assert isinstance(rec, Review | Undo | Suspend | Bury | Flag | Reset)
        out.append(rec)
    return out


def test_an_answer_is_logged_applied_and_queued(study: Study, home: Path) -> None:
    result = study.answer(CARD, study.outcomes(CARD, T0)[GOOD], T0, 1500)
    assert isinstance(result.record, Review) and result.record.card == CARD
    assert not result.leech_made and result.warning is None
    assert study.card_state(CARD) == result.record.after
    assert _log_lines(home) == [result.record]
    assert study.can_undo and study.counts(T0).reviewed_today == 1


@pytest.mark.parametrize("failing", ["write", "fsync"])
def test_a_failed_append_saves_and_applies_nothing(
    study: Study, home: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    study.answer(CARD, study.outcomes(CARD, T0)[GOOD], T0)  # the log file exists
    before = (home / LOG_NAME).read_bytes()
    state_before = study.card_state(CARD)
    real = getattr(os, failing)

    def full(fd: int, *args: object) -> object:
        if fd == study._store.log._fd:  # only the review log's descriptor
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd, *args)

    monkeypatch.setattr(os, failing, full)
    other = "term/sigmoid-function/recall"
    with pytest.raises(SaveError, match="No space left on device"):
        study.answer(other, study.outcomes(other, T0)[GOOD], T0)
    monkeypatch.setattr(os, failing, real)
    assert (home / LOG_NAME).read_bytes() == before  # cut back: nothing half-written
    assert study.card_state(other) is None and study.card_state(CARD) == state_before
    assert study.counts(T0).reviewed_today == 1
    # The next answer goes through normally, and undo still undoes the first one.
    study.answer(other, study.outcomes(other, T0)[GOOD], T0)
    assert len(_log_lines(home)) == 2


def test_a_read_only_study_refuses_writes_with_a_typed_error(home: Path) -> None:
    with Study.open(home, with_skills=False, now=T0) as writer:
        writer.answer(CARD, writer.outcomes(CARD, T0)[GOOD], T0)
    with Study.open(home, with_skills=False, now=T0, read_only=True) as reader:
        with pytest.raises(SaveError):
            reader.answer(CARD, reader.outcomes(CARD, T0)[GOOD], T0)
        with pytest.raises(SaveError):
            reader.mark("flag", CARD, T0, on=True)
        assert len(_log_lines(home)) == 1


def test_a_failed_state_write_warns_once_and_loses_nothing(
    study: Study, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(path: Path, data: bytes) -> None:
        raise OSError(errno.EACCES, "Permission denied", str(path) + ".tmp-random")

    monkeypatch.setattr(store, "atomic_write", refuse)
    study.answer(CARD, study.outcomes(CARD, T0)[GOOD], T0)
    study.flush()
    second = study.answer(CARD, study.outcomes(CARD, T0)[AGAIN], T0)
    study.flush()
    third = study.answer(CARD, study.outcomes(CARD, T0)[GOOD], T0)
    warnings = [w for w in (second.warning, third.warning) if w]
    assert len(warnings) == 1 and "Permission denied" in warnings[0]
    assert ".tmp-random" not in warnings[0]
    monkeypatch.undo()
    study.close()
    assert len(_log_lines(home)) == 3
    with Study.open(home, with_skills=False, now=T0) as again:
        assert again.card_state(CARD) == third.record.after  # type: ignore[union-attr]


def test_the_eighth_lapse_makes_a_leech_and_undo_unmakes_it(home: Path) -> None:
    state = CardState(REVIEW, None, 5.0, 7.0, T0.timestamp(), T0.timestamp() - 5 * 86400, 20, 7)
    # The card is in review with 7 lapses, as a long history would leave it.
    home.mkdir(parents=True)
    history = records.Review(id="h", card=CARD, time=T0, rating=3, before=None, after=state)
    (home / LOG_NAME).write_bytes(records.encode(history))
    with Study.open(home, with_skills=False, now=T0) as study:
        result = study.answer(CARD, study.outcomes(CARD, T0)[AGAIN], T0)
        assert result.leech_made
        assert study.marks_of(CARD).leech and study.marks_of(CARD).suspended
        undone = study.undo(T0)
        assert undone is not None and undone.leech_unmade
        assert not study.marks_of(CARD).leech and not study.marks_of(CARD).suspended
        assert study.card_state(CARD) == state
    kinds = [type(r).__name__ for r in _log_lines(home)]
    assert kinds == ["Review", "Review", "Suspend", "Undo", "Suspend"]


def test_undo_restores_each_state_and_nothing_to_undo_is_none(study: Study) -> None:
    assert study.undo(T0) is None
    first = study.answer(CARD, study.outcomes(CARD, T0)[GOOD], T0).record
    second = study.answer(CARD, study.outcomes(CARD, T0)[AGAIN], T0).record
    assert isinstance(first, Review) and isinstance(second, Review)
    study.undo(T0)
    assert study.card_state(CARD) == first.after
    study.undo(T0)
    assert study.card_state(CARD) is None  # new again
    assert study.undo(T0) is None
    assert study.counts(T0).reviewed_today == 0


@pytest.mark.parametrize(
    ("kind", "fields", "check"),
    [
        ("suspend", {"on": True}, lambda m: m.suspended),
        ("flag", {"on": True}, lambda m: m.flagged),
        ("bury", {}, lambda m: m.buried_until is not None and m.buried_until > T0.timestamp()),
    ],
)
def test_marks(study: Study, kind: str, fields: dict, check: object) -> None:  # type: ignore[type-arg]
    result = study.mark(kind, CARD, T0, **fields)
    assert result.record.card == CARD
    assert check(study.marks_of(CARD))  # type: ignore[operator]


def test_reset_forgets_the_schedule_but_keeps_the_history(study: Study, home: Path) -> None:
    study.answer(CARD, study.outcomes(CARD, T0)[GOOD], T0)
    study.mark("suspend", CARD, T0, on=True)
    study.mark("reset", CARD, T0)
    assert study.card_state(CARD) is None and study.marks_of(CARD).is_default
    assert len(_log_lines(home)) == 3


def test_settings_refused_or_unsaved_change_nothing(
    study: Study, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(SaveError, match="Settings not saved"):
        study.change_settings(Settings().replace(fsrs_parameters=(99.0,) * 21))
    assert study.settings == Settings()

    def refuse(path: Path, data: bytes) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(store, "atomic_write", refuse)
    with pytest.raises(SaveError, match="Read-only file system"):
        study.change_settings(Settings().replace(new_per_day=5))
    assert study.settings.new_per_day == 20 and study.session.settings.new_per_day == 20
    monkeypatch.undo()
    study.change_settings(Settings().replace(new_per_day=5))
    assert study.settings.new_per_day == 5 and study.session.settings.new_per_day == 5
