"""A card state read from disk is one FSRS can schedule, or its record is damaged.

FSRS divides by stability, raises difficulty to a negative power and asserts that a
card in Review or Relearning has both: a log record that broke any of these used to
pass validation and then crash every start at the same card.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from fsrs.scheduler import MAX_DIFFICULTY, MIN_DIFFICULTY, STABILITY_MIN
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlquiz import records
from dlquiz.history import review_record
from dlquiz.scheduler import AGAIN, EASY, GOOD, LEARNING, RELEARNING, REVIEW, CardState, Scheduler
from dlquiz.study import Study
from tests.conftest import LOG_NAME, STATE_NAME, T0

CARD = "term/relu/recall"
DAY = 86400.0
# A card in Review, reviewed at T0 and due a week later: every field sound.
SOUND_STATE = CardState(REVIEW, None, 12.5, 5.2, T0.timestamp() + 7 * DAY, T0.timestamp(), 3, 0)
SOUND: list[object] = list(SOUND_STATE)

# [state, step, stability, difficulty]: shapes FSRS cannot schedule.
BAD_SHAPES = {
    "stability 0": [REVIEW, None, 0.0, 5.0],
    "stability below fsrs's minimum": [REVIEW, None, STABILITY_MIN / 2, 5.0],
    "difficulty 0": [REVIEW, None, 12.5, 0.0],
    "difficulty above fsrs's maximum": [REVIEW, None, 12.5, MAX_DIFFICULTY + 0.5],
    "review without stability": [REVIEW, None, None, 5.0],
    "review without difficulty": [REVIEW, None, 12.5, None],
    "relearning without stability": [RELEARNING, 0, None, 5.0],
    "relearning without difficulty": [RELEARNING, 0, 12.5, None],
    "relearning without step": [RELEARNING, None, 12.5, 5.0],
}

# Shapes FSRS handles: they must stay valid.
GOOD_SHAPES = {
    "new card in learning": [LEARNING, 0, None, None],
    "learning without step (fsrs starts it at 0)": [LEARNING, None, None, None],
    "learning after a first answer": [LEARNING, 1, 2.3, 5.1],
    "smallest stability, easiest card": [REVIEW, None, STABILITY_MIN, MIN_DIFFICULTY],
    "hardest card": [REVIEW, None, 40.0, MAX_DIFFICULTY],
    "relearning": [RELEARNING, 0, 1.5, 8.0],
}


def _state(shape: list[object]) -> list[object]:
    return [*shape, *SOUND[4:]]


def _review_line(after: list[object], before: list[object] | None = None, at: float = 0) -> bytes:
    """A review of CARD ``at`` seconds after T0, its states written in by hand (as an edit)."""
    data = json.loads(records.encode(review_record(CARD, GOOD, T0, None, SOUND_STATE)))
    data.update(after=after, before=before, time=(T0 + timedelta(seconds=at)).isoformat())
    return json.dumps(data).encode()


@pytest.mark.parametrize("shape", BAD_SHAPES.values(), ids=BAD_SHAPES.keys())
@pytest.mark.parametrize("where", ["after", "before"])
def test_an_unschedulable_state_makes_the_line_damaged(shape: list[object], where: str) -> None:
    states = {"after": SOUND, "before": SOUND, where: _state(shape)}
    assert records.decode(_review_line(states["after"], states["before"])) is None


@pytest.mark.parametrize("shape", BAD_SHAPES.values(), ids=BAD_SHAPES.keys())
def test_an_unschedulable_state_in_undo_or_credit_is_damaged(shape: list[object]) -> None:
    base = {"v": 1, "card": CARD, "time": T0.isoformat(), "id": "a" * 32}
    undo = {**base, "type": "undo", "undoes": "b" * 32, "restore": SOUND}
    credit = {**base, "type": "implicit", "source": "b" * 32, "weight": 0.5}
    credit.update(before=SOUND, after=SOUND)
    for record, field in ((undo, "restore"), (credit, "before"), (credit, "after")):
        assert records.decode(json.dumps(record).encode()) is not None, field
        bad = json.dumps({**record, field: _state(shape)}).encode()
        assert records.decode(bad) is None, field


@pytest.mark.parametrize("shape", GOOD_SHAPES.values(), ids=GOOD_SHAPES.keys())
def test_a_schedulable_state_is_kept(shape: list[object]) -> None:
    record = records.decode(_review_line(_state(shape)))
    assert isinstance(record, records.Review)
    assert list(record.after) == _state(shape)


@pytest.mark.parametrize("shape", BAD_SHAPES.values(), ids=BAD_SHAPES.keys())
def test_a_folder_with_such_a_record_opens_and_schedules_the_card(
    home: Path, shape: list[object]
) -> None:
    """The audit's case: a sound review, then a hand-edited one that FSRS cannot use."""
    log = home / LOG_NAME
    log.parent.mkdir(parents=True)
    bad = _review_line(_state(shape), SOUND, at=DAY)
    content = _review_line(SOUND) + b"\n" + bad + b"\n"
    log.write_bytes(content)
    later = T0 + timedelta(days=30)
    for start in range(2):  # rebuilt from the log (told once), then from the state file
        with Study.open(home, with_skills=False, now=later) as study:
            told = any("damaged line(s)" in n and "(lines 2)" in n for n in study.notices)
            assert told == (start == 0), study.notices
            assert study.card_state(CARD) == SOUND_STATE  # the sound review's state
            assert set(study.outcomes(CARD, later)) == {1, 2, 3, 4}
            assert 0 < (study.retrievability(CARD, later) or 0) < 1
    assert log.read_bytes() == content  # the damaged line is kept on disk


