"""Hand-computation families (dlquiz.questions.by_hand*), checked against numpy references.

The generators grade against what torch computed. These tests recompute every answer from the
question's params with plain numpy (float64), and recompute every named slip with its own
mistaken formula; a slip must differ visibly from the answer, and typing it must bring back
that slip's feedback.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings

from dlquiz.answers import grade
from dlquiz.questions import generate
from dlquiz.questions.base import REGISTRY, Expected, Question
from tests.gen_helpers import (
    SEEDS,
    assert_import_is_light,
    check_question,
    close,
    shown,
    topic_cases,
)

CASES = topic_cases("by-hand")
# 21 skills, each question generated twice (determinism): 60 seeds each stay within ~10 s.
SOME = settings(max_examples=60, deadline=None)
EPS = 1e-5  # the default eps of BatchNorm2d and LayerNorm

Ref = Callable[[Question], object]


# ---------------------------------------------------------------- conv-value


def _conv_parts(q: Question) -> tuple[np.ndarray, np.ndarray, int, int, int]:
    p = q.params
    x = np.array(p["x"], dtype=np.float64)  # (C, H, W)
    w = np.array(p["w"], dtype=np.float64)  # (C, k, k)
    pad = p["padding"]
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
    return xp, w, p["bias"], p["i"], p["j"]


def _correlate(x: np.ndarray, w: np.ndarray, i: int, j: int) -> np.ndarray:
    """Per-channel sums of one window (cross-correlation, as Conv2d does)."""
    k = w.shape[-1]
    return (x[:, i : i + k, j : j + k] * w).sum(axis=(1, 2))


def ref_conv(q: Question) -> int:
    xp, w, bias, i, j = _conv_parts(q)
    return int(_correlate(xp, w, i, j).sum()) + bias


def _conv_flipped(q: Question) -> int:
    xp, w, bias, i, j = _conv_parts(q)
    return int(_correlate(xp, w[:, ::-1, ::-1], i, j).sum()) + bias


def _conv_no_bias(q: Question) -> int:
    xp, w, _, i, j = _conv_parts(q)
    return int(_correlate(xp, w, i, j).sum())


def _conv_unpadded(q: Question) -> int:
    _, w, bias, i, j = _conv_parts(q)
    x = np.array(q.params["x"], dtype=np.float64)
    assert i + w.shape[-1] <= x.shape[1] and j + w.shape[-1] <= x.shape[2]
    return int(_correlate(x, w, i, j).sum()) + bias


def _conv_one_channel(q: Question) -> int:
    xp, w, bias, i, j = _conv_parts(q)
    return int(_correlate(xp, w, i, j)[0]) + bias


# ---------------------------------------------------------------- pool-grid


def _windows(q: Question) -> np.ndarray:
    """(out, out, k*k) windows with NaN for padded cells."""
    p = q.params
    k, s, pad = p["kernel_size"], p["stride"], p["padding"]
    x = np.pad(np.array(p["x"], dtype=np.float64), pad, constant_values=np.nan)
    out = (x.shape[0] - k) // s + 1
    return np.array(
        [[x[a * s : a * s + k, b * s : b * s + k].ravel() for b in range(out)] for a in range(out)]
    )


def ref_pool(q: Question) -> np.ndarray:
    win = _windows(q)
    if q.params["kind"] == "max":
        return np.nanmax(win, axis=2).ravel()
    # count_include_pad=True: padded zeros count toward the divisor.
    return (np.nansum(win, axis=2) / win.shape[2]).ravel()


def _pool_mean_real(q: Question) -> np.ndarray:
    return np.nanmean(_windows(q), axis=2).ravel()


def _pool_max(q: Question) -> np.ndarray:
    return np.nanmax(_windows(q), axis=2).ravel()


def _pool_sum(q: Question) -> np.ndarray:
    return np.nansum(_windows(q), axis=2).ravel()


def _pool_columns(q: Question) -> np.ndarray:
    return ref_pool(q).reshape(2, 2).T.ravel()


# ---------------------------------------------------------------- batchnorm / layernorm


def _norm(v: np.ndarray, ddof: int = 0, eps: float = EPS) -> np.ndarray:
    return (v - v.mean()) / np.sqrt(v.var(ddof=ddof) + eps)


def _bn_x(q: Question) -> np.ndarray:
    """The whole input as (N, C, H·W)."""
    p = q.params
    vals = np.array(p["values"], dtype=np.float64)
    if q.level != 2:
        return vals.reshape(4, 1, 1)
    other = np.array(p["other"], dtype=np.float64)
    chans = [vals, other] if p["channel"] == 0 else [other, vals]
    # Channel c holds [s0 w0, s0 w1, s1 w0, s1 w1].
    return np.stack([c.reshape(2, 2) for c in chans], axis=1)


def ref_bn(q: Question) -> np.ndarray:
    x = _bn_x(q)
    c = q.params["channel"] if q.level == 2 else 0
    chan = x[:, c, :]
    y = (chan - chan.mean()) / np.sqrt(chan.var() + EPS)  # batch and positions together
    return q.params["gamma"] * y.ravel() + q.params["beta"]


def _ln_row(q: Question) -> np.ndarray:
    return np.array(q.params["x"], dtype=np.float64)[q.params["row"]]


def ref_ln(q: Question) -> np.ndarray:
    x = np.array(q.params["x"], dtype=np.float64)
    mean = x.mean(axis=-1, keepdims=True)
    y = (x - mean) / np.sqrt(x.var(axis=-1, keepdims=True) + EPS)
    return (np.array(q.params["gamma"]) * y + np.array(q.params["beta"]))[q.params["row"]]


def _values(q: Question) -> np.ndarray:
    if q.family == "batchnorm-value":
        return np.array(q.params["values"], dtype=np.float64)
    return _ln_row(q)


def _affine(q: Question, y: np.ndarray, gamma: bool = True, beta: bool = True) -> np.ndarray:
    g = np.broadcast_to(np.array(q.params["gamma"], dtype=np.float64), y.shape)
    b = np.broadcast_to(np.array(q.params["beta"], dtype=np.float64), y.shape)
    return (g * y if gamma else y) + (b if beta else 0.0)


def _unbiased(q: Question) -> np.ndarray:
    return _affine(q, _norm(_values(q), ddof=1, eps=0.0))


def _no_mean(q: Question) -> np.ndarray:
    v = _values(q)
    return v / v.std()


def _var_not_std(q: Question) -> np.ndarray:
    v = _values(q)
    return (v - v.mean()) / v.var()


def _forgot_beta(q: Question) -> np.ndarray:
    return _affine(q, _norm(_values(q), eps=0.0), beta=False)


def _forgot_gamma(q: Question) -> np.ndarray:
    return _affine(q, _norm(_values(q), eps=0.0), gamma=False)


def _bn_all_channels(q: Question) -> np.ndarray:
    x = _bn_x(q)
    y = (x - x.mean()) / x.std()
    return y[:, q.params["channel"], :].ravel()


def _safe_norm(v: np.ndarray) -> np.ndarray:
    return np.zeros_like(v) if v.std() == 0 else (v - v.mean()) / v.std()


def _bn_per_sample(q: Question) -> np.ndarray:
    x = _bn_x(q)[:, q.params["channel"], :]
    return np.concatenate([_safe_norm(row) for row in x])


def _ln_batch_stats(q: Question) -> np.ndarray:
    x = np.array(q.params["x"], dtype=np.float64)
    cols = np.stack([_safe_norm(x[:, c]) for c in range(x.shape[1])], axis=1)
    return cols[q.params["row"]]


def _ln_whole(q: Question) -> np.ndarray:
    x = np.array(q.params["x"], dtype=np.float64)
    return ((x - x.mean()) / x.std())[q.params["row"]]


# ---------------------------------------------------------------- attention / softmax


def _softmax(s: np.ndarray) -> np.ndarray:
    e = np.exp(s - s.max())
    return e / e.sum()


def _scores(q: Question) -> tuple[np.ndarray, int]:
    """Raw dot products of the asked query with every key, and how many keys it may see."""
    qm = np.array(q.params["q"], dtype=np.float64)
    k = np.array(q.params["k"], dtype=np.float64)
    row = q.params["row"]
    visible = row + 1 if q.params["causal"] else k.shape[0]
    return k @ qm[row], visible


def _masked(raw: np.ndarray, visible: int, scale: float) -> np.ndarray:
    out = np.zeros_like(raw)
    out[:visible] = _softmax(raw[:visible] / scale)
    return out


def ref_attention(q: Question) -> np.ndarray:
    raw, visible = _scores(q)
    d = len(q.params["q"][0])
    return _masked(raw, visible, np.sqrt(d))


def _attn_no_sqrt(q: Question) -> np.ndarray:
    raw, visible = _scores(q)
    return _masked(raw, visible, 1.0)


def _attn_by_d(q: Question) -> np.ndarray:
    raw, visible = _scores(q)
    return _masked(raw, visible, float(len(q.params["q"][0])))


def _attn_no_mask(q: Question) -> np.ndarray:
    raw, _ = _scores(q)
    return _softmax(raw / 2.0)


def _attn_mask_late(q: Question) -> np.ndarray:
    raw, visible = _scores(q)
    full = _softmax(raw / 2.0)
    full[visible:] = 0.0
    return full


def _soft(q: Question) -> tuple[np.ndarray, np.ndarray, float]:
    """Softened teacher and student distributions, and T (distillation level)."""
    t = q.params["T"]
    p = _softmax(np.array(q.params["z"], dtype=np.float64) / t)
    s = _softmax(np.array(q.params["student"], dtype=np.float64) / t)
    return p, s, t


def _kl(p: np.ndarray, s: np.ndarray) -> float:
    return float(np.sum(p * (np.log(p) - np.log(s))))


def ref_temperature(q: Question) -> np.ndarray | float:
    if q.level == 3:
        p, s, t = _soft(q)
        return t * t * _kl(p, s)
    return _softmax(np.array(q.params["z"], dtype=np.float64) / q.params["T"])


def _kd_no_t2(q: Question) -> float:
    p, s, _ = _soft(q)
    return _kl(p, s)


def _kd_reversed(q: Question) -> float:
    p, s, t = _soft(q)
    return t * t * _kl(s, p)


def _kd_cross_entropy(q: Question) -> float:
    p, s, t = _soft(q)
    return float(-t * t * np.sum(p * np.log(s)))


def _temp_times(q: Question) -> np.ndarray:
    return _softmax(np.array(q.params["z"], dtype=np.float64) * q.params["T"])


def _temp_plain(q: Question) -> np.ndarray:
    return _softmax(np.array(q.params["z"], dtype=np.float64))


# ---------------------------------------------------------------- box-iou


def _boxes(q: Question) -> tuple[np.ndarray, np.ndarray]:
    a, b = (np.array(q.params[n], dtype=np.float64) for n in ("a", "b"))
    if q.params["format"] == "cxcywh":
        a, b = (np.concatenate([v[:2] - v[2:] / 2, v[:2] + v[2:] / 2]) for v in (a, b))
    return a, b


def _box_stats(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float, float]:
    """Intersection, area a, area b, enclosing-box area."""
    wh = np.clip(np.minimum(a[2:], b[2:]) - np.maximum(a[:2], b[:2]), 0, None)
    hull = np.maximum(a[2:], b[2:]) - np.minimum(a[:2], b[:2])
    return (
        float(wh.prod()),
        float((a[2:] - a[:2]).prod()),
        float((b[2:] - b[:2]).prod()),
        float(hull.prod()),
    )


def ref_iou(q: Question) -> float:
    inter, sa, sb, hull = _box_stats(*_boxes(q))
    union = sa + sb - inter
    iou = inter / union
    return iou - (hull - union) / hull if q.params["giou"] else iou


def _iou_no_sub(q: Question) -> float:
    inter, sa, sb, _ = _box_stats(*_boxes(q))
    return inter / (sa + sb)


def _iou_smaller(q: Question) -> float:
    inter, sa, sb, _ = _box_stats(*_boxes(q))
    return inter / min(sa, sb)


def _iou_plus_one(q: Question) -> float:
    a, b = _boxes(q)
    grow = np.array([0, 0, 1, 1])
    inter, sa, sb, _ = _box_stats(a + grow, b + grow)
    return inter / (sa + sb - inter)


def _iou_centre_as_corner(q: Question) -> float:
    a, b = (np.array(q.params[n], dtype=np.float64) for n in ("a", "b"))
    a, b = (np.concatenate([v[:2], v[:2] + v[2:]]) for v in (a, b))
    inter, sa, sb, _ = _box_stats(a, b)
    return inter / (sa + sb - inter)


def _iou_plain(q: Question) -> float:
    inter, sa, sb, _ = _box_stats(*_boxes(q))
    return inter / (sa + sb - inter)


def _giou_hull_minus_inter(q: Question) -> float:
    inter, sa, sb, hull = _box_stats(*_boxes(q))
    return inter / (sa + sb - inter) - (hull - inter) / hull


REFS: dict[str, Ref] = {
    "conv-value": ref_conv,
    "pool-grid": ref_pool,
    "batchnorm-value": ref_bn,
    "layernorm-value": ref_ln,
    "attention-weights": ref_attention,
    "softmax-temperature": ref_temperature,
    "box-iou": ref_iou,
}

MISTAKES: dict[str, dict[str, Ref]] = {
    "conv-value": {
        "flipped-kernel": _conv_flipped,
        "forgot-bias": _conv_no_bias,
        "ignored-padding": _conv_unpadded,
        "one-channel": _conv_one_channel,
    },
    "pool-grid": {
        "mean-not-max": _pool_mean_real,
        "max-not-mean": _pool_max,
        "sum-not-mean": _pool_sum,
        "excluded-padding": _pool_mean_real,
        "column-order": _pool_columns,
    },
    "batchnorm-value": {
        "unbiased-var": _unbiased,
        "no-mean": _no_mean,
        "var-not-std": _var_not_std,
        "all-channels": _bn_all_channels,
        "per-sample": _bn_per_sample,
        "forgot-beta": _forgot_beta,
        "forgot-gamma": _forgot_gamma,
    },
    "layernorm-value": {
        "unbiased-var": _unbiased,
        "no-mean": _no_mean,
        "var-not-std": _var_not_std,
        "batch-stats": _ln_batch_stats,
        "whole-tensor": _ln_whole,
        "forgot-beta": _forgot_beta,
        "forgot-gamma": _forgot_gamma,
    },
    "attention-weights": {
        "no-sqrt-d": _attn_no_sqrt,
        "divided-by-d": _attn_by_d,
        "ignored-mask": _attn_no_mask,
        "masked-after-softmax": _attn_mask_late,
    },
    "softmax-temperature": {
        "multiplied-by-t": _temp_times,
        "ignored-t": _temp_plain,
        "no-t-squared": _kd_no_t2,
        "reversed-kl": _kd_reversed,
        "cross-entropy": _kd_cross_entropy,
    },
    "box-iou": {
        "union-not-subtracted": _iou_no_sub,
        "over-smaller-box": _iou_smaller,
        "plus-one-pixels": _iou_plus_one,
        "centre-as-corner": _iou_centre_as_corner,
        "plain-iou": _iou_plain,
        "hull-minus-inter": _giou_hull_minus_inter,
    },
}


# ---------------------------------------------------------------- checks


def _as_floats(v: object) -> list[float]:
    return [float(x) for x in np.atleast_1d(np.asarray(v, dtype=np.float64))]


def check_value(q: Question, want: object) -> None:
    exp = q.expected
    if exp.kind == "int":
        assert type(exp.value) is int and exp.value == want, (q.params, exp.value, want)
        return
    got, ref = _as_floats(exp.value), _as_floats(want)
    assert len(got) == len(ref)
    for g, w in zip(got, ref, strict=True):
        # torch works in float32; BatchNorm's output carries a few 1e-7 of rounding.
        assert close(g, w, 1e-5), (q.skill, q.seed, got, ref)
        assert shown(g, exp.decimals) == shown(w, exp.decimals), (q.skill, q.seed, got, ref)


def _numbers(text: str) -> set[str]:
    """The unsigned numbers in a text."""
    return set(re.findall(r"\d+(?:\.\d+)?", text))


def typed_value(q: Question, value: object) -> str:
    """``value`` written the way the answer is displayed."""
    return Expected(q.expected.kind, value, q.expected.decimals).display()


def check_mistakes(q: Question) -> None:
    """Each slip equals its own formula, differs visibly from the answer, and is named when
    typed."""
    exp = q.expected
    assert len(q.mistakes) >= 2, (q.skill, q.seed)
    assert len({m.id for m in q.mistakes}) == len(q.mistakes)
    for m in q.mistakes:
        want = MISTAKES[q.family][m.id](q)
        if exp.kind == "int":
            assert type(m.value) is int and m.value == want, (m.id, m.value, want)
            assert m.value != exp.value
        else:
            got, ref = _as_floats(m.value), _as_floats(want)
            assert len(got) == len(ref) == len(_as_floats(exp.value))
            assert all(close(g, w) for g, w in zip(got, ref, strict=True)), (m.id, got, ref)
            # More than the grader's "close" band (1 unit) away in some entry.
            unit = 10.0 ** -(exp.decimals or 0)
            answer = _as_floats(exp.value)
            assert max(abs(g - a) for g, a in zip(got, answer, strict=True)) > 1.5 * unit
        assert m.name and m.feedback
        # The feedback works with this question's numbers (inputs, the slip or the answer).
        own = " ".join((json.dumps(q.params), exp.display(), typed_value(q, m.value)))
        assert _numbers(m.feedback) & _numbers(own), (q.skill, q.seed, m.feedback)
        typed = typed_value(q, m.value)
        verdict = grade(q, typed)
        assert not verdict.correct, (q.skill, q.seed, m.id, typed)
        assert verdict.mistake is not None and verdict.mistake.id == m.id, (m.id, typed)
        assert m.feedback in verdict.message
    assert grade(q, exp.display()).correct


def check_hints(q: Question) -> None:
    """Two hints: the rule, then the rule with this question's numbers."""
    assert len(q.hints) == 2 and all(h.strip() for h in q.hints)
    assert re.search(r"\d", q.hints[1])
    if q.expected.kind != "int":  # a whole number may well appear among the inputs
        assert q.expected.display() not in q.hints[1]  # a hint is not the answer


