"""Tensor-shape generators, checked against closed-form rules and numpy (never torch).

Each family and level draws 200 seeds; the answer torch computed in the generator must match
the shape rule written out here (and, where numpy has the same semantics, numpy's answer on
empty arrays). One subprocess then runs a few proofs per level with a real torch.
"""

from __future__ import annotations

from functools import partial
from math import prod
from typing import Any

import numpy as np
import pytest
from hypothesis import given

from dlquiz.questions import generate
from dlquiz.questions.base import REGISTRY, Question
from tests.gen_helpers import MANY, SEEDS, generate_checked

FAMILIES = (
    "reshape-valid",
    "permute-shape",
    "broadcast",
    "matmul-shape",
    "cat-stack",
    "squeeze-unsqueeze",
    "one-hot",
    "does-it-run",
)
LEVELS = [(fid, level) for fid in FAMILIES for level in (1, 2, 3)]

# Generate, hold to the contract every question must meet (short explanations), return.
_gen = partial(generate_checked, max_lines=6)


def _answer(q: Question) -> Any:
    """The graded answer as plain data: choice text, a shape tuple, or a list of floats."""
    exp = q.expected
    if exp.kind == "choice":
        return exp.choices[exp.value]
    if exp.kind == "shape":
        return tuple(exp.value)
    return list(exp.value)


def _text(shape: list[int] | tuple[int, ...]) -> str:
    return str(tuple(shape))


def _broadcast(a: list[int], b: list[int]) -> tuple[int, ...] | None:
    """Right-align, missing dims are 1; each pair must be equal or contain a 1."""
    n = max(len(a), len(b))
    pa, pb = [1] * (n - len(a)) + list(a), [1] * (n - len(b)) + list(b)
    out = []
    for x, y in zip(pa, pb, strict=True):
        if x != y and 1 not in (x, y):
            return None
        out.append(max(x, y))
    return tuple(out)


# ---------------------------------------------------------------- reshape-valid


def _perm(shape: list[int], pre: list[Any] | None) -> list[int]:
    rank = len(shape)
    if pre is None:
        return list(range(rank))
    if pre[0] == "t":
        return [1, 0]
    if pre[0] == "transpose":
        perm = list(range(rank))
        perm[pre[1]], perm[pre[2]] = perm[pre[2]], perm[pre[1]]
        return perm
    return list(pre[1:])


