"""Tensor operation questions: matmul, cat/stack, squeeze/unsqueeze and one-hot.

Each graded answer is what torch does at question time (meta tensors when only shapes
matter, tiny CPU tensors when the error or the values matter). In "pick one" questions the
wrong options are plausible mistakes; only the right option comes from torch.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from dlquiz.questions.base import Expected, Question, family
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
    fn = {"@": torch.matmul, "torch.matmul": torch.matmul, "torch.mm": torch.mm}.get(op, torch.bmm)
    result = shape_of(fn(a, b))
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
    code = "".join(
        f"{v} = torch.zeros({join_args(s)})\n" for v, s in zip(used, shapes, strict=True)
    )
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
    code = f"x = torch.zeros({join_args(shape)})\ny = x{chain}"
    return Question(
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
