"""The card figures (mastery, forecast, cards studied) from one pass over the card states.

``compute`` groups a deck's cards once per deck and skips the study day of due times
surely outside the forecast; here they are checked against the reference written
from the definitions (tests/test_speed_screens_stats.py) right at those bounds.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

import pytest

from dlquiz.cards import CardSpec, Kind
from dlquiz.scheduler import CardState
from dlquiz.stats import compute
from tests.test_speed_screens_stats import ZONES, _reference


def _deck(n: int, tags: tuple[str, ...]) -> dict[str, CardSpec]:
    deck: dict[str, CardSpec] = {}
    for i in range(n):
        if i % 3 == 0:
            cid = f"skill/fam{i % 4}/{i}"
            deck[cid] = CardSpec(cid, Kind.SKILL, f"fam{i % 4}", tags[i % len(tags) :][:2])
        else:
            cid = f"term/t{i}/recall"
            deck[cid] = CardSpec(cid, Kind.RECALL, f"t{i}", tags[: i % 3])
    return deck


def _cards(deck: dict[str, CardSpec], now: datetime) -> dict[str, CardState]:
    """Due times every 37 minutes from 4 days before now to 36 days after it."""
    cards: dict[str, CardState] = {}
    start = (now - timedelta(days=4)).timestamp()
    for i, cid in enumerate([*deck, "term/gone/recall"]):
        due = start + i * 37 * 60
        stability = [None, 1.0, 20.999, 21.0, 400.0][i % 5]
        cards[cid] = CardState(2, None, stability, 5.0, due, due - 86400, 3, 0)
    return cards


@pytest.mark.parametrize("tz", ZONES, ids=str)
def test_forecast_and_mastery_at_the_bounds(tz: tzinfo) -> None:
    now = datetime(2026, 3, 28, 22, 40, tzinfo=UTC)  # near a summer-time change
    deck = _deck(1600, ("cnn", "rnn", "optim", "math"))
    cards = _cards(deck, now)
    for hour in (0, 4, 23):
        expected = _reference([], cards, deck, now, tz, hour)
        assert compute([], cards, deck, now, tz, hour) == expected, hour


def test_another_deck_of_the_same_size_is_grouped_afresh() -> None:
    now = datetime(2026, 5, 1, 12, tzinfo=UTC)
    first = _deck(60, ("cnn", "rnn"))
    second = _deck(60, ("vision", "math", "optim"))
    cards = _cards(first, now)
    compute([], cards, first, now, UTC, 4)
    stats = compute([], cards, second, now, UTC, 4)
    assert stats == _reference([], cards, second, now, UTC, 4)
    assert set(stats.mastery_by_tag) == {"vision", "math"}
