"""Value questions: activation outputs, cross-entropy and MSE losses.

Each family draws tiny one-decimal inputs so the prompt alone fixes the answer, runs torch
on them for the graded value, and ships a proof that repeats the same torch calls.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from dlquiz.questions.base import Expected, Question, family
from dlquiz.questions.common import (
    pick,
)
from dlquiz.questions.floats import (
    MAX_DRAWS,
    any_tie,
    float_form,
    float_proof,
    floats_proof,
    list_form,
    near_tie,
    num,
    one_decimals,
    par,
    vec,
)

if TYPE_CHECKING:
    import numpy as np
    from torch import nn


# ---------------------------------------------------------------- activation

_ACT_NAMES = {
    "relu": "ReLU",
    "leaky_relu": "Leaky ReLU",
    "sigmoid": "the sigmoid",
    "tanh": "tanh",
    "softmax": "softmax (over the vector)",
}


@family(
    "activation",
    title="Activation function outputs",
    topic="values",
    terms=("activation-function", "relu", "leaky-relu", "sigmoid-function", "softmax-function"),
    levels={1: "ReLU, Leaky ReLU and sigmoid", 2: "tanh and softmax"},
)
def activation(rng: np.random.Generator, level: int) -> Question:
    import torch
    from torch import nn

    fn = pick(rng, ("relu", "leaky_relu", "sigmoid") if level == 1 else ("tanh", "softmax"))
    # 0.01 (the default) keeps x·slope at exactly three decimals for one-decimal x.
    slope = pick(rng, (0.01, 0.1, 0.2)) if fn == "leaky_relu" else None
    layer_src: str
    layer: nn.Module
    if fn == "relu":
        layer_src, layer = "nn.ReLU()", nn.ReLU()
    elif fn == "leaky_relu":
        layer_src = f"nn.LeakyReLU(negative_slope={slope})"
        layer = nn.LeakyReLU(negative_slope=slope or 0.01)
    elif fn == "sigmoid":
        layer_src, layer = "nn.Sigmoid()", nn.Sigmoid()
    elif fn == "tanh":
        layer_src, layer = "nn.Tanh()", nn.Tanh()
    else:
        layer_src, layer = "nn.Softmax(dim=0)", nn.Softmax(dim=0)

    x: list[float] = []
    y: tuple[float, ...] = ()
    for _ in range(MAX_DRAWS):
        x = one_decimals(rng, int(rng.integers(3, 5)), -30, 30)
        y = tuple(layer(torch.tensor(x)).tolist())
        if not any_tie(y, 3):
            break

    code = f"x = torch.tensor({x})\ny = {layer_src}(x)"
    if fn == "relu":
        lines = ["ReLU(x) = max(0, x): negatives become 0, everything else passes through."]
    elif fn == "leaky_relu":
        lines = [
            f"LeakyReLU(x) = x for x ≥ 0, else {slope}·x: negatives are scaled, not zeroed.",
            "; ".join(
                f"{num(v)} → {slope}·{par(v)} = {num(v * (slope or 0), 3)}" for v in x if v < 0
            )
            or "no negative inputs, so nothing changes",
        ]
    elif fn == "sigmoid":
        lines = [
            "σ(x) = 1 / (1 + e^(−x)), squashing every value into (0, 1).",
            "; ".join(
                f"σ({num(v)}) = 1/(1 + e^{par(-v)}) = {num(1 / (1 + math.exp(-v)), 3)}" for v in x
            ),
        ]
    elif fn == "tanh":
        lines = [
            "tanh(x) = (e^x − e^(−x)) / (e^x + e^(−x)), an odd function with range (−1, 1).",
            "; ".join(f"tanh({num(v)}) = {num(math.tanh(v), 3)}" for v in x),
        ]
    else:
        exps = [math.exp(v) for v in x]
        lines = [
            "softmax(x)_i = e^(x_i) / Σ_j e^(x_j): exponentiate, then divide by the total.",
            f"e^x = {vec(exps)}, total = {num(sum(exps), 3)}; divide each by the total",
        ]
    lines.append(f"y = {vec(y)}")

    return Question(
        level=level,
        params={"fn": fn, "x": x, "negative_slope": slope},
        prompt=f"The vector x = {x} goes through {_ACT_NAMES[fn]}, as in the code. "
        f"What is y? {list_form(len(x))}",
        code=code,
        expected=Expected("floats", y, decimals=3),
        explanation="\n".join(lines),
        proof=f"import torch\nfrom torch import nn\n{code}\n{floats_proof('y')}",
    )


# ---------------------------------------------------------------- cross-entropy


@family(
    "cross-entropy",
    title="Cross-entropy loss value",
    topic="values",
    terms=("cross-entropy-loss", "softmax-function", "cost-function", "objective-function"),
    levels={1: "one sample", 2: "a batch of two, mean reduction", 3: "label smoothing"},
)
def cross_entropy(rng: np.random.Generator, level: int) -> Question:
    import torch
    import torch.nn.functional as F

    batch = 2 if level == 2 else 1
    n_cls = 3 if level == 2 else int(rng.integers(3, 5))
    eps = pick(rng, (0.1, 0.2)) if level == 3 else 0.0
    logits: list[list[float]] = []
    targets: list[int] = []
    loss = 0.0
    for _ in range(MAX_DRAWS):
        logits = [one_decimals(rng, n_cls, -20, 30) for _ in range(batch)]
        targets = [int(rng.integers(n_cls)) for _ in range(batch)]
        loss = F.cross_entropy(
            torch.tensor(logits), torch.tensor(targets), label_smoothing=eps
        ).item()
        if not near_tie(loss, 3):
            break

    smooth = f", label_smoothing={eps}" if eps else ""
    code = (
        f"logits = torch.tensor({logits})\n"
        f"target = torch.tensor({targets})\n"
        f"loss = F.cross_entropy(logits, target{smooth})"
    )
    lse = [math.log(sum(math.exp(v) for v in row)) for row in logits]
    nll = [lse[i] - logits[i][t] for i, t in enumerate(targets)]
    lines = ["Per sample: loss = −log softmax(z)[t] = log Σ_j e^(z_j) − z_t."]
    for i, (row, t) in enumerate(zip(logits, targets, strict=True)):
        who = f"sample {i}: " if batch > 1 else ""
        lines.append(
            f"{who}log({' + '.join(f'e^{par(v)}' for v in row)}) = {num(lse[i], 3)}; "
            f"{num(lse[i], 3)} − {par(row[t])} = {num(nll[i], 3)}"
        )
    if batch > 1:
        lines.append(f"mean reduction: ({num(nll[0], 3)} + {num(nll[1], 3)}) / 2 = {num(loss, 3)}")
    elif eps:
        row = logits[0]
        all_nll = [lse[0] - v for v in row]
        lines.append(
            f"Smoothing mixes the one-hot target with uniform: loss = (1 − ε)·(−log p_t) "
            f"+ (ε/C)·Σ_k(−log p_k), with −log p = {vec(all_nll)}."
        )
        lines.append(
            f"= {1 - eps:g}·{num(nll[0], 3)} + ({eps}/{n_cls})·{num(sum(all_nll), 3)} "
            f"= {num(loss, 3)}"
        )
    else:
        lines.append(f"loss = {num(loss, 3)}")

    what = "the mean loss over the batch" if batch > 1 else "the loss"
    return Question(
        level=level,
        params={"logits": logits, "targets": targets, "label_smoothing": eps},
        prompt=f"What is {what} computed by the code (class indices count from 0)? {float_form()}",
        code=code,
        expected=Expected("float", loss, decimals=3),
        explanation="\n".join(lines),
        proof=f"import torch\nimport torch.nn.functional as F\n{code}\n"
        f"{float_proof('loss.item()')}",
    )


# ---------------------------------------------------------------- mse


@family(
    "mse",
    title="MSE and L1 loss values",
    topic="values",
    terms=("mean-squared-error", "cost-function", "objective-function"),
    levels={1: "mean squared error (mean reduction)", 2: "sum reduction and L1 loss"},
)
def mse(rng: np.random.Generator, level: int) -> Question:
    import torch
    import torch.nn.functional as F

    kind = "mse_mean" if level == 1 else pick(rng, ("mse_sum", "l1_mean"))
    call = {
        "mse_mean": "F.mse_loss(pred, target)",
        "mse_sum": 'F.mse_loss(pred, target, reduction="sum")',
        "l1_mean": "F.l1_loss(pred, target)",
    }[kind]
    pred: list[float] = []
    target: list[float] = []
    loss = 0.0
    for _ in range(MAX_DRAWS):
        n = int(rng.integers(3, 5))
        pred = one_decimals(rng, n, -20, 30)
        target = one_decimals(rng, n, -20, 30)
        p, t = torch.tensor(pred), torch.tensor(target)
        if kind == "mse_mean":
            loss = F.mse_loss(p, t).item()
        elif kind == "mse_sum":
            loss = F.mse_loss(p, t, reduction="sum").item()
        else:
            loss = F.l1_loss(p, t).item()
        if not near_tie(loss, 3):
            break

    code = f"pred = torch.tensor({pred})\ntarget = torch.tensor({target})\nloss = {call}"
    diffs = [round(a - b, 1) for a, b in zip(pred, target, strict=True)]
    lines = [f"differences pred − target = {vec(diffs, 1)}"]
    if kind.startswith("mse"):
        sq = [d * d for d in diffs]
        lines.append(f"squared = {vec(sq, 2)}, sum = {num(sum(sq), 2)}")
        if kind == "mse_mean":
            lines.append(
                f"mean reduction divides by n = {n}: {num(sum(sq), 2)} / {n} = {num(loss, 3)}"
            )
        else:
            lines.append(f"reduction='sum' stops there: loss = {num(loss, 3)}")
    else:
        ab = [abs(d) for d in diffs]
        lines.append(f"L1 loss uses absolute values: {vec(ab, 1)}, sum = {num(sum(ab), 1)}")
        lines.append(f"mean over n = {n}: {num(sum(ab), 1)} / {n} = {num(loss, 3)}")

    return Question(
        level=level,
        params={"kind": kind, "pred": pred, "target": target},
        prompt=f"What loss does the code compute? {float_form()}",
        code=code,
        expected=Expected("float", loss, decimals=3),
        explanation="\n".join(lines),
        proof=f"import torch\nimport torch.nn.functional as F\n{code}\n"
        f"{float_proof('loss.item()')}",
    )
