"""Value questions on dropout scaling, entropy and classification metrics.

Inputs are tiny, answers come from torch at question time, proofs repeat the same calls.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from dlquiz.questions.base import Expected, Question, family
from dlquiz.questions.common import (
    pick,
    sample,
)
from dlquiz.questions.floats import (
    MAX_DRAWS,
    float_form,
    float_proof,
    near_tie,
    num,
    one_decimals,
)

if TYPE_CHECKING:
    import numpy as np


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
