""" "N of M cards started" on the home screen: kept by the study as it writes.

``Study.started`` counts the deck's cards that have a state once, then each write
adjusts it. Whatever the writes (answers, undos, resets, marks) and reopenings, it
must equal the count made from scratch.
"""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlquiz.history import review_record
from dlquiz.records import encode
from dlquiz.scheduler import GOOD, Scheduler
from dlquiz.study import Study
from tests.conftest import LOG_NAME, T0

POOL = 6  # cards of the deck the writes go to
OPS = st.sampled_from(["answer", "answer", "undo", "reset", "suspend", "reopen", "reset gone"])
GONE = "term/no-such-deck-card/recall"


def _from_scratch(study: Study) -> int:
    return sum(1 for card_id in study.cards if card_id in study.deck)


def _gone_card(home: Path) -> None:
    """A review of a card no deck has (a deck removed since): never counted."""
    after = Scheduler().outcomes(None, T0)[GOOD].state
    record = review_record(GONE, GOOD, T0, None, after)
    (home / LOG_NAME).parent.mkdir(parents=True, exist_ok=True)
    (home / LOG_NAME).write_bytes(encode(record))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(st.tuples(OPS, st.integers(0, POOL - 1)), min_size=1, max_size=25))
def test_started_equals_the_count_from_scratch(ops: list[tuple[str, int]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "data"
        _gone_card(home)
        now = T0
        study = Study.open(home, with_skills=False, now=now)
        try:
            cards = sorted(study.deck)[:POOL]
            assert study.started() == _from_scratch(study) == 0
            for op, index in ops:
                now += timedelta(minutes=3)
                card = cards[index]
                if op == "answer":
                    study.answer(card, study.outcomes(card, now)[GOOD], now)
                elif op == "undo":
                    study.undo(now)
                elif op == "reset":
                    study.mark("reset", card, now)
                elif op == "reset gone":  # a card outside the deck made new: no change
                    study.mark("reset", GONE, now)
                elif op == "suspend":
                    study.mark("suspend", card, now, on=not study.marks_of(card).suspended)
                else:
                    study.close()
                    study = Study.open(home, with_skills=False, now=now)
                    study.started()  # counted now: the writes that follow adjust it
                assert study.started() == _from_scratch(study), (op, card)
        finally:
            study.close()
