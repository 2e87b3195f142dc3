"""Tensor operation questions: matmul / bmm and cat / stack.

Each graded answer is what torch does at question time (meta tensors when only shapes
matter, tiny CPU tensors when the error or the values matter). In "pick one" questions the
wrong options are plausible mistakes; only the right option comes from torch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from dlquiz.questions.base import (
    Expected,
    Mistake,
    Question,
    family,
    keep_mistakes,
)
from dlquiz.questions.common import (
    fmt_shape,
    join_args,
    pick,
    sample,
    shape_form,
    shape_of,
)

if TYPE_CHECKING:
    import numpy as np

TOPIC = "tensors"

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
    fns: dict[str, Callable[..., torch.Tensor]] = {
        "@": torch.matmul,
        "torch.matmul": torch.matmul,
        "torch.mm": torch.mm,
    }
    fn = fns.get(op, torch.bmm)
    result = shape_of(fn(a, b))
    expected = Expected("shape", result)
    a_batch_, b_batch_ = a_shape[:-2], b_shape[:-2]
    mistakes = [
        Mistake(
            "swapped-order",
            "swapped the result's dims",
            (*result[:-2], result[-1], result[-2]) if len(result) >= 2 else result,
            f"Rows come from a and columns from b: (n×k)·(k×m) gives n×m = {n}×{m}.",
        ),
        Mistake(
            "kept-a",
            "kept a's shape",
            tuple(a_shape),
            f"The product keeps a's rows and takes b's columns: the last dim becomes {m}.",
        ),
        Mistake(
            "kept-the-one",
            "kept the 1 of a vector",
            tuple(
                v
                for v in (
                    *(a_batch_ or b_batch_),
                    1 if len(a_shape) == 1 else n,
                    1 if len(b_shape) == 1 else m,
                )
            ),
            "A 1-D operand is treated as a row (first) or a column (second), and that 1 is "
            "dropped again from the result.",
        ),
        Mistake(
            "a-batch-only",
            "kept only a's batch dims",
            (*a_shape[:-2], n, m),
            f"The batch dims broadcast: {fmt_shape(a_batch_)} with {fmt_shape(b_batch_)}.",
        ),
        Mistake(
            "b-batch-only",
            "kept only b's batch dims",
            (*b_shape[:-2], n, m),
            f"The batch dims broadcast: {fmt_shape(a_batch_)} with {fmt_shape(b_batch_)}.",
        ),
    ]
    if 1 not in (len(a_shape), len(b_shape)):
        mistakes = [m_ for m_ in mistakes if m_.id != "kept-the-one"]
    if level < 3:
        mistakes = [m_ for m_ in mistakes if not m_.id.endswith("batch-only")]
    expr = "a @ b" if op == "@" else f"{op}(a, b)"
    code = (
        f"a = torch.zeros({join_args(a_shape)})\nb = torch.zeros({join_args(b_shape)})\ny = {expr}"
    )
    return Question(
        level=level,
        params={"a": a_shape, "b": b_shape, "op": op},
        prompt=f"What is the shape of y? {shape_form()}"
        + (" Write () for a 0-dim result." if level == 2 else ""),
        code=code,
        expected=expected,
        explanation=f"{note}\n→ {fmt_shape(result)}",
        mistakes=keep_mistakes(expected, mistakes),
        hints=(
            "(…, n, k) @ (…, k, m) → (…, n, m): the inner k must match, batch dims broadcast, a "
            "1-D operand is a row (first) or column (second) whose 1 is dropped.",
            f"a is {fmt_shape(a_shape)}, b is {fmt_shape(b_shape)}.",
        ),
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
    code = "".join(
        f"{v} = torch.zeros({join_args(s)})\n" for v, s in zip(used, shapes, strict=True)
    )
    code += f"y = {call}"
    if fn == "cat":
        assert dim is not None and join is not None  # cat always has a dim
        sizes = " + ".join(str(s[join]) for s in shapes)
        where = f"dim {dim}" + (f" (= dim {dim % rank})" if dim < 0 else "")
        lines = [
            f"cat joins along an existing dim, {where}: the sizes there add up "
            f"({sizes} = {result[dim]}); every other dim must already match."
        ]
    elif fn == "stack":
        assert dim is not None
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
    expected = Expected("shape", result)
    first = list(shapes[0])
    stacked = list(first)
    stacked.insert(dim % (rank + 1) if fn == "stack" and dim is not None else 0, count)
    joined_at = join if join is not None else (dim % rank if dim is not None else 0)
    catted = list(first)
    catted[joined_at] = (
        sum(s_[joined_at] for s_ in shapes) if join is not None else (first[joined_at] * count)
    )
    mistakes = [
        Mistake(
            "stacked-not-catted",
            "added a new dim",
            tuple(stacked),
            "cat joins along an existing dim (its sizes add up); only stack adds a new dim.",
        ),
        Mistake(
            "catted-not-stacked",
            "joined an existing dim",
            tuple(catted),
            f"stack adds a new dim of size {count} (one per tensor); cat would join an "
            "existing one.",
        ),
        Mistake(
            "kept-one-size",
            "did not add the sizes",
            tuple(first),
            "Along the joined dim the sizes add up: "
            + " + ".join(str(s_[joined_at]) for s_ in shapes)
            + ".",
        ),
    ]
    if fn == "stack" and dim is not None and dim < 0:
        wrong = list(first)
        wrong.insert(dim % rank + 1 if dim % rank + 1 <= rank else rank, count)
        wrong2 = list(first)
        wrong2.insert(dim % rank, count)
        mistakes.append(
            Mistake(
                "negative-dim-in-input",
                "counted the negative dim in the input",
                tuple(wrong2),
                f"For stack, dim {dim} counts in the {rank + 1}-D result: position "
                f"{dim % (rank + 1)}.",
            )
        )
    if fn in ("hstack", "vstack"):
        other = list(first)
        axis = 0 if fn == "hstack" and rank > 1 else (1 if rank > 1 else 0)
        other[axis] = sum(s_[axis] for s_ in shapes)
        mistakes.append(
            Mistake(
                f"{fn}-other-axis",
                "joined the other axis",
                tuple(other),
                "hstack joins dim 1 (dim 0 for 1-D); vstack joins dim 0 after making 1-D tensors "
                "rows.",
            )
        )
    if fn == "cat":
        mistakes = [m_ for m_ in mistakes if m_.id != "catted-not-stacked"]
    return Question(
        level=level,
        params={"fn": fn, "shapes": shapes, "dim": dim},
        prompt=f"What is the shape of y? {shape_form()}",
        code=code,
        expected=expected,
        explanation="\n".join(lines),
        mistakes=keep_mistakes(expected, mistakes),
        hints=(
            "cat joins along an existing dim (sizes add); stack adds a new dim of size "
            "len(tensors) (a negative dim counts in the result); hstack joins dim 1 (dim 0 for "
            "1-D); vstack joins dim 0 after making 1-D tensors rows.",
            f"{count} tensors of shape {fmt_shape(shapes[0])}"
            + ("" if dim is None else f", dim={dim}")
            + f", torch.{fn}.",
        ),
        proof="import torch\n" + code + "\nprint(tuple(y.shape))",
    )
