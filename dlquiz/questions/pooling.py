"""Pooling and stack questions: pool output shapes, global average pooling, flatten sizes,
receptive fields and the multiply-accumulates of a convolution.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from dlquiz.questions.base import Expected, Question, family
from dlquiz.questions.common import (
    INT_FORM,
    fmt_shape,
    pick,
    randint,
    shape_form,
    shape_of,
    thousands,
)
from dlquiz.questions.layers import (
    PRINT_SHAPE,
    STACK_RULE,
    Spec,
    axis_line,
    build_sequential,
    conv,
    conv_block,
    maxpool,
    pair,
    proof,
    sequential_code,
    trace,
    trace_lines,
)

if TYPE_CHECKING:
    import numpy as np


# ---------------------------------------------------------------- pool2d-shape


@family(
    "pool2d-shape",
    title="MaxPool2d / AvgPool2d output shape",
    topic="convolution",
    terms=("max-pooling", "pooling-layer", "stride", "zero-padding", "feature-map"),
    levels={1: "kernel only (stride defaults to the kernel)", 2: "stride, padding and ceil_mode"},
)
def pool2d_shape(rng: np.random.Generator, level: int) -> Question:
    import torch
    from torch import nn

    kind = pick(rng, ("MaxPool2d", "AvgPool2d"))
    n, c = pick(rng, (1, 2, 4, 8, 16)), pick(rng, (3, 16, 32, 64, 128))
    if level == 1:
        k = pick(rng, (2, 2, 3, 4))
        s, p, ceil = k, 0, False
        h = randint(rng, 4, 64)
        w = pick(rng, (h, randint(rng, 4, 64)))
    else:
        k = pick(rng, (2, 3, 3, 4, 5))
        s = pick(rng, (1, 2, 2, 3))
        p = randint(rng, 0, k // 2)  # torch allows at most half the kernel
        ceil = pick(rng, (True, False))
        h, w = randint(rng, k, 64), randint(rng, k, 64)

    cls = nn.MaxPool2d if kind == "MaxPool2d" else nn.AvgPool2d
    shape = shape_of(
        cls(k, stride=s, padding=p, ceil_mode=ceil)(torch.empty(n, c, h, w, device="meta"))
    )

    args = [f"kernel_size={k}"]
    if level == 2:
        args += [f"stride={s}", f"padding={p}", f"ceil_mode={ceil}"]
    code = f"pool = nn.{kind}({', '.join(args)})\nx = torch.randn({n}, {c}, {h}, {w})\ny = pool(x)"

    if level == 1:
        expl = [
            f"stride defaults to kernel_size = {k}, so the windows tile without overlap:",
            "out = ⌊(in − k)/s⌋ + 1",
        ]
    elif ceil:
        expl = [
            "ceil_mode=True rounds up: out = ⌈(in + 2·p − k)/s⌉ + 1, but a last window that",
            "would start inside the right padding is dropped",
        ]
    else:
        expl = ["out = ⌊(in + 2·p − k)/s⌋ + 1"]
    pad = f" + 2·{p}" if p else ""
    for label, size, out in (("H", h, shape[2]), ("W", w, shape[3])):
        top = size + 2 * p - k
        if ceil:
            raw = -(-top // s) + 1
            line = f"{label}: ⌈({size}{pad} − {k})/{s}⌉ + 1 = {raw}"
            expl.append(line + (f" → {out} (last window dropped)" if raw != out else ""))
        else:
            expl.append(f"{label}: ⌊({size}{pad} − {k})/{s}⌋ + 1 = {out}")
    expl.append(f"Pooling works per channel, so N = {n} and C = {c} stay: {fmt_shape(shape)}.")
    return Question(
        level=level,
        params={
            "kind": kind,
            "N": n,
            "C": c,
            "H": h,
            "W": w,
            "k": k,
            "s": s,
            "p": p,
            "ceil_mode": ceil,
        },
        prompt=f"What is the shape of y? {shape_form('(N, C, H, W)')}",
        code=code,
        expected=Expected("shape", shape),
        explanation="\n".join(expl),
        proof=proof(code, PRINT_SHAPE),
    )


# ---------------------------------------------------------------- global-avg-pool

_GAP_FORMS = {
    # form -> (code after the input line, how the explanation describes it)
    "adaptive": (
        "y = nn.AdaptiveAvgPool2d(1)(x)",
        "AdaptiveAvgPool2d(1) averages each channel's H×W map down to a single 1×1 value",
    ),
    "flatten": (
        "y = torch.flatten(nn.AdaptiveAvgPool2d(1)(x), 1)",
        "AdaptiveAvgPool2d(1) gives"
        " (N, C, 1, 1); flatten(·, 1) merges the trailing 1×1 into the channel axis",
    ),
    "nn-flatten": (
        "y = nn.Flatten()(nn.AdaptiveAvgPool2d(1)(x))",
        "AdaptiveAvgPool2d(1) gives (N, C, 1, 1); nn.Flatten() keeps dim 0 and merges the rest",
    ),
    "mean": ("y = x.mean(dim=(2, 3))", "Averaging over dims 2 and 3 removes both spatial axes"),
    "mean-keepdim": (
        "y = x.mean(dim=(2, 3), keepdim=True)",
        "Averaging over dims 2 and 3 with keepdim=True leaves them as size 1",
    ),
}


@family(
    "global-avg-pool",
    title="Global average pooling output shape",
    topic="convolution",
    terms=("global-average-pooling", "pooling-layer", "feature-map"),
    levels={
        1: "AdaptiveAvgPool2d(1)",
        2: "followed by a flatten, or written as a mean",
        3: "adaptive pooling to a larger grid, then flatten",
    },
)
def global_avg_pool(rng: np.random.Generator, level: int) -> Question:
    import torch
    from torch import nn

    n, c = pick(rng, (1, 2, 4, 8, 16, 32)), pick(rng, (64, 128, 256, 512, 1024, 2048))
    h = pick(rng, (4, 7, 8, 14, 16, 28))
    w = pick(rng, (h, h, pick(rng, (5, 7, 10, 12, 14))))
    grid = (1, 1)
    x = torch.empty(n, c, h, w, device="meta")
    if level == 1:
        form = "adaptive"
        y = nn.AdaptiveAvgPool2d(1)(x)
    elif level == 2:
        form = pick(rng, ("flatten", "nn-flatten", "mean", "mean-keepdim"))
        pooled = nn.AdaptiveAvgPool2d(1)
        y = {
            "flatten": lambda: torch.flatten(pooled(x), 1),
            "nn-flatten": lambda: nn.Flatten()(pooled(x)),
            "mean": lambda: x.mean(dim=(2, 3)),
            "mean-keepdim": lambda: x.mean(dim=(2, 3), keepdim=True),
        }[form]()
    else:
        form = "grid"
        grid = pick(rng, ((2, 2), (3, 3), (4, 4), (2, 3), (3, 2)))
        grid = (min(grid[0], h), min(grid[1], w))
        y = torch.flatten(nn.AdaptiveAvgPool2d(grid)(x), 1)
    shape = shape_of(y)

    if form == "grid":
        line = f"y = torch.flatten(nn.AdaptiveAvgPool2d({pair(grid)})(x), 1)"
        expl = [
            f"AdaptiveAvgPool2d({pair(grid)}) picks its own windows so the output is "
            f"{grid[0]}×{grid[1]} whatever H×W is: (N, C, {grid[0]}, {grid[1]})",
            f"flatten(·, 1) multiplies everything after the batch: {c}·{grid[0]}·{grid[1]} "
            f"= {shape[1]}",
        ]
    else:
        line, text = _GAP_FORMS[form]
        expl = [text + "; " + f"the {h}×{w} spatial size no longer matters."]
    expl.append(f"Result: {fmt_shape(shape)}.")
    code = f"x = torch.randn({n}, {c}, {h}, {w})\n{line}"
    return Question(
        level=level,
        params={"N": n, "C": c, "H": h, "W": w, "form": form, "grid": list(grid)},
        prompt=f"What is the shape of y? {shape_form('(N, C, H, W) or (N, D)')}",
        code=code,
        expected=Expected("shape", shape),
        explanation="\n".join(expl),
        proof=proof(code, PRINT_SHAPE),
    )


# ---------------------------------------------------------------- flatten-size


@family(
    "flatten-size",
    title="in_features of the Linear layer after a conv stack",
    topic="convolution",
    terms=(
        "fully-connected-layer",
        "dense-layer",
        "feature-map",
        "max-pooling",
        "convolutional-neural-network",
    ),
    levels={
        1: "one conv + pool block on a square input",
        2: "two conv + pool blocks",
        3: "three blocks, strided convs, non-square input",
    },
)
def flatten_size(rng: np.random.Generator, level: int) -> Question:
    n, cin = pick(rng, (1, 8, 16, 32, 64)), pick(rng, (1, 3))
    c1 = pick(rng, (4, 8, 16, 32))
    if level == 1:
        h = w = 2 * randint(rng, 4, 16)
        specs = conv_block(rng, cin, c1, kernels=(3, 5))
    elif level == 2:
        h = w = pick(rng, (20, 24, 28, 32, 48, 64, randint(rng, 20, 64)))
        specs = conv_block(rng, cin, c1, kernels=(3, 5))
        specs += conv_block(rng, c1, 2 * c1, kernels=(3, 5))
    else:
        h, w = randint(rng, 48, 128), randint(rng, 48, 128)
        specs = conv_block(
            rng, cin, c1, kernels=(3, 5, 7), strides=(1, 2), same_pad=True, pools=((2, 2), (3, 2))
        )
        specs += conv_block(rng, c1, 2 * c1, kernels=(3,))
        specs += conv_block(rng, 2 * c1, 4 * c1, kernels=(3,))
    specs.append({"op": "flatten"})
    start = (n, cin, h, w)
    shapes = trace(build_sequential(specs), start)
    feat = shapes[-1][1]

    code = (
        sequential_code("features", specs)
        + "\nhead = nn.Linear(in_features, 10)  # in_features = ?"
        + f"\nx = torch.randn({n}, {cin}, {h}, {w})"
    )
    last = shapes[-2]
    expl = [
        STACK_RULE,
        trace_lines(specs, shapes, start),
        f"in_features = {last[1]}·{last[2]}·{last[3]} = {thousands(feat)}",
    ]
    return Question(
        level=level,
        params={"input": list(start), "layers": specs},
        prompt="What must in_features be so that head(features(x)) runs? " + INT_FORM,
        code=code,
        expected=Expected("int", int(feat)),
        explanation="\n".join(expl),
        proof=proof(
            sequential_code("features", specs) + f"\nx = torch.randn({n}, {cin}, {h}, {w})",
            "in_features = features(x).shape[1]\n"
            "head = nn.Linear(in_features, 10)  # head(features(x)) now runs\n"
            "print(in_features)",
        ),
    )


# ---------------------------------------------------------------- receptive-field

_RF_NOTE = (
    "# Stand-in: one channel and all-ones weights. The receptive field depends only on kernel\n"
    "# sizes, strides and dilations; positive weights keep gradients from cancelling, and max\n"
    "# pooling becomes average pooling over the same window (max passes gradient to one pixel).\n"
)


def _rf_measure(layers: Sequence[Spec], size: int) -> tuple[int, bool, list[str]]:
    """Rows of a size×size input that reach the centre output pixel, whether the span touches
    the border (then the input was too small), and the torch lines that did it."""
    import torch
    import torch.nn.functional as F

    # float64 keeps every sum exact, and on CPU it takes the plain convolution kernels instead
    # of oneDNN, whose per-configuration setup costs milliseconds on first use.
    f64 = torch.float64
    lines = [
        f"x = torch.ones(1, 1, {size}, {size}, dtype=torch.float64, requires_grad=True)",
        "y = x",
    ]
    x = torch.ones(1, 1, size, size, dtype=f64, requires_grad=True)
    y = x
    for spec in layers:
        k, s = spec["k"], spec["s"]
        if spec["op"] == "conv":
            p, d = spec["p"], spec["d"]
            y = F.conv2d(y, torch.ones(1, 1, k, k, dtype=f64), stride=s, padding=p, dilation=d)
            extra = "".join(
                f", {n}={v}"
                for n, v, dv in (("stride", s, 1), ("padding", p, 0), ("dilation", d, 1))
                if v != dv
            )
            lines.append(f"y = F.conv2d(y, torch.ones(1, 1, {k}, {k}, dtype=y.dtype){extra})")
        elif spec["op"] == "maxpool":
            y = F.avg_pool2d(y, k, stride=s)
            lines.append(f"y = F.avg_pool2d(y, {k}, stride={s})")
    c = y.shape[-1] // 2
    (grad,) = torch.autograd.grad(y[0, 0, c, c], x)
    rows = (grad[0, 0].sum(dim=1) != 0).nonzero().flatten()
    lo, hi = int(rows.min()), int(rows.max())
    lines += [
        "c = y.shape[-1] // 2  # an output pixel far from the border",
        "y[0, 0, c, c].backward()",
        "rows = (x.grad[0, 0].sum(dim=1) != 0).nonzero()",
        "print(int(rows.max() - rows.min() + 1))",
    ]
    return hi - lo + 1, lo == 0 or hi == size - 1, lines


@family(
    "receptive-field",
    title="Receptive field of a conv stack",
    topic="convolution",
    terms=("convolutional-neural-network", "filter", "stride", "max-pooling", "pooling-layer"),
    levels={
        1: "stride-1 convolutions",
        2: "strided convolutions and max pooling",
        3: "dilated convolutions",
    },
)
def receptive_field(rng: np.random.Generator, level: int) -> Question:
    chans = [3, 16, 32, 64, 128]
    layers: list[Spec] = []

    def add_conv(k: int, s: int = 1, d: int = 1) -> None:
        i = sum(1 for spec in layers if spec["op"] == "conv")
        layers.append(conv(chans[i], chans[i + 1], k, s, d * (k - 1) // 2, d))

    if level == 1:
        for _ in range(randint(rng, 2, 3)):
            add_conv(pick(rng, (3, 3, 5)))
    elif level == 2:
        add_conv(pick(rng, (3, 5, 7)), pick(rng, (1, 2)))
        for _ in range(randint(rng, 2, 3)):
            if layers[-1]["op"] == "conv" and pick(rng, (True, False)):
                layers.append(maxpool(2))
            else:
                add_conv(pick(rng, (3, 3, 5)), pick(rng, (1, 1, 2)))
        if all(spec["s"] == 1 for spec in layers):
            layers.insert(1, maxpool(2))
    else:
        for _ in range(randint(rng, 3, 4)):
            add_conv(3, pick(rng, (1, 1, 1, 2)), pick(rng, (1, 2, 2, 4)))
        if all(spec["d"] == 1 for spec in layers):
            layers[-1] = conv(layers[-1]["in"], layers[-1]["out"], 3, layers[-1]["s"], 2, 2)

    import torch

    # The tensors are tiny: handing the conv backward to a second thread costs more than the
    # work, and on a busy machine it can stall for a whole scheduler slice (~10 ms).
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        size = 64
        rf, clipped, lines = _rf_measure(layers, size)
        while clipped:  # the input must contain the whole field; grow it until it does
            size *= 2
            rf, clipped, lines = _rf_measure(layers, size)
    finally:
        torch.set_num_threads(threads)

    shown: list[Spec] = []
    for i, spec in enumerate(layers):
        shown.append(spec)
        nxt = layers[i + 1]["op"] if i + 1 < len(layers) else None
        if spec["op"] == "conv" and nxt == "conv":
            shown.append({"op": "relu"})
    code = sequential_code("model", shown)

    expl = [
        "Walk forward: r starts at 1 and each layer adds d·(k − 1)·J, where J (the jump) is"
        " the product of the strides before it."
    ]
    jump, terms = 1, []
    for spec in layers:  # the worked terms; the total is torch's measurement
        d = spec.get("d", 1)
        terms.append(f"{d}·{spec['k'] - 1}·{jump}" if d != 1 else f"{spec['k'] - 1}·{jump}")
        jump *= spec["s"]
    expl.append(f"r = 1 + {' + '.join(terms)} = {rf}")
    expl.append("Padding and ReLU move or keep values but do not change how far the field reaches.")

    return Question(
        level=level,
        params={"layers": layers},
        prompt=(
            "How many input rows does the receptive field of one output pixel of model span "
            f"(its height in input pixels)? {INT_FORM}"
        ),
        code=code,
        expected=Expected("int", int(rf)),
        explanation="\n".join(expl),
        proof="import torch\nimport torch.nn.functional as F\n\n"
        + _RF_NOTE
        + "\n".join(lines)
        + "\n",
    )


# ---------------------------------------------------------------- conv-macs


@family(
    "conv-macs",
    title="Multiply-accumulates of a Conv2d layer",
    topic="convolution",
    terms=("filter", "feature-map", "weight-sharing", "convolutional-neural-network"),
    levels={
        1: "small stride-1 'same' convolution",
        2: "stride and padding on realistic sizes",
        3: "grouped and depthwise convolutions",
    },
)
def conv_macs(rng: np.random.Generator, level: int) -> Question:
    import torch
    from torch import nn

    groups, s = 1, 1
    if level == 1:
        cin, cout = pick(rng, (1, 2, 3)), pick(rng, (2, 4, 8))
        k = pick(rng, (1, 3))
        p = k // 2
        h, w = randint(rng, 4, 12), randint(rng, 4, 12)
    elif level == 2:
        cin, cout = pick(rng, (3, 16, 32, 64)), pick(rng, (16, 32, 64, 128))
        k, s = pick(rng, (1, 3, 3, 5, 7)), pick(rng, (1, 2))
        p = pick(rng, (0, k // 2))
        h = pick(rng, (14, 16, 28, 32, 56))
        w = h
    else:
        k, s = 3, pick(rng, (1, 2))
        p = 1
        if pick(rng, (True, False)):
            cin = pick(rng, (16, 32, 64, 128))
            groups, cout = cin, cin
        else:
            groups = pick(rng, (2, 4, 8))
            cin, cout = groups * pick(rng, (4, 8, 16)), groups * pick(rng, (4, 8, 16))
        h = pick(rng, (7, 14, 28, 56))
        w = h

    layer = nn.Conv2d(cin, cout, k, stride=s, padding=p, groups=groups, device="meta")
    y = layer(torch.empty(1, cin, h, w, device="meta"))
    per_output = math.prod(layer.weight.shape[1:])  # (C_in/groups)·kH·kW weights per value
    macs = y.numel() * per_output

    args = [str(cin), str(cout), f"kernel_size={k}"]
    args += [
        f"{name}={v}"
        for name, v, dv in (("stride", s, 1), ("padding", p, 0), ("groups", groups, 1))
        if v != dv
    ]
    code = f"conv = nn.Conv2d({', '.join(args)})\nx = torch.randn(1, {cin}, {h}, {w})\ny = conv(x)"
    ho, wo = int(y.shape[2]), int(y.shape[3])
    expl = [
        "MACs = (outputs) × (weights each output uses) = C_out·H_out·W_out × (C_in/groups)·k·k",
        axis_line("H_out", h, k, s, p, 1, ho) + (f", W_out = {wo}" if w != h else " (W the same)"),
        f"outputs: {cout}·{ho}·{wo} = {thousands(y.numel())}; per output: {cin // groups}·{k}·{k}"
        f" = {thousands(per_output)}",
        f"MACs = {thousands(y.numel())} × {per_output} = {thousands(macs)}",
    ]
    return Question(
        level=level,
        params={
            "C_in": cin,
            "C_out": cout,
            "H": h,
            "W": w,
            "k": k,
            "s": s,
            "p": p,
            "groups": groups,
        },
        prompt=(
            "How many multiply-accumulate operations (MACs) does conv perform on x? Ignore the "
            f"bias additions. {INT_FORM}"
        ),
        code=code,
        expected=Expected("int", int(macs)),
        explanation="\n".join(expl),
        proof=proof(code, "print(y.numel() * conv.weight[0].numel())"),
    )
