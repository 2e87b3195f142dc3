"""What the session keeps per record equals what a walk from scratch finds.

The progress line's counts and the next card used to walk every due card on each card
shown; at 100k cards that was most of a keypress. Now the due learning cards are kept
record by record (``due_reviews.DueLearning``), the next learning card is taken off the
top of the heap, today's reviews of old cards and the cards answered per sibling key are
counted as answers come. Each is checked here against the walk it replaced, after every
kind of change, with the clock moving on so that learning cards come due between checks.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

from dlquiz.order import Siblings, sibling_key
from dlquiz.scheduler import AGAIN, EASY, GOOD, HARD, LEARNING, REVIEW
from dlquiz.session import LEARN_AHEAD, Session
from dlquiz.study import Study
from tests.conftest import T0

LATER = T0 + timedelta(days=60)


def _studied(home: Path, n: int) -> list[str]:
    """``n`` cards (recall and name cards of terms, and concepts) answered once at T0."""
    study = Study.open(home, with_skills=False, now=T0)
    terms = sorted({cid.split("/")[1] for cid in study.deck if cid.startswith("term/")})
    concepts = sorted(cid for cid in study.deck if cid.startswith("concept/"))
    cards = [f"term/{t}/{kind}" for t in terms[: n // 3] for kind in ("recall", "name")]
    cards += concepts[: n - len(cards)]
    rng = random.Random(1)
    for i, card in enumerate(cards):
        at = T0 + timedelta(seconds=i)
        study.answer(card, study.outcomes(card, at)[rng.choice([AGAIN, GOOD, EASY])], at)
    study.close()
    return cards


def _walked_due(session: Session, now: datetime) -> int:
    """``Counts.due`` as it was computed before: by walking both heaps."""
    end = session.day_end.timestamp()
    soon = (now + LEARN_AHEAD).timestamp()
    learning = len(session._due_in(session._learning, soon, False, len(session._learning)))
    if session._focus is not None:
        left = sum(
            1 for c in session._focus if c not in session._focus_done and session._available(c)
        )
        return left + learning
    reviews = len(session._due_in(session._review, end, True, len(session._review)))
    return min(reviews, session._reviews_left()) + learning


def _walked_pick(session: Session, ts: float) -> tuple[str | None, str | None]:
    """The earliest due learning card, and the earliest not answered just before."""
    due = session._due_in(session._learning, ts, False, len(session._learning))
    ordered = sorted((session.cards[c].due, c) for c in due)
    first = ordered[0][1] if ordered else None
    fresh = next((c for _, c in ordered if c not in session._recent), None)
    return first, fresh


def _check(study: Study, now: datetime) -> None:
    session = study.session
    kept = study.counts(now)  # rolls the day and the clock the walks below use
    assert kept.due == _walked_due(session, now)
    assert session._first_learning(now.timestamp()) == _walked_pick(session, now.timestamp())
    today = session.today
    assert today.old_reviewed == sum(1 for r in today.reviews if r.before is not None)
    if session._siblings is not None:
        by_key: dict[str, set[str]] = {}
        for review in today.reviews:
            spec = session.deck.get(review.card)
            key = sibling_key(spec) if spec is not None else None
            if key is not None:
                by_key.setdefault(key, set()).add(review.card)
        assert session._siblings == by_key


def test_kept_counts_and_picks_equal_the_walks_after_every_kind_of_change(home: Path) -> None:
    cards = _studied(home, 45)
    study = Study.open(home, with_skills=False, now=LATER)
    assert any(study.card_state(c).state == REVIEW for c in cards)
    rng = random.Random(9)
    now = LATER
    seen_learning = 0
    for step in range(400):
        # Seconds to a quarter of an hour: learning steps come due between checks.
        now += timedelta(seconds=rng.choice([5, 40, 200, 600, 900]))
        if step == 250:
            now += timedelta(days=1)  # a new study day: everything rebuilt
        card = rng.choice(cards)
        roll = rng.random()
        if roll < 0.4:
            rating = rng.choice([AGAIN, AGAIN, HARD, GOOD, EASY])
            study.answer(card, study.outcomes(card, now)[rating], now)
        elif roll < 0.47:
            shown = study.next_card(now)
            if shown is not None:
                study.answer(shown.id, study.outcomes(shown.id, now)[GOOD], now)
        elif roll < 0.57 and study.can_undo:
            study.undo(now)
        elif roll < 0.62:
            study.mark("bury", card, now)  # until the day ends
        elif roll < 0.67:
            # A bury that ends within the day, with no record when it does.
            until = (now + timedelta(seconds=rng.choice([30, 300, 1200]))).timestamp()
            study.mark("bury", card, now, until=until)
        elif roll < 0.72:
            study.mark("suspend", card, now, on=rng.random() < 0.6)
        elif roll < 0.75:
            study.mark("flag", card, now, on=rng.random() < 0.5)
        elif roll < 0.78:
            study.mark("reset", card, now)
        elif roll < 0.82:
            study.skip(card)
        elif roll < 0.86:
            study.focus(rng.sample(cards, 6))
            _check(study, now)
            study.end_focus()
        elif roll < 0.9:
            settings = study.settings.replace(
                bury_siblings=rng.random() < 0.5, max_reviews_per_day=rng.choice([5, 50, 500])
            )
            study.change_settings(settings)
        _check(study, now)
        seen_learning += sum(
            1 for c in cards if (s := study.card_state(c)) is not None and s.state == LEARNING
        )
    assert seen_learning > 0  # the learning queue was exercised


def test_a_bury_that_ends_within_the_day_counts_its_card_again(home: Path) -> None:
    cards = _studied(home, 9)
    study = Study.open(home, with_skills=False, now=T0 + timedelta(hours=1))
    now = T0 + timedelta(hours=1)
    learning = [c for c in cards if study.card_state(c).state != REVIEW]
    assert learning, "AGAIN at T0 left some cards learning"
    before = study.counts(now).due
    study.mark("bury", learning[0], now, until=(now + timedelta(minutes=5)).timestamp())
    assert study.counts(now).due == before - 1
    later = now + timedelta(minutes=6)
    assert study.counts(later).due == _walked_due(study.session, later) == before


def test_siblings_by_id_equal_siblings_by_key(home: Path) -> None:
    study = Study.open(home, now=T0)  # with the question families' levels
    deck = study.deck
    by_key: dict[str, set[str]] = {}
    for spec in deck.values():
        key = sibling_key(spec)
        if key is not None:
            by_key.setdefault(key, set()).add(spec.id)
    siblings = Siblings(deck)
    for card_id, spec in deck.items():
        key = sibling_key(spec)
        found = siblings.of(card_id)
        assert found[0] == card_id
        assert set(found) == (by_key[key] if key is not None else {card_id})
        assert len(found) == len(set(found))