def test_every_family_has_references() -> None:
    fids = {fid for fid, _ in CASES}
    assert fids == set(REFS) == set(MISTAKES)
    assert len(fids) >= 7
    for fid in fids:
        assert REGISTRY[fid].topic == "by-hand"
        assert len(REGISTRY[fid].levels) >= 2


@pytest.mark.parametrize(("fid", "level"), CASES)
@SOME
@given(seed=SEEDS)
def test_matches_numpy_reference_and_mistakes(fid: str, level: int, seed: int) -> None:
    q = generate(fid, level, seed)
    check_question(q, fid, level, seed)
    assert generate(fid, level, seed) == q  # same seed, same question
    check_value(q, REFS[fid](q))
    check_mistakes(q)
    check_hints(q)


def test_every_declared_mistake_is_reached() -> None:
    """Over a few seeds per level, each slip a family declares is offered somewhere."""
    seen: dict[str, set[str]] = {fid: set() for fid in MISTAKES}
    for fid, level in CASES:
        for seed in range(25):
            seen[fid] |= {m.id for m in generate(fid, level, seed).mistakes}
    assert seen == {fid: set(ids) for fid, ids in MISTAKES.items()}


def test_level_content() -> None:
    """Levels draw what they promise."""
    for seed in range(20):
        assert generate("conv-value", 2, seed).params["padding"] == 1
        assert len(generate("conv-value", 3, seed).params["x"]) == 2
        assert generate("pool-grid", 1, seed).params["kind"] == "max"
        assert generate("pool-grid", 3, seed).params["padding"] == 1
        assert generate("attention-weights", 3, seed).params["causal"]
        assert generate("attention-weights", 3, seed).expected.value[2] == 0.0
        assert generate("softmax-temperature", 1, seed).params["T"] > 1
        assert generate("softmax-temperature", 2, seed).params["T"] < 1
        assert generate("softmax-temperature", 3, seed).expected.kind == "float"
        assert generate("box-iou", 2, seed).params["format"] == "cxcywh"
        for fam in ("batchnorm-value", "layernorm-value"):
            # The normalised values have a σ that is a multiple of 0.5, so the division is short.
            q = generate(fam, 1, seed)
            sd = float(np.std(_values(q)))
            assert sd > 0 and abs(2 * sd - round(2 * sd)) < 1e-9


def test_import_is_cheap() -> None:
    assert_import_is_light(
        "dlquiz.questions.by_hand",
        "dlquiz.questions.by_hand_norm",
        "dlquiz.questions.by_hand_attn",
        "dlquiz.questions.by_hand_boxes",
    )
