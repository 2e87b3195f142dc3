"""Every registered family, found in the registry (a new family is tested the moment it is
registered): determinism, the JSON trip, answer kinds, proofs that print the answer, named
mistakes that the grader recognises, and two hints that use the question's numbers.

The closed-form checks of each family's answer stay in the topic test modules.
"""

from __future__ import annotations

import re

import pytest

from dlquiz.answers import grade
from dlquiz.questions import families, generate
from dlquiz.questions.base import Question, keep_mistakes
from tests.gen_helpers import assert_import_is_light, assert_proofs_print_answers, check_question

FAMILIES = families()
CASES = [(fid, level) for fid, fam in sorted(FAMILIES.items()) for level in sorted(fam.levels)]
DETERMINISM_SEEDS = range(12)
MISTAKE_SEEDS = range(25)
PROOF_SEEDS = range(4)  # every family, the by-hand ones included
# Issue 11: at least two named mistakes for at least 32 of the 37 original families.
COVERAGE_GOAL = 32 / 37


def _typed(q: Question, value: object) -> str:
    """How a person would type ``value`` as an answer to ``q``."""
    from dataclasses import replace

    return replace(q.expected, value=value).proof_line()


def _numbers(text: str) -> set[str]:
    return set(re.findall(r"\d+(?:\.\d+)?", text))


@pytest.mark.parametrize(("fid", "level"), CASES)
def test_contract_and_determinism(fid: str, level: int) -> None:
    for seed in DETERMINISM_SEEDS:
        q = generate(fid, level, seed)
        check_question(q, fid, level, seed)
        assert generate(fid, level, seed) == q  # same seed, same question
        value, kind = q.expected.value, q.expected.kind
        if kind == "shape":
            assert isinstance(value, tuple) and all(type(v) is int and v >= 0 for v in value)
        elif kind in ("int", "choice"):
            assert type(value) is int
        elif kind == "float":
            assert isinstance(value, float) and q.expected.decimals is not None
        elif kind == "floats":
            assert all(isinstance(v, float) for v in value) and q.expected.decimals is not None
        else:
            assert kind == "text" and isinstance(value, str)


@pytest.mark.parametrize(("fid", "level"), CASES)
def test_the_right_answer_and_each_mistake_are_graded_as_such(fid: str, level: int) -> None:
    for seed in MISTAKE_SEEDS:
        q = generate(fid, level, seed)
        right = grade(q, _typed(q, q.expected.value))
        assert right.correct and not right.close, (q.skill, seed)
        assert keep_mistakes(q.expected, q.mistakes) == q.mistakes  # none right, no twins
        for m in q.mistakes:
            assert m.id and m.name and m.feedback.strip()
            assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", m.id), m.id
            verdict = grade(q, _typed(q, m.value))
            assert not verdict.correct and verdict.mistake == m, (q.skill, seed, m.id)
            assert m.feedback in verdict.message


def test_proofs_print_the_answer() -> None:
    assert_proofs_print_answers(
        [generate(fid, level, seed) for fid, level in CASES for seed in PROOF_SEEDS]
    )


def test_registering_every_family_loads_neither_torch_nor_numpy() -> None:
    assert_import_is_light(
        "dlquiz.questions",
        then="from dlquiz.questions import families\nassert len(families()) >= 37\n"
        "assert 'torch' not in sys.modules and 'numpy' not in sys.modules\n",
    )
