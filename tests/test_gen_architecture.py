"""The architecture generators: torch's answers against closed-form counts and shapes, and
their proofs run in one fresh interpreter."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest
from hypothesis import given

from dlquiz.questions import generate
from dlquiz.questions.base import REGISTRY, Question
from tests.gen_helpers import (
    MANY,
    SEEDS,
    assert_int_answer,
    cases,
    check_question,
)

PROOF_SEEDS = (0, 1, 2, 3, 4, 5)


# ---------------------------------------------------------------- reference formulas


def conv_out(n: int, k: int, s: int = 1, p: int = 0) -> int:
    return (n + 2 * p - k) // s + 1


def simulate(layers: Sequence[dict[str, Any]], shape: Sequence[int]) -> list[tuple[int, ...]]:
    """Shape after every layer spec (conv, maxpool, relu, bn, flatten, linear)."""
    out: list[tuple[int, ...]] = []
    cur = tuple(shape)
    for spec in layers:
        op = spec["op"]
        if op == "conv":
            assert cur[1] == spec["in"] and spec["d"] == 1
            h, w = (conv_out(v, spec["k"], spec["s"], spec["p"]) for v in cur[2:])
            cur = (cur[0], spec["out"], h, w)
        elif op == "maxpool":
            cur = (*cur[:2], *((v - spec["k"]) // spec["s"] + 1 for v in cur[2:]))
        elif op == "flatten":
            cur = (cur[0], cur[1] * cur[2] * cur[3])
        elif op == "linear":
            assert cur[1] == spec["in"], "Linear in_features must match the flattened size"
            cur = (cur[0], spec["out"])
        elif op == "bn":
            assert cur[1] == spec["c"]
        assert all(v >= 1 for v in cur), f"invalid size {cur} after {spec}"
        out.append(cur)
    return out


def layer_params(spec: dict[str, Any]) -> int:
    op = spec["op"]
    if op == "conv":
        return spec["out"] * spec["in"] * spec["k"] ** 2 + (spec["out"] if spec["bias"] else 0)
    if op == "linear":
        return spec["out"] * spec["in"] + (spec["out"] if spec["bias"] else 0)
    if op == "bn":
        return 2 * spec["c"]
    return 0


def bottleneck_params(cin: int, width: int, stride: int) -> int:
    out = 4 * width
    convs = cin * width + 9 * width * width + width * out
    bns = 2 * (width + width + out)
    projection = cin * out + 2 * out if stride != 1 or cin != out else 0
    return convs + bns + projection


# ---------------------------------------------------------------- expected answers


def _linear_params(q: Question) -> int:
    p = q.params
    assert q.code.startswith(f"fc = nn.Linear({p['in']}, {p['out']}")
    return p["in"] * p["out"] + (p["out"] if p["bias"] else 0)


def _batchnorm2d(q: Question) -> object:
    p = q.params
    c = p["C"]
    params = 2 * c if p["affine"] else 0
    buffers = 2 * c + 1 if p["track_running_stats"] else 0  # mean, var, num_batches_tracked
    if q.level == 1:
        return params
    if q.level == 2:
        return buffers
    want = f"{params:,} learnable parameters, {buffers:,} buffer elements"
    return q.expected.choices.index(want)


def _sequential_shape(q: Question) -> tuple[int, ...]:
    p = q.params
    shapes = simulate(p["layers"], p["input"])  # the whole model must be valid
    return shapes[p["cut"] - 1]


def _sequential_params(q: Question) -> int:
    p = q.params
    simulate(p["layers"], p["input"])  # Linear sizes agree with the conv stack
    return sum(layer_params(s) for i, s in enumerate(p["layers"]) if i not in p["frozen"])


def _resnet_block(q: Question) -> object:
    p = q.params
    if p["kind"] == "bottleneck":
        return bottleneck_params(p["C_in"], p["width"], p["stride"])
    cin, cout, s = p["C_in"], p["C_out"], p["stride"]
    if p["question"] == "shortcut":
        if s == 1 and cin == cout:
            want = "nn.Identity()"
        else:
            want = f"nn.Conv2d({cin}, {cout}, 1, stride={s}, bias=False) + BatchNorm2d"
        return q.expected.choices.index(want)
    h, w = (conv_out(v, 3, s, 1) for v in (p["H"], p["W"]))
    return (p["N"], cout, h, w)


def _resnet50_stage(q: Question) -> tuple[int, ...]:
    p = q.params
    assert p["H"] % 32 == 0 and p["W"] % 32 == 0
    n, sizes = p["N"], [p["H"], p["W"]]
    chain: dict[str, tuple[int, ...]] = {}
    sizes = [conv_out(v, 7, 2, 3) for v in sizes]
    chain["conv1"] = (n, 64, *sizes)
    sizes = [conv_out(v, 3, 2, 1) for v in sizes]
    chain["maxpool"] = (n, 64, *sizes)
    chain["layer1"] = (n, 256, *sizes)
    for name, channels in (("layer2", 512), ("layer3", 1024), ("layer4", 2048)):
        sizes = [conv_out(v, 3, 2, 1) for v in sizes]
        chain[name] = (n, channels, *sizes)
    chain["avgpool"] = (n, 2048, 1, 1)
    chain["fc"] = (n, 1000)
    return chain[p["stage"]]


EXPECT: dict[str, Callable[[Question], object]] = {
    "linear-params": _linear_params,
    "batchnorm2d": _batchnorm2d,
    "sequential-shape": _sequential_shape,
    "sequential-params": _sequential_params,
    "resnet-block": _resnet_block,
    "resnet50-stage": _resnet50_stage,
}

CASES = cases(EXPECT)


# ---------------------------------------------------------------- tests


def test_families_registered_with_levels() -> None:
    for fid in EXPECT:
        fam = REGISTRY[fid]
        assert fam.topic == "architecture"
        assert len(fam.levels) >= 2 and fam.terms
    assert {f.id for f in REGISTRY.values() if f.topic == "architecture"} == set(EXPECT)


@pytest.mark.parametrize(("fid", "level"), CASES)
@MANY
@given(seed=SEEDS)
def test_answer_matches_formula(fid: str, level: int, seed: int) -> None:
    q = generate(fid, level, seed)
    assert_int_answer(q, EXPECT[fid](q))
    check_question(q, fid, level, seed)


def test_reference_counts() -> None:
    """Anchor the formulas on well-known numbers: ResNet-50's first layer1 block (with its
    projection) and a plain layer1 block, and a BatchNorm2d(64) state dict."""
    assert bottleneck_params(64, 64, 1) == 75_008
    assert bottleneck_params(256, 64, 1) == 70_400
    q = generate("batchnorm2d", 2, 0)
    assert _batchnorm2d(q) == 2 * q.params["C"] + 1


def test_level_features_appear() -> None:
    qs = {(fid, lv): [generate(fid, lv, s) for s in range(60)] for fid, lv in CASES}
    assert {q.params["bias"] for q in qs["linear-params", 2]} == {True, False}
    combos = {(q.params["affine"], q.params["track_running_stats"]) for q in qs["batchnorm2d", 3]}
    assert len(combos) == 4
    assert {q.params["question"] for q in qs["resnet-block", 2]} == {"shape", "shortcut"}
    short = [q for q in qs["resnet-block", 2] if q.params["question"] == "shortcut"]
    assert {q.expected.choices[q.expected.value] for q in short} >= {"nn.Identity()"}
    assert any(q.params["stride"] == 2 for q in qs["resnet-block", 3])
    assert {q.params["C_in"] == 4 * q.params["width"] for q in qs["resnet-block", 3]} == {
        True,
        False,
    }
    assert any(q.params["frozen"] for q in qs["sequential-params", 3])
    assert any(any(s["op"] == "bn" for s in q.params["layers"]) for q in qs["sequential-params", 3])
    assert any(q.params["H"] != q.params["W"] for q in qs["resnet50-stage", 2])
    assert {q.params["stage"] for q in qs["resnet50-stage", 2]} >= {"avgpool", "fc"}