def _reshape_rule(p: dict[str, Any]) -> str:
    shape, target = p["shape"], p["target"]
    numel = prod(shape)
    if target.count(-1) > 1:
        return "error"
    known = prod(v for v in target if v != -1)
    if -1 in target:
        if numel % known:
            return "error"
        out = [numel // known if v == -1 else v for v in target]
    elif known != numel:
        return "error"
    else:
        out = list(target)
    if p["method"] == "view" and p["pre"] is not None:
        # numpy refuses a no-copy reshape exactly when the strides cannot express it.
        arr = np.empty(shape).transpose(_perm(shape, p["pre"]))
        try:
            np.reshape(arr, out, copy=False)
        except ValueError:
            return "error"
    return _text(out)


@pytest.mark.parametrize("level", [1, 2, 3])
@MANY
@given(seed=SEEDS)
def test_reshape_valid(level: int, seed: int) -> None:
    q = _gen("reshape-valid", level, seed)
    p = q.params
    assert _answer(q) == _reshape_rule(p)
    assert "error" in q.expected.choices
    assert (p["pre"] is not None) == (level == 3)
    assert (-1 in p["target"]) == (level == 2) or level == 3


# ---------------------------------------------------------------- permute-shape


def _shape_op(shape: list[int], op: list[Any]) -> list[int]:
    name, args, n = op[0], op[1:], len(shape)
    if name == "permute":
        assert sorted(d % n for d in args) == list(range(n))
        return [shape[d] for d in args]
    if name in ("transpose", "mT"):
        a, b = (args[0] % n, args[1] % n) if name == "transpose" else (n - 2, n - 1)
        out = list(shape)
        out[a], out[b] = out[b], out[a]
        return out
    assert name == "movedim"
    src, dst = ([v] if isinstance(v, int) else v for v in args)
    order: list[int | None] = [None] * n
    for s, d in zip(src, dst, strict=True):
        order[d % n] = s % n
    rest = iter(d for d in range(n) if d not in {s % n for s in src})
    return [shape[d if d is not None else next(rest)] for d in order]


@pytest.mark.parametrize("level", [1, 2, 3])
@MANY
@given(seed=SEEDS)
def test_permute_shape(level: int, seed: int) -> None:
    q = _gen("permute-shape", level, seed)
    shape = q.params["shape"]
    for op in q.params["ops"]:
        shape = _shape_op(shape, op)
    assert _answer(q) == tuple(shape)
    assert sorted(shape) == sorted(q.params["shape"])  # only the order ever changes
    if level == 3:
        assert [op[0] for op in q.params["ops"]] == ["movedim"]


# ---------------------------------------------------------------- broadcast


@pytest.mark.parametrize("level", [1, 2, 3])
@MANY
@given(seed=SEEDS)
def test_broadcast(level: int, seed: int) -> None:
    q = _gen("broadcast", level, seed)
    a, b = q.params["a"], q.params["b"]
    out = _broadcast(a, b)
    try:  # numpy's rule is the same one; check ours against it
        assert out == tuple(np.broadcast_shapes(tuple(a), tuple(b)))
    except ValueError:
        assert out is None
    if q.params["in_place"]:
        want = _text(a) if out == tuple(a) else "error"
    else:
        want = "error" if out is None else _text(out)
        assert (len(a) == len(b)) == (level == 1)
    assert _answer(q) == want


# ---------------------------------------------------------------- matmul-shape


def _matmul_rule(a: list[int], b: list[int], op: str) -> tuple[int, ...]:
    if op == "torch.mm":
        assert len(a) == len(b) == 2 and a[1] == b[0]
        return (a[0], b[1])
    if op == "torch.bmm":
        assert len(a) == len(b) == 3 and a[0] == b[0] and a[2] == b[1]
        return (a[0], a[1], b[2])
    if len(a) == 1 and len(b) == 1:
        assert a == b
        return ()
    if len(a) == 1:  # a row (1×k); the 1 is removed afterwards
        out = _matmul_rule([1, *a], b, op)
        return out[:-2] + out[-1:]
    if len(b) == 1:  # a column (k×1); the 1 is removed afterwards
        return _matmul_rule(a, [*b, 1], op)[:-1]
    assert a[-1] == b[-2]
    batch = _broadcast(a[:-2], b[:-2])
    assert batch is not None
    return (*batch, a[-2], b[-1])


@pytest.mark.parametrize("level", [1, 2, 3])
@MANY
@given(seed=SEEDS)
def test_matmul_shape(level: int, seed: int) -> None:
    q = _gen("matmul-shape", level, seed)
    a, b, op = q.params["a"], q.params["b"], q.params["op"]
    want = _matmul_rule(a, b, op)
    assert _answer(q) == want
    assert np.matmul(np.zeros(a), np.zeros(b)).shape == want
    if level == 1:
        assert len(a) == len(b) == 2
    if level == 3:
        assert max(len(a), len(b)) >= 3 and min(len(a), len(b)) >= 2


# ---------------------------------------------------------------- cat-stack


def _cat_stack_rule(fn: str, shapes: list[list[int]], dim: int | None) -> tuple[int, ...]:
    rank, count = len(shapes[0]), len(shapes)
    if fn == "vstack" and rank == 1:
        return (count, shapes[0][0])
    if fn == "stack":
        assert all(s == shapes[0] for s in shapes) and dim is not None
        out = list(shapes[0])
        out.insert(dim % (rank + 1), count)
        return tuple(out)
    axis = {"cat": dim, "hstack": 0 if rank == 1 else 1, "vstack": 0}[fn]
    assert axis is not None
    axis %= rank
    for s in shapes:
        assert [v for i, v in enumerate(s) if i != axis] == [
            v for i, v in enumerate(shapes[0]) if i != axis
        ]
    out = list(shapes[0])
    out[axis] = sum(s[axis] for s in shapes)
    return tuple(out)


@pytest.mark.parametrize("level", [1, 2, 3])
@MANY
@given(seed=SEEDS)
def test_cat_stack(level: int, seed: int) -> None:
    q = _gen("cat-stack", level, seed)
    fn, shapes, dim = q.params["fn"], q.params["shapes"], q.params["dim"]
    want = _cat_stack_rule(fn, shapes, dim)
    assert _answer(q) == want
    arrays = [np.empty(s) for s in shapes]
    ref = {
        "cat": lambda: np.concatenate(arrays, axis=dim),
        "stack": lambda: np.stack(arrays, axis=dim),
        "hstack": lambda: np.hstack(arrays),
        "vstack": lambda: np.vstack(arrays),
    }[fn]()
    assert ref.shape == want
    assert fn == {1: "cat", 2: "stack"}.get(level, fn)


# ---------------------------------------------------------------- squeeze-unsqueeze


def _squeeze_op(shape: list[int], op: list[Any]) -> list[int]:
    name, args, n = op[0], op[1:], len(shape)
    if name == "unsqueeze":
        out = list(shape)
        out.insert(args[0] % (n + 1), 1)
        return out
    if name == "index_none":
        out = list(shape)
        out.insert(n if args[0] == -1 else args[0], 1)
        return out
    assert name == "squeeze"
    if not args:
        return [v for v in shape if v != 1]
    dims = {d % n for d in (args[0] if isinstance(args[0], list) else [args[0]])}
    return [v for i, v in enumerate(shape) if not (i in dims and v == 1)]


@pytest.mark.parametrize("level", [1, 2, 3])
@MANY
@given(seed=SEEDS)
def test_squeeze_unsqueeze(level: int, seed: int) -> None:
    q = _gen("squeeze-unsqueeze", level, seed)
    shape, ops = q.params["shape"], q.params["ops"]
    for op in ops:
        shape = _squeeze_op(shape, op)
    assert _answer(q) == tuple(shape)
    assert len(ops) == 1 if level == 1 else 2 <= len(ops) <= 3


# ---------------------------------------------------------------- one-hot


@pytest.mark.parametrize("level", [1, 2, 3])
@MANY
@given(seed=SEEDS)
def test_one_hot(level: int, seed: int) -> None:
    q = _gen("one-hot", level, seed)
    p = q.params
    if level == 1:
        assert _answer(q) == (*p["labels_shape"], p["num_classes"])
    elif level == 2:
        assert q.expected.kind == "floats" and q.expected.decimals == 0
        want = np.eye(p["num_classes"])[p["labels"][p["row"]]]
        assert _answer(q) == want.tolist()
    else:
        labels = np.array(p["labels"])
        assert list(labels.shape) == p["labels_shape"] and p["num_classes"] is None
        assert _answer(q) == (*labels.shape, int(labels.max()) + 1)


# ---------------------------------------------------------------- does-it-run


def _does_it_run_rule(p: dict[str, Any]) -> tuple[int, ...] | None:
    """The output shape, or None when the snippet must raise."""
    x, kind = p.get("x", []), p["kind"]
    if kind == "linear":
        return (*x[:-1], p["out_features"]) if x[-1] == p["in_features"] else None
    if kind == "conv":
        if x[1] != p["in_channels"]:
            return None
        k, s, pad = p["kernel_size"], p["stride"], p["padding"]
        h, w = ((v + 2 * pad - k) // s + 1 for v in x[2:])
        return (x[0], p["out_channels"], h, w)
    if kind == "conv-flatten-linear":
        k, pad = p["kernel_size"], p["padding"]
        flat = p["out_channels"] * prod(v + 2 * pad - k + 1 for v in x[2:])
        return (x[0], p["out_features"]) if flat == p["in_features"] else None
    assert kind == "scores"
    q, k = p["q"], p["k"]
    inner_b = k[2] if "transpose" in p["expr"] else k[1]
    if q[2] != inner_b:
        return None
    return (q[0], q[1], k[1] if "transpose" in p["expr"] else k[2])


@pytest.mark.parametrize("level", [1, 2, 3])
@MANY
@given(seed=SEEDS)
def test_does_it_run(level: int, seed: int) -> None:
    q = _gen("does-it-run", level, seed)
    want = _does_it_run_rule(q.params)
    got = _answer(q)
    errors = [c for c in q.expected.choices if c.startswith("RuntimeError: ")]
    assert len(errors) == 1  # exactly one error option, whatever the answer
    if want is None:
        assert got == errors[0]
        assert "torch: “" in q.explanation  # quotes torch's own message
    else:
        assert got == f"runs: output {_text(want)}"
    assert q.params["kind"] in {1: ("linear",), 2: ("conv",)}.get(
        level, ("conv-flatten-linear", "scores")
    )


# ---------------------------------------------------------------- mix of outcomes


@pytest.mark.parametrize(
    ("fid", "level"),
    [(f, lv) for f in ("reshape-valid", "broadcast", "does-it-run") for lv in (1, 2, 3)],
)
def test_both_outcomes_occur(fid: str, level: int) -> None:
    """A "does it work?" skill must not always have the same answer."""
    errors = sum(
        _answer(generate(fid, level, seed)).startswith(("error", "RuntimeError"))
        for seed in range(200)
    )
    assert 30 <= errors <= 170, errors


# ---------------------------------------------------------------- registry and proofs


def test_registered_levels() -> None:
    for fid in FAMILIES:
        fam = REGISTRY[fid]
        assert fam.topic == "tensors"
        assert sorted(fam.levels) == [1, 2, 3]
