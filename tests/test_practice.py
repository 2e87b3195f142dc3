"""Cram and quiz plans: what they contain, requeueing, scoring."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from dlquiz.cards import CardSpec, Kind
from dlquiz.practice import cram, cram_misses, quiz, topics
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


def test_timed_quiz_counts_down_and_stops_when_time_is_up() -> None:
    plan = quiz(_deck(), ["mse"], None, random.Random(2), T0, minutes=2)
    assert plan.title == "Quiz: 2 min" and plan.remaining > 100  # ended by time, not count
    assert plan.clock_text(T0 + timedelta(seconds=5)) == "Time left 1:55"
    assert plan.next_card(T0 + timedelta(seconds=119)) is not None
    assert plan.next_card(T0 + timedelta(seconds=121)) is None
    assert plan.finished and not plan.stopped_early
    assert plan.finished_at == T0 + timedelta(minutes=2)  # the score's time is the limit
    both = quiz(_deck(), ["mse"], 3, random.Random(2), T0, minutes=5)
    assert both.title == "Quiz: 3 questions or 5 min" and both.remaining == 3


def test_stopping_early_keeps_the_score_so_far_and_misses_can_be_crammed() -> None:
    deck = _deck()
    plan = quiz(deck, ["conv2d-shape"], 4, random.Random(3), T0)
    missed = plan.queue[0].id
    plan.answered(
        AGAIN,
        correct=False,
        prompt="Shape?",
        given="(1, 2)",
        expected="(2, 1)",
        title="Conv2d",
        code="x = 1",
        explanation="Because.",
    )
    plan.answered(GOOD, correct=True)
    plan.stop(T0 + timedelta(seconds=30))
    assert plan.finished and plan.stopped_early and plan.remaining == 0
    assert (plan.right, plan.graded) == (1, 2)
    assert plan.misses[0].code == "x = 1" and plan.misses[0].explanation == "Because."
    again = cram_misses(plan, deck, T0)
    assert [s.id for s in again.queue] == [missed] and again.requeue_again
    with pytest.raises(ValueError):
        cram_misses(quiz(deck, ["mse"], 1, random.Random(2), T0), deck, T0)


def test_the_clock_starts_at_the_first_question_shown() -> None:
    plan = quiz(_deck(), ["mse"], None, random.Random(2), T0, minutes=1)
    plan.begin(T0 + timedelta(seconds=8))  # the first question took 8 s (PyTorch loading)
    assert plan.clock_text(T0 + timedelta(seconds=8)) == "Time left 1:00"
    plan.answered(GOOD, correct=True)
    plan.begin(T0 + timedelta(seconds=30))  # later questions do not restart it
    assert plan.clock_text(T0 + timedelta(seconds=30)) == "Time left 0:38"
