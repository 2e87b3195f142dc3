"""The due-review count kept record by record equals a count made from scratch.

``Session.counts`` keeps the set of due review cards and updates it per record
(dlquiz.due_reviews) instead of walking every due card on each card shown. After every
kind of change — answers of each rating, undo, bury, suspend, flag, reset, skip,
custom study, settings — the kept count must equal the one rebuilt from the heap.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

from dlquiz.scheduler import EASY, GOOD, REVIEW
from dlquiz.study import Study
from tests.conftest import T0

LATER = T0 + timedelta(days=60)  # every card answered Easy at T0 is due by then


def _studied(home: Path, n: int) -> list[str]:
    """``n`` term cards (recall and name of the same terms: siblings) made review cards."""
    study = Study.open(home, with_skills=False, now=T0)
    terms = sorted({cid.split("/")[1] for cid in study.deck if cid.startswith("term/")})
    cards = [f"term/{t}/{kind}" for t in terms[: n // 2] for kind in ("recall", "name")]
    for i, card in enumerate(cards):
        at = T0 + timedelta(seconds=i)
        study.answer(card, study.outcomes(card, at)[EASY], at)
    study.close()
    return cards


def _check(study: Study, now: datetime) -> None:
    kept = study.counts(now).due
    study.session._due.reset()  # rebuilt by walking the review heap
    assert study.counts(now).due == kept


def test_kept_count_equals_a_fresh_count_after_every_kind_of_change(home: Path) -> None:
    cards = _studied(home, 40)
    study = Study.open(home, with_skills=False, now=LATER)
    due_at_start = study.counts(LATER).due
    assert sum(1 for c in cards if study.card_state(c).state == REVIEW) == len(cards)
    assert due_at_start >= len(cards) // 2  # siblings hide each other only once answered
    rng = random.Random(5)
    now = LATER
    for _ in range(160):
        now += timedelta(seconds=30)
        card = rng.choice(cards)
        roll = rng.random()
        if roll < 0.45:
            study.answer(card, study.outcomes(card, now)[rng.choice([1, 2, 3, 4])], now)
        elif roll < 0.6 and study.can_undo:
            study.undo(now)
        elif roll < 0.68:
            study.mark("bury", card, now)
        elif roll < 0.74:
            study.mark("suspend", card, now, on=rng.random() < 0.6)
        elif roll < 0.78:
            study.mark("flag", card, now, on=rng.random() < 0.5)
        elif roll < 0.82:
            study.mark("reset", card, now)
        elif roll < 0.86:
            study.skip(card)
        elif roll < 0.9:
            study.focus(rng.sample(cards, 5))
            _check(study, now)
            study.end_focus()
        elif roll < 0.95:
            settings = study.settings.replace(
                bury_siblings=rng.random() < 0.5, max_reviews_per_day=rng.choice([5, 50, 500])
            )
            study.change_settings(settings)
        _check(study, now)
    # The next day: a new set, still equal to a fresh count.
    _check(study, now + timedelta(days=1))


def test_an_answer_hides_its_siblings_from_the_count(home: Path) -> None:
    cards = _studied(home, 4)  # two terms: recall and name of each
    study = Study.open(home, with_skills=False, now=LATER)
    assert study.settings.bury_siblings
    assert study.counts(LATER).due == 4
    recall = cards[0]
    study.answer(recall, study.outcomes(recall, LATER)[GOOD], LATER)
    # Answered (now due in days) and its name card hidden for the day: two fewer.
    assert study.counts(LATER).due == 2
    study.undo(LATER)
    assert study.counts(LATER).due == 4
