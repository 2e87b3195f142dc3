"""Broadcasting questions: the result shape of a + b, or of an in-place op, or the error."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from dlquiz.questions.base import (
    Question,
    family,
    keep_mistakes,
)
from dlquiz.questions.common import (
    ERROR,
    PICK,
    choice_answer,
    fmt_shape,
    join_args,
    option_mistakes,
    pick,
    shape_of,
    torch_msg,
    try_print,
)

if TYPE_CHECKING:
    import numpy as np

TOPIC = "tensors"


def _bcast(a: Sequence[int], b: Sequence[int]) -> tuple[int, ...] | None:
    """Broadcast shape for *distractors* only (the graded answer always comes from torch)."""
    n = max(len(a), len(b))
    pa, pb = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    out = []
    for x, y in zip(pa, pb, strict=True):
        if x != y and 1 not in (x, y):
            return None
        out.append(max(x, y))
    return tuple(out)


# ---------------------------------------------------------------- broadcast


def _pair(rng: np.random.Generator, kind: str) -> tuple[int, int]:
    """Sizes (a, b) at one aligned position: equal, one of them 1, or clashing."""
    n = pick(rng, (2, 3, 4, 5, 6, 7))
    if kind == "eq":
        return n, n
    if kind == "a1":
        return 1, n
    if kind == "b1":
        return n, 1
    m = pick(rng, [v for v in (2, 3, 4, 5, 6, 7) if v != n])
    return n, m


@family(
    "broadcast",
    title="Broadcasting: result shape or error",
    topic=TOPIC,
    terms=(),
    levels={
        1: "same number of dims",
        2: "different numbers of dims (right-aligned)",
        3: "in-place ops (a += b)",
    },
)
def broadcast(rng: np.random.Generator, level: int) -> Question:
    import torch

    if level == 1:
        n_common, extra_a, extra_b = pick(rng, (2, 3)), 0, 0
    elif level == 2:
        n_common = pick(rng, (1, 2, 3))
        extra = pick(rng, (1, 2))
        extra_a, extra_b = (extra, 0) if rng.integers(2) else (0, extra)
    else:
        n_common = pick(rng, (1, 2, 3))
        extra_a, extra_b = (pick(rng, (0, 1)), 0) if rng.integers(4) else (0, 1)

    if level < 3:
        case = "clash" if rng.integers(20) < 7 else "ok"
        kinds = [pick(rng, ("eq", "a1", "b1", "a1", "b1")) for _ in range(n_common)]
    else:
        # ok: b fits into a; grow: broadcastable but bigger than a; clash: not broadcastable.
        case = pick(rng, ("ok", "ok", "ok", "grow", "grow", "clash")) if extra_b == 0 else "grow"
        kinds = [pick(rng, ("eq", "b1")) for _ in range(n_common)]
        if case == "grow" and extra_b == 0:
            kinds[int(rng.integers(n_common))] = "a1"
    if case == "clash":
        kinds[int(rng.integers(n_common))] = "clash"
    pairs = [_pair(rng, k) for k in kinds]
    a_shape = [pick(rng, (2, 3, 4, 5, 6, 7, 8)) for _ in range(extra_a)] + [p[0] for p in pairs]
    b_shape = [pick(rng, (2, 3, 4, 5, 6, 7, 8)) for _ in range(extra_b)] + [p[1] for p in pairs]

    a, b = torch.zeros(a_shape), torch.zeros(b_shape)
    op = "a + b" if level < 3 else pick(rng, ("a += b", "a.add_(b)", "a.mul_(b)"))
    message = ""
    try:
        if level < 3:
            result: tuple[int, ...] | None = shape_of(a + b)
        else:
            if op == "a += b":
                a += b
            else:
                getattr(a, op[2:6])(b)
            result = shape_of(a)
    except RuntimeError as err:
        result, message = None, torch_msg(err)
    try:  # what the out-of-place a + b would give, for the explanation of in-place ops
        plain: tuple[int, ...] | None = shape_of(torch.zeros(a_shape) + torch.zeros(b_shape))
    except RuntimeError:
        plain = None
    correct = ERROR if result is None else fmt_shape(result)

    distractors = [] if result is None else [ERROR]
    n = max(len(a_shape), len(b_shape))
    left = _bcast(a_shape + [1] * (n - len(a_shape)), b_shape + [1] * (n - len(b_shape)))
    rmax = [
        max(x, y)
        for x, y in zip(
            [1] * (n - len(a_shape)) + a_shape, [1] * (n - len(b_shape)) + b_shape, strict=True
        )
    ]
    if level == 3 and plain is not None:
        distractors.append(fmt_shape(plain))
    if left is not None:
        distractors.append(fmt_shape(left))
    distractors += [fmt_shape(rmax), fmt_shape(a_shape), fmt_shape(b_shape), fmt_shape(rmax[::-1])]
    expected = choice_answer(rng, correct, distractors)

    clash = next(
        (
            (x, y)
            for x, y in zip(
                [1] * (n - len(a_shape)) + a_shape, [1] * (n - len(b_shape)) + b_shape, strict=True
            )
            if x != y and 1 not in (x, y)
        ),
        None,
    )
    slips = [
        (
            ERROR,
            "thought-it-clashes",
            "expected an error",
            "Each right-aligned pair is equal or contains a 1 (a missing dim counts as 1), so "
            "it broadcasts"
            + (f", and the result is a's own shape {fmt_shape(a_shape)}." if level == 3 else "."),
        ),
        (
            fmt_shape(left) if left is not None else "",
            "left-aligned",
            "aligned from the left",
            "Broadcasting aligns the shapes from the right (the trailing dims), not the left.",
        ),
        (
            fmt_shape(rmax),
            "ignored-clash" if clash else "stretched-anyway",
            "took the larger size everywhere",
            f"Sizes {clash[0]} and {clash[1]} clash: a pair must be equal or contain a 1."
            if clash
            else "An in-place op cannot grow a: its shape is fixed.",
        ),
        (
            fmt_shape(plain) if plain is not None else "",
            "in-place-grows",
            "let a grow in place",
            f"a += b writes into a, whose shape {fmt_shape(a_shape)} cannot change; a result of "
            f"{fmt_shape(plain) if plain else ''} does not fit.",
        ),
        (
            fmt_shape(a_shape),
            "kept-a",
            "kept a's shape",
            "Where a has a 1 and b a larger size, the result takes the larger size.",
        ),
        (
            fmt_shape(b_shape),
            "kept-b",
            "kept b's shape",
            "The result has as many dims as the longer shape, each the larger of the pair.",
        ),
    ]

    def padded(s: list[int]) -> str:
        return "(" + ", ".join(["·"] * (n - len(s)) + [str(v) for v in s]) + ")"

    align = f"Right-aligned: a {padded(a_shape)} and b {padded(b_shape)}"
    rule = "each pair must be equal or contain a 1 (a missing dim counts as 1)"
    if level < 3:
        if result is not None:
            lines = [f"{align}; {rule}.", f"Every 1 stretches to the other size → {correct}"]
        else:
            lines = [
                f"{align}; {rule}.",
                "One pair has two different sizes, neither 1.",
                f"torch: “{message}”",
            ]
    else:
        lines = [f"An in-place op writes into a, so a's shape {fmt_shape(a_shape)} cannot change."]
        if plain is None:
            lines += [
                f"{align}: a clashing pair, so it does not even broadcast.",
                f"torch: “{message}”",
            ]
        elif result is not None:
            lines += [
                f"a + b would broadcast to {fmt_shape(plain)}, which is a's own shape, so it "
                f"runs → {correct}"
            ]
        else:
            lines += [
                f"a + b would broadcast to {fmt_shape(plain)}, bigger than a.",
                f"torch: “{message}”",
            ]
    code = f"a = torch.zeros({join_args(a_shape)})\nb = torch.zeros({join_args(b_shape)})\n"
    if level < 3:
        code += "y = a + b"
        prompt = f"What is the shape of y, or does the last line raise an error? {PICK}"
        body, ok = ["y = a + b"], "tuple(y.shape)"
    else:
        code += op
        prompt = f"After the last line, what is a's shape — or does it raise an error? {PICK}"
        body, ok = [op], "tuple(a.shape)"
    proof = (
        "import torch\n"
        f"a = torch.zeros({join_args(a_shape)})\nb = torch.zeros({join_args(b_shape)})\n"
        + try_print(body, ok, ERROR)
    )
    return Question(
        level=level,
        params={"a": a_shape, "b": b_shape, "op": op, "in_place": level == 3},
        prompt=prompt,
        code=code,
        expected=expected,
        explanation="\n".join(lines),
        proof=proof,
        mistakes=keep_mistakes(expected, option_mistakes(expected, slips)),
        hints=(
            "Align the shapes from the right; each pair must be equal or contain a 1 (a missing "
            "dim counts as 1) and the result takes the larger size. In place, the result must be "
            "a's shape.",
            f"Right-aligned: a {padded(a_shape)}, b {padded(b_shape)}.",
        ),
    )
