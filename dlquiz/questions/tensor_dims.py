"""Tensor dimension questions: squeeze / unsqueeze / None indexing, and F.one_hot."""

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

    def replay(slip: str) -> tuple[int, ...]:
        """The shape when every op is read with ``slip``."""
        dims = list(shape)
        for op in ops:
            if op[0] in ("index_none", "unsqueeze") and slip == "inserted-at-end":
                dims.append(1)
            elif op[0] == "index_none":
                dims.insert(len(dims) if op[1] == -1 else op[1], 1)
            elif op[0] == "unsqueeze":
                d = op[1]
                if d < 0:  # counts in the result, which has one more dim
                    d += len(dims) + (0 if slip == "neg-unsqueeze-input" else 1)
                    d = max(d, 0)
                dims.insert(d, 1)
            elif len(op) == 1:
                dims = [v for v in dims if v != 1]
            else:
                picked = op[1] if isinstance(op[1], list) else [op[1]]
                # A slip may have squeezed everything already: nothing left to pick.
                picked = [d % len(dims) for d in picked] if dims else []
                if slip == "squeeze-all-ones":
                    dims = [v for v in dims if v != 1]
                else:
                    keep = [
                        v
                        for i, v in enumerate(dims)
                        if i not in picked or (v != 1 and slip != "squeeze-any-size")
                    ]
                    dims = keep
        return tuple(dims)

    expected = Expected("shape", shape_of(x))
    mistakes = [
        Mistake(
            "squeezed-non-one",
            "squeezed a dim that is not 1",
            replay("squeeze-any-size"),
            "squeeze(d) removes dim d only if its size is 1; otherwise it changes nothing.",
        ),
        Mistake(
            "squeezed-every-one",
            "squeezed every size-1 dim",
            replay("squeeze-all-ones"),
            "squeeze(d) removes only dim d; squeeze() with no argument removes every size-1 dim.",
        ),
        Mistake(
            "negative-unsqueeze-in-input",
            "counted a negative unsqueeze dim in the input",
            replay("neg-unsqueeze-input"),
            "unsqueeze(d) with d < 0 counts in the result, which has one more dim: "
            "unsqueeze(-1) appends at the end.",
        ),
        Mistake(
            "inserted-at-end",
            "put every new dim last",
            replay("inserted-at-end"),
            "unsqueeze(d) and None indexing insert the size-1 dim at that position, not at the "
            "end.",
        ),
        Mistake(
            "kept-the-shape",
            "kept x's shape",
            tuple(shape),
            "squeeze and unsqueeze return a tensor with dims removed or added; x's shape is "
            f"{fmt_shape(shape)} but y's is not.",
        ),
    ]

    return Question(
        level=level,
        params={"shape": shape, "ops": ops},
        prompt=f"What is the shape of y? {shape_form()}",
        code=code,
        expected=expected,
        explanation="\n".join(lines),
        mistakes=tuple(mistakes),
        hints=(
            "squeeze(d) drops dim d only if it has size 1; squeeze() drops every size-1 dim; "
            "unsqueeze(d) and [..., None] insert a size-1 dim (a negative d counts in the result).",
            f"x is {fmt_shape(shape)}; apply {chain[1:]} one step at a time.",
        ),
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
            expected=(expected := Expected("shape", result)),
            mistakes=keep_mistakes(
                expected,
                [
                    Mistake(
                        "forgot-new-dim",
                        "kept the labels' shape",
                        tuple(shape),
                        f"Each label becomes a vector of {classes}: a new last dim is added.",
                    ),
                    Mistake(
                        "classes-first",
                        "put the classes first",
                        (classes, *shape),
                        "The new one-hot dim goes last, after the labels' own dims.",
                    ),
                    Mistake(
                        "replaced-last-dim",
                        "replaced the last dim",
                        (*shape[:-1], classes),
                        f"The labels' dims all stay; ({classes},) is appended after them.",
                    ),
                ],
            ),
            hints=(
                "F.one_hot adds a last dim of size num_classes (max(label) + 1 when not given).",
                f"labels are {fmt_shape(shape)}, num_classes = {classes}.",
            ),
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
            expected=(expected := Expected("floats", values, decimals=0)),
            mistakes=keep_mistakes(
                expected,
                [
                    Mistake(
                        "counted-from-one",
                        "counted classes from 1",
                        tuple(float(i == labels[row] - 1) for i in range(classes)),
                        f"Class indices start at 0: label {labels[row]} sets index {labels[row]}.",
                    ),
                    Mistake(
                        "encoded-the-index",
                        "encoded the row number",
                        tuple(float(i == row) for i in range(classes)) if row < classes else (),
                        f"y[{row}] encodes the label labels[{row}] = {labels[row]}, not {row}.",
                    ),
                    Mistake(
                        "counted-from-the-end",
                        "counted from the end",
                        tuple(float(i == classes - 1 - labels[row]) for i in range(classes)),
                        "Index 0 is the first entry: count from the left.",
                    ),
                ],
            ),
            hints=(
                "Row i of one_hot(labels) has a single 1, at index labels[i] (counting from 0).",
                f"labels[{row}] = {labels[row]}, num_classes = {classes}.",
            ),
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
    shapes: tuple[tuple[int, ...], ...] = ((4,), (5,), (6,), (2, 3), (3, 2), (2, 4))
    label_shape = pick(rng, shapes)
    n_labels = math.prod(label_shape)
    labels_flat = [int(v) for v in rng.integers(0, pick(rng, (4, 5, 6, 7)), size=n_labels)]
    labels_arr = torch.tensor(labels_flat).reshape(label_shape)
    labels = labels_arr.tolist()
    y = F.one_hot(labels_arr)
    result = shape_of(y)
    top, distinct = max(labels_flat), len(set(labels_flat))
    code = f"labels = torch.tensor({labels})\ny = F.one_hot(labels)"
    return Question(
        level=level,
        params={"labels": labels, "labels_shape": list(label_shape), "num_classes": None},
        prompt=f"What is the shape of y? {shape_form()}",
        code=code,
        expected=(expected := Expected("shape", result)),
        mistakes=keep_mistakes(
            expected,
            [
                Mistake(
                    "counted-distinct",
                    "counted the distinct labels",
                    (*label_shape, distinct),
                    f"Without num_classes it is max(labels) + 1 = {top + 1}, not the {distinct} "
                    "distinct labels.",
                ),
                Mistake(
                    "forgot-plus-one",
                    "used max(labels)",
                    (*label_shape, top),
                    f"Labels run from 0 to {top}: that is {top} + 1 classes.",
                ),
            ],
        ),
        hints=(
            "F.one_hot without num_classes uses max(labels) + 1 classes, appended as a last dim.",
            f"labels have shape {fmt_shape(label_shape)} and max {top}.",
        ),
        explanation=(
            f"Without num_classes, one_hot uses max(labels) + 1 = {top} + 1 classes"
            + (
                f" — not the number of distinct labels ({distinct})."
                if distinct != top + 1
                else " (here that happens to equal the number of distinct labels)."
            )
            + "\nA new last dim of that size is added to the labels' shape "
            + f"{fmt_shape(label_shape)} → "
            + fmt_shape(result)
        ),
        proof=header + code + "\nprint(tuple(y.shape))",
    )
