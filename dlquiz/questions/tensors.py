"""Generators for tensor shape manipulation (topic "tensors").

Each question's graded answer is what torch does at question time: the operation is run on
meta tensors where only shapes matter (fast), or on tiny CPU tensors where the exact error
message or the values matter. For "pick one" questions the wrong options are plausible
mistakes; only the right option comes from torch. Formulas live in the explanations and,
independently, in the tests.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from dlquiz.questions.base import Expected, Question, family
from dlquiz.questions.common import (
    TORCH_HEADER,
    fmt_shape,
    pick,
    sample,
    shape_form,
    shape_of,
    shuffled,
)

if TYPE_CHECKING:
    import numpy as np
    import torch

TOPIC = "tensors"
ERROR = "error"
PICK = "Pick one."


# ---------------------------------------------------------------- helpers


def _dot(values: Iterable[int]) -> str:
    return "·".join(str(v) for v in values)


def _product(values: Sequence[int]) -> str:
    """``2·3·4 = 24`` (or just ``24`` for a single size)."""
    return str(values[0]) if len(values) == 1 else f"{_dot(values)} = {math.prod(values)}"


def _args(values: Iterable[Any]) -> str:
    return ", ".join(str(v) for v in values)


def _msg(err: BaseException) -> str:
    """The gist of torch's message: its first line, trimmed to a readable length."""
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def _choice(
    rng: np.random.Generator, correct: str, distractors: Iterable[str], k: int = 4
) -> Expected:
    """A shuffled choice answer: ``correct`` plus up to k−1 distinct distractors, in order."""
    options = [correct]
    for d in distractors:
        if d not in options and len(options) < k:
            options.append(d)
    choices = tuple(shuffled(rng, options))
    return Expected("choice", choices.index(correct), choices=choices)


def _try_print(expr_lines: list[str], ok: str, fail: str) -> str:
    """Proof tail: run the lines, print ``ok`` (an expression) or ``fail`` (a literal) on error."""
    body = "\n".join("    " + line for line in expr_lines)
    return f"try:\n{body}\n    print({ok})\nexcept RuntimeError:\n    print({fail!r})"


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


def _prime_factors(n: int) -> list[int]:
    out, p = [], 2
    while n > 1:
        while n % p == 0:
            out.append(p)
            n //= p
        p += 1
    return out


def _split(rng: np.random.Generator, n: int, k: int) -> list[int]:
    """A random k-dim shape with n elements (prime factors dealt into k bins)."""
    bins = [1] * k
    for p in _prime_factors(n):
        bins[int(rng.integers(k))] *= p
    return bins


# ---------------------------------------------------------------- reshape-valid


