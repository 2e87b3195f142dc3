"""Grading a whole question: named slips, near misses, value-first choices, the JSON trip."""

from __future__ import annotations

from dlquiz.answers import check, grade
from dlquiz.questions.base import Expected, Mistake, Question, keep_mistakes


def _question(expected: Expected, mistakes: tuple[Mistake, ...] = ()) -> Question:
    return Question(
        family="demo",
        level=1,
        params={},
        prompt="?",
        code="",
        expected=expected,
        explanation="why",
        proof="print(1)",
        seed=7,
        mistakes=mistakes,
        hints=("rule", "numbers"),
    )


KEPT = Mistake("kept-in-channels", "kept in_channels", (1, 3, 8, 8), "you kept in_channels = 3")
SHAPE = Expected("shape", (1, 8, 8, 8))


def test_a_wrong_answer_equal_to_a_mistake_names_it() -> None:
    q = _question(SHAPE, (KEPT,))
    v = grade(q, "1x3x8x8")
    assert v.status == "wrong" and not v.correct and not v.unreadable
    assert v.mistake == KEPT and "you kept in_channels = 3" in v.message
    plain = grade(q, "(1, 4, 8, 8)")
    assert plain.mistake is None and not plain.correct
    assert grade(q, "(1, 8, 8, 8)").correct
    assert grade(q, "(1, 8").unreadable


def test_close_is_one_unit_in_the_last_decimal() -> None:
    q = _question(Expected("float", 0.3656, 3))
    v = grade(q, "0.365")
    assert v.correct and v.close and "exact value is 0.3656" in v.message
    assert not grade(q, "0.363").correct
    assert grade(q, "0.366").correct and not grade(q, "0.366").close
    vec = _question(Expected("floats", (0.1234, 0.5), 2))
    assert grade(vec, "[0.13, 0.49]").close
    assert not grade(vec, "[0.15, 0.5]").correct


def test_keep_mistakes_drops_the_right_answer_and_duplicates() -> None:
    same = Mistake("same", "same", (1, 8, 8, 8), "x")
    twin = Mistake("twin", "twin", (1, 3, 8, 8), "y")
    assert keep_mistakes(SHAPE, (same, KEPT, twin)) == (KEPT,)
    f = Expected("float", 0.5, 2)
    near = Mistake("near", "near", 0.501, "z")
    assert keep_mistakes(f, (near,)) == ()


def test_numeric_options_are_graded_by_value() -> None:
    exp = Expected("choice", 1, choices=("0.750", "0.500", "2.000", "1.333"))
    assert check(exp, "2").status == "wrong"  # the value 2, not option 2
    assert check(exp, "0.5").status == "correct"
    assert check(exp, "b").status == "correct"
    assert check(exp, "7").status == "wrong"
    shapes = Expected("choice", 0, choices=("(4,)", "(3, 4)", "(4, 3)", "error"))
    assert check(shapes, "4").status == "correct"  # (4,), not option d
    assert check(shapes, "3x4").status == "wrong"
    assert check(shapes, "d").status == "wrong"
    assert check(shapes, "a").status == "correct"


def test_mistakes_and_hints_cross_the_pipe() -> None:
    q = _question(SHAPE, (KEPT,))
    back = Question.from_json(q.to_json())
    assert back == q
    assert back.mistakes[0].value == (1, 3, 8, 8)
