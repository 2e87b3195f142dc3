"""Value questions: activation outputs, cross-entropy and MSE losses.

Each family draws tiny one-decimal inputs so the prompt alone fixes the answer, runs torch
on them for the graded value, and ships a proof that repeats the same torch calls.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from dlquiz.questions.base import (
    Expected,
    Mistake,
    Question,
    family,
    keep_mistakes,
)
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
    expected = Expected("floats", y, decimals=3)

    def sig(v: float) -> float:
        return 1 / (1 + math.exp(-v))

    total = sum(x)
    exps = [math.exp(v) for v in x]
    slips: dict[str, list[tuple[str, str, list[float], str]]] = {
        "relu": [
            ("kept-negatives", "kept the negatives", x, "ReLU sets every negative input to 0."),
            (
                "took-abs",
                "took absolute values",
                [abs(v) for v in x],
                "ReLU zeroes negatives; it does not flip their sign.",
            ),
        ],
        "leaky_relu": [
            (
                "zeroed-negatives",
                "zeroed the negatives",
                [max(v, 0.0) for v in x],
                f"Leaky ReLU keeps a small slope: negatives become {slope}·x, not 0.",
            ),
            (
                "default-slope",
                "used slope 0.01",
                [v if v >= 0 else 0.01 * v for v in x],
                f"This layer's negative_slope is {slope}, not the default 0.01.",
            ),
            ("kept-negatives", "kept the negatives", x, f"Negatives are multiplied by {slope}."),
        ],
        "sigmoid": [
            (
                "dropped-minus",
                "used e^x",
                [1 / (1 + math.exp(v)) for v in x],
                "σ(x) = 1/(1 + e^(−x)): the exponent is −x, so σ(x) > 0.5 for x > 0.",
            ),
            (
                "tanh-instead",
                "used tanh",
                [math.tanh(v) for v in x],
                "That is tanh (range −1 to 1); the sigmoid's range is 0 to 1.",
            ),
        ],
        "tanh": [
            (
                "sigmoid-instead",
                "used the sigmoid",
                [sig(v) for v in x],
                "That is σ (range 0 to 1); tanh ranges from −1 to 1.",
            ),
            (
                "half-argument",
                "used 2σ(x) − 1",
                [2 * sig(v) - 1 for v in x],
                "tanh(x) = 2σ(2x) − 1: the sigmoid's argument is doubled.",
            ),
        ],
        "softmax": [
            (
                "forgot-exp",
                "normalised x itself",
                [v / total for v in x] if total else [],
                "Softmax exponentiates first: e^(x_i) / Σ e^(x_j).",
            ),
            (
                "forgot-normalising",
                "did not divide",
                exps,
                "After exponentiating, divide by the total so the outputs sum to 1.",
            ),
            (
                "sigmoid-each",
                "applied the sigmoid",
                [sig(v) for v in x],
                "Softmax couples the entries: each is divided by the sum of all exponentials.",
            ),
        ],
    }
    mistakes = [
        Mistake(slug, name, tuple(vals), feedback) for slug, name, vals, feedback in slips[fn]
    ]
    rules = {
        "relu": "ReLU(x) = max(0, x).",
        "leaky_relu": "LeakyReLU(x) = x if x ≥ 0, else negative_slope·x.",
        "sigmoid": "σ(x) = 1 / (1 + e^(−x)).",
        "tanh": "tanh(x) = (e^x − e^(−x)) / (e^x + e^(−x)).",
        "softmax": "softmax(x)_i = e^(x_i) / Σ_j e^(x_j).",
    }
    first = f"{_ACT_NAMES[fn]} of {x[0]}" if fn != "softmax" else f"e^{par(x[0])} / Σ e^(x_j)"
    extra = f" with negative_slope = {slope}" if slope else ""

    return Question(
        level=level,
        params={"fn": fn, "x": x, "negative_slope": slope},
        prompt=f"The vector x = {x} goes through {_ACT_NAMES[fn]}, as in the code. "
        f"What is y? {list_form(len(x))}",
        code=code,
        expected=expected,
        explanation="\n".join(lines),
        proof=f"import torch\nfrom torch import nn\n{code}\n{floats_proof('y')}",
        mistakes=keep_mistakes(expected, mistakes),
        hints=(rules[fn], f"x = {x}{extra}: start with {first}, then the others."),
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
    expected = Expected("float", loss, decimals=3)
    plain = sum(nll) / batch
    shifted = [lse[i] - logits[i][t + 1] if t + 1 < n_cls else None for i, t in enumerate(targets)]
    mistakes = [
        Mistake(
            "summed-batch",
            "summed over the batch",
            sum(nll),
            "The default reduction is the mean: divide the sum by the batch size, 2.",
        ),
        Mistake(
            "ignored-smoothing",
            "ignored label smoothing",
            plain,
            f"label_smoothing={eps} moves {eps} of the target's weight onto all {n_cls} classes "
            "evenly: the loss also averages −log p over every class.",
        ),
        Mistake(
            "forgot-softmax",
            "used the raw logit",
            -sum(row[t] for row, t in zip(logits, targets, strict=True)) / batch,
            "Cross-entropy takes −log of the softmax probability: log Σ e^(z_j) − z_t, not −z_t.",
        ),
        Mistake(
            "dropped-minus",
            "dropped the minus sign",
            -loss,
            "The loss is −log p_t, which is never negative.",
        ),
        Mistake(
            "log-base-ten",
            "used log base 10",
            loss / math.log(10),
            "PyTorch uses the natural log (ln).",
        ),
    ]
    if None not in shifted:
        mistakes.append(
            Mistake(
                "counted-classes-from-one",
                "counted classes from 1",
                sum(v for v in shifted if v is not None) / batch,
                f"Class indices start at 0: target {targets[0]} is entry {targets[0]} of the "
                "logits, counting from 0.",
            )
        )
    if batch == 1:
        mistakes = [m for m in mistakes if m.id != "summed-batch"]
    if not eps:
        mistakes = [m for m in mistakes if m.id != "ignored-smoothing"]
    row0, t0 = logits[0], targets[0]
    hint2 = f"log({' + '.join(f'e^{par(v)}' for v in row0)}) − {par(row0[t0])}" + (
        " for the first sample; then average the two" if batch > 1 else ""
    )
    return Question(
        level=level,
        params={"logits": logits, "targets": targets, "label_smoothing": eps},
        prompt=f"What is {what} computed by the code (class indices count from 0)? {float_form()}",
        code=code,
        expected=expected,
        explanation="\n".join(lines),
        mistakes=keep_mistakes(expected, mistakes),
        hints=(
            "Per sample: loss = −log softmax(z)[t] = log Σ_j e^(z_j) − z_t; the mean over the "
            "batch; with smoothing ε: (1 − ε)·(−log p_t) + (ε/C)·Σ_k (−log p_k).",
            hint2,
        ),
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

    expected = Expected("float", loss, decimals=3)
    sq_sum = sum(d * d for d in diffs)
    abs_sum = sum(abs(d) for d in diffs)
    options = {
        "summed": (
            "summed instead of averaging",
            sq_sum if kind == "mse_mean" else abs_sum,
            f"The default reduction is the mean: divide by n = {n}.",
        ),
        "averaged": (
            "averaged instead of summing",
            sq_sum / n,
            "reduction='sum' adds the squared errors and stops there.",
        ),
        "forgot-square": (
            "forgot to square",
            abs_sum / n if kind == "mse_mean" else abs_sum,
            "MSE squares each difference before reducing.",
        ),
        "took-root": (
            "took the square root",
            math.sqrt(sq_sum / n),
            "That is the RMSE; MSE stops before the square root.",
        ),
        "squared": (
            "squared the differences",
            sq_sum / n,
            "L1 loss takes absolute differences, not squares.",
        ),
        "kept-signs": (
            "kept the signs",
            sum(diffs) / n,
            "L1 loss takes the absolute value of each difference first.",
        ),
    }
    wanted = {
        "mse_mean": ("summed", "forgot-square", "took-root"),
        "mse_sum": ("averaged", "forgot-square"),
        "l1_mean": ("summed", "squared", "kept-signs"),
    }[kind]
    mistakes = [Mistake(slug, *options[slug]) for slug in wanted]
    first = f"({pred[0]} − {par(target[0])})"
    hint2 = {
        "mse_mean": f"({first}² + … over all {n} pairs) / {n}",
        "mse_sum": f"{first}² + … over all {n} pairs",
        "l1_mean": f"(|{first}| + … over all {n} pairs) / {n}",
    }[kind]

    return Question(
        level=level,
        params={"kind": kind, "pred": pred, "target": target},
        prompt=f"What loss does the code compute? {float_form()}",
        code=code,
        expected=expected,
        explanation="\n".join(lines),
        mistakes=keep_mistakes(expected, mistakes),
        hints=(
            "MSE = mean of (pred − target)²; reduction='sum' skips the division; L1 = mean of "
            "|pred − target|.",
            hint2,
        ),
        proof=f"import torch\nimport torch.nn.functional as F\n{code}\n"
        f"{float_proof('loss.item()')}",
    )
