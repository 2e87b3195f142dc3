"""Reading and grading typed answers: every accepted form, the wrong answers, junk.

The property tests (hypothesis) are in tests/test_answers_properties.py.
"""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

from dlquiz import answers
from dlquiz.answers import (
    MAX_CHARS,
    Verdict,
    check,
    match_term,
    parse_choice,
    parse_float,
    parse_floats,
    parse_int,
    parse_shape,
)
from dlquiz.questions.base import Expected

STATUSES = {"correct", "wrong", "unparsed"}
SHAPE = Expected("shape", (8, 16, 32, 32))
CHOICES = ("SGD", "Adam", "AdamW", "RMSprop")
EXPECTED_OF_EVERY_KIND = (
    SHAPE,
    Expected("shape", ()),
    Expected("int", 1024),
    Expected("float", 0.7314, decimals=3),
    Expected("float", 12.0, decimals=0),
    Expected("floats", (0.1, 0.2, 0.7), decimals=2),
    Expected("choice", 1, choices=CHOICES),
    Expected("text", "GNN", aliases=("graph neural network",)),
    Expected("text", "batch normalization", aliases=("BatchNorm", "BN")),
)


def _status(expected: Expected, typed: str) -> str:
    return check(expected, typed).status


# ---------------------------------------------------------------------- shapes


@pytest.mark.parametrize(
    ("typed", "shape"),
    [
        ("(1, 16, 32, 32)", (1, 16, 32, 32)),
        ("[1,16,32,32]", (1, 16, 32, 32)),
        ("1x16x32x32", (1, 16, 32, 32)),
        ("1X16X32X32", (1, 16, 32, 32)),
        ("1 x 16 x 32 x 32", (1, 16, 32, 32)),
        ("1×16×32×32", (1, 16, 32, 32)),
        ("1*16*32*32", (1, 16, 32, 32)),
        ("1 16 32 32", (1, 16, 32, 32)),
        ("torch.Size([1, 16, 32, 32])", (1, 16, 32, 32)),
        ("Size([1, 16, 32, 32])", (1, 16, 32, 32)),
        ("  (  1 ,16,   32 , 32 ,)  ", (1, 16, 32, 32)),
        ("\t(1, 16)\n", (1, 16)),
        ("(5,)", (5,)),
        ("(5)", (5,)),
        ("[5]", (5,)),
        ("5", (5,)),
        ("()", ()),
        ("[]", ()),
        ("torch.Size([])", ()),
        ("scalar", ()),
        ("(0, 3)", (0, 3)),
    ],
)
def test_shape_forms(typed: str, shape: tuple[int, ...]) -> None:
    assert parse_shape(typed) == shape


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("(1, -16, 32)", "negative"),
        ("-1x16", "negative"),
        ("(1, 16.5, 32)", "whole"),
        ("1.0x2", "whole"),
        ("(1, 16, 32", None),
        ("(1,, 16)", None),
        ("x16", None),
        ("1, 16 32", None),
        ("one by two", None),
        ("(1, 16)(2)", None),
        ("", "Nothing"),
        ("   ", "Nothing"),
    ],
)
def test_shape_unparsed_with_hint(typed: str, problem: str | None) -> None:
    verdict = check(SHAPE, typed)
    assert verdict.status == "unparsed"
    assert verdict.understood is None
    assert parse_shape(typed) is None
    assert "(8, 16, 32, 32)" in verdict.message  # the form hint is always there
    if problem:
        assert problem in verdict.message


def test_shape_correct_and_wrong_messages() -> None:
    right = check(SHAPE, "8x16x32x32")
    assert right == Verdict("correct", right.message, "(8, 16, 32, 32)")
    wrong = check(SHAPE, "[8, 16, 31, 31]")
    assert wrong.status == "wrong"
    assert wrong.understood == "(8, 16, 31, 31)"
    assert "(8, 16, 31, 31)" in wrong.message and "(8, 16, 32, 32)" in wrong.message
    short = check(SHAPE, "16, 32, 32")
    assert short.status == "wrong" and "4 dimensions, not 3" in short.message


def test_shape_scalar_and_one_dim() -> None:
    assert _status(Expected("shape", ()), "torch.Size([])") == "correct"
    assert _status(Expected("shape", ()), "(1,)") == "wrong"
    assert check(Expected("shape", (5,)), "5").understood == "(5,)"
    assert _status(Expected("shape", [2, 3]), "2x3") == "correct"  # value from JSON is a list