@family(
    "reshape-valid",
    title="view / reshape: result shape or error",
    topic=TOPIC,
    terms=(),
    levels={
        1: "explicit target shape",
        2: "inferred size with -1",
        3: ".view on a transposed (non-contiguous) tensor",
    },
)
def reshape_valid(rng: np.random.Generator, level: int) -> Question:
    import torch

    pre: list[Any] | None = None  # the layout change applied before the reshape (level 3)
    kind = "plain"
    if level == 1:
        shape = sample(rng, pick(rng, (2, 3)), (2, 3, 4, 5, 6))
        numel = math.prod(shape)
        method = pick(rng, ("view", "reshape"))
        target = _split(rng, numel, pick(rng, (1, 2, 3)))
        for _ in range(4):  # avoid the trivial "same shape" target when we can
            if target != shape:
                break
            target = _split(rng, numel, len(target))
        if rng.integers(2):
            kind = "count"
            j = int(rng.integers(len(target)))
            target[j] += 1 if target[j] <= 2 or rng.integers(2) else -1
    elif level == 2:
        shape = sample(rng, 3, (2, 3, 4, 5))
        numel = math.prod(shape)
        method = pick(rng, ("view", "reshape"))
        target = _split(rng, numel, pick(rng, (2, 3)))
        pos = int(rng.integers(len(target)))
        roll = int(rng.integers(20))
        if roll < 10:
            kind = "infer"
        elif roll < 17:
            kind = "indivisible"
            others = [j for j in range(len(target)) if j != pos]
            j = pick(rng, others)
            rest = math.prod(target[i] for i in others if i != j)
            target[j] = pick(rng, [v for v in range(2, 8) if numel % (rest * v)])
        else:
            kind = "two"
            if len(target) == 2:
                target.append(1)
            pos2 = pick(rng, [j for j in range(len(target)) if j != pos])
            target[pos2] = -1
        target[pos] = -1
    else:
        op = pick(rng, ("t", "transpose", "permute"))
        if op == "t":
            shape = sample(rng, 2, (2, 3, 4, 5, 6))
            pre, perm = ["t"], [1, 0]
        elif op == "transpose":
            shape = sample(rng, 3, (2, 3, 4, 5, 6))
            i, j = sorted(sample(rng, 2, (0, 1, 2)))
            perm = [0, 1, 2]
            perm[i], perm[j] = j, i
            pre = ["transpose", i, j]
        else:
            rank = pick(rng, (3, 4))
            shape = sample(rng, rank, (2, 3, 4, 5, 6))
            perm = list(range(rank))
            while perm == sorted(perm):
                perm = shuffled(rng, range(rank))
            pre = ["permute", *perm]
        numel = math.prod(shape)
        moved = [shape[p] for p in perm]
        method = "view" if rng.integers(4) else "reshape"
        kind = pick(rng, ("flatten", "merge", "merge", "split"))
        splittable = [i for i, v in enumerate(moved) if v in (4, 6)]
        if kind == "split" and not splittable:
            kind = "merge"
        if kind == "flatten":
            target = [-1] if rng.integers(2) else [numel]
        elif kind == "merge":
            i = int(rng.integers(len(moved) - 1))
            target = [*moved[:i], moved[i] * moved[i + 1], *moved[i + 2 :]]
            if rng.integers(2):
                target[i] = -1
        else:
            i = pick(rng, splittable)
            a = pick(rng, (2, moved[i] // 2))
            target = [*moved[:i], a, moved[i] // a, *moved[i + 1 :]]

    x = torch.zeros(shape, device="meta")
    pre_code = ""
    if pre is not None:
        if pre[0] == "t":
            x, pre_code = x.t(), ".t()"
        elif pre[0] == "transpose":
            x, pre_code = x.transpose(pre[1], pre[2]), f".transpose({pre[1]}, {pre[2]})"
        else:
            x, pre_code = x.permute(*pre[1:]), f".permute({_args(pre[1:])})"
    x_shape, strides = shape_of(x), tuple(int(s) for s in x.stride())
    message = ""
    try:
        result: tuple[int, ...] | None = shape_of(getattr(x, method)(*target))
    except RuntimeError as err:
        result, message = None, _msg(err)
    correct = ERROR if result is None else fmt_shape(result)

    # Plausible wrong answers: the shape a careless reading gives, the input shape, a reversal.
    distractors = [ERROR]
    known = math.prod(v for v in target if v != -1)
    if result is not None:
        distractors += [fmt_shape(result[::-1]), fmt_shape(shape), fmt_shape(x_shape)]
    else:
        if pre is not None:
            distractors.append(fmt_shape(shape_of(x.reshape(*target))))
        if target.count(-1) == 1:
            distractors.append(fmt_shape(numel // known if v == -1 else v for v in target))
        elif -1 not in target:
            distractors.append(fmt_shape(target))
        distractors += [fmt_shape(shape), fmt_shape(x_shape[::-1])]
    expected = _choice(rng, correct, distractors)

    call = f"x.{method}({_args(target)})"
    code = f"x = torch.zeros({_args(shape)}){pre_code}\ny = {call}"
    prompt = f"What is the shape of y, or does the second line raise an error? {PICK}"
    n_expr = _product(shape)
    if kind in ("plain", "count"):
        if result is not None:
            lines = [
                f"x has {n_expr} elements and the target {_product(target)} as well, so "
                f"{method} only regroups them.",
                f"→ {correct}",
            ]
        else:
            lines = [
                f"x has {n_expr} elements but the target needs {_product(target)}; "
                f"{method} can never add or drop elements.",
                f"torch: “{message}”",
            ]
    elif kind in ("infer", "indivisible", "two"):
        if result is not None:
            lines = [
                f"-1 is filled in so the count stays {n_expr}: {numel} / {known} = "
                f"{result[target.index(-1)]}.",
                f"→ {correct}",
            ]
        elif kind == "two":
            lines = [
                "Only one size may be -1: with two, the split of the remaining elements is "
                "ambiguous.",
                f"torch: “{message}”",
            ]
        else:
            lines = [
                f"x has {n_expr} elements; the known sizes multiply to {known}, and "
                f"{numel} / {known} is not a whole number, so -1 has no valid value.",
                f"torch: “{message}”",
            ]
    else:
        layout = f"After {pre_code[1:]} x has shape {fmt_shape(x_shape)} and strides {strides}"
        if method == "reshape":
            lines = [
                f"{layout}: not contiguous.",
                ".reshape does not care: it returns a view when it can and copies otherwise; "
                f"the {numel} elements fit the target.",
                f"→ {correct}",
            ]
        elif result is not None:
            how = "only splits a dim" if kind == "split" else "only merges dims"
            lines = [
                f"{layout}: not contiguous, but this target {how} whose elements are still "
                "evenly spaced in memory, so .view needs no copy.",
                f"→ {correct}",
            ]
        else:
            lines = [
                f"{layout}: not contiguous.",
                ".view never copies, so it cannot merge dims that are no longer adjacent in "
                "memory.",
                f"torch: “{message}”",
                ".reshape (or .contiguous().view) would copy and succeed.",
            ]
    proof = "import torch\n" + _try_print(
        [f"x = torch.zeros({_args(shape)}){pre_code}", f"y = {call}"],
        "tuple(y.shape)",
        ERROR,
    )
    return Question(
        family="reshape-valid",
        level=level,
        params={"shape": shape, "pre": pre, "method": method, "target": target, "case": kind},
        prompt=prompt,
        code=code,
        expected=expected,
        explanation="\n".join(lines),
        proof=proof,
    )


# ---------------------------------------------------------------- permute-shape


def _apply_op(x: torch.Tensor, op: list[Any]) -> tuple[torch.Tensor, str]:
    """Run one shape op given as JSON-able data; also return its source text."""
    import torch

    name, args = op[0], op[1:]
    if name == "mT":
        return x.mT, ".mT"
    if name == "movedim":
        src, dst = (tuple(a) if isinstance(a, list) else a for a in args)
        return torch.movedim(x, src, dst), f".movedim({src}, {dst})"
    return getattr(x, name)(*args), f".{name}({_args(args)})"


@family(
    "permute-shape",
    title="Shape after permute / transpose / movedim",
    topic=TOPIC,
    terms=(),
    levels={
        1: "one permute or transpose",
        2: "chains with negative dims and .mT",
        3: "movedim",
    },
)
def permute_shape(rng: np.random.Generator, level: int) -> Question:
    import torch

    rank = pick(rng, (3, 4))
    shape = sample(rng, rank, (2, 3, 4, 5, 6, 7, 8, 9))
    ops: list[list[Any]] = []

    def random_perm() -> list[int]:
        perm = list(range(rank))
        while perm == sorted(perm):
            perm = shuffled(rng, range(rank))
        return perm

    def neg_pair() -> list[int]:
        a, b = sample(rng, 2, list(range(1, rank + 1)))
        return [-a, -b]

    if level == 1:
        if rng.integers(3):
            ops.append(["permute", *random_perm()])
        else:
            ops.append(["transpose", *sorted(sample(rng, 2, list(range(rank))))])
    elif level == 2:
        first = pick(rng, ("permute", "transpose"))
        if first == "permute":
            ops.append(["permute", *random_perm()])
        else:
            ops.append(["transpose", *neg_pair()])
        ops.append(["mT"] if rng.integers(3) == 0 else ["transpose", *neg_pair()])
    else:
        if rng.integers(2):
            src, dst = sample(rng, 2, [*range(rank), *range(-rank, 0)][: 2 * rank])
            while (src - dst) % rank == 0:
                dst = pick(rng, [*range(rank), *range(-rank, 0)])
            ops.append(["movedim", src, dst])
        else:
            src = sorted(sample(rng, 2, list(range(rank))))
            dst = sample(rng, 2, list(range(rank)))
            if src == dst:
                dst = dst[::-1]
            ops.append(["movedim", src, dst])

    x = torch.zeros(shape, device="meta")
    chain, lines = "", []
    for op in ops:
        before = shape_of(x)
        x, text = _apply_op(x, op)
        chain += text
        after = fmt_shape(shape_of(x))
        name, args = op[0], op[1:]
        if name == "permute":
            lines.append(
                f"permute({_args(args)}): output dim i is input dim dims[i], so {fmt_shape(before)}"
                f" → {after}"
            )
        elif name == "transpose":
            a, b = args
            real = f" (dims {a % len(before)} and {b % len(before)})" if min(a, b) < 0 else ""
            lines.append(f"transpose({a}, {b}) swaps two dims{real}: {fmt_shape(before)} → {after}")
        elif name == "mT":
            lines.append(f".mT swaps the last two dims: {fmt_shape(before)} → {after}")
        elif isinstance(args[0], list):
            lines.append(
                f"movedim: dim {args[0][0]} goes to position {args[1][0]} and dim {args[0][1]} "
                f"to position {args[1][1]}; the other dims fill the free slots in order."
            )
            lines.append(f"{fmt_shape(before)} → {after}")
        else:
            lines.append(
                f"movedim({args[0]}, {args[1]}) lifts dim {args[0]} out and reinserts it at "
                f"position {args[1]} (counted in the result); the rest keep their order."
            )
            lines.append(f"{fmt_shape(before)} → {after}")
    shape_out = shape_of(x)
    code = f"x = torch.zeros({_args(shape)})\ny = x{chain}"
    return Question(
        family="permute-shape",
        level=level,
        params={"shape": shape, "ops": ops},
        prompt=f"What is the shape of y? {shape_form()}",
        code=code,
        expected=Expected("shape", shape_out),
        explanation="\n".join(lines),
        proof="import torch\n" + code + "\nprint(tuple(y.shape))",
    )


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
        result, message = None, _msg(err)
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
    expected = _choice(rng, correct, distractors)

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
    code = f"a = torch.zeros({_args(a_shape)})\nb = torch.zeros({_args(b_shape)})\n"
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
        f"a = torch.zeros({_args(a_shape)})\nb = torch.zeros({_args(b_shape)})\n"
        + _try_print(body, ok, ERROR)
    )
    return Question(
        family="broadcast",
        level=level,
        params={"a": a_shape, "b": b_shape, "op": op, "in_place": level == 3},
        prompt=prompt,
        code=code,
        expected=expected,
        explanation="\n".join(lines),
        proof=proof,
    )


# ---------------------------------------------------------------- matmul-shape


@family(
    "matmul-shape",
    title="matmul / @ / bmm result shape",
    topic=TOPIC,
    terms=("dense-layer", "attention-mechanism"),
    levels={
        1: "two matrices",
        2: "bmm and 1-D operands",
        3: "broadcast batch dims",
    },
)
def matmul_shape(rng: np.random.Generator, level: int) -> Question:
    import torch

    sizes = (2, 3, 4, 5, 6, 7, 8, 9)
    n, k, m, bsz = sample(rng, 4, sizes)
    op = "@"
    if level == 1:
        op = pick(rng, ("@", "torch.mm", "torch.matmul"))
        a_shape, b_shape = [n, k], [k, m]
        note = f"Matrix product: (n×k)·(k×m) → (n×m), here ({n}×{k})·({k}×{m})."
    elif level == 2:
        case = pick(rng, ("bmm", "vec-mat", "mat-vec", "batch-vec", "vec-batch", "vec-vec"))
        if case == "bmm":
            op = "torch.bmm"
            a_shape, b_shape = [bsz, n, k], [bsz, k, m]
            note = (
                "bmm takes two 3-D tensors with the same batch size: (b, n, k)·(b, k, m) → "
                f"(b, n, m); b = {bsz}, n = {n}, m = {m}."
            )
        else:
            a_shape, b_shape = {
                "vec-mat": ([k], [k, m]),
                "mat-vec": ([n, k], [k]),
                "batch-vec": ([bsz, n, k], [k]),
                "vec-batch": ([k], [bsz, k, m]),
                "vec-vec": ([k], [k]),
            }[case]
            op = pick(rng, ("@", "torch.matmul"))
            note = {
                "vec-mat": "A 1-D first operand acts as a row (1×k); that 1 is dropped after.",
                "mat-vec": "A 1-D second operand acts as a column (k×1); that 1 is dropped after.",
                "batch-vec": "The 1-D second operand is a column (k×1) for every batch entry; "
                "the 1 is dropped.",
                "vec-batch": "The 1-D first operand is a row (1×k) for every batch entry; "
                "the 1 is dropped.",
                "vec-vec": "Two 1-D tensors give their dot product: a 0-dim tensor, shape ().",
            }[case]
    else:
        op = pick(rng, ("@", "torch.matmul"))
        j = pick(rng, [v for v in sizes if v not in (n, k, m, bsz)])
        a_batch, b_batch = pick(
            rng, (([j, 1], [bsz]), ([bsz], []), ([], [bsz]), ([j, bsz], [1]), ([1, bsz], [j, 1]))
        )
        a_shape, b_shape = [*a_batch, n, k], [*b_batch, k, m]
        note = (
            f"The last two dims multiply as matrices: ({n}×{k})·({k}×{m}) → ({n}×{m}).\n"
            f"The batch dims {fmt_shape(a_batch)} and {fmt_shape(b_batch)} broadcast "
            "(right-aligned, 1s stretch, missing dims count as 1)."
        )

    a = torch.zeros(a_shape, device="meta")
    b = torch.zeros(b_shape, device="meta")
    fn = {"@": torch.matmul, "torch.matmul": torch.matmul, "torch.mm": torch.mm}.get(op, torch.bmm)
    result = shape_of(fn(a, b))
    expr = "a @ b" if op == "@" else f"{op}(a, b)"
    code = f"a = torch.zeros({_args(a_shape)})\nb = torch.zeros({_args(b_shape)})\ny = {expr}"
    return Question(
        family="matmul-shape",
        level=level,
        params={"a": a_shape, "b": b_shape, "op": op},
        prompt=f"What is the shape of y? {shape_form()}"
        + (" Write () for a 0-dim result." if level == 2 else ""),
        code=code,
        expected=Expected("shape", result),
        explanation=f"{note}\n→ {fmt_shape(result)}",
        proof="import torch\n" + code + "\nprint(tuple(y.shape))",
    )


# ---------------------------------------------------------------- cat-stack


@family(
    "cat-stack",
    title="torch.cat vs torch.stack result shape",
    topic=TOPIC,
    terms=(),
    levels={
        1: "cat along a dim",
        2: "stack (new dim, negative dims)",
        3: "negative dims, hstack and vstack",
    },
)
def cat_stack(rng: np.random.Generator, level: int) -> Question:
    import torch

    names = "abcd"
    count = pick(rng, (2, 3)) if level == 1 else pick(rng, (2, 3, 4))
    if level == 1:
        fn = "cat"
    elif level == 2:
        fn = "stack"
    else:
        fn = pick(rng, ("cat", "stack", "hstack", "vstack"))
    rank = pick(rng, (1, 2)) if fn in ("hstack", "vstack") else pick(rng, (2, 3))
    base = sample(rng, rank, (2, 3, 4, 5, 6, 7, 8))
    dim: int | None = None
    if fn == "cat":
        dim = int(rng.integers(rank)) - (rank if level == 3 else 0)
    elif fn == "stack":
        dim = int(rng.integers(rank + 1))
        if level == 3 or rng.integers(2):
            dim -= rank + 1
    # cat / hstack of 2-D or more join along a dim whose size may differ between the inputs.
    join = {"cat": dim, "hstack": 0 if rank == 1 else 1}.get(fn)
    shapes = []
    for _ in range(count):
        s = list(base)
        if join is not None:
            s[join] = pick(rng, (1, 2, 3, 4, 5, 6))
        shapes.append(s)

    tensors = [torch.zeros(s, device="meta") for s in shapes]
    if fn in ("cat", "stack"):
        y = getattr(torch, fn)(tensors, dim=dim)
    else:
        y = getattr(torch, fn)(tensors)
    result = shape_of(y)
    used = names[:count]
    call = f"torch.{fn}([{', '.join(used)}]" + (f", dim={dim})" if dim is not None else ")")
    code = "".join(f"{v} = torch.zeros({_args(s)})\n" for v, s in zip(used, shapes, strict=True))
    code += f"y = {call}"
    if fn == "cat":
        sizes = " + ".join(str(s[join]) for s in shapes)
        where = f"dim {dim}" + (f" (= dim {dim % rank})" if dim < 0 else "")
        lines = [
            f"cat joins along an existing dim, {where}: the sizes there add up "
            f"({sizes} = {result[dim]}); every other dim must already match."
        ]
    elif fn == "stack":
        pos = dim % (rank + 1)
        where = f"position {dim}" + (f" (= {pos} in the {rank + 1}-D result)" if dim < 0 else "")
        lines = [
            f"stack needs equal shapes and adds a NEW dim of size {count} (one per tensor) at "
            f"{where}."
        ]
    elif fn == "hstack":
        lines = [
            "hstack joins 1-D tensors along dim 0 and anything with 2+ dims along dim 1 "
            f"(here {rank}-D, so dim {join})."
        ]
    else:
        lines = [
            "vstack joins along dim 0, after turning 1-D tensors into rows of shape (1, n)"
            + (" (so the rows stack into a matrix)." if rank == 1 else ".")
        ]
    lines.append(f"→ {fmt_shape(result)}")
    return Question(
        family="cat-stack",
        level=level,
        params={"fn": fn, "shapes": shapes, "dim": dim},
        prompt=f"What is the shape of y? {shape_form()}",
        code=code,
        expected=Expected("shape", result),
        explanation="\n".join(lines),
        proof="import torch\n" + code + "\nprint(tuple(y.shape))",
    )


# ---------------------------------------------------------------- squeeze-unsqueeze


@family(
    "squeeze-unsqueeze",
    title="Shape after squeeze / unsqueeze",
    topic=TOPIC,
    terms=(),
    levels={
        1: "one squeeze(dim) or unsqueeze(dim)",
        2: "chains with negative dims (and squeezing a non-1 dim)",
        3: "squeeze(), tuple dims and None indexing",
    },
)
def squeeze_unsqueeze(rng: np.random.Generator, level: int) -> Question:
    import torch

    rank = pick(rng, (2, 3)) if level == 1 else pick(rng, (3, 4))
    shape = sample(rng, rank, (2, 3, 4, 5, 6, 7))
    for i in sample(rng, 1 if rank == 2 else pick(rng, (1, 2)), list(range(rank))):
        shape[i] = 1
    x = torch.zeros(shape, device="meta")
    n_ops = 1 if level == 1 else pick(rng, (2, 3))
    ops: list[list[Any]] = []
    chain, lines = "", []
    for step in range(n_ops):
        r, cur = x.dim(), shape_of(x)
        ones = [i for i, v in enumerate(cur) if v == 1]
        if level == 1:
            kind = pick(rng, ("squeeze", "unsqueeze"))
        elif level == 2:
            kind = pick(rng, ("squeeze", "unsqueeze", "squeeze-any"))
        else:
            kind = pick(rng, ("squeeze-all", "squeeze-tuple", "index", "index", "unsqueeze"))
            if step == 0 and kind == "squeeze-all" and n_ops > 1:
                kind = "index"
        if kind.startswith("squeeze") and kind != "squeeze-any" and not ones:
            kind = "unsqueeze"
        if kind == "squeeze":
            d = pick(rng, ones)
            if level > 1 and rng.integers(2):
                d -= r
            op: list[Any] = ["squeeze", d]
        elif kind == "squeeze-any":  # any dim, often not of size 1: then a no-op
            d = int(rng.integers(r)) - (r if rng.integers(2) else 0)
            op = ["squeeze", d]
        elif kind == "unsqueeze":
            d = int(rng.integers(r + 1))
            if level > 1 and rng.integers(2):
                d -= r + 1
            op = ["unsqueeze", d]
        elif kind == "squeeze-all":
            op = ["squeeze"]
        elif kind == "squeeze-tuple":
            dims = sorted(sample(rng, 2, list(range(r)))) if r >= 2 else [0]
            op = ["squeeze", dims]
        else:
            lead = int(rng.integers(-1, min(r, 2) + 1))  # -1 means x[..., None]
            op = ["index_none", lead]
        ops.append(op)

        if op[0] == "index_none":
            idx = "..., None" if op[1] == -1 else ", ".join([":"] * op[1] + ["None"])
            x, text = (
                x[(Ellipsis, None) if op[1] == -1 else (slice(None),) * op[1] + (None,)],
                (f"[{idx}]"),
            )
            where = "at the end" if op[1] == -1 else f"at position {op[1]}"
            desc = f"[{idx}] inserts a size-1 dim {where}"
        elif op[0] == "squeeze" and len(op) == 1:
            x, text = x.squeeze(), ".squeeze()"
            desc = ".squeeze() with no dim removes every size-1 dim"
        elif op[0] == "squeeze" and isinstance(op[1], list):
            x, text = x.squeeze(tuple(op[1])), f".squeeze({tuple(op[1])})"
            desc = f".squeeze({tuple(op[1])}) removes those dims that have size 1, others stay"
        elif op[0] == "squeeze":
            x, text = x.squeeze(op[1]), f".squeeze({op[1]})"
            size = cur[op[1]]
            desc = (
                f".squeeze({op[1]}) removes that dim (size 1)"
                if size == 1
                else f".squeeze({op[1]}): that dim has size {size}, not 1, so nothing changes"
            )
        else:
            x, text = x.unsqueeze(op[1]), f".unsqueeze({op[1]})"
            desc = f".unsqueeze({op[1]}) inserts a size-1 dim at position {op[1]} of the result"
        chain += text
        lines.append(f"{desc}: {fmt_shape(cur)} → {fmt_shape(shape_of(x))}")
    code = f"x = torch.zeros({_args(shape)})\ny = x{chain}"
    return Question(
        family="squeeze-unsqueeze",
        level=level,
        params={"shape": shape, "ops": ops},
        prompt=f"What is the shape of y? {shape_form()}",
        code=code,
        expected=Expected("shape", shape_of(x)),
        explanation="\n".join(lines),
        proof="import torch\n" + code + "\nprint(tuple(y.shape))",
    )


# ---------------------------------------------------------------- one-hot


@family(
    "one-hot",
    title="F.one_hot shape and rows",
    topic=TOPIC,
    terms=("one-hot-encoding", "cross-entropy-loss"),
    levels={
        1: "output shape with num_classes",
        2: "the one-hot row for a label",
        3: "num_classes left out (inferred)",
    },
)
def one_hot(rng: np.random.Generator, level: int) -> Question:
    import torch
    import torch.nn.functional as F

    header = "import torch\nimport torch.nn.functional as F\n"
    if level == 1:
        classes = pick(rng, (3, 4, 5, 6, 7, 8, 10))
        shape = sample(rng, pick(rng, (1, 2)), [v for v in range(2, 10) if v != classes])
        y = F.one_hot(torch.zeros(shape, dtype=torch.long), num_classes=classes)
        result = shape_of(y)
        code = (
            f"labels = torch.randint(0, {classes}, {fmt_shape(shape)})\n"
            f"y = F.one_hot(labels, num_classes={classes})"
        )
        return Question(
            family="one-hot",
            level=level,
            params={"labels_shape": shape, "num_classes": classes},
            prompt=f"What is the shape of y? {shape_form()}",
            code=code,
            expected=Expected("shape", result),
            explanation=(
                f"Every label becomes a vector of length num_classes = {classes}, so a new "
                f"last dim is added: {fmt_shape(shape)} + ({classes},)\n→ {fmt_shape(result)}"
            ),
            proof=header + code + "\nprint(tuple(y.shape))",
        )
    if level == 2:
        classes = pick(rng, (3, 4, 5, 6, 7))
        labels = [int(v) for v in rng.integers(0, classes, size=pick(rng, (3, 4, 5)))]
        row = int(rng.integers(len(labels)))
        y = F.one_hot(torch.tensor(labels), num_classes=classes)
        values = tuple(float(v) for v in y[row].tolist())
        code = f"labels = torch.tensor({labels})\ny = F.one_hot(labels, num_classes={classes})"
        return Question(
            family="one-hot",
            level=level,
            params={"labels": labels, "num_classes": classes, "row": row},
            prompt=f"What is y[{row}]? Answer as a list of 0s and 1s like [0, 1, 0].",
            code=code,
            expected=Expected("floats", values, decimals=0),
            explanation=(
                f"y[{row}] encodes labels[{row}] = {labels[row]}: {classes} zeros with a 1 at "
                f"index {labels[row]} (counting from 0).\n→ "
                + "["
                + ", ".join(f"{v:.0f}" for v in values)
                + "]"
            ),
            proof=header
            + code
            + f'\nprint("[" + ", ".join(f"{{v:.0f}}" for v in y[{row}].tolist()) + "]")',
        )
    shape = pick(rng, ((4,), (5,), (6,), (2, 3), (3, 2), (2, 4)))
    labels_flat = [int(v) for v in rng.integers(0, pick(rng, (4, 5, 6, 7)), size=math.prod(shape))]
    labels_arr = torch.tensor(labels_flat).reshape(shape)
    labels = labels_arr.tolist()
    y = F.one_hot(labels_arr)
    result = shape_of(y)
    top, distinct = max(labels_flat), len(set(labels_flat))
    code = f"labels = torch.tensor({labels})\ny = F.one_hot(labels)"
    return Question(
        family="one-hot",
        level=level,
        params={"labels": labels, "labels_shape": list(shape), "num_classes": None},
        prompt=f"What is the shape of y? {shape_form()}",
        code=code,
        expected=Expected("shape", result),
        explanation=(
            f"Without num_classes, one_hot uses max(labels) + 1 = {top} + 1 classes"
            + (
                f" — not the number of distinct labels ({distinct})."
                if distinct != top + 1
                else " (here that happens to equal the number of distinct labels)."
            )
            + f"\nA new last dim of that size is added to the labels' shape {fmt_shape(shape)} → "
            + fmt_shape(result)
        ),
        proof=header + code + "\nprint(tuple(y.shape))",
    )


# ---------------------------------------------------------------- does-it-run

ERR_LINEAR = "RuntimeError: x's last dim ≠ in_features"
ERR_CONV = "RuntimeError: x's channel dim ≠ in_channels"
ERR_FLAT = "RuntimeError: flattened size ≠ the Linear's in_features"
ERR_MATMUL = "RuntimeError: the matmul's inner sizes differ"


def _runs(shape: Iterable[int]) -> str:
    return f"runs: output {fmt_shape(shape)}"


def _conv_out(size: int, k: int, s: int, p: int) -> int:
    """Output size for *distractors* and explanation text (the answer comes from torch)."""
    return (size + 2 * p - k) // s + 1


@family(
    "does-it-run",
    title="Does this run? Output shape or error",
    topic=TOPIC,
    terms=(
        "dense-layer",
        "convolutional-neural-network",
        "feature-map",
        "filter",
        "attention-mechanism",
    ),
    levels={
        1: "nn.Linear on a batch",
        2: "nn.Conv2d: channels and layout",
        3: "conv → flatten → linear, and attention-score matmuls",
    },
)
def does_it_run(rng: np.random.Generator, level: int) -> Question:
    import torch
    from torch import nn

    sizes = (3, 4, 5, 6, 8, 10, 12, 16, 20, 32)
    params: dict[str, Any] = {}
    if level == 1:
        d_in, d_out, batch, steps = sample(rng, 4, sizes)
        case = pick(rng, ("ok", "ok", "wrong", "swapped"))
        lead = [batch] if rng.integers(2) else [batch, steps]
        if case == "ok":
            x_shape = [*lead, d_in]
        elif case == "wrong":
            x_shape = [*lead, pick(rng, [v for v in sizes if v not in (d_in, d_out, *lead)])]
        else:  # features first, batch last: a transposed input
            x_shape = [d_in, batch]
        params = {"kind": "linear", "in_features": d_in, "out_features": d_out, "x": x_shape}
        setup = f"fc = nn.Linear({d_in}, {d_out})\nx = torch.randn({_args(x_shape)})"
        call, err_text = "y = fc(x)", ERR_LINEAR
        layer = nn.Linear(d_in, d_out)

        def run(x: torch.Tensor) -> torch.Tensor:
            return layer(x)

        as_if = [*x_shape[:-1], d_out]
        wrong = [[*x_shape[:-1], x_shape[-1]], [d_out, *x_shape[:-1]]]
        good = (
            f"nn.Linear acts on the last dim only: it must equal in_features = {d_in}; it "
            f"becomes out_features = {d_out}, leading dims pass through."
        )
        bad = (
            f"nn.Linear({d_in}, {d_out}) multiplies the last dim of x by its weight, so that dim "
            f"must be {d_in}; here it is {x_shape[-1]}"
            + (" (x is laid out features-first, batch-last)." if case == "swapped" else ".")
        )
    elif level == 2:
        c_in = pick(rng, (1, 3, 4, 8))
        c_out = pick(rng, (6, 8, 16, 32))
        while c_out == c_in:
            c_out = pick(rng, (6, 8, 16, 32))
        k = pick(rng, (1, 3, 3, 5))
        stride = pick(rng, (1, 2))
        pad = pick(rng, (0, k // 2))
        batch = pick(rng, (2, 4, 8))
        # H differs from in_channels so a channels-last input can never pass by accident.
        h, w = sample(rng, 2, [v for v in (8, 10, 12, 14, 16, 20, 24) if v != c_in])
        case = pick(rng, ("ok", "ok", "channels", "layout"))
        if case == "ok":
            x_shape = [batch, c_in, h, w]
        elif case == "channels":
            x_shape = [batch, pick(rng, [c for c in (1, 2, 3, 4, 6, 8) if c != c_in]), h, w]
        else:  # channels-last image batch fed straight in
            x_shape = [batch, h, w, c_in]
        params = {
            "kind": "conv",
            "in_channels": c_in,
            "out_channels": c_out,
            "kernel_size": k,
            "stride": stride,
            "padding": pad,
            "x": x_shape,
        }
        extra = (f", stride={stride}" if stride > 1 else "") + (f", padding={pad}" if pad else "")
        setup = f"conv = nn.Conv2d({c_in}, {c_out}, kernel_size={k}{extra})\n"
        setup += f"x = torch.randn({_args(x_shape)})"
        call, err_text = "y = conv(x)", ERR_CONV
        meta_conv = nn.Conv2d(c_in, c_out, k, stride=stride, padding=pad, device="meta")

        def run(x: torch.Tensor) -> torch.Tensor:
            # Shapes on meta (a CPU conv can stall on a busy thread pool); on failure redo it
            # on CPU, because meta words its errors differently from what a user would see.
            try:
                return meta_conv(x.to("meta"))
            except RuntimeError:
                return nn.Conv2d(c_in, c_out, k, stride=stride, padding=pad)(x)

        ho, wo = _conv_out(h, k, stride, pad), _conv_out(w, k, stride, pad)
        as_if = [batch, c_out, ho, wo]
        wrong = [
            [batch, c_out, h, w],
            [batch, c_out, ho - 1, wo - 1],
            [batch, c_in, ho, wo],
            [batch, c_out, h - k, w - k],
        ]
        good = (
            f"Conv2d reads channels from dim 1 of (N, C, H, W): {x_shape[1]} = in_channels.\n"
            f"H_out = ⌊(H + 2p − k)/s⌋ + 1 = ⌊({h} + 2·{pad} − {k})/{stride}⌋ + 1 = {ho}; "
            f"likewise W_out = {wo}."
        )
        bad = (
            "x is channels-last (N, H, W, C), but Conv2d reads dim 1 as channels: "
            f"it sees {x_shape[1]}, while in_channels = {c_in}."
            if case == "layout"
            else f"Conv2d reads channels from dim 1 of (N, C, H, W): x has {x_shape[1]} there, "
            f"but in_channels = {c_in}."
        )
    elif rng.integers(2):
        c_in = pick(rng, (1, 3))
        c_out = pick(rng, (4, 6, 8))
        k = pick(rng, (3, 5))
        pad = pick(rng, (0, k // 2))
        batch, n_cls = sample(rng, 2, (2, 4, 5, 8, 10))
        h, w = sample(rng, 2, (6, 7, 8, 9, 10, 12))
        ho, wo = _conv_out(h, k, 1, pad), _conv_out(w, k, 1, pad)
        right = c_out * ho * wo
        # The usual bugs: forgetting that the conv shrinks (or pads) the map, or an off-by-one.
        slips = [c_out * h * w, c_out * (h - k + 1) * (w - k + 1), c_out * (h - k) * (w - k)]
        case = pick(rng, ("ok", "ok", "slip"))
        feats = right if case == "ok" else pick(rng, [v for v in slips if v != right])
        x_shape = [batch, c_in, h, w]
        params = {
            "kind": "conv-flatten-linear",
            "in_channels": c_in,
            "out_channels": c_out,
            "kernel_size": k,
            "padding": pad,
            "in_features": feats,
            "out_features": n_cls,
            "x": x_shape,
        }
        extra = f", padding={pad}" if pad else ""
        setup = (
            "net = nn.Sequential(\n"
            f"    nn.Conv2d({c_in}, {c_out}, kernel_size={k}{extra}),\n"
            "    nn.ReLU(),\n"
            "    nn.Flatten(),\n"
            f"    nn.Linear({feats}, {n_cls}),\n"
            ")\n"
            f"x = torch.randn({_args(x_shape)})"
        )
        call, err_text = "y = net(x)", ERR_FLAT
        features = nn.Sequential(
            nn.Conv2d(c_in, c_out, k, padding=pad, device="meta"), nn.ReLU(), nn.Flatten()
        )

        def run(x: torch.Tensor) -> torch.Tensor:
            # The conv part runs on meta (shapes only); the Linear runs on CPU on a tensor of
            # the flattened shape, so a mismatch raises torch's usual CPU message.
            flat = features(x.to("meta"))
            return nn.Linear(feats, n_cls)(torch.zeros(shape_of(flat)))

        as_if = [batch, n_cls]
        wrong = [[batch, right], [batch, c_out, ho, wo], [batch, feats]]
        flat = (
            f"The conv gives (N, {c_out}, {ho}, {wo}) (H_out = {h} + 2·{pad} − {k} + 1 = {ho}); "
            f"Flatten keeps N and merges the rest: {c_out}·{ho}·{wo} = {right}."
        )
        good = f"{flat}\nThat equals the Linear's in_features ({feats})."
        bad = f"{flat}\nBut the Linear expects in_features = {feats}."
    else:
        batch, q_len, k_len, width = sample(rng, 4, (2, 3, 4, 5, 6, 7, 8, 16))
        form = pick(
            rng,
            (
                "q @ k.transpose(-2, -1)",
                "torch.bmm(q, k.transpose(1, 2))",
                "q @ k",
                "torch.bmm(q, k)",
            ),
        )
        x_shape = [batch, q_len, width]
        k_shape = [batch, k_len, width]
        params = {"kind": "scores", "q": x_shape, "k": k_shape, "expr": form}
        setup = f"q = torch.randn({_args(x_shape)})\nk = torch.randn({_args(k_shape)})"
        call, err_text = f"y = {form}", ERR_MATMUL
        key = torch.zeros(k_shape)

        def run(x: torch.Tensor) -> torch.Tensor:
            kt = key.transpose(-2, -1) if "transpose" in form else key
            return torch.bmm(x, kt) if form.startswith("torch.bmm") else x @ kt

        as_if = [batch, q_len, k_len]
        wrong = [[batch, q_len, width], [batch, k_len, q_len], [batch, width, width]]
        good = (
            f"k transposed is (B, d, S) = ({batch}, {width}, {k_len}); per batch entry "
            f"({q_len}×{width})·({width}×{k_len}) → {q_len}×{k_len}: one score per query–key pair."
        )
        bad = (
            f"Without the transpose the product is ({q_len}×{width})·({k_len}×{width}) per batch "
            f"entry: the inner sizes {width} and {k_len} differ."
        )

    message = ""
    try:
        with torch.no_grad():
            result: tuple[int, ...] | None = shape_of(run(torch.zeros(x_shape)))
    except RuntimeError as err:
        result, message = None, _msg(err)
    correct = err_text if result is None else _runs(result)
    distractors = [err_text, _runs(as_if)] + [_runs(s) for s in wrong]
    expected = _choice(rng, correct, distractors)
    if result is None:
        explanation = f"{bad}\ntorch: “{message}”"
    else:
        explanation = f"{good}\n→ runs, y.shape = {fmt_shape(result)}"
    code = f"{setup}\n{call}"
    proof = (
        TORCH_HEADER
        + setup
        + "\n"
        + _try_print([call], '"runs: output " + str(tuple(y.shape))', err_text)
    )
    return Question(
        family="does-it-run",
        level=level,
        params=params,
        prompt=f"Does this run? If it does, what shape does y have? {PICK}",
        code=code,
        expected=expected,
        explanation=explanation,
        proof=proof,
    )
