"""Value questions on dropout scaling, entropy and classification metrics.

Inputs are tiny, answers come from torch at question time, proofs repeat the same calls.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
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

    # A value is asked for, so it is typed (no options to read as numbers).
    expected = Expected("float", out, decimals=3)
    keep = 1 - p
    mistakes = [
        Mistake(
            "unscaled",
            "left it unscaled",
            x,
            f"In training the survivors are scaled by 1/(1 − p) = 1/{keep:g}, so the expected "
            "output equals the input.",
        ),
        Mistake(
            "multiplied-by-keep",
            "multiplied by 1 − p",
            x * keep,
            f"Inverted dropout divides by 1 − p = {keep:g} during training; multiplying by it "
            "is the old test-time rule.",
        ),
        Mistake(
            "divided-by-p",
            "divided by p",
            x / p,
            f"The scale is 1/(1 − p), the inverse of the keep probability {keep:g}, not 1/p.",
        ),
        Mistake(
            "scaled-in-eval",
            "scaled in eval mode",
            x / keep,
            "In eval mode dropout is the identity: no zeroing and no scaling.",
        ),
        Mistake(
            "zeroed",
            "zeroed it",
            0.0,
            "This element is kept in training (the prompt says so)"
            if mode == "train"
            else "In eval mode nothing is zeroed.",
        ),
    ]
    if mode == "train":
        mistakes = [m for m in mistakes if m.id != "scaled-in-eval"]
    else:
        mistakes = [
            m for m in mistakes if m.id in ("scaled-in-eval", "multiplied-by-keep", "zeroed")
        ]

    return Question(
        level=level,
        params={"mode": mode, "p": p, "x": x},
        prompt=f"{state_txt} {ask} {float_form()}",
        code=code,
        expected=expected,
        explanation="\n".join(lines),
        proof=proof,
        mistakes=keep_mistakes(expected, mistakes),
        hints=(
            "Training: each element is zeroed with probability p and survivors are multiplied by "
            "1/(1 − p); eval: dropout passes everything through unchanged.",
            f"x = {x}, p = {p}, mode = {mode}: "
            + (f"{x} / (1 − {p})" if mode == "train" else "nothing happens to it"),
        ),
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
        ent = Categorical(probs=torch.tensor(probs)).entropy()  # type: ignore[no-untyped-call]  # torch.distributions is untyped
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
    expected = Expected("float", h, decimals=3)
    nats = -sum(q * math.log(q) for q in probs)
    mistakes = [
        Mistake(
            "wrong-log-base",
            "used the other log",
            nats if bits else nats / math.log(2),
            "Bits use log₂ (divide nats by ln 2); nats use the natural log."
            if bits
            else "Nats use the natural log ln; log₂ gives bits.",
        ),
        Mistake(
            "dropped-minus",
            "dropped the minus sign",
            -h,
            "H = −Σ p·log p: the logs of probabilities are negative, so the minus makes H ≥ 0.",
        ),
        Mistake(
            "forgot-weights",
            "forgot to weight by p",
            -sum(fn(q) for q in probs),
            "Each −log p is weighted by its probability p before summing.",
        ),
        Mistake(
            "log-base-ten",
            "used log base 10",
            nats / math.log(10),
            f"Use {log}: entropy in {unit_name}.",
        ),
    ]

    return Question(
        level=level,
        params={"probs": probs, "unit": unit_name},
        prompt=f"What is the entropy of the distribution p = {probs}, in {unit_name}? "
        f"{float_form()}",
        code=code,
        expected=expected,
        explanation="\n".join(lines),
        mistakes=keep_mistakes(expected, mistakes),
        hints=(
            "H(p) = −Σ p·log p: ln for nats, log₂ for bits (nats / ln 2).",
            "−(" + " + ".join(f"{q}·{log} {q}" for q in probs) + ")",
        ),
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

    expected = Expected("float", value, decimals=3)
    precision_v, recall_v = ctp / (ctp + cfp), ctp / (ctp + cfn)
    slips = {
        "accuracy": [
            (
                "forgot-true-negatives",
                "left out TN",
                ctp / total,
                f"Accuracy counts every correct prediction: TP + TN = {ctp} + {ctn}.",
            ),
            (
                "error-rate",
                "gave the error rate",
                (cfp + cfn) / total,
                "That is the share of wrong predictions; accuracy is the share of right ones.",
            ),
        ],
        "precision": [
            (
                "swapped-precision-recall",
                "gave the recall",
                recall_v,
                f"Precision divides by the predicted positives TP + FP = {ctp + cfp}; recall "
                "divides by the real positives.",
            ),
            (
                "used-accuracy",
                "gave the accuracy",
                (ctp + ctn) / total,
                "Precision only looks at what was predicted positive: TP / (TP + FP).",
            ),
        ],
        "recall": [
            (
                "swapped-precision-recall",
                "gave the precision",
                precision_v,
                f"Recall divides by the real positives TP + FN = {ctp + cfn}; precision divides by "
                "the predicted positives.",
            ),
            (
                "used-accuracy",
                "gave the accuracy",
                (ctp + ctn) / total,
                "Recall only looks at the real positives: TP / (TP + FN).",
            ),
        ],
        "specificity": [
            (
                "gave-recall",
                "gave the recall",
                recall_v,
                "Specificity is the recall of the negatives: TN / (TN + FP).",
            ),
            (
                "negative-predictive-value",
                "divided by TN + FN",
                ctn / (ctn + cfn),
                f"Specificity divides by the real negatives TN + FP = {ctn + cfp}.",
            ),
        ],
        "f1": [
            (
                "arithmetic-mean",
                "averaged P and R",
                (precision_v + recall_v) / 2,
                "F1 is the harmonic mean 2·P·R / (P + R), which is pulled towards the smaller one.",
            ),
            (
                "forgot-the-two",
                "forgot the factor 2",
                precision_v * recall_v / (precision_v + recall_v),
                "F1 = 2·P·R / (P + R): the factor 2 makes F1 = 1 at P = R = 1.",
            ),
        ],
    }[metric]
    mistakes = [Mistake(*slip) for slip in slips]
    hint2 = {
        "accuracy": f"({ctp} + {ctn}) / ({ctp} + {cfp} + {cfn} + {ctn})",
        "precision": f"{ctp} / ({ctp} + {cfp})",
        "recall": f"{ctp} / ({ctp} + {cfn})",
        "specificity": f"{ctn} / ({ctn} + {cfp})",
        "f1": f"2·{ctp} / (2·{ctp} + {cfp} + {cfn})",
    }[metric]
    if level == 3:
        hint2 = f"Tally first: TP = {ctp}, FP = {cfp}, FN = {cfn}, TN = {ctn}; then " + hint2

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
        expected=expected,
        explanation="\n".join(lines),
        mistakes=keep_mistakes(expected, mistakes),
        hints=(
            "accuracy = (TP + TN) / all; precision = TP / (TP + FP); recall = TP / (TP + FN); "
            "specificity = TN / (TN + FP); F1 = 2·P·R / (P + R) = 2·TP / (2·TP + FP + FN).",
            hint2,
        ),
        proof=f"import torch\n{tensors}\n{_COUNT_SRC}\n{calc}\n{float_proof('value.item()')}",
    )