# ------------------------------------------------------------------------ ints


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("1024", 1024),
        ("1,024", 1024),
        ("1_024", 1024),
        (" 1 024 ", 1024),
        ("1\u00a0024", 1024),  # no-break space, as some locales group digits
        ("1,234,567", 1234567),
        ("+5", 5),
        ("-3", -3),
        ("\u22123", -3),  # typographic minus
        ("0", 0),
        ("007", 7),
        ("1.0", 1),
        ("1.", 1),
        ("1e3", 1000),
        ("1.5e1", 15),
        ("tensor(1024)", 1024),
    ],
)
def test_int_forms(typed: str, value: int) -> None:
    assert parse_int(typed) == value
    assert check(Expected("int", value), typed).status == "correct"


@pytest.mark.parametrize(
    "typed", ["10,24", "1,0245", "0,731", "1 02", "1__024", "_1", "1,024,", "0x10", "ten"]
)
def test_int_unparsed(typed: str) -> None:
    assert parse_int(typed) is None
    verdict = check(Expected("int", 1024), typed)
    assert verdict.status == "unparsed" and "whole number" in verdict.message


def test_int_wrong_and_not_whole() -> None:
    wrong = check(Expected("int", 1024), "1000")
    assert wrong.status == "wrong" and wrong.understood == "1,000"
    assert "1,000" in wrong.message and "1,024" in wrong.message
    # A fraction for a count is usually the mistake the question probes: wrong, not unparsed.
    assert parse_int("15.5") is None
    half = check(Expected("int", 15), "15.5")
    assert half.status == "wrong" and "whole number" in half.message
    assert _status(Expected("int", 0), "1e-3") == "wrong"


def test_int_huge_exponent_is_refused_not_computed() -> None:
    assert parse_int("1e9999") is None
    assert _status(Expected("int", 1), "1e9999") == "unparsed"


# ---------------------------------------------------------------------- floats

F3 = Expected("float", 0.7314, decimals=3)  # displayed as 0.731


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("0.731", 0.731),
        (".731", 0.731),
        ("-0.5", -0.5),
        ("-.5", -0.5),
        ("+2.5", 2.5),
        ("7.31e-1", 0.731),
        ("7.31E-1", 0.731),
        ("3", 3.0),
        ("1,024.5", 1024.5),
        ("tensor(0.7310)", 0.731),
    ],
)
def test_float_forms(typed: str, value: float) -> None:
    assert parse_float(typed) == pytest.approx(value, abs=1e-12)


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("0,731", "dot"),
        ("0,5", "dot"),
        ("1,5", "dot"),
        ("1,500", "ambiguous"),
        ("nan", None),
        ("inf", None),
        ("1e999", "large"),
        ("1/3", None),
        ("73%", None),
        (".", None),
        ("e5", None),
        ("0.7.3", None),
    ],
)
def test_float_unparsed(typed: str, problem: str | None) -> None:
    assert parse_float(typed) is None
    verdict = check(F3, typed)
    assert verdict.status == "unparsed" and "3 decimal places" in verdict.message
    if problem:
        assert problem in verdict.message


@pytest.mark.parametrize(
    ("typed", "status"),
    [
        ("0.731", "correct"),
        ("0.7314", "correct"),  # more places than asked
        ("0.73149", "correct"),
        ("0.7316", "correct"),  # within half a unit of the third place
        ("0.7319", "correct"),  # 0.0005 away: exactly on the tolerance
        ("0.73195", "wrong"),
        ("0.732", "wrong"),
        ("0.730", "wrong"),
        ("0.73", "wrong"),  # too coarse: off by more than the tolerance
        ("0.7", "wrong"),
        ("-0.731", "wrong"),
    ],
)
def test_float_grading(typed: str, status: str) -> None:
    assert _status(F3, typed) == status


def test_float_fewer_places_within_tolerance_is_fine() -> None:
    assert _status(Expected("float", 0.5, decimals=3), "0.5") == "correct"
    assert _status(Expected("float", 2.0, decimals=2), "2") == "correct"


def test_float_wrong_message_shows_answer_and_asks_for_places() -> None:
    coarse = check(F3, "0.73")
    assert coarse.status == "wrong" and "0.731" in coarse.message
    assert "3 decimal places" in coarse.message
    far = check(F3, "0.9")
    assert far.status == "wrong" and "0.731" in far.message
    assert "decimal places" not in far.message  # not a precision problem
    assert check(F3, "0.730").understood == "0.730"  # typed precision kept


