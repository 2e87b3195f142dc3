"""Value questions: activations, losses, dropout, entropy and classification metrics.

Every family draws tiny inputs of one-decimal numbers (or small counts) so the prompt alone
fixes the answer, runs torch on them for the graded value, and ships a proof snippet that
repeats the same torch calls. The helpers at the top are shared with ``optim.py``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from dlquiz.questions.base import Expected, Question, family
from dlquiz.questions.common import pick, randint, sample

if TYPE_CHECKING:
    import numpy as np

# A generator redraws at most this many times to dodge rounding ties; the odds of
# needing more than a couple of draws are tiny, and after that a tie is accepted.
MAX_DRAWS = 64

PRINT_FLOATS = 'print("[" + ", ".join(f"{{v:.{d}f}}" for v in {name}.tolist()) + "]")'
PRINT_FLOAT = 'print(f"{{{expr}:.{d}f}}")'


# ---------------------------------------------------------------- shared helpers


def near_tie(value: float, decimals: int) -> bool:
    """Whether ``value`` would display ambiguously at ``decimals`` places.

    0.0125 reads as 0.012 or 0.013 depending on the rounding rule and on float32 noise, and
    an exact zero can come out of float32 as a tiny negative that prints as "-0.000"; in
    both cases generators redraw rather than grade such a value.
    """
    scaled = abs(value) * 10**decimals
    if value < 0 and scaled < 0.5:
        return True
    return abs(scaled - math.floor(scaled) - 0.5) < 0.01


def any_tie(values: Sequence[float], decimals: int) -> bool:
    return any(near_tie(v, decimals) for v in values)


def one_decimals(
    rng: np.random.Generator, n: int, lo: int, hi: int, *, nonzero: bool = False
) -> list[float]:
    """``n`` numbers with one decimal place, drawn from [lo/10, hi/10] (bounds in tenths)."""
    out: list[float] = []
    while len(out) < n:
        k = randint(rng, lo, hi)
        if k or not nonzero:
            out.append(k / 10)
    return out


def num(v: float, d: int | None = None) -> str:
    """A number for explanation text: inputs as given, results at ``d`` places, unicode minus."""
    text = str(v) if d is None else f"{v:.{d}f}"
    return text.replace("-", "−")


def par(v: float, d: int | None = None) -> str:
    """Like ``num`` but negative numbers get parentheses, for use inside products."""
    return f"({num(v, d)})" if v < 0 else num(v, d)


def vec(values: Sequence[float], d: int | None = 3) -> str:
    return "[" + ", ".join(num(v, d) for v in values) + "]"


def floats_proof(name: str, d: int = 3) -> str:
    return PRINT_FLOATS.format(d=d, name=name)


def float_proof(expr: str, d: int = 3) -> str:
    return PRINT_FLOAT.format(d=d, expr=expr)


def list_form(n: int, d: int = 3) -> str:
    letters = ", ".join("abcd"[:n])
    return f"Give the {n} values as a list of floats to {d} decimal places, like [{letters}]."


def float_form(d: int = 3) -> str:
    return f"Give a float to {d} decimal places."


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
        family="activation",
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
        family="cross-entropy",
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
        family="mse",
        level=level,
        params={"kind": kind, "pred": pred, "target": target},
        prompt=f"What loss does the code compute? {float_form()}",
        code=code,
        expected=Expected("float", loss, decimals=3),
        explanation="\n".join(lines),
        proof=f"import torch\nimport torch.nn.functional as F\n{code}\n"
        f"{float_proof('loss.item()')}",
    )


# ---------------------------------------------------------------- dropout-scaling

DROPOUT_P_CHOICE = (0.2, 0.25, 0.5, 0.75, 0.8)
DROPOUT_P_FLOAT = (0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.9)
# Enough elements that, with seed 0, some survive even at p = 0.9 (0.9^1000 ≈ 1e-46).
_DROP_N = 1000


@family(
    "dropout-scaling",
    title="Dropout in train and eval mode",
    topic="values",
    terms=("dropout",),
    levels={1: "train vs eval: which value comes out", 2: "the train-mode scale factor"},
)
def dropout_scaling(rng: np.random.Generator, level: int) -> Question:
    import torch
    from torch import nn

    mode = pick(rng, ("train", "eval")) if level == 1 else "train"
    p = pick(rng, DROPOUT_P_CHOICE if level == 1 else DROPOUT_P_FLOAT)
    x = 0.0
    out = 0.0
    for _ in range(MAX_DRAWS):
        x = one_decimals(rng, 1, 5, 40 if level == 1 else 30)[0]
        drop = nn.Dropout(p=p)
        if mode == "eval":
            drop.eval()
        # Seed like the proof does, but leave the caller's global RNG as it was.
        state = torch.get_rng_state()
        try:
            torch.manual_seed(0)
            y = drop(torch.full((_DROP_N,), x))
        finally:
            torch.set_rng_state(state)
        out = y.max().item()  # every kept element carries the same value; x > 0
        if not near_tie(out, 3):
            break

    evl = "drop.eval()\n" if mode == "eval" else ""
    code = (
        f"drop = nn.Dropout(p={p})\n{evl}"
        f"torch.manual_seed(0)\ny = drop(torch.full(({_DROP_N},), {x}))"
    )
    proof = (
        f"import torch\nfrom torch import nn\n{code}\n"
        f"{float_proof('y.max().item()')}  # the kept elements all share one value"
    )
    if mode == "train":
        lines = [
            "In training, each element is zeroed with probability p and every survivor is "
            "multiplied by 1/(1 − p) (inverted dropout), so the expected output equals the input.",
            f"{num(x)} / (1 − {p}) = {num(x)} / {1 - p:g} = {num(out, 3)}",
        ]
        state_txt = f"A fresh nn.Dropout(p={p}) is in training mode."
        ask = f"An input element equal to {x} is not zeroed: what value does it come out as?"
    else:
        lines = [
            "After .eval(), dropout is the identity: nothing is zeroed and nothing is scaled "
            "(the 1/(1 − p) scaling during training already kept expectations equal).",
            f"So {num(x)} comes out unchanged: {num(out, 3)}",
        ]
        state_txt = f"nn.Dropout(p={p}) has been switched to eval mode."
        ask = f"What does an input element equal to {x} come out as?"

    if level == 1:
        got = f"{out:.3f}"
        distractors = [x, x / (1 - p), x * (1 - p), x * p, x / p, 0.0]
        choices = [got]
        for v in distractors:
            text = f"{v:.3f}"
            if text not in choices and not near_tie(v, 3):
                choices.append(text)
            if len(choices) == 4:
                break
        order = rng.permutation(len(choices))
        shuffled = tuple(choices[int(i)] for i in order)
        expected = Expected("choice", shuffled.index(got), choices=shuffled)
    else:
        expected = Expected("float", out, decimals=3)

    return Question(
        family="dropout-scaling",
        level=level,
        params={"mode": mode, "p": p, "x": x},
        prompt=f"{state_txt} {ask}" + ("" if level == 1 else f" {float_form()}"),
        code=code,
        expected=expected,
        explanation="\n".join(lines),
        proof=proof,
    )


# ---------------------------------------------------------------- entropy


@family(
    "entropy",
    title="Shannon entropy of a distribution",
    topic="values",
    terms=("entropy",),
    levels={1: "in nats", 2: "in bits"},
)
def entropy(rng: np.random.Generator, level: int) -> Question:
    import torch
    from torch.distributions import Categorical

    bits = level == 2
    probs: list[float] = []
    h = 0.0
    for _ in range(MAX_DRAWS):
        n = int(rng.integers(2, 4)) if level == 1 else int(rng.integers(3, 5))
        # Probabilities in tenths (or eighths, whose bit entropies come out clean).
        unit = 10 if level == 1 else pick(rng, (10, 8))
        cuts = sorted(c + 1 for c in sample(rng, n - 1, range(unit - 1)))
        parts = [b - a for a, b in zip([0, *cuts], [*cuts, unit], strict=True)]
        probs = [k / unit for k in parts]
        ent = Categorical(probs=torch.tensor(probs)).entropy()
        h = (ent / math.log(2) if bits else ent).item()
        if not near_tie(h, 3):
            break

    code = f"p = torch.tensor({probs})\nh = Categorical(probs=p).entropy()  # in nats"
    if bits:
        code += "\nh_bits = h / math.log(2)"
    log, unit_name = ("log₂", "bits") if bits else ("ln", "nats")
    fn = math.log2 if bits else math.log
    terms = [-q * fn(q) for q in probs]
    lines = [
        f"H(p) = −Σ p·{log} p" + (" (nats divided by ln 2)" if bits else ""),
        "= −(" + " + ".join(f"{q}·{log} {q}" for q in probs) + ")",
        "= " + " + ".join(num(t, 3) for t in terms) + f" = {num(h, 3)} {unit_name}",
    ]
    return Question(
        family="entropy",
        level=level,
        params={"probs": probs, "unit": unit_name},
        prompt=f"What is the entropy of the distribution p = {probs}, in {unit_name}? "
        f"{float_form()}",
        code=code,
        expected=Expected("float", h, decimals=3),
        explanation="\n".join(lines),
        proof="import math\nimport torch\nfrom torch.distributions import Categorical\n"
        f"{code}\n{float_proof(('h_bits' if bits else 'h') + '.item()')}",
    )


# ---------------------------------------------------------------- confusion-metrics

_METRIC_NAMES = {
    "accuracy": "accuracy",
    "precision": "precision",
    "recall": "recall",
    "sensitivity": "sensitivity",
    "tpr": "true positive rate (TPR)",
    "f1": "F1 score",
    "specificity": "specificity (true negative rate)",
}
# The torch expression for each metric, shared by the generator's proof text.
_METRIC_SRC = {
    "accuracy": "(preds == labels).float().mean()",
    "precision": "tp / (tp + fp)",
    "recall": "tp / (tp + fn)",
    "specificity": "tn / (tn + fp)",
}
_COUNT_SRC = (
    "tp = ((preds == 1) & (labels == 1)).sum()\n"
    "fp = ((preds == 1) & (labels == 0)).sum()\n"
    "fn = ((preds == 0) & (labels == 1)).sum()\n"
    "tn = ((preds == 0) & (labels == 0)).sum()"
)


def _from_counts(tp: int, fp: int, fn: int, tn: int) -> tuple[list[int], list[int]]:
    """Prediction and label lists whose confusion matrix has exactly these counts."""
    preds = [1] * tp + [1] * fp + [0] * fn + [0] * tn
    labels = [1] * tp + [0] * fp + [1] * fn + [0] * tn
    return preds, labels


def _list_src(counts: Sequence[tuple[int, int]]) -> str:
    """``[1] * 6 + [0] * 3`` for runs of equal values, skipping empty runs."""
    return " + ".join(f"[{v}] * {k}" for v, k in counts if k)


@family(
    "confusion-metrics",
    title="Precision, recall, F1 and accuracy",
    topic="values",
    terms=("precision", "sensitivity", "true-positive-rate"),
    levels={
        1: "accuracy, precision and recall from the counts",
        2: "F1 and specificity from the counts",
        3: "tally the counts from prediction and label vectors first",
    },
)
def confusion_metrics(rng: np.random.Generator, level: int) -> Question:
    import torch

    if level == 1:
        asked = pick(rng, ("accuracy", "precision", "recall", "sensitivity", "tpr"))
    elif level == 2:
        asked = pick(rng, ("f1", "specificity"))
    else:
        asked = pick(rng, ("accuracy", "precision", "recall", "f1"))
    metric = "recall" if asked in ("sensitivity", "tpr") else asked

    preds: list[int] = []
    labels: list[int] = []
    value = 0.0
    counts = (0, 0, 0, 0)
    for _ in range(MAX_DRAWS):
        if level < 3:
            counts = (
                int(rng.integers(1, 10)),
                int(rng.integers(0, 7)),
                int(rng.integers(0, 7)),
                int(rng.integers(1, 10)),
            )
            preds, labels = _from_counts(*counts)
        else:
            n = int(rng.integers(8, 13))
            preds = [int(v) for v in rng.integers(0, 2, size=n)]
            labels = [int(v) for v in rng.integers(0, 2, size=n)]
        pt, lt = torch.tensor(preds), torch.tensor(labels)
        tp = ((pt == 1) & (lt == 1)).sum()
        fp = ((pt == 1) & (lt == 0)).sum()
        fn = ((pt == 0) & (lt == 1)).sum()
        tn = ((pt == 0) & (lt == 0)).sum()
        counts = (int(tp), int(fp), int(fn), int(tn))
        if counts[0] == 0 or counts[3] == 0:
            continue  # keep every ratio defined (only possible at level 3)
        if metric == "accuracy":
            v = (pt == lt).float().mean()
        elif metric == "precision":
            v = tp / (tp + fp)
        elif metric == "recall":
            v = tp / (tp + fn)
        elif metric == "specificity":
            v = tn / (tn + fp)
        else:
            precision, recall = tp / (tp + fp), tp / (tp + fn)
            v = 2 * precision * recall / (precision + recall)
        value = v.item()
        if not near_tie(value, 3):
            break

    ctp, cfp, cfn, ctn = counts
    if level < 3:
        tensors = (
            f"preds = torch.tensor({_list_src([(1, ctp), (1, cfp), (0, cfn), (0, ctn)])})\n"
            f"labels = torch.tensor({_list_src([(1, ctp), (0, cfp), (1, cfn), (0, ctn)])})"
        )
        code = ""
        given = (
            f"A binary classifier's confusion matrix has TP = {ctp}, FP = {cfp}, "
            f"FN = {cfn}, TN = {ctn}."
        )
    else:
        tensors = f"preds = torch.tensor({preds})\nlabels = torch.tensor({labels})"
        code = tensors
        given = "A binary classifier made the predictions shown; class 1 is the positive class."
    if metric == "f1":
        calc = (
            "precision = tp / (tp + fp)\nrecall = tp / (tp + fn)\n"
            "value = 2 * precision * recall / (precision + recall)"
        )
    else:
        calc = f"value = {_METRIC_SRC[metric]}"

    lines = []
    if level == 3:
        lines.append(
            f"Tally each (prediction, label) pair: TP = {ctp}, FP = {cfp}, FN = {cfn}, TN = {ctn}."
        )
    total = ctp + cfp + cfn + ctn
    if metric == "accuracy":
        lines.append(f"accuracy = (TP + TN) / all = ({ctp} + {ctn}) / {total} = {value:.3f}")
    elif metric == "precision":
        lines.append(f"precision = TP / (TP + FP) = {ctp} / ({ctp} + {cfp}) = {value:.3f}")
    elif metric == "recall":
        lines.append(
            "recall = sensitivity = TPR = TP / (TP + FN), the share of real "
            "positives that were found"
        )
        lines.append(f"= {ctp} / ({ctp} + {cfn}) = {value:.3f}")
    elif metric == "specificity":
        lines.append(f"specificity = TN / (TN + FP) = {ctn} / ({ctn} + {cfp}) = {value:.3f}")
    else:
        lines.append(
            f"precision = {ctp}/{ctp + cfp} = {ctp / (ctp + cfp):.3f}, "
            f"recall = {ctp}/{ctp + cfn} = {ctp / (ctp + cfn):.3f}"
        )
        lines.append(
            f"F1 = 2·P·R / (P + R) = 2·TP / (2·TP + FP + FN) = "
            f"{2 * ctp} / ({2 * ctp} + {cfp} + {cfn}) = {value:.3f}"
        )

    return Question(
        family="confusion-metrics",
        level=level,
        params={
            "metric": metric,
            "asked": asked,
            "tp": ctp,
            "fp": cfp,
            "fn": cfn,
            "tn": ctn,
            "preds": preds,
            "labels": labels,
        },
        prompt=f"{given} What is its {_METRIC_NAMES[asked]}? {float_form()}",
        code=code,
        expected=Expected("float", value, decimals=3),
        explanation="\n".join(lines),
        proof=f"import torch\n{tensors}\n{_COUNT_SRC}\n{calc}\n{float_proof('value.item()')}",
    )