@pytest.mark.parametrize("shape", [[REVIEW, None, None, 5.2], [RELEARNING, None, 12.5, 5.2]])
def test_a_state_file_card_fsrs_cannot_review_is_rebuilt_from_the_log(
    home: Path, shape: list[object]
) -> None:
    """The state file is derived from the logs: a hand-edited card in it that FSRS could
    not review makes the file damaged, and the state is rebuilt from the logs."""
    log = home / LOG_NAME
    log.parent.mkdir(parents=True)
    log.write_bytes(_review_line(SOUND) + b"\n")
    later = T0 + timedelta(days=30)
    with Study.open(home, with_skills=False, now=later):
        pass  # the state file written
    saved = json.loads((home / STATE_NAME).read_text())
    saved["cards"][CARD] = _state(shape)
    (home / STATE_NAME).write_text(json.dumps(saved))
    with Study.open(home, with_skills=False, now=later) as study:
        assert study.card_state(CARD) == SOUND_STATE  # the log's, not the edit's
        assert set(study.outcomes(CARD, later)) == {1, 2, 3, 4}


# ----- what the real scheduler produces stays valid --------------------------------------

_answers = st.lists(
    st.tuples(
        st.integers(AGAIN, EASY),
        # when the answer comes, in seconds from the due time: up to 30 days early or 40 years late
        st.one_of(st.floats(-30 * DAY, 0), st.floats(0, 40 * 365 * DAY)),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    answers=_answers,
    retention=st.floats(0.7, 0.99),
    learning=st.sampled_from([(), (1,), (1, 10), (1, 10, 60)]),
    relearning=st.sampled_from([(), (10,), (10, 60)]),
)
def test_every_state_the_scheduler_produces_is_accepted(
    answers: list[tuple[int, float]],
    retention: float,
    learning: tuple[int, ...],
    relearning: tuple[int, ...],
) -> None:
    scheduler = Scheduler(
        desired_retention=retention,
        learning_steps=tuple(timedelta(minutes=m) for m in learning),
        relearning_steps=tuple(timedelta(minutes=m) for m in relearning),
    )
    state: CardState | None = None
    now = T0
    for rating, late in answers:
        if state is not None:
            # never before the last answer: time only goes forward
            now = max(now, state.due_at + timedelta(seconds=late))
        after = scheduler.outcomes(state, now)[rating].state
        line = records.encode(review_record(CARD, rating, now, state, after)).rstrip(b"\n")
        decoded = records.decode(line)
        assert isinstance(decoded, records.Review), after
        assert (decoded.before, decoded.after) == (state, after)
        state = after
