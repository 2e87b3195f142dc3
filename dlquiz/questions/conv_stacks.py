"""Conv stack questions: the in_features after a conv stack, receptive fields, and the
multiply-accumulates of a convolution.
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
    INT_FORM,
    pick,
    randint,
    thousands,
)
from dlquiz.questions.layers import (
    STACK_RULE,
    Spec,
    axis_line,
    build_sequential,
    conv,
    conv_block,
    maxpool,
    proof,
    sequential_code,
    stack_shape,
    trace,
    trace_lines,
)

if TYPE_CHECKING:
    import numpy as np


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
    expected = Expected("int", int(feat))
    mistakes = [
        Mistake(
            "forgot-channels",
            "forgot the channels",
            last[2] * last[3],
            f"Flatten multiplies C·H·W: you left out the C = {last[1]} channels "
            f"({last[1]}·{last[2]}·{last[3]}).",
        ),
        Mistake(
            "ignored-padding",
            "ignored the padding",
            stack_shape(specs, start, padding=False)[1],
            "The convolutions' padding keeps the map larger: each padding=p adds 2·p per side "
            "before the kernel.",
        ),
        Mistake(
            "skipped-pools",
            "skipped the pooling",
            stack_shape(specs, start, pools=False)[1],
            "Each MaxPool2d shrinks H and W too: ⌊(n − k)/s⌋ + 1.",
        ),
        Mistake(
            "used-input-size",
            "used the input's size",
            last[1] * h * w,
            f"The flatten sees the last feature map ({last[2]}×{last[3]}), not the {h}×{w} input.",
        ),
    ]
    return Question(
        level=level,
        params={"input": list(start), "layers": specs},
        prompt="What must in_features be so that head(features(x)) runs? " + INT_FORM,
        code=code,
        expected=expected,
        explanation="\n".join(expl),
        mistakes=keep_mistakes(expected, mistakes),
        hints=(
            STACK_RULE + " in_features is the C·H·W that reaches the Flatten.",
            f"Start from ({cin}, {h}, {w}) and apply each layer in turn; the last map before the "
            f"Flatten has {last[1]} channels.",
        ),
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
    expected = Expected("int", int(rf))

    def field(*, strides: bool = True, dilation: bool = True, own_stride: bool = False) -> int:
        r, jump = 1, 1
        for spec in layers:
            d = spec.get("d", 1) if dilation else 1
            if own_stride and strides:
                jump *= spec["s"]
            r += d * (spec["k"] - 1) * jump
            if strides and not own_stride:
                jump *= spec["s"]
        return r

    kernels = [spec["k"] for spec in layers]
    mistakes = [
        Mistake(
            "ignored-strides",
            "ignored the strides",
            field(strides=False),
            "After a stride-s layer, one step in the next layer is s input pixels: each layer's "
            "(k − 1) is multiplied by the product of the strides before it.",
        ),
        Mistake(
            "summed-kernels",
            "added the kernel sizes",
            sum(kernels),
            "The kernels overlap by one pixel: r = 1 + Σ (k − 1)·J, not "
            f"{' + '.join(map(str, kernels))}.",
        ),
        Mistake(
            "ignored-dilation",
            "ignored the dilation",
            field(dilation=False),
            "A dilated 3×3 kernel reaches d·(k − 1) + 1 pixels: its term is d·(k − 1)·J.",
        ),
        Mistake(
            "counted-own-stride",
            "counted a layer's own stride",
            field(own_stride=True),
            "A layer's stride widens the field only for the layers after it; its own term uses "
            "the strides before it.",
        ),
    ]
    hint2 = f"r = 1 + {' + '.join(terms)}"

    return Question(
        level=level,
        params={"layers": layers},
        prompt=(
            "How many input rows does the receptive field of an output pixel away from the border "
            f"span (its height in input pixels)? {INT_FORM}"
        ),
        code=code,
        expected=expected,
        explanation="\n".join(expl),
        mistakes=keep_mistakes(expected, mistakes),
        hints=(
            "r starts at 1; each conv or pool adds d·(k − 1)·J, where J is the product of the "
            "strides of the layers before it (padding does not matter).",
            hint2,
        ),
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
    expected = Expected("int", int(macs))
    weights = cout * per_output
    mistakes = [
        Mistake(
            "counted-weights",
            "counted the weights",
            weights,
            f"That is the number of weights; each is used at all {ho}·{wo} output positions.",
        ),
        Mistake(
            "used-input-size",
            "used the input's H×W",
            cout * h * w * per_output,
            f"The work is per output value: the output is {ho}×{wo}, not {h}×{w}.",
        ),
        Mistake(
            "ignored-groups",
            "ignored groups",
            cout * ho * wo * cin * k * k,
            f"With groups={groups} each output uses only {cin}/{groups} = {cin // groups} input "
            "channels.",
        ),
        Mistake(
            "forgot-in-channels",
            "forgot the input channels",
            cout * ho * wo * k * k,
            f"Each output sums over {cin // groups} input channels × {k}·{k} kernel positions.",
        ),
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
        expected=expected,
        explanation="\n".join(expl),
        mistakes=keep_mistakes(expected, mistakes),
        hints=(
            "MACs = number of output values × weights each one uses = "
            "C_out·H_out·W_out × (C_in/groups)·k·k.",
            f"{cout}·H_out·W_out × ({cin}/{groups})·{k}·{k}, with "
            f"H_out = ⌊({h} + 2·{p} − {k})/{s}⌋ + 1.",
        ),
        proof=proof(code, "print(y.numel() * conv.weight[0].numel())"),
    )
