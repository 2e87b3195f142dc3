"""Families in dlquiz.questions.values, checked against independent numpy references.

The generators grade against what torch computed; these tests recompute every answer from
the question's params with plain numpy formulas (float64) and require agreement both before
rounding (1e-6, relative above 1) and in the displayed, rounded answer.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

from dlquiz.questions import generate
from dlquiz.questions.base import REGISTRY, Question
from tests.gen_helpers import (
    MANY,
    SEEDS,
    assert_import_is_light,
    check_question,
    close,
    shown,
    topic_cases,
)

# ---------------------------------------------------------------- numpy references


def ref_activation(q: Question) -> np.ndarray:
    x = np.array(q.params["x"], dtype=np.float64)
    fn = q.params["fn"]
    if fn == "relu":
        return np.where(x > 0, x, 0.0)
    if fn == "leaky_relu":
        return np.where(x >= 0, x, q.params["negative_slope"] * x)
    if fn == "sigmoid":
        return 1.0 / (1.0 + np.exp(-x))
    if fn == "tanh":
        ep, en = np.exp(x), np.exp(-x)
        return (ep - en) / (ep + en)
    assert fn == "softmax", fn
    e = np.exp(x - x.max())
    return e / e.sum()


def ref_cross_entropy(q: Question) -> float:
    z = np.array(q.params["logits"], dtype=np.float64)
    t = np.array(q.params["targets"])
    eps = q.params["label_smoothing"]
    n, c = z.shape
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    # The smoothed target distribution: eps spread evenly, the rest on the true class.
    target = np.full((n, c), eps / c)
    target[np.arange(n), t] += 1.0 - eps
    return float(np.mean(-(target * log_p).sum(axis=1)))


def ref_mse(q: Question) -> float:
    d = np.array(q.params["pred"]) - np.array(q.params["target"])
    kind = q.params["kind"]
    if kind == "mse_mean":
        return float(np.mean(d**2))
    if kind == "mse_sum":
        return float(np.sum(d**2))
    assert kind == "l1_mean", kind
    return float(np.mean(np.abs(d)))


def ref_dropout(q: Question) -> float:
    x, p = q.params["x"], q.params["p"]
    return x / (1.0 - p) if q.params["mode"] == "train" else x


def ref_entropy(q: Question) -> float:
    p = np.array(q.params["probs"], dtype=np.float64)
    assert abs(p.sum() - 1.0) < 1e-12 and (p > 0).all()
    if q.params["unit"] == "bits":
        return float(-(p * np.log2(p)).sum())
    return float(-(p * np.log(p)).sum())


def ref_confusion(q: Question) -> float:
    prm = q.params
    if q.level == 3:
        # Tally from the shown vectors, independently of the counts torch produced.
        pr, lb = np.array(prm["preds"]), np.array(prm["labels"])
        tp = int(np.sum((pr == 1) & (lb == 1)))
        fp = int(np.sum((pr == 1) & (lb == 0)))
        fn = int(np.sum((pr == 0) & (lb == 1)))
        tn = int(np.sum((pr == 0) & (lb == 0)))
        assert (tp, fp, fn, tn) == (prm["tp"], prm["fp"], prm["fn"], prm["tn"])
    else:
        tp, fp, fn, tn = prm["tp"], prm["fp"], prm["fn"], prm["tn"]
        for name, count in (("TP", tp), ("FP", fp), ("FN", fn), ("TN", tn)):
            assert f"{name} = {count}" in q.prompt  # the prompt alone fixes the answer
    metric = prm["metric"]
    if metric == "accuracy":
        return (tp + tn) / (tp + fp + fn + tn)
    if metric == "precision":
        return tp / (tp + fp)
    if metric == "recall":
        return tp / (tp + fn)
    if metric == "specificity":
        return tn / (tn + fp)
    assert metric == "f1", metric
    return 2 * tp / (2 * tp + fp + fn)


REFS = {
    "activation": ref_activation,
    "cross-entropy": ref_cross_entropy,
    "mse": ref_mse,
    "dropout-scaling": ref_dropout,
    "entropy": ref_entropy,
    "confusion-metrics": ref_confusion,
}

CASES = topic_cases("values")


# ---------------------------------------------------------------- checks


def check_value(q: Question, want: float | np.ndarray) -> None:
    exp = q.expected
    d = exp.decimals
    if exp.kind == "float":
        assert close(exp.value, float(want)), (exp.value, want)
        assert shown(exp.value, d) == shown(float(want), d)
    elif exp.kind == "floats":
        want_arr = np.asarray(want, dtype=np.float64)
        assert len(exp.value) == len(want_arr)
        for got, w in zip(exp.value, want_arr, strict=True):
            assert close(got, float(w)), (exp.value, want_arr)
            assert shown(got, d) == shown(float(w), d)
    else:
        raise AssertionError(f"unexpected answer kind {exp.kind}")


def test_every_family_has_a_reference() -> None:
    assert {fid for fid, _ in CASES} == set(REFS)
    for fid in REFS:
        assert REGISTRY[fid].topic == "values"


@pytest.mark.parametrize(("fid", "level"), CASES)
@MANY
@given(seed=SEEDS)
def test_matches_numpy_reference(fid: str, level: int, seed: int) -> None:
    q = generate(fid, level, seed)
    check_question(q, fid, level, seed)
    check_value(q, REFS[fid](q))


def test_level_content() -> None:
    """Each level draws what it promises (functions, reductions, modes)."""
    seen: dict[tuple[str, int], set[str]] = {}
    for fid, level in CASES:
        for seed in range(60):
            prm = generate(fid, level, seed).params
            key = {
                "activation": "fn",
                "cross-entropy": "label_smoothing",
                "mse": "kind",
                "dropout-scaling": "mode",
                "entropy": "unit",
                "confusion-metrics": "metric",
            }[fid]
            seen.setdefault((fid, level), set()).add(str(prm[key]))
    assert seen[("activation", 1)] == {"relu", "leaky_relu", "sigmoid"}
    assert seen[("activation", 2)] == {"tanh", "softmax"}
    assert seen[("cross-entropy", 3)] == {"0.1", "0.2"}
    assert seen[("mse", 2)] == {"mse_sum", "l1_mean"}
    assert seen[("dropout-scaling", 1)] == {"train", "eval"}
    assert seen[("entropy", 2)] == {"bits"}
    assert seen[("confusion-metrics", 1)] == {"accuracy", "precision", "recall"}
    assert seen[("confusion-metrics", 2)] == {"f1", "specificity"}


def test_import_is_cheap() -> None:
    # Registering the families must load neither torch nor numpy.
    assert_import_is_light("dlquiz.questions.values", "dlquiz.questions.optim")


def test_dropout_leaves_torchs_global_rng_alone() -> None:
    import torch

    saved = torch.get_rng_state()
    try:
        torch.manual_seed(123)
        before = torch.rand(3)
        torch.manual_seed(123)
        generate("dropout-scaling", 2, 7)
        assert torch.equal(torch.rand(3), before), "global RNG changed"
    finally:
        torch.set_rng_state(saved)
