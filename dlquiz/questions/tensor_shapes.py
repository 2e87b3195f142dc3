"""Tensor shape questions: reshape/view and permute/transpose/movedim.

Each graded answer is what torch does at question time (meta tensors when only shapes
matter, tiny CPU tensors when the error or the values matter). In "pick one" questions the
wrong options are plausible mistakes; only the right option comes from torch.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from dlquiz.questions.base import (
    Expected,
    Mistake,
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
    product_text,
    sample,
    shape_form,
    shape_of,
    shuffled,
    torch_msg,
    try_print,
)

if TYPE_CHECKING:
    import numpy as np
    import torch

TOPIC = "tensors"


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
            x, pre_code = x.permute(*pre[1:]), f".permute({join_args(pre[1:])})"
    x_shape, strides = shape_of(x), tuple(int(s) for s in x.stride())
    message = ""
    try:
        result: tuple[int, ...] | None = shape_of(getattr(x, method)(*target))
    except RuntimeError as err:
        result, message = None, torch_msg(err)
    correct = ERROR if result is None else fmt_shape(result)

    # Plausible wrong answers: the shape a careless reading gives, the input shape, a reversal.
    distractors = [ERROR]
    known = math.prod(v for v in target if v != -1)
    if result is not None:
        distractors += [fmt_shape(result[::-1]), fmt_shape(shape), fmt_shape(x_shape)]
    else:
        careless = ""  # the shape a reader who misses the error would give
        if pre is not None:
            careless = fmt_shape(shape_of(x.reshape(*target)))
            distractors.append(careless)
        if target.count(-1) == 1:
            careless = careless or fmt_shape(numel // known if v == -1 else v for v in target)
            distractors.append(fmt_shape(numel // known if v == -1 else v for v in target))
        elif -1 not in target:
            careless = careless or fmt_shape(target)
            distractors.append(fmt_shape(target))
        distractors += [fmt_shape(shape), fmt_shape(x_shape[::-1])]
    expected = choice_answer(rng, correct, distractors)

    call = f"x.{method}({join_args(target)})"
    code = f"x = torch.zeros({join_args(shape)}){pre_code}\ny = {call}"
    prompt = f"What is the shape of y, or does the second line raise an error? {PICK}"
    n_expr = product_text(shape)
    if kind in ("plain", "count"):
        if result is not None:
            lines = [
                f"x has {n_expr} elements and the target {product_text(target)} as well, so "
                f"{method} only regroups them.",
                f"→ {correct}",
            ]
        else:
            lines = [
                f"x has {n_expr} elements but the target needs {product_text(target)}; "
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
    proof = "import torch\n" + try_print(
        [f"x = torch.zeros({join_args(shape)}){pre_code}", f"y = {call}"],
        "tuple(y.shape)",
        ERROR,
    )
    target_n = product_text([v for v in target if v != -1] or [1])
    if result is not None:
        slips = [
            (
                ERROR,
                "thought-it-fails",
                "expected an error",
                f"x has {n_expr} elements and the target keeps them all"
                + (f"; {method} on a non-contiguous tensor works here" if pre is not None else "")
                + ", so it runs.",
            ),
            (
                fmt_shape(shape),
                "kept-input-shape",
                "kept x's shape",
                f"{method} returns the shape you ask for, ({join_args(target)}), not x's shape.",
            ),
            (
                fmt_shape(result[::-1]),
                "reversed-order",
                "reversed the sizes",
                "The sizes come out in the order they are passed.",
            ),
            (
                fmt_shape(x_shape),
                "kept-transposed-shape",
                "kept the transposed shape",
                f"After {pre_code[1:] or 'the layout change'} x is {fmt_shape(x_shape)}, but "
                f"{method} then regroups it into the target.",
            ),
        ]
    else:
        why = {
            "two": "only one size may be -1",
            "indivisible": f"{numel} / {known} is not a whole number, so -1 has no value",
        }.get(kind, f"x has {numel} elements but the target needs {target_n}")
        if pre is not None and method == "view":
            why = ".view cannot merge dims that a transpose or permute made non-adjacent"
        slips = [
            (text, slug, label, f"It raises: {why}.")
            for text, slug, label in (
                (careless, "missed-the-error", "missed the error"),
                (fmt_shape(shape), "kept-input-shape", "kept x's shape"),
                (fmt_shape(x_shape[::-1]), "reversed-order", "reversed the sizes"),
            )
        ]
    mistakes = option_mistakes(expected, slips)[:3]
    return Question(
        level=level,
        params={"shape": shape, "pre": pre, "method": method, "target": target, "case": kind},
        prompt=prompt,
        code=code,
        expected=expected,
        explanation="\n".join(lines),
        proof=proof,
        mistakes=keep_mistakes(expected, mistakes),
        hints=(
            "view/reshape keep the element count (one -1 is inferred from it); .view also needs "
            "the memory layout to allow it without a copy (.reshape copies when it must).",
            f"x{pre_code} has shape {fmt_shape(x_shape)} ({n_expr} elements); "
            f"the target is ({join_args(target)}).",
        ),
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
    return getattr(x, name)(*args), f".{name}({join_args(args)})"


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
                f"permute({join_args(args)}): output dim i is input dim dims[i], "
                f"so {fmt_shape(before)} → {after}"
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
    expected = Expected("shape", shape_out)

    def replay(slip: str) -> tuple[int, ...]:
        """The shape when every op is read with ``slip``: the other direction of permute, or
        movedim read as a swap."""
        dims = list(shape)
        for op in ops:
            name, args = op[0], op[1:]
            if name == "permute":
                if slip == "inverse":
                    new = [0] * len(dims)
                    for i, p in enumerate(args):
                        new[p] = dims[i]
                    dims = new
                else:
                    dims = [dims[p] for p in args]
            elif name in ("transpose", "mT"):
                a, b = (-2, -1) if name == "mT" else args
                dims[a], dims[b] = dims[b], dims[a]
            else:
                src, dst = ([v] if isinstance(v, int) else v for v in args)
                if slip == "swap":
                    for a, b in zip(src, dst, strict=True):
                        dims[a], dims[b] = dims[b], dims[a]
                else:
                    dims = list(shape_of(torch.movedim(torch.zeros(dims, device="meta"), *args)))
        return tuple(dims)

    mistakes = [
        Mistake(
            "inverse-permutation",
            "read permute backwards",
            replay("inverse"),
            "permute(dims) puts input dim dims[i] at position i (it lists where each output "
            "dim comes from, not where each input dim goes).",
        ),
        Mistake(
            "movedim-as-swap",
            "read movedim as a swap",
            replay("swap"),
            "movedim lifts a dim out and reinserts it; the others keep their order (a swap is "
            "transpose).",
        ),
        Mistake(
            "unchanged",
            "kept the shape",
            tuple(shape),
            f"{chain[1:]} reorders the dims: the sizes move with them.",
        ),
        Mistake(
            "reversed-all",
            "reversed every dim",
            tuple(shape[::-1]),
            "Only the dims named move; reversing them all is permute with every dim reversed.",
        ),
    ]
    code = f"x = torch.zeros({join_args(shape)})\ny = x{chain}"
    return Question(
        level=level,
        params={"shape": shape, "ops": ops},
        prompt=f"What is the shape of y? {shape_form()}",
        code=code,
        expected=expected,
        explanation="\n".join(lines),
        mistakes=keep_mistakes(expected, mistakes),
        hints=(
            "permute(dims): output dim i is input dim dims[i]; transpose(a, b) and .mT swap two "
            "dims; movedim(src, dst) moves a dim and keeps the others in order. Negative dims "
            "count from the end.",
            f"x is {fmt_shape(shape)}; apply {chain[1:]} step by step.",
        ),
        proof="import torch\n" + code + "\nprint(tuple(y.shape))",
    )