def test_float_more_places_that_round_to_the_answer() -> None:
    # 0.7314 shows as 0.731; 0.73051 is 0.00089 away but rounds to 0.731 too.
    assert _status(F3, "0.73051") == "correct"
    assert _status(F3, "0.73049") == "wrong"


# --------------------------------------------------------------- float vectors

V = Expected("floats", (0.1, 0.2, 0.7), decimals=2)


@pytest.mark.parametrize(
    "typed",
    [
        "[0.1, 0.2, 0.7]",
        "0.1, 0.2, 0.7",
        "0.1,0.2,0.7,",
        "0.1 0.2 0.7",
        "(0.1, 0.2, 0.7)",
        "[0.10, 0.20, 0.70]",
        "tensor([0.1000, 0.2000, 0.7000])",
        "[1e-1, 2e-1, 7e-1]",
    ],
)
def test_floats_forms(typed: str) -> None:
    assert parse_floats(typed) == pytest.approx((0.1, 0.2, 0.7))
    assert _status(V, typed) == "correct"


def test_floats_wrong_length_is_wrong_and_says_so() -> None:
    short = check(V, "[0.1, 0.2]")
    assert short.status == "wrong" and "3 numbers, not 2" in short.message
    long = check(V, "0.1 0.2 0.3 0.4")
    assert long.status == "wrong" and "3 numbers, not 4" in long.message


def test_floats_wrong_entry_named() -> None:
    verdict = check(V, "[0.1, 0.3, 0.7]")
    assert verdict.status == "wrong"
    assert "entry 2" in verdict.message and "[0.10, 0.20, 0.70]" in verdict.message
    assert verdict.understood == "[0.1, 0.3, 0.7]"


@pytest.mark.parametrize("typed", ["[]", "[0.1,, 0.2]", "[0,1; 0,2]", "[0.1, abc]", "[[0.1, 0.2]]"])
def test_floats_unparsed(typed: str) -> None:
    assert parse_floats(typed) is None
    assert _status(V, typed) == "unparsed"


# --------------------------------------------------------------------- choices

C = Expected("choice", 1, choices=CHOICES)


@pytest.mark.parametrize(
    "typed", ["2", "b", "B", "b)", "(b)", "b.", " ( b ) ", "adam", "  ADAM ", "b) Adam", "2) Adam"]
)
def test_choice_forms(typed: str) -> None:
    assert parse_choice(typed, CHOICES) == 1
    assert _status(C, typed) == "correct"


def test_choice_letter_and_text_that_disagree_is_unparsed() -> None:
    assert parse_choice("b) AdamW", CHOICES) is None
    assert "not “AdamW”" in check(C, "b) AdamW").message
    assert parse_choice("b) the Adam optimizer", CHOICES) == 1  # text names no option


def test_choice_wrong_and_out_of_range() -> None:
    wrong = check(C, "c")
    assert wrong.status == "wrong" and wrong.understood == "c) AdamW"
    assert "b) Adam" in wrong.message
    assert _status(C, "adamw") == "wrong"  # exact text, not a prefix or typo match
    for typed in ("5", "0", "e", "z)", "Adams", "b) AdamW"):
        verdict = check(C, typed)
        assert verdict.status == "unparsed", typed
        assert "a–d" in verdict.message and "1–4" in verdict.message


def test_choice_text_beats_number_when_choices_are_numbers() -> None:
    choices = ("16", "2", "64", "128")
    assert parse_choice("2", choices) == 1  # the text "2", which is also option b
    assert parse_choice("64", choices) == 2
    assert parse_choice("3", choices) == 2  # no choice reads "3": option 3


# ----------------------------------------------------------------------- terms


@pytest.mark.parametrize(
    ("typed", "names", "ok"),
    [
        ("GNN", ("GNN",), True),
        ("gnn", ("GNN",), True),
        ("GNNs", ("GNN",), True),
        ("GAN", ("GNN",), False),
        ("GANs", ("GNN",), False),
        ("RNN", ("CNN",), False),
        ("Relu", ("ReLU",), True),
        ("relu6", ("ReLU",), False),
        ("ReLUs", ("ReLU",), True),
        ("MSE", ("MSE",), True),
        ("MAE", ("MSE",), False),
        ("graph neural network", ("GNN", "graph neural network"), True),
        ("Graph-Neural-Networks", ("GNN", "graph neural network"), True),
        ("grpah neural network", ("GNN", "graph neural network"), True),  # typo
        ("batch norm", ("BatchNorm",), True),
        ("batch-normalisation", ("batch normalization",), True),
        ("dropuot", ("dropout",), True),
        ("drop out!", ("dropout",), True),
        ("logit", ("logits",), True),
        ("Adam", ("AdamW",), False),  # short names never get typo tolerance
        ("encoder", ("decoder",), False),  # a different first letter is a different word
        ("Conv1d", ("Conv2d",), False),  # digits must agree
        ("BatchNorm1d", ("BatchNorm2d",), False),
        ("softmax", ("softplus",), False),
        ("naïve bayes", ("naive Bayes",), True),
        ("", ("GNN",), False),
        ("!!!", ("GNN",), False),
        ("GNN", ("", "!!"), False),
    ],
)
def test_match_term(typed: str, names: tuple[str, ...], ok: bool) -> None:
    assert match_term(typed, names) is ok


