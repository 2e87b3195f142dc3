"""Cram and quiz plans: what they contain, requeueing, scoring."""

from __future__ import annotations

import random

import pytest

from dlquiz.cards import CardSpec, Kind
from dlquiz.practice import cram, quiz, topics
from dlquiz.scheduler import AGAIN, GOOD
from tests.conftest import T0


def _deck() -> dict[str, CardSpec]:
    specs = [
        CardSpec("term/a/recall", Kind.RECALL, "a", ("cnn",)),
        CardSpec("term/b/recall", Kind.RECALL, "b", ("cnn", "math")),
        CardSpec("term/c/recall", Kind.RECALL, "c", ("rnn",)),
        CardSpec("skill/conv2d-shape/1", Kind.SKILL, "conv2d-shape", ("convolution",), 1),
        CardSpec("skill/conv2d-shape/2", Kind.SKILL, "conv2d-shape", ("convolution",), 2),
        CardSpec("skill/mse/1", Kind.SKILL, "mse", ("values",), 1),
    ]
    return {s.id: s for s in specs}


def test_topics_count_tags_and_skill_families() -> None:
    counts = topics(_deck())
    assert counts["cnn"] == 2 and counts["math"] == 1
    assert counts["skill:conv2d-shape"] == 2 and counts["convolution"] == 2


def test_cram_requeues_again_until_known() -> None:
    plan = cram(_deck(), "cnn", random.Random(1), T0)
    assert {s.id for s in plan.queue} == {"term/a/recall", "term/b/recall"}
    first = plan.next_card(T0)
    assert first is not None
    plan.answered(AGAIN)
    assert plan.remaining == 2 and plan.queue[-1] == first  # comes back at the end
    plan.answered(GOOD)
    plan.answered(GOOD)
    assert plan.next_card(T0) is None and plan.asked == 3


def test_cram_of_a_skill_family() -> None:
    plan = cram(_deck(), "skill:conv2d-shape", random.Random(1), T0)
    assert {s.id for s in plan.queue} == {"skill/conv2d-shape/1", "skill/conv2d-shape/2"}
    with pytest.raises(ValueError):
        cram(_deck(), "nothing", random.Random(1), T0)


def test_quiz_scores_and_lists_misses() -> None:
    plan = quiz(_deck(), ["mse"], 3, random.Random(2), T0)
    assert plan.remaining == 3 and all(s.key == "mse" for s in plan.queue)
    plan.answered(GOOD, correct=True)
    plan.answered(AGAIN, correct=False, prompt="MSE of …", given="0.5", expected="0.250")
    plan.answered(AGAIN, correct=False, prompt="MSE 2", given="", expected="1.000")
    assert plan.remaining == 0  # a quiz never requeues
    assert (plan.right, plan.graded) == (1, 3)
    assert [m.expected for m in plan.misses] == ["0.250", "1.000"]
    with pytest.raises(ValueError):
        quiz(_deck(), [], 3, random.Random(2), T0)
    with pytest.raises(ValueError):
        quiz(_deck(), ["mse"], 0, random.Random(2), T0)
