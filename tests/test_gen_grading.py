"""Grading generated questions by meaning (issue 11): over many seeds of every skill, typing
the right value is correct and typing a wrong option's value is wrong; a question that offers
options says so; resnet-block's shortcut question has exactly one option that fits.
"""

from __future__ import annotations

import re

import pytest

from dlquiz.answers import grade, parse_float, parse_shape
from dlquiz.questions import families, generate
from dlquiz.questions.base import Question

CASES = [(fid, level) for fid, fam in sorted(families().items()) for level in sorted(fam.levels)]
SEEDS = range(12)


def _bare_values(option: str) -> list[str]:
    """Other ways to type an option that is a number or a 1-D shape: ``4`` for ``(4,)``,
    ``0.5`` for ``0.500``."""
    text = option.strip()
    shape = parse_shape(text) if text[:1] in "([" else None
    if shape is not None and len(shape) == 1:
        return [str(shape[0])]
    if shape is None and re.fullmatch(r"-?\d+(\.\d+)?", text):
        number = parse_float(text)
        assert number is not None
        return [f"{number:g}"]
    return []


@pytest.mark.parametrize(("fid", "level"), CASES)
def test_typed_values_are_graded_by_value(fid: str, level: int) -> None:
    for seed in SEEDS:
        q = generate(fid, level, seed)
        exp = q.expected
        if exp.kind != "choice":
            continue
        assert "pick one" in q.prompt.casefold(), (q.skill, q.prompt)
        for i, option in enumerate(exp.choices):
            for typed in [option, *_bare_values(option)]:
                verdict = grade(q, typed)
                assert not verdict.unreadable, (q.skill, seed, typed)
                assert verdict.correct == (i == exp.value), (q.skill, seed, typed, exp.choices)


def test_a_bare_number_is_never_read_as_an_option_number_when_options_are_values() -> None:
    """Issue 11's failures: on broadcast, typing 4 meaning (4,) must not pick option d."""
    checked = 0
    for level in (1, 2, 3):
        for seed in range(60):
            q = generate("broadcast", level, seed)
            shapes = [parse_shape(c) for c in q.expected.choices]
            for n in range(1, len(q.expected.choices) + 1):
                if (n,) not in shapes:  # n is no option's value, so never "option n"
                    assert not grade(q, str(n)).correct, (q.skill, seed, n)
                    checked += 1
    assert checked > 100


def test_value_questions_are_typed() -> None:
    """dropout-scaling asks for a value at every level, so it is never multiple choice."""
    for level in (1, 2):
        for seed in range(20):
            q = generate("dropout-scaling", level, seed)
            assert q.expected.kind == "float"
            assert grade(q, f"{q.expected.value:.3f}").correct


def _fits(q: Question, option: str) -> bool:
    """Whether a shortcut option gives the main path's shape, by the conv formula."""
    p = q.params
    cin, cout, s, h, w = p["C_in"], p["C_out"], p["stride"], p["H"], p["W"]
    main = (cout, (h - 1) // s + 1, (w - 1) // s + 1)  # 3×3, padding 1
    if option == "nn.Identity()":
        return (cin, h, w) == main
    m = re.fullmatch(
        r"nn\.Conv2d\((\d+), (\d+), 1, stride=(\d), bias=False\) \+ BatchNorm2d", option
    )
    assert m is not None, option
    c, st = int(m[2]), int(m[3])
    return (c, (h - 1) // st + 1, (w - 1) // st + 1) == main


def test_resnet_shortcut_has_exactly_one_fitting_option() -> None:
    seen = 0
    for seed in range(200):
        q = generate("resnet-block", 2, seed)
        if q.params.get("question") != "shortcut":
            continue
        seen += 1
        fitting = [i for i, c in enumerate(q.expected.choices) if _fits(q, c)]
        assert fitting == [q.expected.value], (seed, q.params, q.expected.choices)
    assert seen > 50
