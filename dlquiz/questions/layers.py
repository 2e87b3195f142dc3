"""Layer specs shared by the convolution and architecture questions.

A spec is a plain dict (``{"op": "conv", "in": 3, "out": 16, "k": 3, ...}``) that renders
to the code shown to the learner and builds the same module on the meta device, so the shown
code and the computed answer cannot drift apart. Imports neither numpy nor torch at module level.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from dlquiz.questions.base import Expected, Mistake, Question
from dlquiz.questions.common import (
    TORCH_HEADER,
    fmt_shape,
    pick,
    shape_form,
    shape_of,
)

if TYPE_CHECKING:
    import numpy as np
    import torch
    from torch import nn

Spec = dict[str, Any]  # one layer: {"op": "conv", "in": 3, "out": 16, "k": 3, ...}

HEADER = TORCH_HEADER + "\n"
PRINT_SHAPE = "print(tuple(y.shape))"

# Lazily built torch objects (classes, models) shared by the generators of both modules.
_CACHE: dict[str, Any] = {}


# ---------------------------------------------------------------- small helpers


def pair(v: Sequence[int]) -> str:
    """Render a (h, w) argument the way people write it: ``3`` when square, else ``(3, 5)``."""
    return str(v[0]) if v[0] == v[1] else f"({v[0]}, {v[1]})"


def proof(body: str, last: str) -> str:
    return HEADER + body.rstrip("\n") + "\n" + last + "\n"


def shape_question(
    level: int,
    params: dict[str, Any],
    form: str,
    code: str,
    expected: Expected,
    explanation: Sequence[str],
    mistakes: Sequence[Mistake],
    hints: tuple[str, ...],
) -> Question:
    """A "what is the shape of y?" question on ``code``, whose proof prints y's shape."""
    return Question(
        level=level,
        params=params,
        prompt=f"What is the shape of y? {shape_form(form)}",
        code=code,
        expected=expected,
        explanation="\n".join(explanation),
        proof=proof(code, PRINT_SHAPE),
        mistakes=tuple(mistakes),
        hints=hints,
    )


def axis_line(label: str, size: int, k: int, s: int, p: int, d: int, out: int) -> str:
    """One substituted line of out = ⌊(in + 2p − d·(k − 1) − 1)/s⌋ + 1."""
    reach = f"{d}·({k} − 1) − 1" if d != 1 else f"{k}"
    pad = f" + 2·{p}" if p else ""
    return f"{label}: ⌊({size}{pad} − {reach})/{s}⌋ + 1 = {out}"


def _meta_fast_classes() -> dict[str, type]:
    """BatchNorm2d and Linear variants that avoid torch's slow meta kernels.

    Both keep the real parameters and buffers and behave exactly like the torch class on real
    tensors. On meta tensors, BatchNorm only checks its input (it never changes a shape; the
    meta kernel is a Python decomposition costing ~0.7 ms, which ResNet-50's 53 BN layers cannot
    afford), and Linear adds its bias in place: meta ``addmm`` is a decomposition that costs
    ~0.4 ms a call and imports torch._dynamo (~1.5 s) the first time. Proofs use the torch
    classes.
    """
    if "fast" not in _CACHE:
        import torch.nn.functional as F
        from torch import nn

        class MetaFastBatchNorm2d(nn.BatchNorm2d):
            def forward(self, x: torch.Tensor) -> torch.Tensor:
                if x.is_meta:
                    self._check_input_dim(x)
                    if x.shape[1] != self.num_features:
                        raise RuntimeError(
                            f"BatchNorm2d({self.num_features}) got {x.shape[1]} channels"
                        )
                    return x
                return super().forward(x)

        class MetaFastLinear(nn.Linear):
            def forward(self, x: torch.Tensor) -> torch.Tensor:
                if x.is_meta and self.bias is not None:
                    return F.linear(x, self.weight).add_(self.bias)
                return super().forward(x)

        _CACHE["fast"] = {"BatchNorm2d": MetaFastBatchNorm2d, "Linear": MetaFastLinear}
    return _CACHE["fast"]


def fast_batchnorm2d() -> type[nn.BatchNorm2d]:
    return _meta_fast_classes()["BatchNorm2d"]


def fast_linear() -> type[nn.Linear]:
    return _meta_fast_classes()["Linear"]


def conv_size(n: int, k: int, s: int = 1, p: int = 0, d: int = 1, *, plus_one: bool = True) -> int:
    """⌊(n + 2p − d·(k − 1) − 1)/s⌋ + 1, the formula behind the *mistakes* (answers come from
    torch); ``plus_one=False`` is the forgot-the-+1 slip."""
    return (n + 2 * p - d * (k - 1) - 1) // s + int(plus_one)


def conv_formula(label: str, size: int, k: int, s: int, p: int, d: int) -> str:
    """``H = ⌊(32 + 2·1 − 2·(3 − 1) − 1)/2⌋ + 1``: hint 2 of the conv shape questions."""
    reach = f"{d}·({k} − 1) − 1" if d != 1 else f"({k} − 1) − 1"
    return f"{label} = ⌊({size} + 2·{p} − {reach})/{s}⌋ + 1"


CONV_RULE = (
    "Conv output: (N, out_channels, …) with each spatial size "
    "⌊(in + 2·padding − dilation·(k − 1) − 1)/stride⌋ + 1."
)


