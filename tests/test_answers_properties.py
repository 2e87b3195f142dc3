"""Property tests of reading and grading typed answers (hypothesis): every generated form
of a right answer is correct, a changed one is wrong, and nothing typed ever raises.
The example-based tests are in tests/test_answers.py.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dlquiz.answers import (
    check,
    match_term,
    parse_choice,
    parse_float,
    parse_floats,
    parse_int,
    parse_shape,
)
from dlquiz.questions.base import Expected
from tests.test_answers import CHOICES, EXPECTED_OF_EVERY_KIND, STATUSES

# ------------------------------------------------------------ property tests

dims = st.integers(min_value=0, max_value=100_000)
shapes = st.lists(dims, max_size=6).map(tuple)
pad = st.sampled_from(["", " ", "  "])


def _shape_forms(shape: tuple[int, ...], sp: str) -> list[str]:
    """Every accepted spelling of ``shape``, built by hand from its numbers."""
    nums = [str(d) for d in shape]
    if not shape:
        return ["()", "[]", "torch.Size([])", f"({sp})", f"torch.Size([{sp}])"]
    listed = ", ".join(nums)
    forms = [
        f"({listed},)",
        f"[{listed}]",
        f"[{','.join(nums)}]",
        f"[{listed},]",
        f"torch.Size([{listed}])",
        f"{sp}({sp}{f'{sp},{sp}'.join(nums)}{sp}){sp}",
        "x".join(nums),
        f"{sp}x{sp}".join(nums),
        "×".join(nums),
        " ".join(nums),
        listed,
    ]
    if len(shape) > 1:
        forms.append(f"({listed})")
    return forms


@given(shape=shapes, sp=pad)
def test_prop_every_shape_form_parses_back(shape: tuple[int, ...], sp: str) -> None:
    expected = Expected("shape", shape)
    for form in [*_shape_forms(shape, sp), expected.display(), expected.proof_line()]:
        assert parse_shape(form) == shape, form
        verdict = check(expected, form)
        assert verdict.status == "correct", form
        assert verdict.understood == expected.display()


@given(shape=shapes.filter(bool), data=st.data())
def test_prop_shape_with_one_dimension_changed_is_wrong(
    shape: tuple[int, ...], data: st.DataObject
) -> None:
    i = data.draw(st.integers(0, len(shape) - 1))
    new = data.draw(dims.filter(lambda d: d != shape[i]))
    typed = list(shape)
    typed[i] = new
    form = data.draw(st.sampled_from(_shape_forms(tuple(typed), " ")))
    verdict = check(Expected("shape", shape), form)
    assert verdict.status == "wrong"
    assert Expected("shape", shape).display() in verdict.message


def _int_forms(n: int) -> list[str]:
    sign = "-" if n < 0 else ""
    digits = str(abs(n))
    groups = []
    while digits:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    forms = [
        str(n),
        sign + ",".join(groups),
        sign + "_".join(groups),
        sign + " ".join(groups),
        sign + "\u202f".join(groups),  # narrow no-break space (SI grouping)
        f"{n}.0",
        f"tensor({n})",
        f"{n:,}",
        f"{n:_}",
    ]
    if n >= 0:
        forms.append(f"+{n}")
    return forms


@given(st.integers(min_value=-(10**15), max_value=10**15))
@example(0)
@example(999)
@example(1000)
@example(-1000)
def test_prop_grouped_ints_parse_back(n: int) -> None:
    for form in _int_forms(n):
        assert parse_int(form) == n, form
        assert check(Expected("int", n), form).status == "correct", form
        assert check(Expected("int", n + 1), form).status == "wrong", form


values = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False, allow_infinity=False)
places = st.integers(min_value=0, max_value=6)


@given(value=values, d=places)
def test_prop_float_at_d_places_is_correct(value: float, d: int) -> None:
    expected = Expected("float", value, decimals=d)
    scientific = f"{round(value * 10**d)}e-{d}"  # e.g. 731e-3
    for form in (f"{value:.{d}f}", f"{value:.{d + 3}f}", scientific, expected.display()):
        assert check(expected, form).status == "correct", form


@given(
    value=values,
    d=places,
    units=st.floats(min_value=2, max_value=1e3),
    sign=st.sampled_from([-1, 1]),
)
def test_prop_float_off_by_two_units_is_wrong(
    value: float, d: int, units: float, sign: int
) -> None:
    expected = Expected("float", value, decimals=d)
    typed = value + sign * units * 10.0**-d
    for form in (f"{typed:.{d}f}", f"{typed:.{d + 2}f}"):
        verdict = check(expected, form)
        assert verdict.status == "wrong", form
        assert expected.display() in verdict.message


@given(vector=st.lists(values, min_size=1, max_size=5), d=places, sp=pad)
def test_prop_float_vectors_in_every_form_are_correct(vector: list[float], d: int, sp: str) -> None:
    expected = Expected("floats", tuple(vector), decimals=d)
    nums = [f"{v:.{d}f}" for v in vector]
    forms = [
        "[" + ", ".join(nums) + "]",
        "(" + f"{sp},{sp}".join(nums) + ")",
        ", ".join(nums),
        " ".join(nums),
        "tensor([" + ", ".join(nums) + "])",
        expected.display(),
        expected.proof_line(),
    ]
    for form in forms:
        assert parse_floats(form) == pytest.approx([float(n) for n in nums]), form
        assert check(expected, form).status == "correct", form
    wrong_length = check(expected, ", ".join([*nums, nums[0]]))
    assert wrong_length.status == "wrong"
    assert f"{len(vector)} numbers, not {len(vector) + 1}" in wrong_length.message


# Text that looks like answers (digits, brackets, separators, keywords) finds far
# more edge cases than uniformly random characters.
answerish = st.lists(
    st.sampled_from(
        [
            "(",
            ")",
            "[",
            "]",
            ",",
            ".",
            "x",
            "×",
            "*",
            "e",
            "E",
            "-",
            "−",
            "+",
            "_",
            " ",
            "  ",
            "0",
            "1",
            "9",
            "123",
            "\t",
            "\n",
            "\x00",
            "\u200b",
            "tensor(",
            "torch.Size(",
            "size",
            "scalar",
            "a",
            "b)",
            "(c",
            "Adam",
            "gnn",
            "s",
            "é",
            "１",
            "\ud800",
            ",000",
            "e-999",
        ]
    ),
    max_size=30,
).map("".join)
any_text = st.one_of(
    st.text(),
    st.text(st.characters(exclude_categories=())),  # includes lone surrogates
    answerish,
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(typed=any_text)
def test_prop_check_never_raises(typed: str) -> None:
    for expected in EXPECTED_OF_EVERY_KIND:
        verdict = check(expected, typed)
        assert verdict.status in STATUSES
        assert isinstance(verdict.message, str) and verdict.message
        assert (verdict.understood is None) == (verdict.status == "unparsed")
    # The public parsers share the same guarantee.
    parse_shape(typed)
    parse_int(typed)
    parse_float(typed)
    parse_floats(typed)
    parse_choice(typed, CHOICES)
    match_term(typed, ("GNN", "graph neural network"))
