"""Families in dlquiz.questions.optim, checked against independent numpy references.

Optimizer updates are re-implemented from their published update rules (PyTorch's
conventions: momentum buffer without dampening, Adam's bias correction, AdaGrad/RMSprop
accumulators starting at zero), clipping and schedules from their closed forms.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given

from dlquiz.questions import generate
from dlquiz.questions.base import REGISTRY, Question
from tests.gen_helpers import (
    MANY,
    SEEDS,
    check_question,
    close,
    shown,
    topic_cases,
)

# ---------------------------------------------------------------- numpy references


def ref_optimizer(q: Question) -> np.ndarray:
    name, kw = q.params["optimizer"], q.params["kwargs"]
    lr = kw["lr"]
    w = np.array(q.params["w0"], dtype=np.float64)
    grads = [np.array(g, dtype=np.float64) for g in q.params["grads"]]
    if name == "sgd":
        for g in grads:
            w = w - lr * g
    elif name in ("momentum", "nesterov"):
        mu = kw["momentum"]
        assert kw.get("nesterov", False) == (name == "nesterov")
        buf = None
        for g in grads:
            buf = g.copy() if buf is None else mu * buf + g
            w = w - lr * (g + mu * buf if name == "nesterov" else buf)
    elif name == "adagrad":
        s = np.zeros_like(w)
        for g in grads:
            s = s + g * g
            w = w - lr * g / (np.sqrt(s) + 1e-10)
    elif name == "rmsprop":
        a = kw["alpha"]
        v = np.zeros_like(w)
        for g in grads:
            v = a * v + (1 - a) * g * g
            w = w - lr * g / (np.sqrt(v) + 1e-8)
    else:
        assert name == "adam", name
        b1, b2 = 0.9, 0.999
        m, v = np.zeros_like(w), np.zeros_like(w)
        for t, g in enumerate(grads, start=1):
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            w = w - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + 1e-8)
    return w


def ref_clip(q: Question) -> float | np.ndarray:
    grads = [np.array(g, dtype=np.float64) for g in q.params["grads"]]
    flat = np.concatenate(grads)
    nt = q.params["norm_type"]
    if nt == "inf":
        norm = float(np.max(np.abs(flat)))
    elif nt == 1.0:
        norm = float(np.sum(np.abs(flat)))
    else:
        assert nt == 2.0
        norm = math.hypot(*flat)
    if q.level == 2:
        return norm  # the pre-clipping total is what the call returns
    coef = min(1.0, q.params["max_norm"] / (norm + 1e-6))
    return grads[0] * coef


def ref_lr(q: Question) -> float:
    prm = q.params
    lr0, kw, k = prm["lr0"], prm["kwargs"], prm["epochs"]
    name = prm["scheduler"]
    if name == "StepLR":
        return lr0 * kw["gamma"] ** (k // kw["step_size"])
    if name == "MultiStepLR":
        return lr0 * kw["gamma"] ** sum(1 for m in kw["milestones"] if m <= k)
    if name == "ExponentialLR":
        return lr0 * kw["gamma"] ** k
    assert name == "CosineAnnealingLR", name
    eta, t_max = kw["eta_min"], kw["T_max"]
    assert 1 <= k <= t_max
    return eta + (lr0 - eta) * (1 + math.cos(math.pi * k / t_max)) / 2


REFS = {
    "optimizer-step": ref_optimizer,
    "clip-grad-norm": ref_clip,
    "lr-decay": ref_lr,
}

CASES = topic_cases("optimization")


# ---------------------------------------------------------------- checks


def check_value(q: Question, want: float | np.ndarray) -> None:
    exp = q.expected
    d = exp.decimals
    # Schedulers compute in float64, so hold them to a much tighter tolerance.
    tol = 1e-9 if q.family == "lr-decay" else 1e-6
    got_vals = [exp.value] if exp.kind == "float" else list(exp.value)
    want_vals = [float(v) for v in np.atleast_1d(np.asarray(want, dtype=np.float64))]
    assert exp.kind in ("float", "floats")
    assert len(got_vals) == len(want_vals)
    for got, w in zip(got_vals, want_vals, strict=True):
        assert close(got, w, tol), (got_vals, want_vals)
        assert shown(got, d) == shown(w, d)


def test_every_family_has_a_reference() -> None:
    assert {fid for fid, _ in CASES} == set(REFS)
    for fid in REFS:
        assert REGISTRY[fid].topic == "optimization"


@pytest.mark.parametrize(("fid", "level"), CASES)
@MANY
@given(seed=SEEDS)
def test_matches_numpy_reference(fid: str, level: int, seed: int) -> None:
    q = generate(fid, level, seed)
    check_question(q, fid, level, seed)
    check_value(q, REFS[fid](q))


def test_level_content() -> None:
    """Each level exercises what it promises."""
    seen: dict[tuple[str, int], set[str]] = {}
    for fid, level in CASES:
        for seed in range(60):
            q = generate(fid, level, seed)
            prm = q.params
            if fid == "optimizer-step":
                tag = f"{prm['optimizer']}/{len(prm['grads'])}"
            elif fid == "clip-grad-norm":
                clipped = q.expected.kind == "floats" and tuple(q.expected.value) != tuple(
                    prm["grads"][0]
                )
                tag = f"{prm['norm_type']}/{len(prm['grads'])}/{'clip' if clipped else 'keep'}"
            else:
                tag = prm["scheduler"]
            seen.setdefault((fid, level), set()).add(tag)
    assert seen[("optimizer-step", 1)] == {"sgd/1"}
    assert seen[("optimizer-step", 2)] == {"momentum/2", "nesterov/2"}
    assert seen[("optimizer-step", 3)] == {"adagrad/2", "rmsprop/1", "rmsprop/2"}
    assert seen[("optimizer-step", 4)] == {"adam/1", "adam/2"}
    # Level 1 shows both outcomes: rescaled, and left alone because it is under max_norm.
    assert seen[("clip-grad-norm", 1)] == {"2.0/1/clip", "2.0/1/keep"}
    assert seen[("clip-grad-norm", 2)] == {"2.0/2/keep"}
    assert {t.split("/")[0] for t in seen[("clip-grad-norm", 3)]} == {"1.0", "inf"}
    assert seen[("lr-decay", 1)] == {"StepLR", "MultiStepLR"}
    assert seen[("lr-decay", 2)] == {"ExponentialLR"}
    assert seen[("lr-decay", 3)] == {"CosineAnnealingLR"}