def stack_shape(
    specs: Sequence[Spec], start: Sequence[int], *, padding: bool = True, pools: bool = True
) -> tuple[int, ...]:
    """Shape after a conv/pool/flatten stack by the formulas, for the *mistakes* (ignoring the
    padding, skipping the pools); answers come from torch."""
    n, c, h, w = start
    flat = None
    for spec in specs:
        if spec["op"] == "conv":
            p = spec["p"] if padding else 0
            c = spec["out"]
            h, w = (conv_size(v, spec["k"], spec["s"], p, spec["d"]) for v in (h, w))
        elif spec["op"] == "maxpool" and pools:
            h, w = (conv_size(v, spec["k"], spec["s"]) for v in (h, w))
        elif spec["op"] == "flatten":
            flat = c * h * w
        elif spec["op"] == "linear":
            flat = spec["out"]
    return (n, c, h, w) if flat is None else (n, flat)


# ---------------------------------------------------------------- layer specs


def conv(
    cin: int, cout: int, k: int, s: int = 1, p: int = 0, d: int = 1, bias: bool = True
) -> Spec:
    return {"op": "conv", "in": cin, "out": cout, "k": k, "s": s, "p": p, "d": d, "bias": bias}


def maxpool(k: int, s: int | None = None) -> Spec:
    return {"op": "maxpool", "k": k, "s": k if s is None else s}


def render_layer(spec: Spec) -> str:
    op = spec["op"]
    if op == "conv":
        args = [str(spec["in"]), str(spec["out"]), str(spec["k"])]
        if spec["s"] != 1:
            args.append(f"stride={spec['s']}")
        if spec["p"]:
            args.append(f"padding={spec['p']}")
        if spec["d"] != 1:
            args.append(f"dilation={spec['d']}")
        if not spec["bias"]:
            args.append("bias=False")
        return f"nn.Conv2d({', '.join(args)})"
    if op == "maxpool":
        if spec["s"] == spec["k"]:
            return f"nn.MaxPool2d({spec['k']})"
        return f"nn.MaxPool2d({spec['k']}, stride={spec['s']})"
    if op == "bn":
        return f"nn.BatchNorm2d({spec['c']})"
    if op == "linear":
        bias = "" if spec["bias"] else ", bias=False"
        return f"nn.Linear({spec['in']}, {spec['out']}{bias})"
    return {"relu": "nn.ReLU()", "flatten": "nn.Flatten()"}[op]


def sequential_code(name: str, specs: Sequence[Spec]) -> str:
    body = "".join(f"    {render_layer(s)},\n" for s in specs)
    return f"{name} = nn.Sequential(\n{body})"


def build_layer(spec: Spec) -> nn.Module:
    """The module for ``spec`` on the meta device (parameters only have shapes there)."""
    from torch import nn

    op = spec["op"]
    if op == "conv":
        return nn.Conv2d(
            spec["in"],
            spec["out"],
            spec["k"],
            stride=spec["s"],
            padding=spec["p"],
            dilation=spec["d"],
            bias=spec["bias"],
            device="meta",
        )
    if op == "maxpool":
        return nn.MaxPool2d(spec["k"], stride=spec["s"])
    if op == "bn":
        return fast_batchnorm2d()(spec["c"], device="meta")
    if op == "linear":
        return fast_linear()(spec["in"], spec["out"], bias=spec["bias"], device="meta")
    if op == "relu":
        # In place: same output, and out-of-place elementwise ops are slow on meta (~0.4 ms).
        return nn.ReLU(inplace=True)
    return nn.Flatten()


def build_sequential(specs: Sequence[Spec]) -> nn.Sequential:
    from torch import nn

    return nn.Sequential(*(build_layer(s) for s in specs))


def trace(model: nn.Sequential, shape: Sequence[int]) -> list[tuple[int, ...]]:
    """Shapes after every layer of ``model`` for a meta input of ``shape``."""
    import torch

    x = torch.empty(*shape, device="meta")
    shapes: list[tuple[int, ...]] = []
    for layer in model:
        x = layer(x)
        shapes.append(shape_of(x))
    return shapes


_SHORT = {"conv": "Conv2d", "maxpool": "MaxPool2d", "flatten": "Flatten", "linear": "Linear"}


def trace_lines(
    specs: Sequence[Spec], shapes: Sequence[Sequence[int]], start: Sequence[int]
) -> str:
    """'(3, 32, 32) → Conv2d (16, 32, 32) → …', batch dropped, shape-keeping layers skipped."""
    steps = [fmt_shape(start[1:])]
    for spec, shp in zip(specs, shapes, strict=True):
        if spec["op"] in _SHORT:
            steps.append(f"{_SHORT[spec['op']]} {fmt_shape(shp[1:])}")
    lines = [" → ".join(steps[i : i + 4]) for i in range(0, len(steps), 4)]
    return "\n→ ".join(lines)


STACK_RULE = (
    "Conv2d: ⌊(n + 2p − k)/s⌋ + 1 per side; MaxPool2d(k, s): ⌊(n − k)/s⌋ + 1; "
    "ReLU keeps the shape; Flatten multiplies C·H·W."
)


def conv_block(
    rng: np.random.Generator,
    cin: int,
    cout: int,
    *,
    kernels: Sequence[int],
    strides: Sequence[int] = (1,),
    same_pad: bool | None = None,
    pools: Sequence[tuple[int, int]] = ((2, 2),),
    bn: bool = False,
) -> list[Spec]:
    """conv → (BN) → ReLU → MaxPool; padding k // 2 or 0 unless ``same_pad`` fixes it."""
    k = pick(rng, kernels)
    s = pick(rng, strides)
    keep = pick(rng, (True, False)) if same_pad is None else same_pad
    specs = [conv(cin, cout, k, s, k // 2 if keep else 0, bias=not bn)]
    if bn:
        specs.append({"op": "bn", "c": cout})
    specs.append({"op": "relu"})
    pk, ps = pick(rng, pools)
    specs.append(maxpool(pk, ps))
    return specs
