"""Undo is a stack of every action of the session: answers and marks, newest first."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dlquiz import records
from dlquiz.records import Bury, Flag, Reset, Review, Suspend, Undo
from dlquiz.scheduler import AGAIN, GOOD, REVIEW, CardState
from dlquiz.store import LOG_NAME
from dlquiz.study import SaveError, Study
from tests.conftest import T0

CARD = "term/relu/recall"
OTHER = "term/sigmoid-function/recall"


@pytest.fixture
def study(home: Path) -> Iterator[Study]:
    opened = Study.open(home, with_skills=False, now=T0)
    yield opened
    opened.close()


def _log(home: Path) -> list[records.Record]:
    out = []
    for line in (home / LOG_NAME).read_bytes().splitlines():
        rec = records.decode(line)
        assert isinstance(rec, Review | Undo | Suspend | Bury | Flag | Reset)
        out.append(rec)
    return out


def test_marks_and_answers_are_undone_newest_first(study: Study, home: Path) -> None:
    study.answer(CARD, study.outcomes(CARD, T0)[GOOD], T0)
    study.mark("flag", OTHER, T0, on=True)
    study.mark("bury", OTHER, T0)
    study.mark("suspend", CARD, T0, on=True)
    assert study.undo_label == "suspend"
    study.undo(T0)
    assert not study.marks_of(CARD).suspended and study.undo_label == "bury"
    study.undo(T0)
    assert study.marks_of(OTHER).buried_until is None and study.marks_of(OTHER).flagged
    assert study.undo_label == "flag"
    study.undo(T0)
    assert study.marks_of(OTHER).is_default and study.undo_label == "answer"
    study.undo(T0)
    assert study.card_state(CARD) is None and study.undo(T0) is None
    kinds = [(type(r).__name__, getattr(r, "on", getattr(r, "until", "-"))) for r in _log(home)]
    assert kinds[4:] == [("Suspend", False), ("Bury", None), ("Flag", False), ("Undo", "-")]


def test_undoing_a_mark_restores_what_was_there_not_the_opposite(study: Study) -> None:
    study.mark("flag", CARD, T0, on=True)
    study.mark("flag", CARD, T0, on=True)  # flagged again: nothing changed
    study.undo(T0)
    assert study.marks_of(CARD).flagged  # still flagged, as before the second flag
    study.mark("suspend", CARD, T0, on=True)
    study.mark("suspend", CARD, T0, on=False)
    study.undo(T0)
    assert study.marks_of(CARD).suspended


def test_an_undone_bury_brings_the_card_back_first(study: Study) -> None:
    card = study.next_card(T0)
    assert card is not None
    study.mark("bury", card.id, T0)
    assert study.next_card(T0) != card
    study.undo(T0)
    assert study.next_card(T0) == card


def test_undoing_a_reset_restores_state_and_marks(home: Path) -> None:
    state = CardState(REVIEW, None, 5.0, 7.0, T0.timestamp(), T0.timestamp() - 5 * 86400, 20, 8)
    home.mkdir(parents=True)
    history = records.Review(id="h", card=CARD, time=T0, rating=3, before=None, after=state)
    leech = records.Suspend(id="s", card=CARD, time=T0, on=True, reason="leech")
    (home / LOG_NAME).write_bytes(records.encode(history) + records.encode(leech))
    with Study.open(home, with_skills=False, now=T0) as study:
        study.mark("bury", CARD, T0)
        study.mark("reset", CARD, T0)
        assert study.card_state(CARD) is None and study.marks_of(CARD).is_default
        result = study.undo(T0)
        assert result is not None and not result.leech_made  # said when it was made, not now
        assert study.card_state(CARD) == state
        marks = study.marks_of(CARD)
        assert marks.suspended and marks.leech and marks.buried_until is not None
        assert study.undo_label == "bury"
    # The same after a restart: the inverse records are in the log.
    with Study.open(home, with_skills=False, now=T0) as again:
        assert again.card_state(CARD) == state and again.marks_of(CARD).leech


def test_a_failed_undo_keeps_the_action_on_the_stack(
    study: Study, monkeypatch: pytest.MonkeyPatch
) -> None:
    study.mark("suspend", CARD, T0, on=True)

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(study._store, "append", refuse)
    with pytest.raises(SaveError):
        study.undo(T0)
    assert study.marks_of(CARD).suspended and study.undo_label == "suspend"
    monkeypatch.undo()
    study.undo(T0)
    assert not study.marks_of(CARD).suspended and not study.can_undo


def test_a_leech_made_by_an_answer_is_undone_with_the_answer(home: Path) -> None:
    state = CardState(REVIEW, None, 5.0, 7.0, T0.timestamp(), T0.timestamp() - 5 * 86400, 20, 7)
    home.mkdir(parents=True)
    history = records.Review(id="h", card=CARD, time=T0, rating=3, before=None, after=state)
    (home / LOG_NAME).write_bytes(records.encode(history))
    with Study.open(home, with_skills=False, now=T0) as study:
        assert study.answer(CARD, study.outcomes(CARD, T0)[AGAIN], T0).leech_made
        assert study.undo_label == "answer"  # the leech suspend is not a step of its own
        assert study.undo(T0) is not None
        assert not study.marks_of(CARD).suspended and not study.can_undo


def test_card_history_lists_reviews_that_count(study: Study) -> None:
    assert study.card_history(CARD) == []
    first = study.answer(CARD, study.outcomes(CARD, T0)[GOOD], T0, 2000, {"answer": "x"})
    second = study.answer(CARD, study.outcomes(CARD, T0)[AGAIN], T0)
    assert study.card_history(CARD) == [first.record, second.record]
    study.undo(T0)
    assert study.card_history(CARD) == [first.record]
    third = study.answer(CARD, study.outcomes(CARD, T0)[GOOD], T0)
    assert study.card_history(CARD) == [first.record, third.record]
    assert study.card_history(OTHER) == []
