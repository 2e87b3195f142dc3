"""Generators for tensor shape manipulation (topic "tensors").

Each question's graded answer is what torch does at question time: the operation is run on
meta tensors where only shapes matter (fast), or on tiny CPU tensors where the exact error
message or the values matter. For "pick one" questions the wrong options are plausible
mistakes; only the right option comes from torch. Formulas live in the explanations and,
independently, in the tests.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from dlquiz.questions.base import Expected, Question, family

if TYPE_CHECKING:
    import numpy as np
    import torch

T = TypeVar("T")

TOPIC = "tensors"
ERROR = "error"
PICK = "Pick one."
SHAPE_FORM = "Answer as a shape like (a, b, …)."


# ---------------------------------------------------------------- helpers


def _pick(rng: np.random.Generator, options: Sequence[T]) -> T:
    """One element of ``options`` (indexing keeps plain Python types, JSON-friendly)."""
    return options[int(rng.integers(len(options)))]


def _distinct(rng: np.random.Generator, k: int, pool: Sequence[int]) -> list[int]:
    """``k`` different values from ``pool`` (distinct sizes make an answer's order visible)."""
    idx = rng.choice(len(pool), size=k, replace=False)
    return [pool[int(i)] for i in idx]


def _fmt(shape: Iterable[int]) -> str:
    return str(tuple(int(v) for v in shape))


def _shape(t: torch.Tensor) -> tuple[int, ...]:
    return tuple(int(v) for v in t.shape)


def _prod(values: Iterable[int]) -> int:
    out = 1
    for v in values:
        out *= v
    return out


def _dot(values: Iterable[int]) -> str:
    return "·".join(str(v) for v in values)


def _product(values: Sequence[int]) -> str:
    """``2·3·4 = 24`` (or just ``24`` for a single size)."""
    return str(values[0]) if len(values) == 1 else f"{_dot(values)} = {_prod(values)}"


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
    order = rng.choice(len(options), size=len(options), replace=False)
    choices = tuple(options[int(i)] for i in order)
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
        shape = _distinct(rng, _pick(rng, (2, 3)), (2, 3, 4, 5, 6))
        numel = _prod(shape)
        method = _pick(rng, ("view", "reshape"))
        target = _split(rng, numel, _pick(rng, (1, 2, 3)))
        for _ in range(4):  # avoid the trivial "same shape" target when we can
            if target != shape:
                break
            target = _split(rng, numel, len(target))
        if rng.integers(2):
            kind = "count"
            j = int(rng.integers(len(target)))
            target[j] += 1 if target[j] <= 2 or rng.integers(2) else -1
    elif level == 2:
        shape = _distinct(rng, 3, (2, 3, 4, 5))
        numel = _prod(shape)
        method = _pick(rng, ("view", "reshape"))
        target = _split(rng, numel, _pick(rng, (2, 3)))
        pos = int(rng.integers(len(target)))
        roll = int(rng.integers(20))
        if roll < 10:
            kind = "infer"
        elif roll < 17:
            kind = "indivisible"
            others = [j for j in range(len(target)) if j != pos]
            j = _pick(rng, others)
            rest = _prod(target[i] for i in others if i != j)
            target[j] = _pick(rng, [v for v in range(2, 8) if numel % (rest * v)])
        else:
            kind = "two"
            if len(target) == 2:
                target.append(1)
            pos2 = _pick(rng, [j for j in range(len(target)) if j != pos])
            target[pos2] = -1
        target[pos] = -1
    else:
        op = _pick(rng, ("t", "transpose", "permute"))
        if op == "t":
            shape = _distinct(rng, 2, (2, 3, 4, 5, 6))
            pre, perm = ["t"], [1, 0]
        elif op == "transpose":
            shape = _distinct(rng, 3, (2, 3, 4, 5, 6))
            i, j = sorted(_distinct(rng, 2, (0, 1, 2)))
            perm = [0, 1, 2]
            perm[i], perm[j] = j, i
            pre = ["transpose", i, j]
        else:
            rank = _pick(rng, (3, 4))
            shape = _distinct(rng, rank, (2, 3, 4, 5, 6))
            perm = list(range(rank))
            while perm == sorted(perm):
                perm = [int(v) for v in rng.choice(rank, size=rank, replace=False)]
            pre = ["permute", *perm]
        numel = _prod(shape)
        moved = [shape[p] for p in perm]
        method = "view" if rng.integers(4) else "reshape"
        kind = _pick(rng, ("flatten", "merge", "merge", "split"))
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
            i = _pick(rng, splittable)
            a = _pick(rng, (2, moved[i] // 2))
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
    x_shape, strides = _shape(x), tuple(int(s) for s in x.stride())
    message = ""
    try:
        result: tuple[int, ...] | None = _shape(getattr(x, method)(*target))
    except RuntimeError as err:
        result, message = None, _msg(err)
    correct = ERROR if result is None else _fmt(result)

    # Plausible wrong answers: the shape a careless reading gives, the input shape, a reversal.
    distractors = [ERROR]
    known = _prod(v for v in target if v != -1)
    if result is not None:
        distractors += [_fmt(result[::-1]), _fmt(shape), _fmt(x_shape)]
    else:
        if pre is not None:
            distractors.append(_fmt(_shape(x.reshape(*target))))
        if target.count(-1) == 1:
            distractors.append(_fmt(numel // known if v == -1 else v for v in target))
        elif -1 not in target:
            distractors.append(_fmt(target))
        distractors += [_fmt(shape), _fmt(x_shape[::-1])]
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
        layout = f"After {pre_code[1:]} x has shape {_fmt(x_shape)} and strides {strides}"
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

    rank = _pick(rng, (3, 4))
    shape = _distinct(rng, rank, (2, 3, 4, 5, 6, 7, 8, 9))
    ops: list[list[Any]] = []

    def random_perm() -> list[int]:
        perm = list(range(rank))
        while perm == sorted(perm):
            perm = [int(v) for v in rng.choice(rank, size=rank, replace=False)]
        return perm

    def neg_pair() -> list[int]:
        a, b = _distinct(rng, 2, list(range(1, rank + 1)))
        return [-a, -b]

    if level == 1:
        if rng.integers(3):
            ops.append(["permute", *random_perm()])
        else:
            ops.append(["transpose", *sorted(_distinct(rng, 2, list(range(rank))))])
    elif level == 2:
        first = _pick(rng, ("permute", "transpose"))
        if first == "permute":
            ops.append(["permute", *random_perm()])
        else:
            ops.append(["transpose", *neg_pair()])
        ops.append(["mT"] if rng.integers(3) == 0 else ["transpose", *neg_pair()])
    else:
        if rng.integers(2):
            src, dst = _distinct(rng, 2, [*range(rank), *range(-rank, 0)][: 2 * rank])
            while (src - dst) % rank == 0:
                dst = _pick(rng, [*range(rank), *range(-rank, 0)])
            ops.append(["movedim", src, dst])
        else:
            src = sorted(_distinct(rng, 2, list(range(rank))))
            dst = _distinct(rng, 2, list(range(rank)))
            if src == dst:
                dst = dst[::-1]
            ops.append(["movedim", src, dst])

    x = torch.zeros(shape, device="meta")
    chain, lines = "", []
    for op in ops:
        before = _shape(x)
        x, text = _apply_op(x, op)
        chain += text
        after = _fmt(_shape(x))
        name, args = op[0], op[1:]
        if name == "permute":
            lines.append(
                f"permute({_args(args)}): output dim i is input dim dims[i], so {_fmt(before)}"
                f" → {after}"
            )
        elif name == "transpose":
            a, b = args
            real = f" (dims {a % len(before)} and {b % len(before)})" if min(a, b) < 0 else ""
            lines.append(f"transpose({a}, {b}) swaps two dims{real}: {_fmt(before)} → {after}")
        elif name == "mT":
            lines.append(f".mT swaps the last two dims: {_fmt(before)} → {after}")
        elif isinstance(args[0], list):
            lines.append(
                f"movedim: dim {args[0][0]} goes to position {args[1][0]} and dim {args[0][1]} "
                f"to position {args[1][1]}; the other dims fill the free slots in order."
            )
            lines.append(f"{_fmt(before)} → {after}")
        else:
            lines.append(
                f"movedim({args[0]}, {args[1]}) lifts dim {args[0]} out and reinserts it at "
                f"position {args[1]} (counted in the result); the rest keep their order."
            )
            lines.append(f"{_fmt(before)} → {after}")
    shape_out = _shape(x)
    code = f"x = torch.zeros({_args(shape)})\ny = x{chain}"
    return Question(
        family="permute-shape",
        level=level,
        params={"shape": shape, "ops": ops},
        prompt=f"What is the shape of y? {SHAPE_FORM}",
        code=code,
        expected=Expected("shape", shape_out),
        explanation="\n".join(lines),
        proof="import torch\n" + code + "\nprint(tuple(y.shape))",
    )


# ---------------------------------------------------------------- broadcast


def _pair(rng: np.random.Generator, kind: str) -> tuple[int, int]:
    """Sizes (a, b) at one aligned position: equal, one of them 1, or clashing."""
    n = _pick(rng, (2, 3, 4, 5, 6, 7))
    if kind == "eq":
        return n, n
    if kind == "a1":
        return 1, n
    if kind == "b1":
        return n, 1
    m = _pick(rng, [v for v in (2, 3, 4, 5, 6, 7) if v != n])
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
        n_common, extra_a, extra_b = _pick(rng, (2, 3)), 0, 0
    elif level == 2:
        n_common = _pick(rng, (1, 2, 3))
        extra = _pick(rng, (1, 2))
        extra_a, extra_b = (extra, 0) if rng.integers(2) else (0, extra)
    else:
        n_common = _pick(rng, (1, 2, 3))
        extra_a, extra_b = (_pick(rng, (0, 1)), 0) if rng.integers(4) else (0, 1)

    if level < 3:
        case = "clash" if rng.integers(20) < 7 else "ok"
        kinds = [_pick(rng, ("eq", "a1", "b1", "a1", "b1")) for _ in range(n_common)]
    else:
        # ok: b fits into a; grow: broadcastable but bigger than a; clash: not broadcastable.
        case = _pick(rng, ("ok", "ok", "ok", "grow", "grow", "clash")) if extra_b == 0 else "grow"
        kinds = [_pick(rng, ("eq", "b1")) for _ in range(n_common)]
        if case == "grow" and extra_b == 0:
            kinds[int(rng.integers(n_common))] = "a1"
    if case == "clash":
        kinds[int(rng.integers(n_common))] = "clash"
    pairs = [_pair(rng, k) for k in kinds]
    a_shape = [_pick(rng, (2, 3, 4, 5, 6, 7, 8)) for _ in range(extra_a)] + [p[0] for p in pairs]
    b_shape = [_pick(rng, (2, 3, 4, 5, 6, 7, 8)) for _ in range(extra_b)] + [p[1] for p in pairs]

    a, b = torch.zeros(a_shape), torch.zeros(b_shape)
    op = "a + b" if level < 3 else _pick(rng, ("a += b", "a.add_(b)", "a.mul_(b)"))
    message = ""
    try:
        if level < 3:
            result: tuple[int, ...] | None = _shape(a + b)
        else:
            if op == "a += b":
                a += b
            else:
                getattr(a, op[2:6])(b)
            result = _shape(a)
    except RuntimeError as err:
        result, message = None, _msg(err)
    try:  # what the out-of-place a + b would give, for the explanation of in-place ops
        plain: tuple[int, ...] | None = _shape(torch.zeros(a_shape) + torch.zeros(b_shape))
    except RuntimeError:
        plain = None
    correct = ERROR if result is None else _fmt(result)

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
        distractors.append(_fmt(plain))
    if left is not None:
        distractors.append(_fmt(left))
    distractors += [_fmt(rmax), _fmt(a_shape), _fmt(b_shape), _fmt(rmax[::-1])]
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
        lines = [f"An in-place op writes into a, so a's shape {_fmt(a_shape)} cannot change."]
        if plain is None:
            lines += [
                f"{align}: a clashing pair, so it does not even broadcast.",
                f"torch: “{message}”",
            ]
        elif result is not None:
            lines += [
                f"a + b would broadcast to {_fmt(plain)}, which is a's own shape, so it "
                f"runs → {correct}"
            ]
        else:
            lines += [
                f"a + b would broadcast to {_fmt(plain)}, bigger than a.",
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
    n, k, m, bsz = _distinct(rng, 4, sizes)
    op = "@"
    if level == 1:
        op = _pick(rng, ("@", "torch.mm", "torch.matmul"))
        a_shape, b_shape = [n, k], [k, m]
        note = f"Matrix product: (n×k)·(k×m) → (n×m), here ({n}×{k})·({k}×{m})."
    elif level == 2:
        case = _pick(rng, ("bmm", "vec-mat", "mat-vec", "batch-vec", "vec-batch", "vec-vec"))
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
            op = _pick(rng, ("@", "torch.matmul"))
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
        op = _pick(rng, ("@", "torch.matmul"))
        j = _pick(rng, [v for v in sizes if v not in (n, k, m, bsz)])
        a_batch, b_batch = _pick(
            rng, (([j, 1], [bsz]), ([bsz], []), ([], [bsz]), ([j, bsz], [1]), ([1, bsz], [j, 1]))
        )
        a_shape, b_shape = [*a_batch, n, k], [*b_batch, k, m]
        note = (
            f"The last two dims multiply as matrices: ({n}×{k})·({k}×{m}) → ({n}×{m}).\n"
            f"The batch dims {_fmt(a_batch)} and {_fmt(b_batch)} broadcast (right-aligned, "
            "1s stretch, missing dims count as 1)."
        )

    a = torch.zeros(a_shape, device="meta")
    b = torch.zeros(b_shape, device="meta")
    fn = {"@": torch.matmul, "torch.matmul": torch.matmul, "torch.mm": torch.mm}.get(op, torch.bmm)
    result = _shape(fn(a, b))
    expr = "a @ b" if op == "@" else f"{op}(a, b)"
    code = f"a = torch.zeros({_args(a_shape)})\nb = torch.zeros({_args(b_shape)})\ny = {expr}"
    return Question(
        family="matmul-shape",
        level=level,
        params={"a": a_shape, "b": b_shape, "op": op},
        prompt=f"What is the shape of y? {SHAPE_FORM}"
        + (" Write () for a 0-dim result." if level == 2 else ""),
        code=code,
        expected=Expected("shape", result),
        explanation=f"{note}\n→ {_fmt(result)}",
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
    count = _pick(rng, (2, 3)) if level == 1 else _pick(rng, (2, 3, 4))
    if level == 1:
        fn = "cat"
    elif level == 2:
        fn = "stack"
    else:
        fn = _pick(rng, ("cat", "stack", "hstack", "vstack"))
    rank = _pick(rng, (1, 2)) if fn in ("hstack", "vstack") else _pick(rng, (2, 3))
    base = _distinct(rng, rank, (2, 3, 4, 5, 6, 7, 8))
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
            s[join] = _pick(rng, (1, 2, 3, 4, 5, 6))
        shapes.append(s)

    tensors = [torch.zeros(s, device="meta") for s in shapes]
    if fn in ("cat", "stack"):
        y = getattr(torch, fn)(tensors, dim=dim)
    else:
        y = getattr(torch, fn)(tensors)
    result = _shape(y)
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
    lines.append(f"→ {_fmt(result)}")
    return Question(
        family="cat-stack",
        level=level,
        params={"fn": fn, "shapes": shapes, "dim": dim},
        prompt=f"What is the shape of y? {SHAPE_FORM}",
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

    rank = _pick(rng, (2, 3)) if level == 1 else _pick(rng, (3, 4))
    shape = _distinct(rng, rank, (2, 3, 4, 5, 6, 7))
    for i in _distinct(rng, 1 if rank == 2 else _pick(rng, (1, 2)), list(range(rank))):
        shape[i] = 1
    x = torch.zeros(shape, device="meta")
    n_ops = 1 if level == 1 else _pick(rng, (2, 3))
    ops: list[list[Any]] = []
    chain, lines = "", []
    for step in range(n_ops):
        r, cur = x.dim(), _shape(x)
        ones = [i for i, v in enumerate(cur) if v == 1]
        if level == 1:
            kind = _pick(rng, ("squeeze", "unsqueeze"))
        elif level == 2:
            kind = _pick(rng, ("squeeze", "unsqueeze", "squeeze-any"))
        else:
            kind = _pick(rng, ("squeeze-all", "squeeze-tuple", "index", "index", "unsqueeze"))
            if step == 0 and kind == "squeeze-all" and n_ops > 1:
                kind = "index"
        if kind.startswith("squeeze") and kind != "squeeze-any" and not ones:
            kind = "unsqueeze"
        if kind == "squeeze":
            d = _pick(rng, ones)
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
            dims = sorted(_distinct(rng, 2, list(range(r)))) if r >= 2 else [0]
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
        lines.append(f"{desc}: {_fmt(cur)} → {_fmt(_shape(x))}")
    code = f"x = torch.zeros({_args(shape)})\ny = x{chain}"
    return Question(
        family="squeeze-unsqueeze",
        level=level,
        params={"shape": shape, "ops": ops},
        prompt=f"What is the shape of y? {SHAPE_FORM}",
        code=code,
        expected=Expected("shape", _shape(x)),
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
        classes = _pick(rng, (3, 4, 5, 6, 7, 8, 10))
        shape = _distinct(rng, _pick(rng, (1, 2)), [v for v in range(2, 10) if v != classes])
        y = F.one_hot(torch.zeros(shape, dtype=torch.long), num_classes=classes)
        result = _shape(y)
        code = (
            f"labels = torch.randint(0, {classes}, {_fmt(shape)})\n"
            f"y = F.one_hot(labels, num_classes={classes})"
        )
        return Question(
            family="one-hot",
            level=level,
            params={"labels_shape": shape, "num_classes": classes},
            prompt=f"What is the shape of y? {SHAPE_FORM}",
            code=code,
            expected=Expected("shape", result),
            explanation=(
                f"Every label becomes a vector of length num_classes = {classes}, so a new "
                f"last dim is added: {_fmt(shape)} + ({classes},)\n→ {_fmt(result)}"
            ),
            proof=header + code + "\nprint(tuple(y.shape))",
        )
    if level == 2:
        classes = _pick(rng, (3, 4, 5, 6, 7))
        labels = [int(v) for v in rng.integers(0, classes, size=_pick(rng, (3, 4, 5)))]
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
    shape = _pick(rng, ((4,), (5,), (6,), (2, 3), (3, 2), (2, 4)))
    labels_flat = [int(v) for v in rng.integers(0, _pick(rng, (4, 5, 6, 7)), size=_prod(shape))]
    labels_arr = torch.tensor(labels_flat).reshape(shape)
    labels = labels_arr.tolist()
    y = F.one_hot(labels_arr)
    result = _shape(y)
    top, distinct = max(labels_flat), len(set(labels_flat))
    code = f"labels = torch.tensor({labels})\ny = F.one_hot(labels)"
    return Question(
        family="one-hot",
        level=level,
        params={"labels": labels, "labels_shape": list(shape), "num_classes": None},
        prompt=f"What is the shape of y? {SHAPE_FORM}",
        code=code,
        expected=Expected("shape", result),
        explanation=(
            f"Without num_classes, one_hot uses max(labels) + 1 = {top} + 1 classes"
            + (
                f" — not the number of distinct labels ({distinct})."
                if distinct != top + 1
                else " (here that happens to equal the number of distinct labels)."
            )
            + f"\nA new last dim of that size is added to the labels' shape {_fmt(shape)} → "
            + _fmt(result)
        ),
        proof=header + code + "\nprint(tuple(y.shape))",
    )


# ---------------------------------------------------------------- does-it-run

ERR_LINEAR = "RuntimeError: x's last dim ≠ in_features"
ERR_CONV = "RuntimeError: x's channel dim ≠ in_channels"
ERR_FLAT = "RuntimeError: flattened size ≠ the Linear's in_features"
ERR_MATMUL = "RuntimeError: the matmul's inner sizes differ"


def _runs(shape: Iterable[int]) -> str:
    return f"runs: output {_fmt(shape)}"


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
        d_in, d_out, batch, steps = _distinct(rng, 4, sizes)
        case = _pick(rng, ("ok", "ok", "wrong", "swapped"))
        lead = [batch] if rng.integers(2) else [batch, steps]
        if case == "ok":
            x_shape = [*lead, d_in]
        elif case == "wrong":
            x_shape = [*lead, _pick(rng, [v for v in sizes if v not in (d_in, d_out, *lead)])]
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
        c_in = _pick(rng, (1, 3, 4, 8))
        c_out = _pick(rng, (6, 8, 16, 32))
        while c_out == c_in:
            c_out = _pick(rng, (6, 8, 16, 32))
        k = _pick(rng, (1, 3, 3, 5))
        stride = _pick(rng, (1, 2))
        pad = _pick(rng, (0, k // 2))
        batch = _pick(rng, (2, 4, 8))
        # H differs from in_channels so a channels-last input can never pass by accident.
        h, w = _distinct(rng, 2, [v for v in (8, 10, 12, 14, 16, 20, 24) if v != c_in])
        case = _pick(rng, ("ok", "ok", "channels", "layout"))
        if case == "ok":
            x_shape = [batch, c_in, h, w]
        elif case == "channels":
            x_shape = [batch, _pick(rng, [c for c in (1, 2, 3, 4, 6, 8) if c != c_in]), h, w]
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
        c_in = _pick(rng, (1, 3))
        c_out = _pick(rng, (4, 6, 8))
        k = _pick(rng, (3, 5))
        pad = _pick(rng, (0, k // 2))
        batch, n_cls = _distinct(rng, 2, (2, 4, 5, 8, 10))
        h, w = _distinct(rng, 2, (6, 7, 8, 9, 10, 12))
        ho, wo = _conv_out(h, k, 1, pad), _conv_out(w, k, 1, pad)
        right = c_out * ho * wo
        # The usual bugs: forgetting that the conv shrinks (or pads) the map, or an off-by-one.
        slips = [c_out * h * w, c_out * (h - k + 1) * (w - k + 1), c_out * (h - k) * (w - k)]
        case = _pick(rng, ("ok", "ok", "slip"))
        feats = right if case == "ok" else _pick(rng, [v for v in slips if v != right])
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
            return nn.Linear(feats, n_cls)(torch.zeros(_shape(flat)))

        as_if = [batch, n_cls]
        wrong = [[batch, right], [batch, c_out, ho, wo], [batch, feats]]
        flat = (
            f"The conv gives (N, {c_out}, {ho}, {wo}) (H_out = {h} + 2·{pad} − {k} + 1 = {ho}); "
            f"Flatten keeps N and merges the rest: {c_out}·{ho}·{wo} = {right}."
        )
        good = f"{flat}\nThat equals the Linear's in_features ({feats})."
        bad = f"{flat}\nBut the Linear expects in_features = {feats}."
    else:
        batch, q_len, k_len, width = _distinct(rng, 4, (2, 3, 4, 5, 6, 7, 8, 16))
        form = _pick(
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
            result: tuple[int, ...] | None = _shape(run(torch.zeros(x_shape)))
    except RuntimeError as err:
        result, message = None, _msg(err)
    correct = err_text if result is None else _runs(result)
    distractors = [err_text, _runs(as_if)] + [_runs(s) for s in wrong]
    expected = _choice(rng, correct, distractors)
    if result is None:
        explanation = f"{bad}\ntorch: “{message}”"
    else:
        explanation = f"{good}\n→ runs, y.shape = {_fmt(result)}"
    header = "import torch\nfrom torch import nn\n"
    code = f"{setup}\n{call}"
    proof = (
        header
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