def test_text_check() -> None:
    t = Expected("text", "GNN", aliases=("graph neural network",))
    assert check(t, "Graph Neural Network") == Verdict(
        "correct", check(t, "GNN").message, "Graph Neural Network"
    )
    wrong = check(t, "GAN")
    assert wrong.status == "wrong" and "GNN" in wrong.message and "GAN" in wrong.message
    assert _status(t, "?!") == "unparsed"


# ------------------------------------------------------------- junk and limits


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   \t\n ",
        "8\x00x16",
        "\x1b[31m8x16\x1b[0m",
        "8\u200bx16",  # zero-width space
        "\ufeff1024",
        "🙂",
        "\ud800",  # lone surrogate
        "__import__('os').system('true')",
    ],
)
def test_junk_is_unparsed_for_every_kind(typed: str) -> None:
    for expected in EXPECTED_OF_EVERY_KIND:
        verdict = check(expected, typed)
        if expected.kind == "text" and typed.startswith("__import__"):
            assert verdict.status == "wrong"  # letters make a (wrong) term
        else:
            assert verdict.status == "unparsed", (expected.kind, typed)
            assert verdict.message and verdict.understood is None


def test_huge_input_is_refused() -> None:
    # How fast: benchmarks/bench.py answers (the longest inputs, of every kind).
    huge = "1," * 500_000  # 1 MB, and otherwise almost a valid shape
    just_over = "1" * (MAX_CHARS + 1)
    for expected in EXPECTED_OF_EVERY_KIND:
        for typed in (huge, just_over):
            verdict = check(expected, typed)
            assert verdict.status == "unparsed"
            assert f"{MAX_CHARS:,}" in verdict.message
    assert not match_term(huge, ("x" * 10,))


@pytest.mark.parametrize(
    "typed",
    [
        "1" * MAX_CHARS,
        "1," * (MAX_CHARS // 2),
        "1,234" * (MAX_CHARS // 5),
        "1_" * (MAX_CHARS // 2),
        "1 " * (MAX_CHARS // 2),
        "(" * MAX_CHARS,
        "x1" * (MAX_CHARS // 2),
        "9" * (MAX_CHARS - 6) + "e-9999",
        "a" * MAX_CHARS,
        "ab " * (MAX_CHARS // 3),
    ],
)
def test_longest_accepted_inputs_get_a_verdict(typed: str) -> None:
    # How fast: benchmarks/bench.py answers, on these very inputs.
    for expected in EXPECTED_OF_EVERY_KIND:
        assert check(expected, typed).status in STATUSES


def test_never_evaluates_and_imports_stay_light() -> None:
    source = inspect.getsource(answers)
    assert "eval(" not in source and "literal_eval" not in source and "exec(" not in source
    code = (
        "import sys, dlquiz.answers; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'numpy', 'torch', 'textual', 'rapidfuzz', 'pydantic'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("expected", "typed"),
    [
        (Expected("float", 0.7314, decimals=3), "０.７３１"),
        (Expected("int", 1024), "１０２４"),
        (SHAPE, "（８，１６，３２，３２）"),
        (Expected("floats", (0.1, 0.2, 0.7), decimals=2), "［0.1，0.2，0.7］"),
        (Expected("float", 0.7314, decimals=3), "\u30000.731\u3000"),  # ideographic spaces
    ],
)
def test_fullwidth_forms_read_as_plain_ones(expected: Expected, typed: str) -> None:
    # An East Asian input method types fullwidth digits and brackets: they were
    # unreadable, with only a hint.
    assert check(expected, typed).status == "correct"


def test_a_fraction_for_a_decimal_says_its_value() -> None:
    verdict = check(F3, "3/7")
    assert verdict.status == "unparsed"
    assert "3/7 is 0.429" in verdict.message
