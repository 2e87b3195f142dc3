"""The convolution generators: torch's answers against closed-form formulas, and proofs.

Each family's answer is what torch computed when the question was made; here it is checked,
for hundreds of seeds per level, against the textbook formula applied to ``q.params`` (no
torch in this process for the check). The proofs are run in one fresh interpreter.
"""

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

PROOF_SEEDS = (0, 1, 2, 3, 4)


# ---------------------------------------------------------------- reference formulas


def conv_out(n: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> int:
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def pool_out(n: int, k: int, s: int, p: int = 0, ceil: bool = False) -> int:
    if not ceil:
        return (n + 2 * p - k) // s + 1
    out = -(-(n + 2 * p - k) // s) + 1
    if (out - 1) * s >= n + p:  # a window may not start inside the right padding
        out -= 1
    return out


def convt_out(n: int, k: int, s: int, p: int, op: int) -> int:
    return (n - 1) * s - 2 * p + (k - 1) + op + 1


def simulate(layers: Sequence[dict[str, Any]], shape: Sequence[int]) -> list[tuple[int, ...]]:
    """Shape after every layer spec (conv, maxpool, relu, bn, flatten, linear)."""
    out: list[tuple[int, ...]] = []
    cur = tuple(shape)
    for spec in layers:
        op = spec["op"]
        if op == "conv":
            assert cur[1] == spec["in"]
            h, w = (conv_out(v, spec["k"], spec["s"], spec["p"], spec["d"]) for v in cur[2:])
            cur = (cur[0], spec["out"], h, w)
        elif op == "maxpool":
            cur = (*cur[:2], *(pool_out(v, spec["k"], spec["s"]) for v in cur[2:]))
        elif op == "flatten":
            cur = (cur[0], cur[1] * cur[2] * cur[3])
        elif op == "linear":
            assert cur[1] == spec["in"]
            cur = (cur[0], spec["out"])
        elif op == "bn":
            assert cur[1] == spec["c"]
        assert all(v >= 1 for v in cur), f"invalid size {cur} after {spec}"
        out.append(cur)
    return out


def receptive(layers: Sequence[dict[str, Any]]) -> int:
    r, jump = 1, 1
    for spec in layers:
        if spec["op"] in ("conv", "maxpool"):
            r += spec.get("d", 1) * (spec["k"] - 1) * jump
            jump *= spec["s"]
    return r


# ---------------------------------------------------------------- expected answers


def _conv2d_shape(q: Question) -> tuple[int, ...]:
    p = q.params
    n, cin, h, w, cout = p["N"], p["C_in"], p["H"], p["W"], p["C_out"]
    assert f"nn.Conv2d({cin}, {cout}, kernel_size=" in q.code
    assert f"torch.randn({n}, {cin}, {h}, {w})" in q.code
    if p["padding"] == "same":
        assert p["stride"] == [1, 1]
        return (n, cout, h, w)
    pads = [0, 0] if p["padding"] == "valid" else p["padding"]
    sizes = [
        conv_out(size, p["kernel"][i], p["stride"][i], pads[i], p["dilation"][i])
        for i, size in enumerate((h, w))
    ]
    return (n, cout, *sizes)


def _conv2d_params(q: Question) -> int:
    p = q.params
    kh, kw = p["kernel"]
    assert p["C_in"] % p["groups"] == 0 and p["C_out"] % p["groups"] == 0
    return p["C_out"] * (p["C_in"] // p["groups"]) * kh * kw + (p["C_out"] if p["bias"] else 0)


def _conv1d_shape(q: Question) -> tuple[int, ...]:
    p = q.params
    assert f"torch.randn({p['N']}, {p['C_in']}, {p['L']})" in q.code
    return (p["N"], p["C_out"], conv_out(p["L"], p["k"], p["s"], p["p"], p["d"]))


def _convt_shape(q: Question) -> tuple[int, ...]:
    p = q.params
    assert p["output_padding"] < p["s"]
    sizes = (convt_out(v, p["k"], p["s"], p["p"], p["output_padding"]) for v in (p["H"], p["W"]))
    return (p["N"], p["C_out"], *sizes)


def _pool_shape(q: Question) -> tuple[int, ...]:
    p = q.params
    assert q.code.startswith(f"pool = nn.{p['kind']}(kernel_size={p['k']}")
    if q.level == 1:
        assert p["s"] == p["k"] and p["p"] == 0 and not p["ceil_mode"]
    sizes = (pool_out(v, p["k"], p["s"], p["p"], p["ceil_mode"]) for v in (p["H"], p["W"]))
    return (p["N"], p["C"], *sizes)


def _gap_shape(q: Question) -> tuple[int, ...]:
    p = q.params
    n, c = p["N"], p["C"]
    gh, gw = p["grid"]
    return {
        "adaptive": (n, c, 1, 1),
        "flatten": (n, c),
        "nn-flatten": (n, c),
        "mean": (n, c),
        "mean-keepdim": (n, c, 1, 1),
        "grid": (n, c * gh * gw),
    }[p["form"]]


def _flatten_size(q: Question) -> int:
    shapes = simulate(q.params["layers"], q.params["input"])
    assert q.params["layers"][-1]["op"] == "flatten"
    return shapes[-1][1]


def _receptive_field(q: Question) -> int:
    return receptive(q.params["layers"])


def _conv_macs(q: Question) -> int:
    p = q.params
    ho, wo = (conv_out(v, p["k"], p["s"], p["p"]) for v in (p["H"], p["W"]))
    return p["C_out"] * ho * wo * (p["C_in"] // p["groups"]) * p["k"] * p["k"]


EXPECT: dict[str, Callable[[Question], object]] = {
    "conv2d-shape": _conv2d_shape,
    "conv2d-params": _conv2d_params,
    "conv1d-shape": _conv1d_shape,
    "convtranspose2d-shape": _convt_shape,
    "pool2d-shape": _pool_shape,
    "global-avg-pool": _gap_shape,
    "flatten-size": _flatten_size,
    "receptive-field": _receptive_field,
    "conv-macs": _conv_macs,
}

CASES = cases(EXPECT)


# ---------------------------------------------------------------- tests


def test_families_registered_with_levels() -> None:
    for fid in EXPECT:
        fam = REGISTRY[fid]
        assert fam.topic == "convolution"
        assert len(fam.levels) >= 2 and fam.terms
    assert {f.id for f in REGISTRY.values() if f.topic == "convolution"} == set(EXPECT)


@pytest.mark.parametrize(("fid", "level"), CASES)
@MANY
@given(seed=SEEDS)
def test_answer_matches_formula(fid: str, level: int, seed: int) -> None:
    q = generate(fid, level, seed)
    assert_int_answer(q, EXPECT[fid](q))
    check_question(q, fid, level, seed)


def test_level_features_appear() -> None:
    """Each level really exercises what it claims (over a batch of seeds)."""
    qs = {(fid, lv): [generate(fid, lv, s) for s in range(60)] for fid, lv in CASES}
    assert any(q.params["padding"] == "same" for q in qs["conv2d-shape", 1])
    assert any(q.params["padding"] == "valid" for q in qs["conv2d-shape", 2])
    assert any(q.params["stride"][0] > 1 for q in qs["conv2d-shape", 2])
    assert all(max(q.params["dilation"]) > 1 for q in qs["conv2d-shape", 3])
    assert any(q.params["kernel"][0] != q.params["kernel"][1] for q in qs["conv2d-shape", 3])
    assert any(q.params["groups"] == q.params["C_in"] for q in qs["conv2d-params", 3])
    assert any(1 < q.params["groups"] < q.params["C_in"] for q in qs["conv2d-params", 3])
    assert any(not q.params["bias"] for q in qs["conv2d-params", 2])
    assert all(q.params["output_padding"] > 0 for q in qs["convtranspose2d-shape", 2])
    assert {q.params["ceil_mode"] for q in qs["pool2d-shape", 2]} == {True, False}
    ceil = [q for q in qs["pool2d-shape", 2] if q.params["ceil_mode"]]
    assert any(_pool_shape(q) != _floor_twin(q) for q in ceil)  # ceil_mode changes answers
    assert any(
        any(s["op"] == "maxpool" for s in q.params["layers"]) for q in qs["receptive-field", 2]
    )
    assert all(any(s.get("d", 1) > 1 for s in q.params["layers"]) for q in qs["receptive-field", 3])
    assert any(q.params["groups"] > 1 for q in qs["conv-macs", 3])


def _floor_twin(q: Question) -> tuple[int, ...]:
    p = q.params
    sizes = (pool_out(v, p["k"], p["s"], p["p"]) for v in (p["H"], p["W"]))
    return (p["N"], p["C"], *sizes)


def test_receptive_field_reference_values() -> None:
    """Anchor the formula itself on textbook stacks: two 3×3 convs see 5×5, three see 7×7."""
    c3 = {"op": "conv", "k": 3, "s": 1, "d": 1}
    assert receptive([c3, c3]) == 5
    assert receptive([c3, c3, c3]) == 7
    pool = {"op": "maxpool", "k": 2, "s": 2}
    assert receptive([c3, pool, c3]) == 1 + 2 + 1 + 2 * 2
    assert receptive([{**c3, "d": 2}, {**c3, "d": 4}]) == 1 + 4 + 8
