"""The cram screen's topics are counted once per deck, and are ``practice.topics``."""

from __future__ import annotations

from typing import Any

import pytest

from dlquiz import practice
from dlquiz.cards import CardSpec, Kind
from dlquiz.tui.screens.practice import deck_topics


def test_topics_counted_once_per_deck(monkeypatch: pytest.MonkeyPatch) -> None:
    deck = {
        f"term/t{i}/recall": CardSpec(f"term/t{i}/recall", Kind.RECALL, f"t{i}", ("cnn",))
        for i in range(3)
    }
    deck["skill/x/1"] = CardSpec("skill/x/1", Kind.SKILL, "x", ("math",), 1)
    expected = practice.topics(deck)
    assert expected == {"cnn": 3, "math": 1, "skill:x": 1}
    calls: list[int] = []
    real = practice.topics

    def counting(d: Any) -> dict[str, int]:
        calls.append(1)
        return real(d)

    monkeypatch.setattr(practice, "topics", counting)
    assert deck_topics(deck) == expected
    assert deck_topics(deck) == expected
    assert len(calls) == 1
    deck["term/t9/recall"] = CardSpec("term/t9/recall", Kind.RECALL, "t9", ("cnn",))
    assert deck_topics(deck)["cnn"] == 4  # a grown deck is counted again
    other = dict(deck)
    assert deck_topics(other) == deck_topics(deck)
